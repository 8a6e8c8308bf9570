/**
 * Training-step throughput on the real code path (buildFlow + train), against the backend's own
 * peak plain-matMul rate measured in the same process. Writes bench/results/flow-training-<backend>.json.
 *
 *   npm run bench                      # auto backend (wasm on machines without tfjs-node/GPU)
 *   BGW_BACKEND=cpu npm run bench      # any backend
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { selectCompute } from '../engine/compute/select';
import { createSystem } from '../engine/energies';
import { buildFlow } from '../engine/flows/build';
import { Rng } from '../engine/rng';
import { train } from '../engine/train/trainer';

interface Config {
  readonly name: string;
  readonly dim: number;
  readonly blocks: number;
  readonly hidden: readonly number[];
  readonly batch: number;
  /** Issue target, for the report. */
  readonly target: string;
}

const CONFIGS: Config[] = [
  { name: '2-D', dim: 2, blocks: 4, hidden: [64, 64], batch: 1024, target: '≤ 30 ms/step on wasm' },
  { name: '76-D', dim: 76, blocks: 4, hidden: [256, 256], batch: 256, target: '≥ 50 % of peak matMul on wasm' },
];

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

/** Peak plain (untransposed) matMul rate: the best of a few square and tall shapes. */
function peakMatMul(): { gflops: number; shape: string; perShape: Record<string, number> } {
  const perShape: Record<string, number> = {};
  for (const [m, k, n] of [
    [256, 256, 256],
    [512, 512, 512],
    [1024, 256, 256],
  ] as const) {
    const a = tf.randomNormal([m, k]);
    const b = tf.randomNormal([k, n]);
    const run = (): void => tf.tidy(() => void tf.matMul(a, b).dataSync());
    for (let i = 0; i < 3; i++) run();
    const times: number[] = [];
    for (let r = 0; r < 7; r++) {
      const reps = 5;
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) run();
      times.push((performance.now() - t0) / reps);
    }
    perShape[`${m}x${k}x${n}`] = (2 * m * k * n) / (median(times) * 1e6);
    tf.dispose([a, b]);
  }
  const [shape, gflops] = Object.entries(perShape).sort((x, y) => y[1] - x[1])[0]!;
  return { gflops, shape, perShape };
}

/** MatMul FLOPs of one ML step in the coupling networks: forward 2·N·Σ in·out, backward twice that. */
function stepFlops(c: Config): number {
  const half = c.dim / 2;
  const sizes = [half, ...c.hidden, 2 * half];
  let macs = 0;
  for (let l = 0; l + 1 < sizes.length; l++) macs += sizes[l]! * sizes[l + 1]!;
  return 6 * c.batch * macs * 2 * c.blocks;
}

async function benchConfig(c: Config): Promise<{ msPerStep: number; samples: number[] }> {
  const rng = new Rng(1);
  const system = createSystem(c.dim === 2 ? 'double-well' : 'dimer');
  const { flow } = buildFlow({ layers: 'R'.repeat(c.blocks), hidden: c.hidden, sScale: 1, whiten: false }, c.dim, rng);
  const data = rng.normals(new Float64Array(4096 * c.dim));
  const stage = { lr: 1e-4, batch: c.batch, wML: 1, wKL: 0, wRC: 0, highEnergy: 1e3, maxEnergy: 1e10, temperatures: [1], rcLoss: 'barrier' as const };
  const run = async (iterations: number): Promise<number> =>
    (await train({ flow, system, stages: [{ ...stage, iterations }], data, dataTau: 1, rng, clipNorm: 1e6 })).msPerStep;
  await run(5);
  const samples: number[] = [];
  for (let r = 0; r < 7; r++) samples.push(await run(10));
  flow.variables().forEach((v) => v.dispose());
  return { msPerStep: median(samples), samples };
}

const backend = await selectCompute();
// Peak measured before and after the configurations and the higher kept: one noisy reading
// would otherwise swing every "fraction of peak" figure.
const peakBefore = peakMatMul();
const timed = [];
for (const c of CONFIGS) timed.push({ c, ...(await benchConfig(c)) });
const peakAfter = peakMatMul();
const peak = peakAfter.gflops > peakBefore.gflops ? peakAfter : peakBefore;
const configs = [];
for (const { c, msPerStep, samples } of timed) {
  const gflops = stepFlops(c) / (msPerStep * 1e6);
  configs.push({
    ...c,
    couplings: 2 * c.blocks,
    msPerStep: Number(msPerStep.toFixed(2)),
    msPerStepSamples: samples.map((s) => Number(s.toFixed(2))),
    gflopPerStep: Number((stepFlops(c) / 1e9).toFixed(4)),
    gflops: Number(gflops.toFixed(2)),
    fractionOfPeak: Number((gflops / peak.gflops).toFixed(3)),
  });
}
const report = {
  bench: 'flow-training',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
  backend: { name: backend.name, detail: backend.detail, device: backend.device ?? null },
  peakMatMul: {
    gflops: Number(peak.gflops.toFixed(2)),
    shape: peak.shape,
    before: peakBefore.perShape,
    after: peakAfter.perShape,
  },
  configs,
};
await mkdir(new URL('./results', import.meta.url), { recursive: true });
const out = new URL(`./results/flow-training-${backend.name}.json`, import.meta.url);
await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
for (const c of configs) {
  console.log(`${c.name}: ${c.msPerStep} ms/step, ${c.gflops} GFLOP/s = ${(100 * c.fractionOfPeak).toFixed(0)}% of peak ${report.peakMatMul.gflops} (target ${c.target})`);
}
console.log(`wrote ${out.pathname}`);
process.exit(0);
