import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { JobCheckpoint } from '../../contract/checkpoint';
import type { RunEvent } from '../../contract/run-result';
import { parseRunSpec, type GeneratorSpec } from '../../contract/run-spec';
import { createMoleculeSystem } from '../../engine/energies/molecule/system';
import { runTrainSample } from '../../workers/jobs/train-sample';

// The surface and basin populations pool every fresh draw. The draws come one after another from
// the same random stream, so k draws of n (within one sampling chunk) are the very samples of one
// draw of k·n: the pooled populations must equal that run's exactly, and differ from one draw's.
const molecule = { pdb: readFileSync('data/molecules/alanine-dipeptide.pdb', 'utf8'), forcefieldXml: readFileSync('data/forcefields/amber99sbildn.xml', 'utf8') };

function spec(n: number, draws: number, temperatures: number[] = [1]): GeneratorSpec {
  const r = parseRunSpec({
    system: { name: 'alanine-dipeptide' },
    backend: 'wasm',
    data: { source: 'md', frames: 100, chains: 2, stride: 20, burnIn: 200 },
    flow: { layers: 'RR', hidden: [16], coordinates: 'mixed' },
    training: { stages: [{ iterations: 10, lr: 0.001, batch: 32, wML: 1 }] },
    sampling: { n, draws, temperatures },
    analysis: { bins: 36, bootstrap: 10, pathPoints: 0 },
  });
  if (!r.ok || r.spec.method !== 'generator') throw new Error(r.ok ? 'not a generator spec' : JSON.stringify(r.issues));
  return r.spec;
}

interface Extra { resume?: JobCheckpoint | null; onCheckpoint?: (c: JobCheckpoint) => void; onEvent?: (e: RunEvent) => void; temperatures?: number[] }
const run = (n: number, draws: number, { temperatures, ...o }: Extra = {}) =>
  runTrainSample(spec(n, draws, temperatures), { seed: 4, inputs: { data: null, start: null, molecule }, ...o });

describe('pooled draws', () => {
  it('basin populations and the surface pool the stored samples with every fresh draw', async () => {
    const [pooled, one, big] = [await run(300, 3), await run(300, 1), await run(900, 1)];
    const s = pooled.result.surface!, s1 = one.result.surface!, sBig = big.result.surface!;
    expect([s.draws, s1.draws, sBig.draws]).toEqual([3, 1, 1]);
    // The stored samples (and the scatter points) are the first draw's either way.
    expect(pooled.samples[0]!.logw).toEqual(one.samples[0]!.logw);
    expect([s.points.a, s.points.b]).toEqual([s1.points.a, s1.points.b]);
    s.points.w.forEach((w, i) => expect(w).toBeCloseTo(s1.points.w[i]!, 12));
    for (const [k, b] of s.basins.entries()) {
      expect(b.population).toBeCloseTo(sBig.basins[k]!.population, 12);
      expect(b.rawFraction).toBeCloseTo(sBig.basins[k]!.rawFraction, 12);
      expect(b.reference).toBe(s1.basins[k]!.reference);
    }
    expect(s.free).toEqual(sBig.free);
    // …and not one draw's: 900 samples, not 300 (some count is not a multiple of 3).
    expect(s.basins.some((b) => Math.round(b.rawFraction * 900) % 3 !== 0)).toBe(true);
    expect(s.basins.some((b, k) => b.rawFraction !== s1.basins[k]!.rawFraction)).toBe(true);
  }, 180_000);

  it('a run resumed after training (interrupted while sampling) reports the same surface, MD reference included', async () => {
    let trained: JobCheckpoint | null = null;
    const straight = await run(300, 3, { onCheckpoint: (c) => void (c.phase === 'trained' && (trained = c)) });
    expect(trained).not.toBeNull();
    const events: RunEvent[] = [];
    const resumed = await run(300, 3, { resume: trained, onEvent: (e) => events.push(e) });
    expect(events.some((e) => e.type === 'phase' && /resuming from the trained checkpoint/.test(e.message))).toBe(true);
    expect(resumed.result.surface).toEqual(straight.result.surface);
    expect(resumed.result.surface!.basins[0]!.reference).not.toBeNull();
    expect(resumed.reference).toEqual(straight.reference);
  }, 180_000);

  it('with several temperatures the surface is τ = 1\'s, wherever τ = 1 sits in the list', async () => {
    const [pooled, one] = [await run(300, 3, { temperatures: [1.5, 1] }), await run(300, 1, { temperatures: [1.5, 1] })];
    const s = pooled.result.surface!, s1 = one.result.surface!;
    expect([s.draws, s1.draws]).toEqual([3, 1]);
    // The scatter points are the stored τ = 1 draw's (index 1), the same with one draw or three.
    expect(pooled.samples[1]!.tau).toBe(1);
    expect([s.points.a, s.points.b]).toEqual([s1.points.a, s1.points.b]);
    const sys = createMoleculeSystem('alanine-dipeptide', molecule);
    const x = pooled.samples[1]!.x, dim = sys.dim;
    expect(s.points.a.slice(0, 5)).toEqual([0, 1, 2, 3, 4].map((i) => sys.surface.value64(Float64Array.from(x.subarray(i * dim, (i + 1) * dim)))[0]));
    // The grid is the three draws' (900 samples fill bins 300 leave empty).
    expect(s.free.filter((v) => v !== null).length).toBeGreaterThan(s1.free.filter((v) => v !== null).length);
  }, 180_000);
});
