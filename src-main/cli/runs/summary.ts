import { essDrawsOf } from '../../../contract/run-result';
import { basinLines, bidirectionalLines, samplerLines } from '../format';
import type { RunOutcome } from './follow';

const figure = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(3));

/** What `bgw run` and `bgw resume` print on stdout when the run completed: ΔF, ESS, basins, files. */
export function runSummary({ run, result, files }: RunOutcome): string {
  const d = result.deltaF;
  const error = d.value === null || !result.exact ? null : d.value - result.exact.deltaF;
  const exact = result.exact ? `  (exact ${figure(result.exact.deltaF)}, error ${figure(error)})` : '';
  const sampling =
    result.essFraction === null
      ? `${result.nSamples} umbrella samples in ${result.umbrella?.windows.length ?? 0} windows  ·  `
      : `ESS ${(100 * result.essFraction).toFixed(1)}% of ${result.nSamples}${drawsNote(result)}  ·  ${result.timing.msPerStep.toFixed(1)} ms/step  ·  `;
  return [
    `run ${run.id} completed`,
    `ΔF(${d.B} − ${d.A}) at τ=${result.tau}: ${figure(d.value)} ± ${figure(d.stderr)} kT${exact}`,
    `${sampling}backend ${result.backend.name}  ·  seed ${result.seed}`,
    ...heldOutLine(result),
    ...bidirectionalLines(result),
    ...samplerLines(result),
    ...basinLines(result),
    ...files.map((f) => `wrote ${f}`),
  ]
    .map((l) => `${l}\n`)
    .join('');
}

/** `sampling.draws` > 1: the median ESS over the fresh draws at the primary temperature, and each. */
function drawsNote(result: RunOutcome['result']): string {
  const d = essDrawsOf(result);
  return d ? ` (median of ${d.draws.length} draws ${(100 * d.median).toFixed(1)}%: ${d.draws.map((v) => (100 * v).toFixed(1)).join(', ')})` : '';
}

/** Early stopping: the best held-out NLL and whether the run ended on its weights. */
function heldOutLine(result: RunOutcome['result']): string[] {
  const h = result.training?.heldOut;
  if (!h) return [];
  const kept = h.restored ? `kept the weights of step ${h.bestStep}` : `best at step ${h.bestStep} (${h.bestStep === result.training!.steps ? 'the last' : 'not restored'})`;
  return [`held-out NLL ${h.bestNll.toFixed(3)}: ${kept} of ${result.training!.steps}`];
}
