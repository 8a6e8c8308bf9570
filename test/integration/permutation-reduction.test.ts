import { describe, expect, it } from 'vitest';
import { parseRunSpec, type GeneratorSpec } from '../../contract/run-spec';
import { createSystem } from '../../engine/energies';
import { runTrainSample } from '../../workers/jobs/train-sample';

// A dimer run with system.permutationReduction: its training data (and so its reference) are
// relabelled into the domain, and generated samples outside it carry no weight.

function spec(): GeneratorSpec {
  const r = parseRunSpec({
    system: { name: 'dimer', permutationReduction: true },
    backend: 'wasm',
    data: { source: 'metropolis', perState: 200, stride: 200, burnIn: 2000 },
    flow: { layers: 'QQ', hidden: [16], whiten: true },
    training: { stages: [{ iterations: 20, lr: 1e-3, batch: 64, wML: 1 }] },
    sampling: { n: 400 },
    analysis: { bootstrap: 5, pathPoints: 0 },
  });
  if (!r.ok || r.spec.method !== 'generator') throw new Error('spec');
  return r.spec;
}

describe('system.permutationReduction in a run', () => {
  it('trains on relabelled data and weighs only the samples inside the domain', async () => {
    const r = await runTrainSample(spec(), { seed: 2 });
    const plain = createSystem('dimer');
    const reduced = createSystem('dimer', {}, null, { permutationReduction: true });
    const contains = (x: Float64Array): boolean => reduced.reduction!.contains(x);
    const reference = r.reference!;
    expect(reference.length).toBe(400 * 76);
    for (let i = 0; i < 400; i++) expect(contains(reference.subarray(i * 76, (i + 1) * 76))).toBe(true);

    const s = r.samples[0]!;
    let outside = 0;
    for (let i = 0; i < 400; i++) {
      const row = Float64Array.from(s.x.subarray(i * 76, (i + 1) * 76));
      if (contains(row)) {
        expect(s.u[i]).toBeCloseTo(plain.energy64(row), 6);
        expect(s.logw[i]).toBeGreaterThan(Number.NEGATIVE_INFINITY);
      } else {
        outside++;
        expect(s.u[i]).toBe(Number.POSITIVE_INFINITY);
        expect(s.logw[i]).toBe(Number.NEGATIVE_INFINITY);
      }
    }
    // A flow trained 20 steps leaks out of the domain: both branches above ran.
    expect(outside).toBeGreaterThan(0);
    expect(outside).toBeLessThan(400);
    expect(Number.isFinite(r.result.essFraction)).toBe(true);
  });
});
