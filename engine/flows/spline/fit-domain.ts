import * as tf from '@tensorflow/tfjs-core';
import type { BuiltFlow } from '../build';
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
  const dim = built.flow.dim;
  let circles: Circle[] = built.mixed ? built.mixed.layer.circles() : Array.from({ length: dim }, () => null);
  let h: tf.Tensor2D | null = data && !built.arch.spline?.interval ? latentOfData(built, data) : null;
  try {
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i]!;
      if (layer instanceof SplineCouplingStack) setStackDomain(layer, circles, h);
      else if (layer instanceof PeriodicBase) setBaseDomain(layer, circles);
      else if (layer instanceof Permute) circles = layer.perm.map((_, j) => circles[layer.perm.indexOf(j)] ?? null);
      if (h && !(layer === built.whitening || layer === built.mixed?.layer)) {
        const next = tf.tidy(() => layer.inverse(h!).z);
        h.dispose();
        h = next;
      }
    }
  } finally {
    h?.dispose();
  }
}

/** Whether a flow has spline couplings (whose intervals `fitSplineDomains` sets). */
export function isSplineFlow(built: BuiltFlow): boolean {
  return built.arch.layers.includes('Q');
}

/** The data as the couplings see it: through the fixed x-side layers (mixed transform, whitening). */
function latentOfData(built: BuiltFlow, data: Float64Array): tf.Tensor2D {
  return tf.tidy(() => {
    const xDim = built.flow.xDim;
    let h = tf.tensor2d(Float32Array.from(data), [data.length / xDim, xDim]);
    if (built.mixed) h = built.mixed.layer.inverse(h).z;
    if (built.whitening) h = built.whitening.inverse(h).z;
    return h;
  });
}

function setStackDomain(stack: SplineCouplingStack, circles: Circle[], h: tf.Tensor2D | null): void {
  const lo = Array.from(stack.lo.dataSync());
  const width = Array.from(stack.width.dataSync());
  const [min, max] = h ? tf.tidy(() => [tf.min(h, 0).dataSync(), tf.max(h, 0).dataSync()]) : [null, null];
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
