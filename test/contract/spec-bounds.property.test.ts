import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRunSpec } from '../../contract/run-spec';
import { costIssues, estimateCost, type CostLimits } from '../../contract/run-spec/cost';
import { systemDim } from '../../contract/systems';

// Every numeric field of a spec, fed random and boundary values: either a field-level refusal,
// quickly and without a large allocation, or a run whose estimated cost fits the limits. A spec
// that validates can then never ask for what the machine does not have (docs/backend.md, "Bounds").

const BASE = {
  system: { name: 'dimer', params: { nSolvent: 36, boxHalf: 3 } },
  data: { source: 'metropolis', perState: 2000, stride: 10, burnIn: 1000, temperature: 1 },
  flow: { layers: 'RRRR', hidden: [64, 64], sScale: 1 },
  training: {
    clipNorm: 100,
    stages: [
      { iterations: 100, lr: 1e-3, batch: 256, wML: 1, wKL: 0, wRC: 0, highEnergy: 1000, maxEnergy: 1e10, temperatures: [1] },
      { iterations: 100, lr: 1e-3, batch: 256, fab: { intermediate: 4, transitions: 2, step: 0.5, targetAcceptance: 0.5, chains: 256, bufferSize: 4096, minBuffer: 512, updatesPerAis: 4 } },
      { iterations: 100, lr: 1e-3, batch: 256, anneal: { ladder: [4, 2, 1], klIterations: 100, samples: 4096 } },
    ],
  },
  sampling: { n: 10000, temperatures: [1], chunk: 8192, draws: 1 },
  analysis: { bins: 50, bootstrap: 100, pathPoints: 21 },
};

const UMBRELLA = { method: 'umbrella', system: { name: 'double-well', params: { dim: 2 } }, umbrella: { windows: 20, k: 10, stepsPerWindow: 10000, burnIn: 1000, stride: 10, step: 0.1 }, analysis: { bins: 50, bootstrap: 100 } };

/** Paths of every number in a JSON value (array elements included). */
function numericPaths(v: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof v === 'number') return [path];
  if (Array.isArray(v)) return v.flatMap((x, i) => numericPaths(x, [...path, i]));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => numericPaths(x, [...path, k]));
  return [];
}

function withValue(base: unknown, path: (string | number)[], value: number): unknown {
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[path.at(-1)!] = value;
  return copy;
}

const LIMITS: CostLimits = { memoryBytes: 8e9, seconds: 24 * 3600 };
const BOUNDARY = [0, -1, 1, 0.5, 2, 1e-300, 1e6, 1e7, 2 ** 31, 1e9, 1e12, 1e15, Number.MAX_SAFE_INTEGER, 1e308];

describe('every numeric spec field, random and boundary values', () => {
  for (const [name, base] of [['generator', BASE], ['umbrella', UMBRELLA]] as const) {
    const paths = numericPaths(base);
    it(`${name}: ${paths.length} fields → a field-level refusal within 2 s and 300 MB, or a cost within the limits`, () => {
      const seen = new Set<string>();
      fc.assert(
        fc.property(fc.constantFrom(...paths), fc.oneof(fc.constantFrom(...BOUNDARY), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()), (path, value) => {
          const heap0 = process.memoryUsage().heapUsed;
          const t0 = performance.now();
          const r = parseRunSpec(withValue(base, path, value));
          let verdict: string;
          if (!r.ok) {
            // Refused: every issue names a field (never the whole spec).
            expect(r.issues.every((i) => i.path !== 'spec' && i.message.length > 0)).toBe(true);
            verdict = 'refused';
          } else {
            const dim = systemDim(r.spec.system.name, r.spec.system.params)!;
            const issues = costIssues(estimateCost(r.spec, dim), LIMITS);
            const c = estimateCost(r.spec, dim);
            // Over the limits is a field-level refusal too (what runs:start answers); else it fits.
            expect(issues.length > 0 || (c.memoryBytes <= LIMITS.memoryBytes && c.seconds <= LIMITS.seconds)).toBe(true);
            expect(issues.every((i) => i.path.length > 0 && i.path !== 'spec')).toBe(true);
            verdict = issues.length ? 'over the limits' : 'fits';
          }
          seen.add(verdict);
          expect([path.join('.'), value, verdict, performance.now() - t0 < 2000]).toEqual([path.join('.'), value, verdict, true]);
          expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(300e6);
        }),
        { numRuns: 1500, seed: 7 },
      );
      // Not vacuous: the values reached every outcome.
      expect([...seen].sort()).toEqual(['fits', 'over the limits', 'refused']);
    });
  }
});

describe('pooled surface draws', () => {
  const spec = (system: 'alanine-dipeptide' | 'double-well', draws: number) => {
    const data = system === 'alanine-dipeptide' ? { source: 'md', frames: 100 } : { source: 'metropolis', perState: 100 };
    const r = parseRunSpec({ system: { name: system }, data, flow: { layers: 'RR', hidden: [16] }, training: { stages: [{ iterations: 10, lr: 1e-3, batch: 32, wML: 1 }] }, sampling: { n: 1e6, draws } });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.spec;
  };
  const memory = (system: 'alanine-dipeptide' | 'double-well', draws: number, dim: number) => estimateCost(spec(system, draws), dim);
  it('a molecule keeps every draw\'s surface points, and the memory estimate counts them (model systems keep none)', () => {
    const ala = memory('alanine-dipeptide', 20, 66);
    expect(ala.memory.find((p) => p.field === 'sampling.draws')?.amount).toBe(1e6 * 20 * 36);
    expect(ala.memoryBytes - memory('alanine-dipeptide', 1, 66).memoryBytes).toBe(1e6 * 20 * 36);
    expect(memory('double-well', 20, 2).memoryBytes).toBe(memory('double-well', 1, 2).memoryBytes);
  });
});

describe('the work estimate with held-out data', () => {
  const parts = (perState: number, fraction: number | null, temperature = 1) => {
    const r = parseRunSpec({ ...structuredClone(BASE), data: { ...BASE.data, perState, temperature }, training: { ...BASE.training, ...(fraction ? { heldOut: { fraction } } : {}) } });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const c = estimateCost(r.spec, 76);
    const held = c.work.filter((p) => p.field === 'training.heldOut');
    return { seconds: c.seconds, what: held.map((p) => p.what), final: held[0]?.amount ?? 0, checks: held[1]?.amount ?? 0 };
  };

  it('counts the final bidirectional pass and the checks at every ESS probe, nothing without held-out data', () => {
    const held = parts(1000, 0.5), none = parts(1000, null);
    expect(held.what).toEqual(['bidirectional estimate on held-out rows', 'held-out checks (NLL, KL) at the ESS probes']);
    expect(none.what).toEqual([]);
    expect(held.seconds - none.seconds).toBeCloseTo(held.final + held.checks, 9);
  });

  it('checks at most 4 096 rows, and their energies once and only with data at τ = 1', () => {
    // 1 000 held-out rows: data at τ = 2 give 51 inverse passes and no energies (no KL); at τ = 1,
    // the energies of the rows once, the same amount the final pass spends on them.
    const hot = parts(1000, 0.5, 2), cold = parts(1000, 0.5, 1);
    const pass = hot.checks / 51;
    expect(cold.checks - hot.checks).toBeCloseTo(cold.final - pass, 9);
    expect(cold.checks - hot.checks).toBeGreaterThan(0);
    // 6 000 and 10 000 held-out rows: the final pass grows, the checks stay at 4 096 rows.
    const a = parts(10_000, 0.3), b = parts(10_000, 0.5);
    expect(b.final).toBeGreaterThan(a.final);
    expect(b.checks).toBeCloseTo(a.checks, 9);
    expect(a.checks).toBeGreaterThan(cold.checks);
  });
});
