// Picks and initialises the tfjs backend for this process.
//
// Precedence: BGW_BACKEND (env) > opts.prefer (e.g. the run spec) > 'auto'. The env var wins so a user
// can force a backend for any run without editing specs.
//
// tfjs backends are process-global, so the chosen report is cached; tests can clear it with
// resetComputeForTests().
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// The gradient functions of the built-in ops are registered by the umbrella package, not by
// tfjs-core's Node bundle; without this import every tf.grad fails with "gradient function not found".
import '@tensorflow/tfjs';
import { COMPUTE_CHOICES, type ComputeChoice, type ComputeName, type ComputeReport } from '../../contract/compute';

export interface SelectComputeOptions {
  prefer?: ComputeChoice;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

const require = createRequire(import.meta.url);

/** Thrown internally when a candidate cannot be used; its message becomes a passedOver reason. */
class Unavailable extends Error {}

type Attempt = Omit<ComputeReport, 'requested' | 'passedOver'> & { passedOver?: ComputeReport['passedOver'] };

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.trim();
}

function isInstalled(spec: string): boolean {
  try {
    require.resolve(`${spec}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** Dynamic import of an optional package: absence or a load failure becomes an Unavailable reason. */
async function importOptional<T = unknown>(spec: string): Promise<T> {
  if (!isInstalled(spec)) throw new Unavailable(`${spec} is not installed`);
  try {
    return (await import(/* @vite-ignore */ spec)) as T;
  } catch (e) {
    throw new Unavailable(`${spec} failed to load: ${firstLine(e)}`);
  }
}

/** setBackend resolves false (with a console warning) when the factory throws; turn that into a reason. */
async function activate(name: string): Promise<void> {
  if (!tf.findBackendFactory(name)) {
    // Happens when the package registered into another @tensorflow/tfjs-core copy (version mismatch).
    throw new Unavailable(`'${name}' is not registered with this @tensorflow/tfjs-core ${tf.version_core}`);
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new Unavailable(`initialising '${name}' failed: ${firstLine(e)}`);
  }
  if (!ok) throw new Unavailable(`initialising '${name}' failed (see the tfjs warning above)`);
  await tf.ready();
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

// ---------- webgpu (Dawn for Node) ----------

// The parts of the optional packages used here, typed locally so that type-checking (and so
// `npm test`) does not need them installed; the GPU* types come from the @webgpu/types devDependency.
interface WebgpuModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}
interface TfWebgpuModule {
  WebGPUBackend: new (device: GPUDevice, adapterInfo?: GPUAdapterInfo) => tf.KernelBackend;
}

// Keep Dawn instances alive for the life of the process: devices hang off them.
const gpuInstances: GPU[] = [];

const SOFTWARE_RE = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render/i;

function adapterName(a: GPUAdapter): string {
  const i = a.info;
  return [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' / ') || 'unknown adapter';
}

function isSoftwareAdapter(a: GPUAdapter): boolean {
  const i = a.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const legacy = (a as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return i.isFallbackAdapter === true || legacy === true || SOFTWARE_RE.test(adapterName(a));
}

async function loadWebgpu(): Promise<{ dawn: WebgpuModule; tfw: TfWebgpuModule }> {
  const dawn = await importOptional<WebgpuModule>('webgpu');
  const tfw = await importOptional<TfWebgpuModule>('@tensorflow/tfjs-backend-webgpu');
  return { dawn, tfw };
}

/** Hardware adapter with default options; null/fallback/software adapters are rejected (slower than wasm). */
async function hardwareAdapter(dawn: WebgpuModule): Promise<GPUAdapter> {
  // Dawn prints a warning on every start when Linux lacks a Vulkan loader; without one there is
  // no hardware adapter to find, so say so without starting Dawn.
  if (process.platform === 'linux' && !hasVulkanLoader()) {
    throw new Unavailable('no WebGPU adapter (no Vulkan loader libvulkan.so.1 on this machine)');
  }
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Unavailable('no WebGPU adapter (no Vulkan/Metal/D3D12 GPU driver found)');
  if (isSoftwareAdapter(adapter)) throw new Unavailable(`only a software adapter (${adapterName(adapter)}), slower than wasm`);
  gpuInstances.push(gpu);
  return adapter;
}

/** Software GL path (Mesa llvmpipe via EGL surfaceless); only for an explicit 'webgpu' request. */
async function softwareAdapter(dawn: WebgpuModule): Promise<GPUAdapter> {
  process.env.EGL_PLATFORM ??= 'surfaceless'; // no display here; Mesa's EGL needs this to initialise
  const gpu = dawn.create(['backend=opengles']);
  const adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
  if (!adapter) throw new Unavailable('no software OpenGL ES adapter either (is Mesa EGL installed?)');
  gpuInstances.push(gpu);
  return adapter;
}

/** tfjs-backend-webgpu reads navigator.gpu and the GPU* enum globals, which Node lacks. */
function installWebgpuGlobals(dawn: WebgpuModule, gpu: GPU): void {
  const g = globalThis as Record<string, unknown>;
  const nav = g.navigator as Record<string, unknown> | undefined;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  Object.assign(globalThis, dawn.globals);
}

/** Register a factory bound to OUR adapter: tfjs's own factory requests one without featureLevel. */
async function activateWebgpu(dawn: WebgpuModule, tfw: TfWebgpuModule, gpu: GPU, adapter: GPUAdapter): Promise<void> {
  installWebgpuGlobals(dawn, gpu);
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', async () => {
    const lim = adapter.limits;
    const device = await adapter.requestDevice({
      requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
      requiredLimits: {
        maxComputeWorkgroupStorageSize: lim.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: lim.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
        maxBufferSize: lim.maxBufferSize,
        maxComputeWorkgroupSizeX: lim.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: lim.maxComputeInvocationsPerWorkgroup,
      },
    });
    return new tfw.WebGPUBackend(device, adapter.info);
  });
  await activate('webgpu');
}

// Re-selecting webgpu reuses the device we already made instead of starting another Dawn instance.
let webgpuActive: { attempt: Attempt; software: boolean } | undefined;

async function tryWebgpu(allowSoftware: boolean): Promise<Attempt> {
  if (webgpuActive && (allowSoftware || !webgpuActive.software) && tf.findBackend('webgpu')) {
    await activate('webgpu');
    return webgpuActive.attempt;
  }
  const { dawn, tfw } = await loadWebgpu();
  const passedOver: ComputeReport['passedOver'] = [];
  let adapter: GPUAdapter;
  let software = false;
  try {
    adapter = await hardwareAdapter(dawn);
  } catch (e) {
    if (!allowSoftware || !(e instanceof Unavailable)) throw e;
    passedOver.push({ name: 'webgpu (hardware)', reason: e.message });
    adapter = await softwareAdapter(dawn);
    software = true;
  }
  await activateWebgpu(dawn, tfw, gpuInstances[gpuInstances.length - 1]!, adapter);
  const device = adapterName(adapter);
  const detail = software ? `webgpu (software GL: ${device}; slower than wasm)` : 'webgpu (Dawn, hardware adapter)';
  webgpuActive = { attempt: { name: 'webgpu', detail, device, passedOver }, software };
  return webgpuActive.attempt;
}

function hasVulkanLoader(): boolean {
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/lib/x86_64-linux-gnu',
    '/lib64',
  ];
  return dirs.some((d) => existsSync(`${d}/libvulkan.so.1`));
}

const WEBGPU_HOWTO =
  'needs the `webgpu` and `@tensorflow/tfjs-backend-webgpu` packages and a GPU driver (Vulkan/Metal/D3D12) or Mesa EGL';

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
