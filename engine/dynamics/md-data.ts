import type { MoleculeSystem } from '../energies/molecule/system';
import type { Rng } from '../rng';
import { baoab } from './baoab';

export interface MdDataOptions {
  /** Frames kept per chain, every `stride` steps after `burnIn` steps. */
  readonly frames: number;
  readonly chains: number;
  readonly stride: number;
  readonly burnIn: number;
  /** ps and 1/ps. */
  readonly dt: number;
  readonly gamma: number;
  /** Reduced temperature: kT = τ · kT(system temperature). */
  readonly tau: number;
  readonly rng: Rng;
  /** Start of every chain (default: the structure, state A's start). */
  readonly x0?: Float64Array;
  readonly signal?: AbortSignal;
  /** After each chain and every ~10 % of one: frames done of all. */
  readonly onProgress?: (framesDone: number, framesTotal: number) => void;
}

export interface MdData {
  /** Row-major [chains·frames, 3N] in nm, chain after chain (block averages need the order). */
  readonly x: Float64Array;
  readonly chains: number;
  readonly framesPerChain: number;
  /** Mid-step kinetic temperature over all production steps, K. */
  readonly kineticTemperature: number;
  readonly seconds: number;
}

/**
 * Reference molecular dynamics: `chains` independent BAOAB trajectories (float64, analytic forces,
 * real masses) from the same start with fresh Maxwell–Boltzmann velocities. The chains' frames are
 * the "by example" training data and the MD reference of the Ramachandran populations.
 */
export function moleculeMd(system: MoleculeSystem, o: MdDataOptions): MdData {
  const t0 = performance.now();
  const { molecule } = system;
  const dim = system.dim, total = o.chains * o.frames;
  const x = new Float64Array(total * dim);
  const x0 = o.x0 ?? system.start(0);
  const kT = molecule.kT * o.tau;
  const force = (p: Float64Array, out: Float64Array): number => molecule.terms64(p, out).total;
  let kinetic = 0;
  const every = Math.max(1, Math.round(o.frames / 10));
  for (let c = 0; c < o.chains; c++) {
    const r = baoab({
      x0, masses: system.masses, force, kT, dt: o.dt, gamma: o.gamma,
      steps: o.frames * o.stride, stride: o.stride, burnIn: o.burnIn, rng: o.rng,
      onFrame: (step) => {
        const f = step / o.stride;
        if (f % every === 0) o.onProgress?.(c * o.frames + f, total);
      },
      ...(o.signal ? { signal: o.signal } : {}),
    });
    x.set(r.frames, c * o.frames * dim);
    kinetic += r.kineticTemperature / o.chains;
  }
  return { x, chains: o.chains, framesPerChain: o.frames, kineticTemperature: kinetic, seconds: (performance.now() - t0) / 1000 };
}
