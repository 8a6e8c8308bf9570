import type { ModelSystem } from '../energies/types';
import { flowLogDensity } from '../flows/density';
import { xDimOf, type Flow } from '../flows/types';
import type { Rng } from '../rng';
import { ais } from '../samplers/ais';
import { ReplayBuffer } from './replay-buffer';
import { mlStage, packState, unpackState, type OnSampler, type RunStep, type SampledStage } from './sampled-stage';
import type { FabSettings, Stage } from './schedule';
import type { StepResult } from './step';

/** FAB's α: the α-divergence D_2(p‖q) = log ∫ p²/q, whose minimiser also minimises the variance of p/q. */
export const FAB_ALPHA = 2;

/**
 * A drawn row's weight may grow at most 10× per update (as FAB's reference code clips it): where
 * one step lowers q sharply at a row, its unclipped weight would take over the next batches, whose
 * ML steps on that one row then throw the flow off (seen at 200 steps on the double well).
 */
export const MAX_LOG_W_INCREASE = Math.log(10);

interface FabMeta {
  readonly kind: 'fab';
  readonly round: number;
  readonly steps: number[];
}

/**
 * FAB training (Midgley et al., ICLR 2023), from the energy alone. Every `updatesPerAis` steps one
 * AIS round (`chains` chains from q towards p²/q) adds its samples to the prioritised buffer; each
 * step draws a batch ∝ AIS weight and takes an ML step on it, which is the α = 2 gradient
 * −E_{p²/q}[∇ log q] estimated by sampling instead of weighting; the drawn rows' weights then
 * follow the updated q. The buffer is filled to `minBuffer` before the first update.
 */
export class FabStage implements SampledStage {
  private readonly buffer: ReplayBuffer;
  private readonly aisSteps: Float64Array;
  private round: number;

  constructor(
    private readonly flow: Flow,
    private readonly system: ModelSystem,
    private readonly stage: Stage & { readonly fab: FabSettings },
    private readonly rng: Rng,
    private readonly onSampler?: OnSampler,
    restored?: Uint8Array | null,
  ) {
    const f = stage.fab;
    if (restored) {
      const { meta, buffer } = unpackState<FabMeta>(restored);
      if (meta.kind !== 'fab' || meta.steps.length !== f.intermediate) throw new Error('checkpoint: the sampler state is not this FAB stage\'s');
      this.buffer = ReplayBuffer.decode(buffer);
      this.aisSteps = Float64Array.from(meta.steps);
      this.round = meta.round;
    } else {
      this.buffer = new ReplayBuffer(f.bufferSize, xDimOf(flow));
      this.aisSteps = new Float64Array(f.intermediate).fill(f.step);
      this.round = 0;
    }
  }

  step(k: number, step: number, run: RunStep): StepResult {
    const f = this.stage.fab;
    if (k % f.updatesPerAis === 0) this.aisRound(step);
    while (this.buffer.size < f.minBuffer) this.aisRound(step);
    const idx = this.buffer.sample(this.stage.batch, this.rng);
    const x = this.buffer.rows(idx);
    const r = run({ stage: mlStage(this.stage), xData: x });
    if (!r.skipped) this.buffer.adjust(idx, flowLogDensity(this.flow, x), FAB_ALPHA, MAX_LOG_W_INCREASE);
    return r;
  }

  encode(): Uint8Array {
    const meta: FabMeta = { kind: 'fab', round: this.round, steps: [...this.aisSteps] };
    return packState(meta, this.buffer.encode());
  }

  private aisRound(step: number): void {
    const f = this.stage.fab;
    const r = ais(this.flow, this.system, {
      n: f.chains,
      tau: 1,
      alpha: FAB_ALPHA,
      intermediate: f.intermediate,
      transitions: f.transitions,
      kernel: f.kernel ?? 'metropolis',
      leapfrog: f.leapfrog,
      steps: this.aisSteps,
      targetAcceptance: f.targetAcceptance,
      rng: this.rng,
    });
    this.round += 1;
    this.buffer.add(r.x, r.logW, r.logQ, this.round);
    const acc = r.acceptance.length ? r.acceptance.reduce((a, b) => a + b, 0) / r.acceptance.length : Number.NaN;
    const { size, meanAge } = this.buffer.stats(this.round);
    this.onSampler?.({
      kind: 'fab',
      step,
      temperature: 1,
      essFraction: r.essFraction,
      ...(Number.isFinite(acc) ? { acceptance: acc } : {}),
      ...(Number.isFinite(r.logZp.value) ? { logZ: r.logZp.value, logZSe: r.logZp.se } : {}),
      bufferSize: size,
      bufferAge: meanAge,
    });
  }
}
