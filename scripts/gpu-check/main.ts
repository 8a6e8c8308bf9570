/**
 * `npm run gpu-check`: which tfjs backend this machine picks and why; one ML+KL step of the 76-D
 * dimer configuration (8 affine couplings, 256×256) on it and on a reference backend (wasm, or cpu
 * when the pick is wasm) from the same weights and batches, compared (losses and gradients within
 * a relative 1e-3); then the training bench on the picked backend (bench/results/*.json).
 * Exit 0 when the comparison holds, 1 when it does not. `--compare-only` skips the bench.
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { formatComputeReport, selectCompute } from '../../engine/compute/select';
import { createSystem } from '../../engine/energies';
import { buildFlow } from '../../engine/flows/build';
import { deserializeFlow, serializeFlow } from '../../engine/flows/serialize';
import { Rng } from '../../engine/rng';
import { priorBatch, stepGradients } from '../../engine/train/step';
import type { Stage } from '../../engine/train/schedule';
import type { ComputeName } from '../../contract/compute';
import { compareSteps, type StepNumbers } from './compare';

const STAGE: Stage = { iterations: 1, lr: 1e-3, batch: 256, wML: 1, wKL: 1, wRC: 0, highEnergy: 1e3, maxEnergy: 1e10, temperatures: [1], rcLoss: 'barrier' };
const system = createSystem('dimer');

/**
 * Weights and batches every backend gets: dimer frames (the relaxed start with noise), a flow with
 * small random coupling weights whose whitening is fitted on them (so its samples, and their
 * energies, are near the data rather than all capped), and a prior batch.
 */
function fixedInputs(): { flow: Uint8Array; xData: Float32Array; kl: { z: Float32Array; tau: Float32Array } } {
  const rng = new Rng(1);
  const start = system.start(0);
  const frames = new Float64Array(2048 * system.dim);
  for (let i = 0; i < frames.length; i++) frames[i] = start[i % system.dim]! + 0.03 * rng.normal();
  const built = buildFlow({ layers: 'RRRR', hidden: [256, 256], sScale: 1, whiten: true }, system.dim, rng);
  built.whitening!.fit(frames);
  for (const v of built.flow.variables().filter((x) => x.trainable)) tf.tidy(() => v.assign(tf.tensor(rng.normals(new Float32Array(v.size), 0.01), v.shape)));
  const xData = Float32Array.from(frames.subarray(0, STAGE.batch * system.dim));
  return { flow: serializeFlow(built), xData, kl: priorBatch(STAGE.batch, system.dim, [1], rng) };
}

async function stepOn(backend: ComputeName, inputs: ReturnType<typeof fixedInputs>): Promise<StepNumbers> {
  const report = await selectCompute({ prefer: backend, env: {} });
  const { flow } = deserializeFlow(inputs.flow, new Rng(0));
  const vars = flow.variables().filter((v) => v.trainable);
  let out: StepNumbers | null = null;
  try {
    tf.tidy(() => {
      const r = stepGradients({ flow, system, stage: STAGE, vars, xData: inputs.xData, dataTau: 1, rng: new Rng(0), klBatch: inputs.kl });
      const [ml, kl] = r.terms.map((t) => t.dataSync()[0]!);
      const grads = Float64Array.from(r.grads.flatMap((g) => Array.from(g.dataSync())));
      out = { backend: report.detail, loss: { total: r.value.dataSync()[0]!, ml: ml!, kl: kl! }, grads };
    });
    return out!;
  } finally {
    flow.dispose();
  }
}

const picked = await selectCompute({ log: () => {} });
console.log(formatComputeReport(picked));
const reference: ComputeName = picked.name === 'wasm' ? 'cpu' : 'wasm';
const inputs = fixedInputs();
const a = await stepOn(picked.name, inputs);
const b = await stepOn(reference, inputs);
const c = compareSteps(a, b);
const pct = (v: number): string => v.toExponential(2);
console.log(`ML+KL step, 76-D dimer, 8 couplings 256×256, batch ${STAGE.batch}: ${a.backend} against ${b.backend}`);
console.log(`  loss ${a.loss.total.toFixed(4)} vs ${b.loss.total.toFixed(4)}: relative ${pct(c.lossRel.total)} (ML ${pct(c.lossRel.ml)}, KL ${pct(c.lossRel.kl)})`);
console.log(`  gradients (${a.grads.length}): relative ‖Δg‖/‖g‖ ${pct(c.gradRel)}`);
console.log(c.ok ? `  agree within ${c.tolerance}` : `  DIFFER beyond ${c.tolerance}`);
if (process.argv.includes('--compare-only')) process.exit(c.ok ? 0 : 1);
// The bench in a fresh process, on the picked backend: its JSON goes to bench/results/.
const bench = spawnSync(process.execPath, ['--import', 'tsx', new URL('../../bench/flow-training.ts', import.meta.url).pathname], { stdio: 'inherit', env: { ...process.env, BGW_BACKEND: picked.name } });
process.exit(c.ok && bench.status === 0 ? 0 : 1);
