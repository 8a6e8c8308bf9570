import type { SplinePartition } from '../../contract/run-spec';
import { Rng } from '../rng';

/**
 * How a spline flow splits its coordinates between the two halves of each block's couplings.
 * `even-odd`: every block uses the even and the odd coordinates (a swap of an even number of
 * coordinates keeps that split, so this flow only ever has one partition: two coordinates in the
 * same half never condition each other directly). `random`: each block draws its own half, so most
 * pairs of coordinates are in different halves in some block (with B blocks a pair shares every
 * half with probability ≈ 2^−B); Durkan et al. 2019 permute randomly between layers for this reason.
 */
export type Partition = SplinePartition;

/**
 * The first half of block `block` under a random partition: ⌈dim/2⌉ coordinates, ascending.
 * Derived from (dim, block) alone with a fixed seed, not the run's seed: a saved flow rebuilds the
 * same halves from its architecture, so the partition is part of the architecture, not the weights.
 * Changing this derivation would break saved flows; a test pins its values.
 */
export function randomHalf(dim: number, block: number): number[] {
  const rng = new Rng(0x5eed_0000 + block);
  const order = Array.from({ length: dim }, (_, i) => i);
  for (let i = dim - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order.slice(0, Math.ceil(dim / 2)).sort((a, b) => a - b);
}
