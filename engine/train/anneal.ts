import type { ModelSystem } from '../energies/types';
import { xDimOf, type Flow } from '../flows/types';
import type { Rng } from '../rng';
import { ais } from '../samplers/ais';
import { ReplayBuffer } from './replay-buffer';
import { mlStage, packState, unpackState, type OnSampler, type RunStep, type SampledStage } from './sampled-stage';
import type { AnnealSettings, Stage } from './schedule';
import type { StepResult } from './step';

interface AnnealMeta {
  readonly kind: 'anneal';
  readonly rung: number;
}

/**
 * Temperature-annealed training (after Schopmans & Friederich, ICML 2025), from the energy alone.
 * Rung 0: reverse KL at τ₀ = ladder[0] (z ~ N(0, I), energy u/τ₀), where the barriers are low enough
 * for KL not to drop a state. Each later rung r draws `samples` from the flow, weights them
 * w ∝ exp(−u/τ_r)/q(x) (the flow is the previous rung's), and takes `iterations` ML steps on
 * batches drawn ∝ w: reweighted maximum likelihood at τ_r. The weights stay fixed within a rung
 * (they are relative to the proposal that drew the samples, which does not change).
 */
export class AnnealStage implements SampledStage {
  private buffer: ReplayBuffer | null = null;
  private rung = 0;

  constructor(
    private readonly flow: Flow,
    private readonly system: ModelSystem,
    private readonly stage: Stage & { readonly anneal: AnnealSettings },
    private readonly rng: Rng,
    private readonly onSampler?: OnSampler,
    restored?: Uint8Array | null,
  ) {
    if (restored) {
      const { meta, buffer } = unpackState<AnnealMeta>(restored);
      if (meta.kind !== 'anneal') throw new Error('checkpoint: the sampler state is not this annealing stage\'s');
      this.rung = meta.rung;
      this.buffer = buffer.length ? ReplayBuffer.decode(buffer) : null;
    }
  }

  step(k: number, step: number, run: RunStep): StepResult {
    const a = this.stage.anneal;
    if (k === 0) this.report(a.ladder[0]!, step, Math.min(a.samples, 1024), 0);
    if (k < a.klIterations) return run({ stage: klStage(this.stage), xData: null, klBatch: this.klBatch(a.ladder[0]!) });
    const rung = 1 + Math.floor((k - a.klIterations) / (this.stage.iterations ?? 1));
    if (rung !== this.rung || !this.buffer) this.drawRung(rung, step);
    const idx = this.buffer!.sample(this.stage.batch, this.rng);
    return run({ stage: mlStage(this.stage), xData: this.buffer!.rows(idx) });
  }

  encode(): Uint8Array {
    const meta: AnnealMeta = { kind: 'anneal', rung: this.rung };
    return packState(meta, this.buffer ? this.buffer.encode() : new Uint8Array(0));
  }

  /** Prior rows for KL at τ: z ~ N(0, I) (the flow is to become p at τ itself, not a τ-scaled prior). */
  private klBatch(tau: number): { z: Float32Array; tau: Float32Array } {
    const n = this.stage.batch;
    return { z: this.rng.normals(new Float32Array(n * this.flow.dim)), tau: new Float32Array(n).fill(tau) };
  }

  private drawRung(rung: number, step: number): void {
    const a = this.stage.anneal;
    const tau = a.ladder[rung]!;
    // Plain importance sampling from the current flow: AIS with no intermediate levels.
    const r = ais(this.flow, this.system, { n: a.samples, tau, alpha: 1, intermediate: 0, transitions: 0, steps: new Float64Array(0), rng: this.rng });
    this.buffer = new ReplayBuffer(a.samples, xDimOf(this.flow));
    this.buffer.add(r.x, r.logW, r.logQ, rung);
    this.rung = rung;
    this.onSampler?.({ kind: 'anneal', step, temperature: tau, essFraction: r.essFraction, bufferSize: this.buffer.size, bufferAge: 0 });
  }

  /** The temperature chart's first point: τ₀ and the ESS of a small batch there, before the KL rung trains. */
  private report(tau: number, step: number, n: number, bufferSize: number): void {
    // Drawn whether or not anyone listens: the random stream must not depend on a listener.
    const r = ais(this.flow, this.system, { n, tau, alpha: 1, intermediate: 0, transitions: 0, steps: new Float64Array(0), rng: this.rng });
    this.onSampler?.({ kind: 'anneal', step, temperature: tau, essFraction: r.essFraction, bufferSize, bufferAge: 0 });
  }
}

/** The loss stage of the rung-0 KL step (the energy cut of the stage applies). */
function klStage(s: Stage): Stage {
  return { ...s, fab: undefined, anneal: undefined, wML: 0, wKL: 1, wRC: 0 };
}
