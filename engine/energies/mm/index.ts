import type * as tf from '@tensorflow/tfjs-core';
import { parseForceField, type ForceField } from './forcefield-xml';
import { buildTopology, parsePdb, type Topology } from './pdb-topology';
import { buildSystem, type MMParams } from './system';
import { mmEnergy64, type MMEnergies } from './energy64';
import { createMMTfEnergy, MOLAR_GAS_CONSTANT, type MMTfEnergy } from './tf-energy';

export interface Molecule {
  readonly topology: Topology;
  readonly params: MMParams;
  /** The structure's own coordinates, nm. */
  readonly positions: Float64Array;
  readonly dim: number;
  /** kT in kJ/mol at the run's temperature: u = E/kT. */
  readonly kT: number;
  /** Reduced energy u = E/kT, batched and differentiable (x [batch, 3N] in nm). */
  energy(x: tf.Tensor2D): tf.Tensor1D;
  /** float64 reduced energy and its analytic gradient (the reference dynamics' forces are −kT·grad). */
  energy64(x: Float64Array): number;
  gradient64(x: Float64Array, out: Float64Array): Float64Array;
  /** float64 energies by term in kJ/mol; forces (kJ/mol/nm) written into `forces` where given. */
  terms64(x: Float64Array, forces?: Float64Array): MMEnergies;
  readonly tfEnergy: MMTfEnergy;
}

export function createMolecule(pdbText: string, ff: ForceField | string, temperature = 300): Molecule {
  if (!(temperature > 0)) throw new Error(`mm: temperature must be > 0 K, got ${temperature}`);
  const field = typeof ff === 'string' ? parseForceField(ff) : ff;
  const pdb = parsePdb(pdbText);
  const topology = buildTopology(pdb, field);
  const params = buildSystem(topology, field);
  const kT = MOLAR_GAS_CONSTANT * temperature;
  const tfEnergy = createMMTfEnergy(params);
  return {
    topology, params, positions: pdb.positions, dim: 3 * params.n, kT, tfEnergy,
    energy: (x) => {
      const e = tfEnergy.energyKJ(x);
      const u = e.div(kT) as tf.Tensor1D;
      e.dispose();
      return u;
    },
    energy64: (x) => mmEnergy64(params, x).total / kT,
    gradient64: (x, out) => {
      out.fill(0);
      mmEnergy64(params, x, out);
      for (let i = 0; i < out.length; i++) out[i] = out[i]! / kT;
      return out;
    },
    terms64: (x, forces) => {
      if (!forces) return mmEnergy64(params, x);
      forces.fill(0);
      const e = mmEnergy64(params, x, forces);
      for (let i = 0; i < forces.length; i++) forces[i] = -forces[i]!;
      return e;
    },
  };
}
