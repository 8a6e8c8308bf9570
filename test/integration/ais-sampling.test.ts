import { describe, expect, it } from 'vitest';
import { parseRunSpec, type GeneratorSpec } from '../../contract/run-spec';
import { selectCompute } from '../../engine/compute/select';
import { createSystem } from '../../engine/energies';
import { buildFlow } from '../../engine/flows/build';
import { Rng } from '../../engine/rng';
import { pilotSteps } from '../../engine/samplers/ais-sampling';
import { runTrainSample } from '../../workers/jobs/train-sample';

// sampling.ais: each sample is one AIS chain from the flow towards p. On an under-trained
// double-well flow the weights of plain importance sampling spread wide; AIS corrects within the
// flow's support, so its ESS is higher and its ΔF lands on the exact quadrature value.

function spec(ais: Record<string, unknown> | null): GeneratorSpec {
  const r = parseRunSpec({
    system: { name: 'double-well' },
    backend: 'wasm',
    data: { source: 'metropolis', perState: 300, stride: 5, burnIn: 200 },
    flow: { layers: 'RR', hidden: [16] },
    training: { stages: [{ iterations: 40, lr: 1e-3, batch: 128, wML: 1 }] },
    sampling: { n: 1500, draws: 2, ...(ais ? { ais } : {}) },
    analysis: { bootstrap: 20, pathPoints: 0 },
  });
  if (!r.ok || r.spec.method !== 'generator') throw new Error(r.ok ? 'not a generator spec' : JSON.stringify(r.issues));
  return r.spec;
}

describe('sampling.ais', () => {
  it('raises the ESS of an under-trained flow and recovers the exact ΔF; the stored samples are the AIS chains', { timeout: 120_000 }, async () => {
    const plain = await runTrainSample(spec(null), { seed: 4 });
    const annealed = await runTrainSample(spec({ intermediate: 32, transitions: 2, kernel: 'hmc', leapfrog: 3, pilotRounds: 3, pilotChains: 128 }), { seed: 4 });
    const exact = annealed.result.exact!.deltaF;
    // Same training (same seed, same data): only the sampler differs.
    expect(annealed.result.training?.finalLoss).toEqual(plain.result.training?.finalLoss);
    expect(plain.result.training?.finalLoss).toBeDefined();
    const p = plain.result.temperatures[0]!, a = annealed.result.temperatures[0]!;
    expect(a.essDraws).toHaveLength(2);
    expect(Math.min(...a.essDraws!)).toBeGreaterThan(Math.max(...p.essDraws!) + 0.1);
    expect(Math.abs(a.deltaF.value! - exact), `AIS ΔF ${a.deltaF.value} vs exact ${exact}`).toBeLessThan(Math.max(0.15, 3 * a.deltaF.stderr!));
    // The stored samples carry the AIS weights: both states populated, energies of the final chains.
    const s = annealed.samples[0]!;
    expect(s.state.includes(0) && s.state.includes(1)).toBe(true);
    expect(s.logw.every(Number.isFinite)).toBe(true);
  });

  it('a cancel stops the pilot between its rounds', async () => {
    await selectCompute({ prefer: 'cpu' });
    const system = createSystem('double-well');
    const built = buildFlow({ layers: 'RR', hidden: [8], sScale: 1, whiten: false }, system.dim, new Rng(1));
    const ac = new AbortController();
    let calls = 0;
    // The first energy evaluation cancels: the round under way finishes, the next must not start.
    const counting = { ...system, energy64: (x: Float64Array) => (++calls === 1 && ac.abort(), system.energy64(x)) };
    const a = { intermediate: 4, transitions: 1, kernel: 'metropolis' as const, leapfrog: 1, step: 0.5, pilotRounds: 5, pilotChains: 32 };
    try {
      await expect(pilotSteps(built.flow, counting, a, 1, new Rng(2), 1024, ac.signal)).rejects.toMatchObject({ name: 'AbortError' });
      const oneRound = calls;
      calls = 0;
      await pilotSteps(built.flow, counting, { ...a, pilotRounds: 1 }, 1, new Rng(2), 1024);
      expect(oneRound).toBe(calls);
    } finally {
      built.flow.dispose();
    }
  });

  it('refuses levels out of range and unknown kernels', () => {
    for (const ais of [{ intermediate: 0 }, { intermediate: 300 }, { intermediate: 8, kernel: 'langevin' }, { intermediate: 8, extra: 1 }]) {
      const r = parseRunSpec({ ...spec(null), sampling: { n: 100, ais } });
      expect(r.ok, JSON.stringify(ais)).toBe(false);
      if (!r.ok) expect(r.issues.some((i) => i.path.startsWith('sampling.ais'))).toBe(true);
    }
  });
});
