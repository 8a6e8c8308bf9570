import * as tf from '@tensorflow/tfjs-core';
import type { BuiltFlow } from '../flows/build';
import { MixedCoordinatesLayer } from '../flows/internal/mixed-layer';
import { Permute } from '../flows/permute';
import { PeriodicBase } from '../flows/spline/periodic-base';
import { SplineCouplingStack } from '../flows/spline/spline-coupling';

/**
 * Where the spread of the log importance weights comes from (docs/science.md, "Where log-weight
 * spread comes from"). log w = −u(x) − log q(x) + const, and both sides split exactly into parts:
 * the energy into its force-field terms, log q into per-coordinate contributions summed by
 * coordinate group. Var(log w) = Σ_k Cov(a_k, log w) over the parts a_k, so each part's share is
 * Cov(a_k, log w) / Var(log w) and the shares add up to 1.
 */

export type CoordinateGroup = 'cartesian' | 'bonds' | 'angles' | 'torsions';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * log q(x) of x = F(z) for a spline flow in mixed coordinates, as per-coordinate contributions
 * log N(z_j) − Σ_layers log|∂x_j/∂z_j| carried through the swaps, summed by group of the mixed
 * transform's latent coordinates. z is drawn at τ = 1.
 */
export function logQByGroup(built: BuiltFlow, z: tf.Tensor2D): { x: Float32Array; groups: Record<CoordinateGroup, Float64Array> } {
  const mixed = built.mixed?.layer;
  if (!mixed) throw new Error('log-weight attribution needs mixed coordinates (its groups are bonds, angles, torsions)');
  const [x, c] = tf.tidy(() => {
    let h = z;
    let c = tf.sub(tf.mul(tf.square(z), -0.5), LOG_SQRT_2PI) as tf.Tensor2D;
    for (const layer of built.flow.layers) {
      if (layer instanceof Permute) {
        c = layer.forward(c).x;
        h = layer.forward(h).x;
        continue;
      }
      if (!(layer instanceof PeriodicBase || layer instanceof SplineCouplingStack || layer instanceof MixedCoordinatesLayer)) {
        throw new Error('log-weight attribution covers spline flows (Q, P) in mixed coordinates');
      }
      const r = layer.forwardTerms(h);
      c = tf.sub(c, r.terms) as tf.Tensor2D;
      h = r.x;
    }
    return [h.dataSync() as Float32Array, c.arraySync() as number[][]];
  });
  return { x, groups: sumByGroup(c, mixed) };
}

function sumByGroup(c: number[][], mixed: MixedCoordinatesLayer): Record<CoordinateGroup, Float64Array> {
  const nl = mixed.rows.length, nc = mixed.dim - 3 * nl;
  const bounds: [CoordinateGroup, number, number][] = [
    ['cartesian', 0, nc],
    ['bonds', nc, nc + nl],
    ['angles', nc + nl, nc + 2 * nl],
    ['torsions', nc + 2 * nl, mixed.dim],
  ];
  const out = {} as Record<CoordinateGroup, Float64Array>;
  for (const [g, a, b] of bounds) out[g] = Float64Array.from(c, (row) => row.slice(a, b).reduce((s, v) => s + v, 0));
  return out;
}

/** Each part's share Cov(a_k, Σ a) / Var(Σ a) of the variance of the sum (the shares add up to 1). */
export function varianceShares(parts: Readonly<Record<string, ArrayLike<number>>>): { variance: number; shares: Record<string, number> } {
  const names = Object.keys(parts);
  const n = parts[names[0]!]!.length;
  const total = new Float64Array(n);
  for (const k of names) for (let i = 0; i < n; i++) total[i]! += parts[k]![i]!;
  const mean = (a: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i]!;
    return s / n;
  };
  const mt = mean(total);
  const cov = (a: ArrayLike<number>): number => {
    const ma = mean(a);
    let s = 0;
    for (let i = 0; i < n; i++) s += (a[i]! - ma) * (total[i]! - mt);
    return s / (n - 1);
  };
  const variance = cov(total);
  return { variance, shares: Object.fromEntries(names.map((k) => [k, cov(parts[k]!) / variance])) };
}
