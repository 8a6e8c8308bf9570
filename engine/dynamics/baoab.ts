/**
 * BAOAB Langevin dynamics (Leimkuhler & Matthews, Appl. Math. Res. Express 2013; J. Chem. Phys.
 * 138, 174102 (2013)) in float64 with analytic forces: the reference dynamics for molecules.
 *
 * Langevin equation: dx = v dt, m dv = F(x) dt − γ m v dt + sqrt(2 γ m kT) dW. One step of length dt
 * is the splitting
 *   B  v ← v + (dt/2) F(x)/m                      half kick
 *   A  x ← x + (dt/2) v                           half drift
 *   O  v ← c1 v + c2 ξ,  ξ ~ N(0, 1) per coordinate, c1 = exp(−γ dt), c2 = sqrt((1 − c1²) kT/m)
 *                                                 the exact solution of the Ornstein–Uhlenbeck part
 *   A  x ← x + (dt/2) v                           half drift
 *   B  v ← v + (dt/2) F(x)/m                      half kick (one force evaluation per step)
 *
 * Why BAOAB: of the first-order splittings it has the smallest configurational error — averages of
 * functions of x are second order in dt with a small constant, and in the high-friction limit fourth
 * order; for a harmonic potential the x-marginal is exact at any stable step (ω dt < 2). It stays
 * robust at large steps where BBK/velocity-Verlet thermostats drift, so the step can be set by
 * stability rather than accuracy. The end-of-step velocities do carry an O(dt²) error (for a harmonic
 * mode ⟨m v²⟩ = kT (1 − ω² dt²/4)), whereas the mid-step velocities — after the first B, equivalently
 * after O — are exact in the harmonic case (they are the "leapfrog" velocities OpenMM's
 * LangevinMiddleIntegrator reports). `kineticTemperature` is therefore taken from the mid-step
 * velocities; `fullStepKineticTemperature` is the end-of-step estimate, reported for comparison.
 *
 * Units (consistent, no conversion factors): length nm, time ps, mass amu (g/mol), energy kJ/mol,
 * force kJ/mol/nm; 1 amu·nm²/ps² = 1 kJ/mol. kT at 300 K = 2.494339 kJ/mol. Temperatures in K use
 * k_B = R = 0.00831446261815324 kJ/(mol K). Degrees of freedom: every coordinate (3N), i.e. no
 * constraints and no centre-of-mass removal (the thermostat acts on the centre of mass too).
 * Without constraints on bonds to hydrogen, 1–2 fs is the stable range for molecules (C–H stretches,
 * ω ≈ 565 ps⁻¹, set the limit ω dt < 2). Measured on alanine dipeptide (amber99sbildn, 300 K,
 * γ = 1/ps): 1 and 2 fs stable with mid-step temperatures within 1 % of 300 K (end-of-step 2 % and
 * 9 % low); 3 fs still finite over 42 ps (end-of-step 20–25 % low); 4 fs diverges within ~200 steps.
 *
 * Reduced units for the model systems (`baoabModel`): mass 1, kT = τ, energies u in units of kT at
 * the reference temperature (ModelSystem.energy64/gradient64), forces −∇u.
 */
import type { ModelSystem } from '../energies/types';
import type { Rng } from '../rng';
import { abortError } from '../cancel';

/** Boltzmann's constant per mole, kJ/(mol K) (CODATA 2018, as OpenMM). */
export const BOLTZMANN_KJ_PER_MOL_K = 0.00831446261815324;

/** Writes the force −∇E into `out` and returns E at x. */
export type ForceFn = (x: Float64Array, out: Float64Array) => number;

export interface BaoabOptions {
  x0: Float64Array;
  /** Per coordinate (length of x0), amu. */
  masses: Float64Array;
  /** Writes −∇E (kJ/mol/nm) into out and returns E (kJ/mol). */
  force: ForceFn;
  /** kJ/mol (300 K → 2.494339). */
  kT: number;
  /** Time step, ps. */
  dt: number;
  /** Friction, 1/ps (0: velocity Verlet, no thermostat). */
  gamma: number;
  /** Production steps. */
  steps: number;
  /** Keep every stride-th production step: floor(steps / stride) frames. */
  stride: number;
  rng: Rng;
  /** Initial velocities, nm/ps; default drawn from Maxwell–Boltzmann at kT with `rng`. */
  v0?: Float64Array;
  /** Steps run before production: not kept, not in the kinetic averages (default 0). */
  burnIn?: number;
  /** Called at each kept frame (step counts production steps from 1); arrays are live buffers. */
  onFrame?: (step: number, x: Float64Array, v: Float64Array, E: number) => void;
  /** Checked every 1000 steps and at each frame; throws an AbortError when aborted. */
  signal?: AbortSignal;
}

export interface BaoabResult {
  /** Row-major [nFrames, dim], positions at every stride-th production step. */
  frames: Float64Array;
  /** E (kJ/mol) of each frame. */
  energies: Float64Array;
  /** K, ⟨Σ m v²⟩ / (n_dof k_B) over the production steps, mid-step velocities; n_dof = dim. */
  kineticTemperature: number;
  /** ⟨Σ m v²⟩ / n_dof in energy units (the kT estimate; τ in reduced units), mid-step velocities. */
  kineticKT: number;
  /** K, from the end-of-step velocities (O(dt²) low for stiff modes). */
  fullStepKineticTemperature: number;
  /** Final state, to continue a run. */
  x: Float64Array;
  v: Float64Array;
  /** Wall-clock seconds of the whole call. */
  seconds: number;
}

export function baoab(o: BaoabOptions): BaoabResult {
  const t0 = performance.now();
  const { masses, force, kT, dt, gamma, steps, stride, rng, onFrame, signal, burnIn = 0 } = o;
  const dim = o.x0.length;
  if (masses.length !== dim) throw new Error(`baoab: masses has length ${masses.length}, x0 has ${dim}`);
  if (!(kT > 0 && dt > 0 && gamma >= 0)) throw new Error('baoab: kT and dt must be > 0 and gamma ≥ 0');
  if (!(Number.isInteger(steps) && steps >= 0 && Number.isInteger(stride) && stride >= 1 && Number.isInteger(burnIn) && burnIn >= 0))
    throw new Error('baoab: steps and burnIn must be integers ≥ 0 and stride an integer ≥ 1');
  if (o.v0 && o.v0.length !== dim) throw new Error(`baoab: v0 has length ${o.v0.length}, x0 has ${dim}`);

  const halfDtOverM = new Float64Array(dim);
  const c2 = new Float64Array(dim);
  const c1 = Math.exp(-gamma * dt);
  for (let i = 0; i < dim; i++) {
    const m = masses[i]!;
    if (!(m > 0 && Number.isFinite(m))) throw new Error(`baoab: mass ${i} must be finite and > 0, got ${m}`);
    halfDtOverM[i] = (0.5 * dt) / m;
    c2[i] = Math.sqrt(((1 - c1 * c1) * kT) / m);
  }
  const x = Float64Array.from(o.x0);
  const v = o.v0 ? Float64Array.from(o.v0) : new Float64Array(dim);
  if (!o.v0) for (let i = 0; i < dim; i++) v[i] = Math.sqrt(kT / masses[i]!) * rng.normal();
  const f = new Float64Array(dim);
  let E = force(x, f);
  if (!Number.isFinite(E)) throw new Error(`baoab: non-finite start energy ${E}`);

  const nFrames = Math.floor(steps / stride);
  const frames = new Float64Array(nFrames * dim);
  const energies = new Float64Array(nFrames);
  const halfDt = 0.5 * dt;
  let sumMid = 0; // Σ over production steps of Σ m v² at mid-step
  let sumFull = 0;
  let kept = 0;

  for (let t = 1 - burnIn; t <= steps; t++) {
    if (signal?.aborted && t % 1000 === 0) throw abortError();
    let mv2 = 0;
    for (let i = 0; i < dim; i++) {
      let vi = v[i]! + halfDtOverM[i]! * f[i]!; // B
      const xi = x[i]! + halfDt * vi; // A
      vi = c1 * vi + c2[i]! * rng.normal(); // O
      mv2 += masses[i]! * vi * vi;
      x[i] = xi + halfDt * vi; // A
      v[i] = vi;
    }
    E = force(x, f);
    if (!Number.isFinite(E)) throw new Error(`baoab: non-finite energy at step ${t} (dt = ${dt} ps too large?)`);
    let mv2Full = 0;
    for (let i = 0; i < dim; i++) {
      const vi = v[i]! + halfDtOverM[i]! * f[i]!; // B
      v[i] = vi;
      mv2Full += masses[i]! * vi * vi;
    }
    if (t <= 0) continue;
    sumMid += mv2;
    sumFull += mv2Full;
    if (t % stride === 0) {
      frames.set(x, kept * dim);
      energies[kept++] = E;
      onFrame?.(t, x, v, E);
      if (signal?.aborted) throw abortError();
    }
  }
  const kineticKT = steps > 0 ? sumMid / (steps * dim) : NaN;
  const fullKT = steps > 0 ? sumFull / (steps * dim) : NaN;
  return {
    frames, energies, kineticKT, x, v,
    kineticTemperature: kineticKT / BOLTZMANN_KJ_PER_MOL_K,
    fullStepKineticTemperature: fullKT / BOLTZMANN_KJ_PER_MOL_K,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Forces −∇u and energy u (reduced, units of kT at the reference temperature) of a model system. */
export function modelSystemForce(system: ModelSystem): ForceFn {
  return (x, out) => {
    system.gradient64(x, out);
    for (let i = 0; i < out.length; i++) out[i] = -out[i]!;
    return system.energy64(x);
  };
}

export type BaoabModelOptions = Omit<BaoabOptions, 'masses' | 'force' | 'kT' | 'x0'> & {
  /** Reduced temperature: kT = τ in units of the reference kT. */
  tau: number;
  /** Default `system.start(0)`. */
  x0?: Float64Array;
};

/**
 * BAOAB on a model system in reduced units (mass 1, kT = τ, time in the system's own units);
 * `kineticKT` estimates τ, `energies` are u. `kineticTemperature` (K) has no meaning here.
 */
export function baoabModel(system: ModelSystem, o: BaoabModelOptions): BaoabResult {
  const x0 = o.x0 ?? system.start(0);
  return baoab({ ...o, x0, masses: new Float64Array(x0.length).fill(1), force: modelSystemForce(system), kT: o.tau });
}
