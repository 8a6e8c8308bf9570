// Picks and initialises the tfjs backend for this process.
//
// Precedence: BGW_BACKEND (env) > opts.prefer (e.g. the run spec) > 'auto'. The env var wins so a user
// can force a backend for any run without editing specs.
//
// tfjs backends are process-global, so the chosen report is cached; tests can clear it with
// resetComputeForTests().
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// The gradient functions of the built-in ops are registered by the umbrella package, not by
// tfjs-core's Node bundle; without this import every tf.grad fails with "gradient function not found".
import '@tensorflow/tfjs';
import { COMPUTE_CHOICES, type ComputeChoice, type ComputeName, type ComputeReport } from '../../contract/compute';
import { activate, importOptional, require, Unavailable, type Attempt } from './attempt';
import { tryWebgpu, WEBGPU_HOWTO } from './webgpu';

export interface SelectComputeOptions {
  prefer?: ComputeChoice;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

// ---------- tensorflow (tfjs-node / tfjs-node-gpu) ----------

// Both packages depend on '@tensorflow/tfjs', which must resolve to the same tfjs-core as ours (4.22.0);
// if npm nests a different core version, 'tensorflow' lands in that copy and activate() reports it.
async function tryTensorflow(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): Promise<Attempt> {
  await importOptional(pkg);
  await activate('tensorflow');
  const be = tf.backend() as unknown as { isUsingGpuDevice?: boolean | (() => boolean) };
  const onGpu = typeof be.isUsingGpuDevice === 'function' ? be.isUsingGpuDevice() : be.isUsingGpuDevice === true;
  if (pkg === '@tensorflow/tfjs-node-gpu') {
    return { name: 'tensorflow', detail: onGpu ? 'tfjs-node-gpu (CUDA)' : 'tfjs-node-gpu (no CUDA device; TensorFlow on CPU)' };
  }
  return { name: 'tensorflow', detail: 'tfjs-node (TensorFlow C library, CPU)' };
}

const TENSORFLOW_HOWTO =
  'their install downloads libtensorflow; run `npm i @tensorflow/tfjs-node-gpu` (CUDA) or `npm i @tensorflow/tfjs-node` on a machine with network access';

// ---------- wasm / cpu ----------

async function tryWasm(): Promise<Attempt> {
  const wasm = await importOptional<typeof import('@tensorflow/tfjs-backend-wasm')>('@tensorflow/tfjs-backend-wasm');
  // setWasmPaths throws once the wasm module has initialised, so only set it before the first init.
  if (!tf.findBackend('wasm')) {
    const dir = require.resolve('@tensorflow/tfjs-backend-wasm/package.json').replace(/package\.json$/, 'dist/');
    wasm.setWasmPaths(dir);
  }
  await activate('wasm');
  // tfjs hard-codes threads off in Node (tfjs#3830); SIMD depends on the runtime.
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const detail = `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'multi-threaded' : 'single-threaded in Node'})`;
  return { name: 'wasm', detail };
}

async function tryCpu(): Promise<Attempt> {
  await activate('cpu');
  return { name: 'cpu', detail: 'cpu (plain JavaScript, slowest)' };
}

// ---------- selection ----------

function parseChoice(value: string, source: string): ComputeChoice {
  const v = value.trim().toLowerCase();
  if ((COMPUTE_CHOICES as readonly string[]).includes(v)) return v as ComputeChoice;
  throw new Error(`invalid ${source} '${value}': valid values are ${COMPUTE_CHOICES.join(', ')}`);
}

/** Resolve the request: BGW_BACKEND (non-empty) wins over opts.prefer, which wins over 'auto'. */
export function resolveComputeChoice(opts: { prefer?: ComputeChoice; env?: NodeJS.ProcessEnv } = {}): ComputeChoice {
  const fromEnv = (opts.env ?? process.env).BGW_BACKEND;
  if (fromEnv !== undefined && fromEnv.trim() !== '') return parseChoice(fromEnv, 'BGW_BACKEND');
  if (opts.prefer !== undefined) return parseChoice(String(opts.prefer), 'backend preference');
  return 'auto';
}

const CANDIDATES: Record<ComputeName, { label: string; run: (explicit: boolean) => Promise<Attempt>; howto: string }[]> = {
  tensorflow: [
    { label: 'tensorflow (tfjs-node-gpu)', run: () => tryTensorflow('@tensorflow/tfjs-node-gpu'), howto: TENSORFLOW_HOWTO },
    { label: 'tensorflow (tfjs-node)', run: () => tryTensorflow('@tensorflow/tfjs-node'), howto: TENSORFLOW_HOWTO },
  ],
  webgpu: [{ label: 'webgpu', run: (explicit) => tryWebgpu(explicit), howto: WEBGPU_HOWTO }],
  wasm: [{ label: 'wasm', run: tryWasm, howto: 'reinstall @tensorflow/tfjs-backend-wasm@4.22.0' }],
  cpu: [{ label: 'cpu', run: tryCpu, howto: 'reinstall @tensorflow/tfjs-backend-cpu@4.22.0' }],
};
const AUTO_ORDER: ComputeName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

async function select(requested: ComputeChoice, log: (line: string) => void): Promise<ComputeReport> {
  const explicit = requested !== 'auto';
  const names = explicit ? [requested] : AUTO_ORDER;
  const passedOver: ComputeReport['passedOver'] = [];
  for (const name of names) {
    for (const c of CANDIDATES[name]) {
      try {
        const a = await c.run(explicit);
        const report: ComputeReport = { ...a, requested, passedOver: [...passedOver, ...(a.passedOver ?? [])] };
        if (report.device === undefined) delete report.device;
        log(`backend: ${report.detail}`);
        return report;
      } catch (e) {
        if (!(e instanceof Unavailable)) throw e;
        passedOver.push({ name: c.label, reason: e.message });
        log(`backend: passed over ${c.label}: ${e.message}`);
      }
    }
    if (explicit) {
      const why = passedOver.map((p) => p.reason).join('; ');
      throw new Error(`${name} backend unavailable: ${why} (${CANDIDATES[name][0]!.howto})`);
    }
  }
  throw new Error(`no tfjs backend could be initialised: ${passedOver.map((p) => `${p.name}: ${p.reason}`).join('; ')}`);
}

let cache: { requested: ComputeChoice; report: Promise<ComputeReport> } | undefined;

/**
 * Select and initialise the tfjs backend. Same request again → cached report (tfjs backends are
 * process-global), as long as nobody switched tfjs to another backend meanwhile.
 */
export async function selectCompute(opts: SelectComputeOptions = {}): Promise<ComputeReport> {
  const requested = resolveComputeChoice(opts);
  if (cache && cache.requested === requested) {
    const report = await cache.report.catch(() => undefined);
    if (report && tf.getBackend() === report.name) return report;
  }
  const report = select(requested, opts.log ?? (() => {}));
  cache = { requested, report };
  return report;
}

/** Forget the cached selection (tests switch backends within one process). */
export function resetComputeForTests(): void {
  cache = undefined;
}

/** Short human text: the chosen backend, then one line per backend passed over. */
export function formatComputeReport(r: ComputeReport): string {
  const head = `backend: ${r.detail}${r.device && !r.detail.includes(r.device) ? ` on ${r.device}` : ''} (requested: ${r.requested})`;
  return [head, ...r.passedOver.map((p) => `  passed over ${p.name}: ${p.reason}`)].join('\n');
}
