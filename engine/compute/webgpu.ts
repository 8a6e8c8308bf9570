// The WebGPU candidate: Dawn for Node with tfjs-backend-webgpu, a hardware adapter by default and
// a software GL adapter only when asked for by name.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { ComputeReport } from '../../contract/compute';
import { activate, importOptional, Unavailable, type Attempt } from './attempt';


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

export async function tryWebgpu(allowSoftware: boolean): Promise<Attempt> {
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

export const WEBGPU_HOWTO =
  'needs the `webgpu` and `@tensorflow/tfjs-backend-webgpu` packages and a GPU driver (Vulkan/Metal/D3D12) or Mesa EGL';
