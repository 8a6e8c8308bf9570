import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { Rng } from '../rng';
import { buildFlow, type BuiltFlow } from './build';
import { xDimOf } from './types';
import { SPLINE_PARTITIONS } from '../../contract/run-spec';

const MAGIC = 0x46574742; // "BGWF" little-endian

const HeaderSchema = z.object({
  arch: z.object({
    layers: z.string().regex(/^[RNQSP]{1,64}$/),
    hidden: z.array(z.number().int().min(1).max(4096)).min(1).max(8),
    sScale: z.number().positive(),
    whiten: z.boolean(),
    coordinates: z.enum(['cartesian', 'mixed']).optional(),
    spline: z.object({ bins: z.number().int().min(2).max(64), interval: z.tuple([z.number(), z.number()]).optional(), partition: z.enum(SPLINE_PARTITIONS).optional() }).optional(),
  }),
  dim: z.number().int().min(1).max(100_000),
  /** The x-side dimension and, for mixed coordinates, the topology the transform is built from. */
  xDim: z.number().int().min(1).max(100_000).optional(),
  mixed: z
    .object({
      nAtoms: z.number().int().min(3).max(30_000),
      bonds: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])).max(200_000),
      cartesian: z.array(z.number().int().min(0)).min(3).max(30_000),
    })
    .optional(),
  shapes: z.array(z.array(z.number().int().min(0))),
});
const VERSION = 1;

/**
 * Flow weights as one self-describing byte blob: magic, version, a JSON header (architecture,
 * dimension, tensor shapes) and then every variable's float32 values in `variables()` order.
 * Fitted, untrained state (whitening) is included, so save → load gives bit-identical samples.
 */
export function serializeFlow(built: BuiltFlow): Uint8Array {
  const vars = built.flow.variables();
  const header = new TextEncoder().encode(
    JSON.stringify({ arch: built.arch, dim: xDimOf(built.flow), xDim: xDimOf(built.flow), ...(built.mixed ? { mixed: built.mixed.topology } : {}), shapes: vars.map((v) => v.shape) }),
  );
  const values = vars.map((v) => v.dataSync() as Float32Array);
  const headerPadded = Math.ceil(header.length / 4) * 4;
  const total = 12 + headerPadded + values.reduce((n, a) => n + a.byteLength, 0);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, header.length, true);
  bytes.set(header, 12);
  let offset = 12 + headerPadded;
  for (const a of values) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    offset += a.byteLength;
  }
  return bytes;
}

/** Rebuild a flow from `serializeFlow` bytes. Throws a clear error on a foreign or corrupt blob. */
export function deserializeFlow(bytes: Uint8Array, rng: Rng): BuiltFlow {
  if (bytes.byteLength < 12) throw new Error('flow weights: blob too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new Error('flow weights: not a BGWF blob');
  const version = view.getUint32(4, true);
  if (version !== VERSION) throw new Error(`flow weights: unsupported version ${version}`);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.byteLength) throw new Error('flow weights: blob truncated (header)');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  } catch {
    throw new Error('flow weights: corrupt header');
  }
  // Checked before anything is allocated: a forged header must not build a huge network.
  const parsed = HeaderSchema.safeParse(json);
  if (!parsed.success) throw new Error(`flow weights: corrupt header (${parsed.error.issues[0]?.path.join('.') || 'root'})`);
  const header = parsed.data;
  let built: BuiltFlow;
  try {
    built = buildFlow(header.arch, header.xDim ?? header.dim, rng, header.mixed ?? null);
  } catch (e) {
    throw new Error(`flow weights: corrupt header (${(e as Error).message})`);
  }
  try {
    assignWeights(built, bytes, header.shapes, 12 + Math.ceil(headerLength / 4) * 4);
  } catch (e) {
    built.flow.dispose(); // a rejected blob leaves nothing allocated behind
    throw e;
  }
  return built;
}

function assignWeights(built: BuiltFlow, bytes: Uint8Array, shapes: number[][], start: number): void {
  const vars = built.flow.variables();
  if (vars.length !== shapes.length) throw new Error('flow weights: layer count does not match architecture');
  let offset = start;
  vars.forEach((v, i) => {
    const shape = shapes[i]!;
    if (shape.join('x') !== v.shape.join('x')) throw new Error(`flow weights: tensor ${i} has shape ${shape}, expected ${v.shape}`);
    const n = v.size;
    if (offset + 4 * n > bytes.byteLength) throw new Error('flow weights: blob truncated');
    // Copy into a fresh buffer: `bytes` may be a view (a Node Buffer from readFile, whose slice()
    // shares the whole underlying pool), so its .buffer is not just these values.
    const values = new Float32Array(n);
    new Uint8Array(values.buffer).set(bytes.subarray(offset, offset + 4 * n));
    tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
    offset += 4 * n;
  });
}
