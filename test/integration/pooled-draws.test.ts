import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { JobCheckpoint } from '../../contract/checkpoint';
import { parseRunSpec, type GeneratorSpec } from '../../contract/run-spec';
import { runTrainSample } from '../../workers/jobs/train-sample';

// The surface and basin populations pool every fresh draw. The draws come one after another from
// the same random stream, so k draws of n (within one sampling chunk) are the very samples of one
// draw of k·n: the pooled populations must equal that run's exactly, and differ from one draw's.
const molecule = { pdb: readFileSync('data/molecules/alanine-dipeptide.pdb', 'utf8'), forcefieldXml: readFileSync('data/forcefields/amber99sbildn.xml', 'utf8') };

function spec(n: number, draws: number): GeneratorSpec {
  const r = parseRunSpec({
    system: { name: 'alanine-dipeptide' },
    backend: 'wasm',
    data: { source: 'md', frames: 100, chains: 2, stride: 20, burnIn: 200 },
    flow: { layers: 'RR', hidden: [16], coordinates: 'mixed' },
    training: { stages: [{ iterations: 10, lr: 0.001, batch: 32, wML: 1 }] },
    sampling: { n, draws },
    analysis: { bins: 36, bootstrap: 10, pathPoints: 0 },
  });
  if (!r.ok || r.spec.method !== 'generator') throw new Error(r.ok ? 'not a generator spec' : JSON.stringify(r.issues));
  return r.spec;
}

const run = (n: number, draws: number, o: { resume?: JobCheckpoint | null; onCheckpoint?: (c: JobCheckpoint) => void } = {}) =>
  runTrainSample(spec(n, draws), { seed: 4, inputs: { data: null, start: null, molecule }, ...o });

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
    // …and not one draw's: 900 samples, not 300.
    expect(s.basins.map((b) => Math.round(b.rawFraction * 900) / 900)).toEqual(s.basins.map((b) => b.rawFraction));
    expect(s.basins.some((b, k) => b.rawFraction !== s1.basins[k]!.rawFraction)).toBe(true);
  }, 180_000);

  it('a run resumed after training (interrupted while sampling) reports the same surface, MD reference included', async () => {
    let trained: JobCheckpoint | null = null;
    const straight = await run(300, 3, { onCheckpoint: (c) => void (c.phase === 'trained' && (trained = c)) });
    const resumed = await run(300, 3, { resume: trained });
    expect(resumed.result.surface).toEqual(straight.result.surface);
    expect(resumed.result.surface!.basins[0]!.reference).not.toBeNull();
    expect(resumed.reference).toEqual(straight.reference);
  }, 180_000);
});
