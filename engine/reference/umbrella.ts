import type { ModelSystem } from '../energies/types';
import type { Rng } from '../rng';
import { abortError, yieldToEventLoop, YIELD_MS } from '../cancel';
import type { UmbrellaWindow } from '../../contract/jobs';

export interface UmbrellaOptions {
  /** Window centres on the RC; run (and returned) in ascending order. At least two. */
  centers: number[];
  /** Restraint constant of b(ξ) = ½·k·(ξ − c)², reduced units (kT at the reference temperature). */
  k: number;
  tau: number;
  /** Production steps per window. */
  stepsPerWindow: number;
  /** Steps run and discarded at the start of each window. */
  burnIn: number;
  /** Record the RC every stride-th production step. */
  stride: number;
  /** Std of the all-coordinate Gaussian proposal (default `system.mcStep`). */
  step?: number;
  rng: Rng;
  /** Start of the first window (default `system.start(0)`). */
  x0?: Float64Array;
  /** Called after window i of n finishes, with its production acceptance. */
  onWindow?: (i: number, n: number, acceptance: number) => void;
  signal?: AbortSignal;
}

export interface UmbrellaResult {
  windows: UmbrellaWindow[];
  seconds: number;
}

/** `n` evenly spaced centres over `range`, both ends included. */
export function defaultWindows(range: readonly [number, number], n: number): number[] {
  const [a, b] = range;
  if (!(Number.isInteger(n) && n >= 2)) throw new Error(`defaultWindows: n must be an integer ≥ 2, got ${n}`);
  if (!(Number.isFinite(a) && Number.isFinite(b) && b > a)) throw new Error(`defaultWindows: bad range [${a}, ${b}]`);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? b : a + ((b - a) * i) / (n - 1)));
}

/**
 * Umbrella sampling: float64 Metropolis on (u(x) + b(rc(x)))/τ in each window, with the same
 * all-coordinate Gaussian proposal as samplers/metropolis.ts. Windows run as one sweep in order of
 * their centres: window i starts from window i−1's last configuration, so the restraint drags the
 * system across the barrier instead of each window having to find its region from a cold start.
 */
export async function umbrellaSampling(system: ModelSystem, o: UmbrellaOptions): Promise<UmbrellaResult> {
  const { k, tau, stepsPerWindow, burnIn, stride, rng, signal } = o;
  const step = o.step ?? system.mcStep;
  const dim = system.dim;
  if (!(o.centers.length >= 2 && o.centers.every(Number.isFinite)))
    throw new Error(`umbrellaSampling: need at least 2 finite window centres, got [${o.centers.join(', ')}]`);
  if (!(k > 0 && Number.isFinite(k))) throw new Error(`umbrellaSampling: k must be a finite number > 0, got ${k}`);
  if (!(tau > 0 && Number.isFinite(tau))) throw new Error(`umbrellaSampling: tau must be a finite number > 0, got ${tau}`);
  if (!(step > 0 && Number.isFinite(step))) throw new Error(`umbrellaSampling: step must be a finite number > 0, got ${step}`);
  if (!(Number.isInteger(stride) && stride >= 1)) throw new Error(`umbrellaSampling: stride must be an integer ≥ 1, got ${stride}`);
  if (!(Number.isInteger(stepsPerWindow) && stepsPerWindow >= stride))
    throw new Error(`umbrellaSampling: stepsPerWindow must be an integer ≥ stride (${stride}), got ${stepsPerWindow}`);
  if (!(Number.isInteger(burnIn) && burnIn >= 0)) throw new Error(`umbrellaSampling: burnIn must be an integer ≥ 0, got ${burnIn}`);
  if (o.x0 && o.x0.length !== dim) throw new Error(`umbrellaSampling: x0 has length ${o.x0.length}, system dim is ${dim}`);
  if (signal?.aborted) throw abortError();

  const centers = [...o.centers].sort((a, b) => a - b);
  const t0 = performance.now();
  let lastYield = t0;
  // Two buffers, swapped on acceptance: no allocation inside the loop.
  let x = Float64Array.from(o.x0 ?? system.start(0));
  let y = new Float64Array(dim);
  let u = system.energy64(x);
  if (!Number.isFinite(u)) throw new Error(`umbrellaSampling: non-finite start energy ${u}`);
  let r = system.rc64(x);
  const nKept = Math.floor(stepsPerWindow / stride);
  const windows: UmbrellaWindow[] = [];

  for (const [w, c] of centers.entries()) {
    const rc = new Float64Array(nKept);
    let e = u + 0.5 * k * (r - c) ** 2; // biased energy, recomputed because the centre moved
    let accepted = 0;
    let kept = 0;
    let sum = 0;
    for (let t = 1 - burnIn; t <= stepsPerWindow; t++) {
      // performance.now() costs about as much as a double-well energy: look at the clock every 256 steps.
      if ((t & 255) === 0 && performance.now() - lastYield > YIELD_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
        if (signal?.aborted) throw abortError();
      }
      for (let i = 0; i < dim; i++) y[i] = x[i]! + step * rng.normal();
      const uy = system.energy64(y);
      const ry = system.rc64(y);
      const ey = uy + 0.5 * k * (ry - c) ** 2;
      // NaN ey compares false: rejected.
      if (Math.log(rng.uniform()) < -(ey - e) / tau) {
        const tmp = x;
        x = y;
        y = tmp;
        u = uy;
        r = ry;
        e = ey;
        if (t > 0) accepted++;
      }
      if (t > 0 && t % stride === 0) {
        rc[kept++] = r;
        sum += r;
      }
    }
    const acceptance = accepted / stepsPerWindow;
    windows.push({ center: c, k, rc, acceptance, meanRc: sum / nKept });
    o.onWindow?.(w, centers.length, acceptance);
  }
  return { windows, seconds: (performance.now() - t0) / 1000 };
}
