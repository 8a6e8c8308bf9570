import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { parseForceField, type ForceField } from '../../../engine/energies/mm/forcefield-xml';
import { buildSystem, type MMParams } from '../../../engine/energies/mm/system';
import { mmEnergy64, type MMEnergies } from '../../../engine/energies/mm/energy64';
import { createMolecule } from '../../../engine/energies/mm';

interface Fixture {
  openmm: string;
  configurations: { positions: number[]; energies: MMEnergies; forces: number[] }[];
}
const fixture = JSON.parse(readFileSync('test/fixtures/mm/alanine-dipeptide-amber99sbildn.json', 'utf8')) as Fixture;
const xml = readFileSync('data/forcefields/amber99sbildn.xml', 'utf8');
const pdb = readFileSync('data/molecules/alanine-dipeptide.pdb', 'utf8');
const ff = parseForceField(xml);
const mol = createMolecule(pdb, ff);
const TERMS = ['bonds', 'angles', 'torsions', 'nonbonded'] as const;

/** Worst errors of p against OpenMM over every fixture configuration. */
function compare(p: MMParams): { total: number; terms: Record<string, number>; force: number } {
  const out = { total: 0, terms: {} as Record<string, number>, force: 0 };
  for (const c of fixture.configurations) {
    const grad = new Float64Array(3 * p.n);
    const e = mmEnergy64(p, Float64Array.from(c.positions), grad);
    // Total relative to the sum of the term magnitudes: the total can pass through zero.
    const scale = TERMS.reduce((s, t) => s + Math.abs(c.energies[t]), 0);
    out.total = Math.max(out.total, Math.abs(e.total - c.energies.total) / scale);
    for (const t of TERMS) out.terms[t] = Math.max(out.terms[t] ?? 0, Math.abs(e[t] - c.energies[t]) / Math.max(1, Math.abs(c.energies[t])));
    const fmax = Math.max(...c.forces.map(Math.abs));
    const dmax = Math.max(...c.forces.map((f, i) => Math.abs(f + grad[i]!)));
    out.force = Math.max(out.force, dmax / fmax);
  }
  return out;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('amber99sbildn alanine dipeptide against OpenMM', () => {
  it('has the fixture it is checked against', () => {
    expect(fixture.configurations.length).toBeGreaterThanOrEqual(21);
    expect(mol.params.n).toBe(22);
    expect(mol.topology.residues.map((r) => r.template)).toEqual(['ACE', 'ALA', 'NME']);
  });

  it('matches per-term and total energies to 1e-4 and forces to 1e-3', () => {
    const err = compare(mol.params);
    console.log('max errors vs OpenMM', JSON.stringify(err));
    expect(err.total).toBeLessThan(1e-4);
    for (const t of TERMS) expect(err.terms[t]).toBeLessThan(1e-4);
    expect(err.force).toBeLessThan(1e-3);
  });
});

describe('mutations the OpenMM comparison must catch', () => {
  const exceeds = (p: MMParams): ReturnType<typeof compare> => {
    const err = compare(p);
    console.log('mutated errors', JSON.stringify(err));
    return err;
  };
  it('a wrong coulomb14scale (1.0 instead of 1/1.2)', () => {
    const err = exceeds(buildSystem(mol.topology, { ...ff, coulomb14scale: 1 } as ForceField));
    expect(err.total).toBeGreaterThan(1e-4);
    expect(err.force).toBeGreaterThan(1e-3);
  });
  it('a wrong lj14scale (1.0 instead of 0.5)', () => {
    const err = exceeds(buildSystem(mol.topology, { ...ff, lj14scale: 1 } as ForceField));
    expect(err.total).toBeGreaterThan(1e-4);
    expect(err.force).toBeGreaterThan(1e-3);
  });
  it.each([
    ['outer atoms swapped', [1, 0, 2, 3]],
    ['central atom first', [2, 0, 1, 3]],
  ] as const)('an improper order permuted (%s)', (_, perm) => {
    const p = { ...mol.params, torsions: mol.params.torsions.map((t) => (t.improper ? { ...t, atoms: perm.map((k) => t.atoms[k]!) as [number, number, number, number] } : t)) };
    expect(mol.params.torsions.filter((t) => t.improper).length).toBeGreaterThan(0);
    const err = exceeds(p);
    expect(err.terms.torsions).toBeGreaterThan(1e-4);
    expect(err.force).toBeGreaterThan(1e-3);
  });
});

describe('tfjs energy', () => {
  const batch = fixture.configurations.slice(0, 6);
  const x = tf.tensor2d(batch.flatMap((c) => c.positions), [batch.length, mol.dim]);

  it('matches float64 at float32 precision, batched, in kJ/mol and reduced units', () => {
    const e = mol.tfEnergy.energyKJ(x).arraySync();
    const u = mol.energy(x).arraySync();
    batch.forEach((c, b) => {
      const ref = mol.terms64(Float64Array.from(c.positions));
      const scale = TERMS.reduce((s, t) => s + Math.abs(ref[t]), 0);
      expect(Math.abs(e[b]! - ref.total) / scale).toBeLessThan(1e-5);
      expect(u[b]! * mol.kT).toBeCloseTo(e[b]!, 2);
    });
    expect(mol.kT).toBeCloseTo(2.494339, 6); // R·300 K
  });

  it('has a tf.grad equal to minus the analytic forces', () => {
    const g = tf.grad((y: tf.Tensor) => tf.sum(mol.tfEnergy.energyKJ(y as tf.Tensor2D)))(x).arraySync() as number[][];
    let worst = 0;
    batch.forEach((c, b) => {
      const f = new Float64Array(mol.dim);
      mol.terms64(Float64Array.from(c.positions), f);
      const fmax = Math.max(...f.map(Math.abs));
      worst = Math.max(worst, Math.max(...g[b]!.map((v, i) => Math.abs(v + f[i]!))) / fmax);
    });
    console.log('tfjs grad vs analytic forces, max |ΔF|/max|F|', worst);
    expect(worst).toBeLessThan(1e-3);
  });
});
