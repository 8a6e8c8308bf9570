import type { AdamState } from '../../engine/train/adam';
import type { ExploreBuffer } from '../../contract/checkpoint';

/** Adam state as bytes: [step, count, (length, m values, v values)…] in float64 header + float32 data. */
export function encodeAdam(s: AdamState): Uint8Array {
  const sizes = s.m.map((a) => a.length);
  const header = Float64Array.from([s.step, sizes.length, ...sizes]);
  const out = new Uint8Array(header.byteLength + 8 * sizes.reduce((a, b) => a + b, 0));
  out.set(new Uint8Array(header.buffer), 0);
  let off = header.byteLength;
  for (let i = 0; i < sizes.length; i++) {
    for (const a of [s.m[i]!, s.v[i]!]) {
      out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
      off += a.byteLength;
    }
  }
  return out;
}

export function decodeAdam(bytes: Uint8Array): AdamState {
  const f64 = (i: number): number => new DataView(bytes.buffer, bytes.byteOffset + 8 * i, 8).getFloat64(0, true);
  const step = f64(0);
  const count = f64(1);
  const sizes = Array.from({ length: count }, (_, i) => f64(2 + i));
  let off = 8 * (2 + count);
  const take = (n: number): Float32Array => {
    const a = new Float32Array(n);
    new Uint8Array(a.buffer).set(bytes.subarray(off, off + 4 * n));
    off += 4 * n;
    return a;
  };
  const m: Float32Array[] = [];
  const v: Float32Array[] = [];
  for (const n of sizes) (m.push(take(n)), v.push(take(n)));
  if (off !== bytes.byteLength) throw new Error('checkpoint: optimiser state is corrupt');
  return { step, m, v };
}

/** The exploration buffer as bytes: n (float64), u and rc (float64 × n), then the float32 rows. */
export function encodeBuffer(b: ExploreBuffer): Uint8Array {
  const n = b.u.length;
  const head = new Float64Array(1 + 2 * n);
  head[0] = n;
  head.set(b.u, 1);
  head.set(b.rc, 1 + n);
  const out = new Uint8Array(head.byteLength + b.buffer.byteLength);
  out.set(new Uint8Array(head.buffer), 0);
  out.set(new Uint8Array(b.buffer.buffer, b.buffer.byteOffset, b.buffer.byteLength), head.byteLength);
  return out;
}

export function decodeBuffer(bytes: Uint8Array): ExploreBuffer {
  const copy = new Uint8Array(bytes); // aligned copy
  const n = new Float64Array(copy.buffer, 0, 1)[0]!;
  const u = new Float64Array(copy.buffer, 8, n).slice();
  const rc = new Float64Array(copy.buffer, 8 + 8 * n, n).slice();
  const buffer = new Float32Array(copy.buffer.slice(8 * (1 + 2 * n)));
  return { buffer, u, rc };
}
