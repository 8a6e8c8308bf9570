import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../contract/run-result';
import { parseRunSpec, type GeneratorSpec } from '../../contract/run-spec';
import { runTrainSample } from '../../workers/jobs/train-sample';

// The bidirectional estimate end to end: a double-well run with held-out data reports ΔF by BAR
// (against exact quadrature) and each state's KL(p‖q); an under-trained flow's KL is larger and,
// where it exceeds log n, the run warns. AIS samples and runs without held-out data report none.
function spec(iterations: number, extra: Record<string, unknown> = {}): GeneratorSpec {
  const r = parseRunSpec({
    system: { name: 'double-well' },
    backend: 'wasm',
    data: { source: 'metropolis', perState: 2000, stride: 10, burnIn: 500 },
    flow: { layers: 'RRRR', hidden: [32, 32] },
    training: { stages: [{ iterations, lr: 2e-3, batch: 256, wML: 1 }], heldOut: { fraction: 0.2, keepBest: false } },
    sampling: { n: 5000 },
    analysis: { bootstrap: 20, pathPoints: 0 },
    ...extra,
  });
  if (!r.ok || r.spec.method !== 'generator') throw new Error(r.ok ? 'not a generator spec' : JSON.stringify(r.issues));
  return r.spec;
}

describe('held-out bidirectional estimate', () => {
  it('gives ΔF by BAR near the exact value and a KL that falls as the flow trains', { timeout: 120_000 }, async () => {
    const checks: { step: number; kl?: { A: number | null; B: number | null } }[] = [];
    const trained = await runTrainSample(spec(600), { seed: 5, onEvent: (e) => e.type === 'heldOut' && checks.push({ step: e.step, ...(e.klForward ? { kl: e.klForward } : {}) }) });
    const early = await runTrainSample(spec(10, { sampling: { n: 100 } }), { seed: 5 });
    const t = trained.result.temperatures[0]!;
    const b = t.bidirectional!;
    expect(b.nData.A + b.nData.B).toBe(800);
    expect(Math.abs(b.deltaF.value! - t.exact!.deltaF), `BAR ${b.deltaF.value} ± ${b.deltaF.stderr} vs exact ${t.exact!.deltaF}`).toBeLessThan(Math.max(0.1, 3 * b.deltaF.stderr!));
    const e = early.result.temperatures[0]!.bidirectional!;
    for (const k of ['A', 'B'] as const) {
      expect(b.klForward[k]!).toBeGreaterThan(-0.05);
      expect(b.klForward[k]!).toBeLessThan(e.klForward[k]!);
    }
    // The same KL at every probe while it trains (probes of 512 draws against the 800 rows): it
    // falls, and the last check agrees with the final estimate from 5 000 samples.
    expect(checks.length).toBe(50); // every 12th of 600 steps
    for (const k of ['A', 'B'] as const) {
      const kl = checks.map((c) => c.kl![k]!);
      expect(kl.every(Number.isFinite)).toBe(true);
      expect(kl[0]!, `KL ${k} at step ${checks[0]!.step} vs the last check`).toBeGreaterThan(kl.at(-1)! + 0.2);
      expect(Math.abs(kl.at(-1)! - b.klForward[k]!), `last check ${kl.at(-1)} vs final ${b.klForward[k]}`).toBeLessThan(0.3);
    }
    expect(early.result.warnings.some((w) => /KL\(p‖q\)/.test(w))).toBe(false);
    expect(trained.result.warnings.some((w) => /KL\(p‖q\)/.test(w))).toBe(false);
  });

  it('warns where a state\'s KL exceeds log n: a 20-D double well with stiff harmonic directions after 5 steps, 100 samples', { timeout: 120_000 }, async () => {
    const s = spec(5, { system: { name: 'double-well', params: { dim: 20, k: 100 } }, sampling: { n: 100 } });
    const r = (await runTrainSample(s, { seed: 5 })).result;
    const kl = r.temperatures[0]!.bidirectional!.klForward;
    expect(Math.max(kl.A ?? Infinity, kl.B ?? Infinity)).toBeGreaterThan(Math.log(100));
    expect(r.warnings.some((w) => /KL\(p‖q\).*needs ~exp\(KL\) samples/.test(w))).toBe(true);
  });

  it('is absent for AIS samples and without held-out data', { timeout: 120_000 }, async () => {
    const ais = await runTrainSample(spec(20, { sampling: { n: 300, ais: { intermediate: 2, kernel: 'metropolis', pilotRounds: 1, pilotChains: 32 } } }), { seed: 5 });
    expect(ais.result.temperatures[0]!.bidirectional).toBeUndefined();
    const s = spec(20);
    const none = await runTrainSample({ ...s, training: { ...s.training, heldOut: undefined } }, { seed: 5 });
    expect(none.result.temperatures[0]!.bidirectional).toBeUndefined();
    // Data at τ = 2: the checks score the NLL, but the probes draw at τ = 1, so no KL.
    const events: RunEvent[] = [];
    await runTrainSample({ ...s, data: { ...s.data!, temperature: 2 } as GeneratorSpec['data'] }, { seed: 5, onEvent: (e) => events.push(e) });
    const checks = events.filter((e) => e.type === 'heldOut');
    expect(checks.length).toBe(20);
    expect(checks.every((e) => Number.isFinite(e.nll) && e.klForward === undefined)).toBe(true);
  });
});
