import { munkres } from 'munkres';
import type { IdenticalParticles, ModelSystem } from '../energies/types';

/**
 * Permutation reduction (Reinhard & Grubmüller, J. Chem. Phys. 126, 014102, 2007; docs/science.md). The energy of a
 * system of identical particles (the dimer's solvent) is invariant under relabelling them, so its
 * Boltzmann density has one copy in each of the n! labellings. A long chain of a liquid visits many
 * of them (its particles trade places), and a flow in Cartesian coordinates would have to learn
 * them all. Relabelling every configuration so that its particles sit on a fixed reference as
 * closely as possible (the optimal assignment of particles to reference sites) maps each one into
 * one domain F, where the identity is the optimal assignment. The images of F tile the space and
 * carry the same weight, so restricted to F every state keeps its share: free-energy differences
 * between states that the relabelling leaves alone (the dimer's distance) are exactly those of the
 * whole space.
 *
 * The optimal assignment is a linear sum assignment problem; `munkres` solves it (O(n³), ~9 µs
 * for the dimer's 36 particles).
 */
export class PermutationDomain {
  private readonly cost: Float64Array[];
  private readonly sites: Float64Array;
  private readonly scratch: Float64Array;

  constructor(
    private readonly group: IdenticalParticles,
    reference: Float64Array,
  ) {
    const { first, count, spatialDim } = group;
    if (!(count >= 2 && first >= 0 && spatialDim >= 1)) throw new Error(`permutations: need at least 2 identical particles, got ${count}`);
    const end = (first + count) * spatialDim;
    if (reference.length < end) throw new Error(`permutations: the reference has ${reference.length} coordinates, the particles need ${end}`);
    this.sites = reference.slice(first * spatialDim, end);
    this.cost = Array.from({ length: count }, () => new Float64Array(count));
    this.scratch = new Float64Array(count * spatialDim);
  }

  /** particle[i]: the particle (0-based within the group) that the optimal assignment puts on site i. */
  assignment(x: Float64Array): Int32Array {
    const { first, count, spatialDim: d } = this.group;
    const off = first * d;
    for (let i = 0; i < count; i++) {
      const row = this.cost[i]!;
      for (let j = 0; j < count; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += (this.sites[i * d + k]! - x[off + j * d + k]!) ** 2;
        row[j] = s;
      }
    }
    const particle = new Int32Array(count);
    for (const [site, p] of munkres(this.cost)) particle[site] = p;
    return particle;
  }

  /** Whether x lies in the domain: its own labelling is an optimal assignment. */
  contains(x: Float64Array): boolean {
    if (!x.every(Number.isFinite)) return false;
    return this.assignment(x).every((p, i) => p === i);
  }

  /** Relabel x's identical particles in place so that x lies in the domain (the energy is unchanged). */
  canonicalize(x: Float64Array): void {
    if (!x.every(Number.isFinite)) return;
    const { first, spatialDim: d } = this.group;
    const particle = this.assignment(x);
    const off = first * d;
    particle.forEach((p, i) => this.scratch.set(x.subarray(off + p * d, off + (p + 1) * d), i * d));
    x.set(this.scratch, off);
  }

  /** Canonicalize every row of row-major `rows` (in place; returned for chaining). */
  canonicalizeRows(rows: Float64Array, dim: number): Float64Array {
    for (let r = 0; r < rows.length / dim; r++) this.canonicalize(rows.subarray(r * dim, (r + 1) * dim));
    return rows;
  }
}

/**
 * The system restricted to one permutation domain: u = +∞ outside it, so every importance weight,
 * ESS and estimate that reads `energy64` counts only configurations in F (samples outside it weigh
 * nothing), and samplers that use `energy64` stay in it. The reference is state A's start. The
 * differentiable `energy` stays the smooth one (the domain's boundary has no gradient), and data
 * are generated on the unreduced system and relabelled (`reduction.canonicalizeRows`), which is exact
 * and needs no assignment per Metropolis step.
 */
export function reducePermutations(system: ModelSystem): ModelSystem {
  const group = system.identical;
  if (!group) throw new Error(`${system.name} has no identical particles to reduce`);
  const domain = new PermutationDomain(group, system.start(0));
  return {
    ...system,
    energy64: (x) => (domain.contains(x) ? system.energy64(x) : Number.POSITIVE_INFINITY),
    start: (state) => {
      const x = system.start(state);
      domain.canonicalize(x);
      return x;
    },
    reduction: {
      canonicalizeRows: (rows, dim) => domain.canonicalizeRows(rows, dim),
      contains: (x) => domain.contains(x),
      unreduced: system,
    },
  };
}
