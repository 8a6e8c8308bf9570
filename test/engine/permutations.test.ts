import { describe, expect, it } from 'vitest';
import { createSystem } from '../../engine/energies';
import { createDimer } from '../../engine/energies/dimer';
import { metropolis } from '../../engine/samplers/metropolis';
import { PermutationDomain, reducePermutations } from '../../engine/symmetry/permutations';
import { Rng } from '../../engine/rng';

// Permutation reduction of the dimer's solvent (engine/symmetry/permutations.ts).

/** x with solvent particles a and b swapped. */
function swapped(x: Float64Array, a: number, b: number): Float64Array {
  const y = x.slice();
  for (const k of [0, 1]) [y[2 * (2 + a) + k], y[2 * (2 + b) + k]] = [x[2 * (2 + b) + k]!, x[2 * (2 + a) + k]!];
  return y;
}

/** x with its solvent relabelled by a random permutation. */
function shuffled(x: Float64Array, count: number, rng: Rng): Float64Array {
  let y: Float64Array = x.slice();
  for (let i = count - 1; i > 0; i--) y = swapped(y, i, Math.floor(rng.uniform() * (i + 1)));
  return y;
}

describe('permutation reduction', () => {
  const dimer = createDimer();
  const reduced = reducePermutations(dimer);
  const domain = new PermutationDomain(dimer.identical!, dimer.start(0));
  const rng = new Rng(4);
  // Thermal configurations of the open state, from the unreduced chain.
  const chain = metropolis(dimer, { x0: dimer.start(1), nSteps: 40_000, stride: 4000, step: 0.02, tau: 1, rng, burnIn: 2000 });
  const rows = Array.from({ length: 10 }, (_, i) => chain.samples.slice(i * 76, (i + 1) * 76));

  it('relabels into the domain without changing the energy, whatever the labelling it starts from', () => {
    expect(domain.contains(dimer.start(0))).toBe(true);
    for (const x of rows) {
      const canonical = x.slice();
      domain.canonicalize(canonical);
      expect(domain.contains(canonical)).toBe(true);
      expect(dimer.energy64(canonical)).toBeCloseTo(dimer.energy64(x), 9);
      expect(dimer.rc64(canonical)).toBe(dimer.rc64(x));
      // Any relabelling of the same configuration lands on the same canonical row.
      const other = shuffled(x, 36, rng);
      expect(domain.contains(other)).toBe(false);
      domain.canonicalize(other);
      expect(Array.from(other)).toEqual(Array.from(canonical));
    }
  });

  it('gives the reduced system an infinite energy outside the domain and the plain one inside', () => {
    const inside = rows[0]!.slice();
    domain.canonicalize(inside);
    expect(reduced.energy64(inside)).toBe(dimer.energy64(inside));
    // Two particles on opposite sides of the box trade labels: far from any optimal assignment.
    const outside = swapped(inside, 0, 35);
    expect(reduced.energy64(outside)).toBe(Number.POSITIVE_INFINITY);
    expect(dimer.energy64(outside)).toBeCloseTo(dimer.energy64(inside), 9);
    expect(reduced.reduction!.contains(reduced.start(1))).toBe(true);
    expect(reduced.reduction!.unreduced).toBe(dimer);
  });

  it('is a fundamental domain: a freely exchanging fluid spends 1/n! of its time in it', () => {
    // Three solvent particles in a dilute box trade places often; each of the 3! labellings holds
    // the same weight, so an unreduced chain sits in the domain 1/6 of the time. A domain that
    // were too large, too small or not a labelling at all would give another share.
    const small = createSystem('dimer', { nSolvent: 3 });
    const d3 = new PermutationDomain(small.identical!, small.start(0));
    const r = metropolis(small, { x0: small.start(0), nSteps: 8_000_000, stride: 100, step: 0.15, tau: 1, rng: new Rng(9), burnIn: 10_000 });
    const n = r.energies.length;
    const inside: number[] = [];
    for (let i = 0; i < n; i++) inside.push(d3.contains(r.samples.subarray(i * small.dim, (i + 1) * small.dim)) ? 1 : 0);
    // Standard error from 30 blocks (the chain is correlated).
    const B = 30;
    const means = Array.from({ length: B }, (_, b) => inside.slice((b * n) / B, ((b + 1) * n) / B).reduce((a, v) => a + v, 0) / (n / B));
    const mean = means.reduce((a, v) => a + v, 0) / B;
    const se = Math.sqrt(means.reduce((a, v) => a + (v - mean) ** 2, 0) / (B - 1) / B);
    expect(Math.abs(mean - 1 / 6)).toBeLessThan(4 * se + 0.005);
    expect(se).toBeLessThan(0.015);
  });

  it('refuses a system without identical particles', () => {
    expect(() => reducePermutations(createSystem('double-well'))).toThrow(/no identical particles/);
    expect(() => createSystem('dimer', { nSolvent: 1 }, null, { permutationReduction: true })).toThrow(/no identical particles/);
  });
});
