import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatComputeReport, resetComputeForTests, selectCompute } from '../../engine/compute/select';
import { hasTfjsNode, installed } from '../helpers/installed';


// 8x8 matMul with exactly representable inputs, checked against a plain JS product.
const N = 8;
const A = Array.from({ length: N * N }, (_, i) => (i % 7) - 3);
const B = Array.from({ length: N * N }, (_, i) => ((i * 5) % 11) - 5);
const expected = Array.from({ length: N * N }, (_, k) => {
  const r = Math.floor(k / N), c = k % N;
  let s = 0;
  for (let j = 0; j < N; j++) s += A[r * N + j]! * B[j * N + c]!;
  return s;
});
async function matMulNow(): Promise<number[]> {
  return Array.from(await tf.matMul(tf.tensor2d(A, [N, N]), tf.tensor2d(B, [N, N])).data());
}

beforeEach(() => resetComputeForTests());

describe('selectCompute', () => {
  it.skipIf(hasTfjsNode)('auto picks wasm here and says why it passed over the others', async () => {
    for (const env of [{}, { BGW_BACKEND: 'auto' }]) {
      resetComputeForTests();
      const r = await selectCompute({ env });
      expect(r.requested).toBe('auto');
      // No Vulkan/GPU here; a machine with a hardware WebGPU adapter would rightly pick it instead.
      if (r.name === 'webgpu') {
        expect(r.detail).toMatch(/hardware/);
        continue;
      }
      expect(r.name).toBe('wasm');
      expect(r.detail).toMatch(/SIMD/);
      expect(r.passedOver.map((p) => p.name)).toEqual(['tensorflow (tfjs-node-gpu)', 'tensorflow (tfjs-node)', 'webgpu']);
      for (const p of r.passedOver) expect(p.reason.length).toBeGreaterThan(5);
      expect(r.passedOver[0]!.reason).toMatch(/not installed/);
      const text = formatComputeReport(r);
      expect(text.split('\n')[0]).toMatch(/^backend: wasm/);
      expect(text).toMatch(/passed over webgpu: /);
      console.info(text);
    }
  });

  it('caches the report for the same request', async () => {
    const a = await selectCompute({ prefer: 'wasm', env: {} });
    const b = await selectCompute({ prefer: 'wasm', env: {} });
    expect(b).toBe(a);
  });

  it('BGW_BACKEND=cpu gives cpu and wins over the spec preference', async () => {
    const r = await selectCompute({ prefer: 'wasm', env: { BGW_BACKEND: 'cpu' } });
    expect(r).toMatchObject({ name: 'cpu', requested: 'cpu', passedOver: [] });
    expect(tf.getBackend()).toBe('cpu');
    expect(await matMulNow()).toEqual(expected);
  });

  it('an invalid value throws and lists the valid ones', async () => {
    await expect(selectCompute({ env: { BGW_BACKEND: 'cuda' } })).rejects.toThrow(
      /BGW_BACKEND 'cuda'.*auto, tensorflow, webgpu, wasm, cpu/,
    );
    await expect(selectCompute({ prefer: 'gpu' as never, env: {} })).rejects.toThrow(/valid values are/);
  });

  it.skipIf(hasTfjsNode)('explicit tensorflow throws with how to install it', async () => {
    const err = await selectCompute({ env: { BGW_BACKEND: 'tensorflow' } }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^tensorflow backend unavailable: /);
    expect(msg).toMatch(/npm i @tensorflow\/tfjs-node-gpu/);
    expect(msg).not.toMatch(/\n/);
  });

  it('wasm: tf.getBackend() is wasm and matMul is right', async () => {
    const r = await selectCompute({ prefer: 'wasm', env: {} });
    expect(r.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(await matMulNow()).toEqual(expected);
  });

  it('explicit webgpu works (software path here) or fails clearly', { timeout: 30_000 }, async () => {
    const t0 = performance.now();
    const outcome = await selectCompute({ env: { BGW_BACKEND: 'webgpu' } }).catch((e: Error) => e);
    const ms = performance.now() - t0;
    if (outcome instanceof Error) {
      console.info(`webgpu branch: FAILED in ${ms.toFixed(0)} ms: ${outcome.message}`);
      expect(outcome.message).toMatch(/^webgpu backend unavailable: .+\(needs the `webgpu`/);
      // Where Dawn and Mesa's EGL are both present the software path is known to work: failing is a regression.
      if (installed('webgpu') && existsSync('/usr/share/glvnd/egl_vendor.d/50_mesa.json')) throw outcome;
      return;
    }
    console.info(`webgpu branch: WORKS in ${ms.toFixed(0)} ms\n${formatComputeReport(outcome)}`);
    expect(outcome.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    if (/software/.test(outcome.detail)) expect(outcome.passedOver.map((p) => p.name)).toEqual(['webgpu (hardware)']);
    expect(ms).toBeLessThan(20_000);
    expect(await matMulNow()).toEqual(expected);
    // A larger product against wasm. Fresh tensors per backend: moving webgpu data to another backend
    // uses readSync, which needs OffscreenCanvas and so fails in Node.
    const a = Float32Array.from({ length: 64 * 64 }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: 64 * 64 }, (_, i) => Math.cos(3 * i));
    const product = async () => tf.matMul(tf.tensor2d(a, [64, 64]), tf.tensor2d(b, [64, 64])).data();
    const onGpu = await product();
    resetComputeForTests();
    await selectCompute({ prefer: 'wasm', env: {} });
    const onWasm = await product();
    let maxErr = 0;
    for (let i = 0; i < onWasm.length; i++) maxErr = Math.max(maxErr, Math.abs(onGpu[i]! - onWasm[i]!));
    expect(maxErr).toBeLessThan(1e-4);
  });
});
