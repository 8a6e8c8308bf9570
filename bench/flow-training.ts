/**
 * Training-step throughput on the real code path (buildFlow + train, data-parallel on more than one
 * core), against the backend's own peak plain-matMul rate and against PyTorch on one thread, both
 * measured in the same run (the host changes between sessions: only same-run figures compare).
 * Also dimer sampling: 10⁵ samples generated, with float64 energies and log-weights, per second.
 * Writes bench/results/flow-training-<backend>.json.
 *
 *   npm run bench                      # auto backend (wasm on machines without tfjs-node/GPU)
 *   BGW_BACKEND=cpu npm run bench      # any backend
 *   BGW_PYTHON=/path/python3           # the Python with torch for the peer (default: python3, /usr/bin/python3)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { selectCompute } from '../engine/compute/select';
import { createSystem } from '../engine/energies';
import { buildFlow } from '../engine/flows/build';
import { serializeFlow } from '../engine/flows/serialize';
import { Rng } from '../engine/rng';
import { sampleFlow } from '../engine/sampling';
import { train } from '../engine/train/trainer';
import { startDataParallel } from '../workers/parallel/data-parallel';
import { machine, median, torchPython } from './machine';

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

/** Core counts measured: 1, and every core up to 2 (the data-parallel target machine), or all of them. */
const CORES = [...new Set([1, Math.min(2, cpus().length), cpus().length])].sort((a, b) => a - b);
// BGW_BENCH_QUICK=1: a smoke run of the same code paths (figures not for reporting).
const QUICK = process.env.BGW_BENCH_QUICK === '1';
const STEPS = QUICK ? 3 : 10;
const REPEATS = QUICK ? 2 : 7;
const SAMPLING = { n: QUICK ? 5000 : 100_000, chunk: 8192, blocks: 4, hidden: [256, 256], nSolvent: 36 };

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

/** ms per ML step of one configuration on `cores` threads (the leader plus data-parallel helpers). */
async function benchConfig(c: Config, cores: number, backend: 'wasm' | 'cpu' | 'tensorflow' | 'webgpu'): Promise<{ msPerStep: number; samples: number[] }> {
  const rng = new Rng(1);
  const system = createSystem(c.dim === 2 ? 'double-well' : 'dimer');
  const built = buildFlow({ layers: 'R'.repeat(c.blocks), hidden: c.hidden, sScale: 1, whiten: false }, c.dim, rng);
  const { flow } = built;
  const data = rng.normals(new Float64Array(4096 * c.dim));
  const stage = { lr: 1e-4, batch: c.batch, wML: 1, wKL: 0, wRC: 0, highEnergy: 1e3, maxEnergy: 1e10, temperatures: [1], rcLoss: 'barrier' as const };
  const dp = await startDataParallel({ cores, flow, flowBytes: serializeFlow(built), backend, system: { name: c.dim === 2 ? 'double-well' : 'dimer', params: {}, molecule: null }, maxBatch: c.batch });
  try {
    const run = async (iterations: number): Promise<number> =>
      (await train({ flow, system, stages: [{ ...stage, iterations }], data, dataTau: 1, rng, clipNorm: 1e6, step: dp.step })).msPerStep;
    await run(5);
    const samples: number[] = [];
    for (let r = 0; r < REPEATS; r++) samples.push(await run(STEPS));
    return { msPerStep: median(samples), samples };
  } finally {
    await dp.close();
    flow.dispose();
  }
}

/** Dimer samples per second on `cores` threads: the 76-D flow's forward pass (shared out by rows), float64 energies and log-weights (`sampleFlow`). */
async function benchSampling(cores: number, backend: 'wasm' | 'cpu' | 'tensorflow' | 'webgpu'): Promise<{ samplesPerSecond: number; seconds: number }> {
  const rng = new Rng(2);
  const system = createSystem('dimer');
  const built = buildFlow({ layers: 'R'.repeat(SAMPLING.blocks), hidden: SAMPLING.hidden, sScale: 1, whiten: false }, system.dim, rng);
  const { flow } = built;
  for (const v of flow.variables()) tf.tidy(() => v.assign(tf.tensor(rng.normals(new Float32Array(v.size), 0.01), v.shape)));
  const dp = await startDataParallel({ cores, flow, flowBytes: serializeFlow(built), backend, system: { name: 'dimer', params: {}, molecule: null }, maxBatch: 1, maxSampleRows: SAMPLING.chunk });
  try {
    const opts = { tau: 1, chunk: SAMPLING.chunk, rng, forward: dp.forward };
    await sampleFlow(flow, system, { ...opts, n: 2000 }); // warm-up
    const t0 = performance.now();
    await sampleFlow(flow, system, { ...opts, n: SAMPLING.n });
    const seconds = (performance.now() - t0) / 1000;
    return { samplesPerSecond: SAMPLING.n / seconds, seconds };
  } finally {
    await dp.close();
    flow.dispose();
  }
}

interface PeerReport {
  torch: string;
  blas: unknown;
  configs: Record<string, { msPerStep: number; msPerStepSamples: number[] }>;
  sampling: { samplesPerSecond: number; seconds: number };
}

/** The same configurations and sampling in PyTorch on one thread (bench/peer/torch_peer.py), or why not. */
function peer(): PeerReport | { absent: string } {
  const py = torchPython();
  if (!py) return { absent: 'no python3 with torch (Debian: apt install python3-torch libopenblas0-pthread; or set BGW_PYTHON)' };
  const request = { configs: CONFIGS.map(({ name, dim, blocks, hidden, batch }) => ({ name, dim, blocks, hidden, batch })), steps: STEPS, repeats: REPEATS, sampling: SAMPLING };
  const r = spawnSync(py, [new URL('./peer/torch_peer.py', import.meta.url).pathname, JSON.stringify(request)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return { absent: `the PyTorch peer failed: ${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)}` };
  return JSON.parse(r.stdout) as PeerReport;
}

/** Run the peer script with `request`; resolves to its report or why it failed. */
function runPeer(py: string, request: object): Promise<PeerReport | { absent: string }> {
  return new Promise((done) => {
    const child = spawn(py, [new URL('./peer/torch_peer.py', import.meta.url).pathname, JSON.stringify(request)]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => done({ absent: e.message }));
    child.on('close', (code) => done(code === 0 ? (JSON.parse(out) as PeerReport) : { absent: `the PyTorch peer failed: ${err.trim().split('\n').at(-1)}` }));
  });
}

/**
 * PyTorch's own data-parallel ceiling here: two one-thread processes, each training on half the
 * batch, at once (no gradient exchange at all). Their slower step against the full-batch step is
 * the most any 2-core data-parallel scheme could gain on this machine for that network.
 */
async function peerHalfBatchPair(): Promise<Record<string, { halfBatchMsPerStep: number[]; ceiling2Cores: number }> | undefined> {
  const py = torchPython();
  if (!py || !('configs' in torch)) return undefined;
  const request = { configs: CONFIGS.map(({ name, dim, blocks, hidden, batch }) => ({ name, dim, blocks, hidden, batch: batch / 2 })), steps: STEPS, repeats: REPEATS };
  const pair = await Promise.all([runPeer(py, request), runPeer(py, request)]);
  if (pair.some((r) => !('configs' in r))) return undefined;
  return Object.fromEntries(CONFIGS.map((c) => {
    const half = pair.map((r) => (r as PeerReport).configs[c.name]!.msPerStep);
    return [c.name, { halfBatchMsPerStep: half.map((v) => Number(v.toFixed(2))), ceiling2Cores: Number(((torch as PeerReport).configs[c.name]!.msPerStep / Math.max(...half)).toFixed(3)) }];
  }));
}

const backend = await selectCompute();
// Peak measured before and after the configurations and the higher kept: one noisy reading
// would otherwise swing every "fraction of peak" figure.
const peakBefore = peakMatMul();
const timed = [];
for (const c of CONFIGS) {
  const byCores: Record<string, { msPerStep: number; samples: number[] }> = {};
  // Data-parallel helpers are for the CPU backends; TensorFlow and WebGPU parallelise inside.
  for (const cores of backend.name === 'wasm' || backend.name === 'cpu' ? CORES : [1]) byCores[String(cores)] = await benchConfig(c, cores, backend.name);
  timed.push({ c, byCores });
}
const sampling: Record<string, { samplesPerSecond: number; seconds: number }> = {};
for (const cores of backend.name === 'wasm' || backend.name === 'cpu' ? CORES : [1]) sampling[String(cores)] = await benchSampling(cores, backend.name);
const bestSampling = Math.max(...Object.values(sampling).map((v) => v.samplesPerSecond));
const peakAfter = peakMatMul();
const peak = peakAfter.gflops > peakBefore.gflops ? peakAfter : peakBefore;
// PyTorch after ours, in the same run: the two never share the cores.
const torch = peer();
const torchPair = await peerHalfBatchPair();
const round = (v: number, d = 2): number => Number(v.toFixed(d));
const configs = timed.map(({ c, byCores }) => {
  const one = byCores['1']!.msPerStep;
  const gflops = stepFlops(c) / (one * 1e6);
  const torchMs = 'configs' in torch ? torch.configs[c.name]?.msPerStep : undefined;
  return {
    ...c,
    couplings: 2 * c.blocks,
    msPerStep: Object.fromEntries(Object.entries(byCores).map(([k, v]) => [k, round(v.msPerStep)])),
    msPerStepSamples: Object.fromEntries(Object.entries(byCores).map(([k, v]) => [k, v.samples.map((x) => round(x))])),
    speedup: Object.fromEntries(Object.entries(byCores).map(([k, v]) => [k, round(one / v.msPerStep, 3)])),
    gflopPerStep: round(stepFlops(c) / 1e9, 4),
    gflops: round(gflops),
    fractionOfPeak: round(gflops / peak.gflops, 3),
    ...(torchMs !== undefined ? { pytorchMsPerStep: round(torchMs), oursOverPytorch: Object.fromEntries(Object.entries(byCores).map(([k, v]) => [k, round(v.msPerStep / torchMs, 3)])) } : {}),
    ...(torchPair?.[c.name] ? { pytorchTwoHalfBatchProcesses: torchPair[c.name] } : {}),
  };
});
const report = {
  bench: 'flow-training',
  date: new Date().toISOString(),
  machine: machine(),
  backend: { name: backend.name, detail: backend.detail, device: backend.device ?? null },
  peakMatMul: {
    gflops: round(peak.gflops),
    shape: peak.shape,
    before: peakBefore.perShape,
    after: peakAfter.perShape,
  },
  configs,
  sampling: {
    what: `${SAMPLING.n} dimer samples (76-D, ${2 * SAMPLING.blocks} couplings ${SAMPLING.hidden.join('×')}): generation, float64 energies, log-weights`,
    samplesPerSecond: Object.fromEntries(Object.entries(sampling).map(([k, v]) => [k, Math.round(v.samplesPerSecond)])),
    ...('sampling' in torch ? { pytorchSamplesPerSecond: Math.round(torch.sampling.samplesPerSecond), oursOverPytorch: Object.fromEntries(Object.entries(sampling).map(([k, v]) => [k, round(v.samplesPerSecond / torch.sampling.samplesPerSecond, 3)])) } : {}),
  },
  pytorch: 'absent' in torch ? { absent: torch.absent } : { torch: torch.torch, threads: 1, blas: torch.blas },
};
await mkdir(new URL('./results', import.meta.url), { recursive: true });
const out = new URL(`./results/flow-training-${backend.name}.json`, import.meta.url);
await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
for (const c of configs) {
  const cores = Object.entries(c.msPerStep).map(([k, v]) => `${v} ms on ${k} core${k === '1' ? '' : 's'}`).join(', ');
  const pair = 'pytorchTwoHalfBatchProcesses' in c ? `, PyTorch's own 2-core ceiling ${c.pytorchTwoHalfBatchProcesses!.ceiling2Cores}×` : '';
  const vs = c.pytorchMsPerStep !== undefined ? `; PyTorch (1 thread) ${c.pytorchMsPerStep} ms${pair}` : '';
  console.log(`${c.name}: ${cores}${vs}; ${c.gflops} GFLOP/s on 1 core = ${(100 * c.fractionOfPeak).toFixed(0)}% of peak ${report.peakMatMul.gflops}`);
}
console.log(`dimer sampling: ${Object.entries(report.sampling.samplesPerSecond).map(([k, v]) => `${v}/s on ${k} core${k === '1' ? '' : 's'}`).join(', ')}${'pytorchSamplesPerSecond' in report.sampling ? ` (PyTorch, 1 thread: ${report.sampling.pytorchSamplesPerSecond}/s)` : ''}; best ${Math.round(bestSampling)}/s`);
if ('absent' in torch) console.log(`PyTorch peer not measured: ${torch.absent}`);
console.log(`wrote ${out.pathname}`);
process.exit(0);
