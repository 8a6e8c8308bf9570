import * as tf from '@tensorflow/tfjs-core';
import type { BuiltFlow } from '../build';
import type { Flow } from '../types';
import { Permute } from '../permute';
import { PeriodicBase } from './periodic-base';
import { SplineCouplingStack } from './spline-coupling';

/** Margin on each side of the data's range, as a fraction of it: room for what the data missed. */
export const DOMAIN_MARGIN = 0.1;

type Circle = { lo: number; width: number } | null;

/**
 * Fit the intervals of every spline stack (and the circles of the periodic base) of an untrained
 * spline flow, after its fixed x-side layers (whitening, mixed coordinates) are fitted. Periodic
 * coordinates get their exact circle (a torsion's period). Other coordinates get the range of the
 * training data as the stack sees it, widened by `DOMAIN_MARGIN` on each side, unless the spec
 * fixes an interval; with no data they keep the interval they were built with.
 */
export function fitSplineDomains(built: BuiltFlow, data: Float64Array | null): void {
  const layers = built.flow.layers;
  const ranges = data && !built.arch.spline?.interval ? dataRanges(built, data) : new Map<Flow, Range>();
  let circles: Circle[] = built.mixed ? built.mixed.layer.circles() : Array.from({ length: built.flow.dim }, () => null);
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (layer instanceof SplineCouplingStack) setStackDomain(layer, circles, ranges.get(layer) ?? null);
    else if (layer instanceof PeriodicBase) setBaseDomain(layer, circles);
    else if (layer instanceof Permute) circles = layer.perm.map((_, j) => circles[layer.perm.indexOf(j)] ?? null);
  }
}

interface Range {
  readonly min: Float64Array;
  readonly max: Float64Array;
}

/** Rows per pass: a whole MD data set at once would hold every intermediate of every layer in memory. */
const CHUNK = 2048;

/**
 * Per-coordinate min and max of the data at each spline stack, walking from the x side: through the
 * fixed transforms, then the (still identity) couplings and swaps, in chunks.
 */
function dataRanges(built: BuiltFlow, data: Float64Array): Map<Flow, Range> {
  const xDim = built.flow.xDim;
  const n = data.length / xDim;
  const ranges = new Map<Flow, Range>();
  for (let start = 0; start < n; start += CHUNK) {
    const rows = Math.min(CHUNK, n - start);
    tf.tidy(() => {
      let h = tf.tensor2d(Float32Array.from(data.subarray(start * xDim, (start + rows) * xDim)), [rows, xDim]);
      for (let i = built.flow.layers.length - 1; i >= 0; i--) {
        const layer = built.flow.layers[i]!;
        if (layer instanceof SplineCouplingStack) widen(ranges, layer, tf.min(h, 0).dataSync(), tf.max(h, 0).dataSync());
        h = layer.inverse(h).z;
      }
    });
  }
  return ranges;
}

function widen(ranges: Map<Flow, Range>, layer: Flow, min: ArrayLike<number>, max: ArrayLike<number>): void {
  const r = ranges.get(layer) ?? { min: new Float64Array(layer.dim).fill(Infinity), max: new Float64Array(layer.dim).fill(-Infinity) };
  for (let j = 0; j < layer.dim; j++) ((r.min[j] = Math.min(r.min[j]!, min[j]!)), (r.max[j] = Math.max(r.max[j]!, max[j]!)));
  ranges.set(layer, r);
}

/** Whether a flow has spline couplings (whose intervals `fitSplineDomains` sets). */
export function isSplineFlow(built: BuiltFlow): boolean {
  return built.arch.layers.includes('Q');
}

function setStackDomain(stack: SplineCouplingStack, circles: Circle[], range: Range | null): void {
  const lo = Array.from(stack.lo.dataSync());
  const width = Array.from(stack.width.dataSync());
  const [min, max] = range ? [range.min, range.max] : [null, null];
  for (let j = 0; j < stack.dim; j++) {
    const c = circles[j];
    if (stack.periodic[j]) {
      if (!c) throw new Error(`spline flow: coordinate ${j} is periodic but has no circle`);
      lo[j] = c.lo;
      width[j] = c.width;
    } else if (min && max) {
      const span = Math.max(max[j]! - min[j]!, 1e-3);
      lo[j] = min[j]! - DOMAIN_MARGIN * span;
      width[j] = (1 + 2 * DOMAIN_MARGIN) * span;
    }
  }
  stack.setDomain(lo, width);
}

function setBaseDomain(base: PeriodicBase, circles: Circle[]): void {
  base.setDomain(
    circles.map((c) => c?.lo ?? 0),
    circles.map((c) => c?.width ?? 1),
  );
}
