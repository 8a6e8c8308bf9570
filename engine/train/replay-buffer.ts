import type { Rng } from '../rng';

/**
 * FAB's prioritised replay buffer (Midgley et al. 2023, §3.3): AIS samples with their log weights and
 * the log q they were drawn under; minibatches are drawn with probability ∝ w (with replacement),
 * and after each update the drawn rows' weights follow the new flow, w ← w·(q_new/q_old)^(1−α),
 * since the AIS target p^α q^(1−α) moved with q. A ring: the oldest rows go first when full. Also
 * the sample pool of temperature annealing, whose weights stay fixed (α = 1: no adjustment).
 * Hand-written: no library keeps weighted rows with in-place re-weighting.
 */
export class ReplayBuffer {
  readonly x: Float32Array;
  readonly logW: Float64Array;
  readonly logQ: Float64Array;
  /** The AIS round (or ladder rung) each row came from: the buffer's age. */
  readonly born: Int32Array;
  size = 0;
  /** Next row to write. */
  head = 0;

  constructor(
    readonly capacity: number,
    readonly rowDim: number,
  ) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new Error(`replay buffer: capacity must be a positive integer, got ${capacity}`);
    this.x = new Float32Array(capacity * rowDim);
    this.logW = new Float64Array(capacity);
    this.logQ = new Float64Array(capacity);
    this.born = new Int32Array(capacity);
  }

  /** Add rows (their weight −∞ ones too: they are never drawn, and keep the ring's order simple). */
  add(x: Float32Array, logW: Float64Array, logQ: Float64Array, round: number): void {
    const n = logW.length;
    if (x.length !== n * this.rowDim || logQ.length !== n) throw new Error('replay buffer: rows, weights and log q differ in length');
    for (let i = 0; i < n; i++) {
      const r = this.head;
      this.x.set(x.subarray(i * this.rowDim, (i + 1) * this.rowDim), r * this.rowDim);
      this.logW[r] = logW[i]!;
      this.logQ[r] = logQ[i]!;
      this.born[r] = round;
      this.head = (r + 1) % this.capacity;
      this.size = Math.min(this.capacity, this.size + 1);
    }
  }

  /** `m` row indices drawn with probability ∝ exp(logW), with replacement; throws when no row has weight. */
  sample(m: number, rng: Rng): Int32Array {
    const cdf = new Float64Array(this.size);
    let max = -Infinity;
    for (let i = 0; i < this.size; i++) max = Math.max(max, this.logW[i]!);
    if (!Number.isFinite(max)) throw new Error('replay buffer: no row has a finite weight');
    let total = 0;
    for (let i = 0; i < this.size; i++) cdf[i] = total += Math.exp(this.logW[i]! - max);
    const out = new Int32Array(m);
    for (let k = 0; k < m; k++) out[k] = search(cdf, rng.uniform() * total);
    return out;
  }

  /** Copy of the rows at `idx`, row-major. */
  rows(idx: Int32Array): Float32Array {
    const out = new Float32Array(idx.length * this.rowDim);
    idx.forEach((r, k) => out.set(this.x.subarray(r * this.rowDim, (r + 1) * this.rowDim), k * this.rowDim));
    return out;
  }

  /**
   * After an update: log w += (1 − α)(log q_new − log q_old) for the rows at `idx`, raised by at most
   * `maxLogIncrease` per update; log q ← log q_new. Repeats are harmless.
   */
  adjust(idx: Int32Array, logQNew: Float64Array, alpha: number, maxLogIncrease = Infinity): void {
    idx.forEach((r, k) => {
      const q = logQNew[k]!;
      // A row the new flow cannot map (non-finite log q) can no longer be weighted: drop it from the draw.
      this.logW[r] = Number.isFinite(q) ? this.logW[r]! + Math.min(maxLogIncrease, (1 - alpha) * (q - this.logQ[r]!)) : -Infinity;
      this.logQ[r] = q;
    });
  }

  /** Rows held, and their mean age in rounds at round `now`. */
  stats(now: number): { size: number; meanAge: number } {
    let s = 0;
    for (let i = 0; i < this.size; i++) s += now - this.born[i]!;
    return { size: this.size, meanAge: this.size ? s / this.size : 0 };
  }

  /** Bytes of the whole state (checkpoints): header [capacity, rowDim, size, head] then the arrays. */
  encode(): Uint8Array {
    const n = this.size;
    const head = Float64Array.from([this.capacity, this.rowDim, n, this.head]);
    const parts = [head, this.logW.subarray(0, n), this.logQ.subarray(0, n), this.born.subarray(0, n), this.x.subarray(0, n * this.rowDim)];
    const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
    let off = 0;
    for (const p of parts) {
      out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), off);
      off += p.byteLength;
    }
    return out;
  }

  static decode(bytes: Uint8Array): ReplayBuffer {
    const copy = new Uint8Array(bytes).buffer; // aligned
    const [capacity, rowDim, n, head] = new Float64Array(copy, 0, 4);
    const b = new ReplayBuffer(capacity!, rowDim!);
    let off = 32;
    const take = <T extends Float64Array | Int32Array | Float32Array>(make: (buf: ArrayBuffer, o: number, len: number) => T, len: number, bytesPer: number): T => {
      const a = make(copy, off, len);
      off += len * bytesPer;
      return a;
    };
    if (bytes.byteLength !== 32 + n! * (8 + 8 + 4 + 4 * rowDim!)) throw new Error('checkpoint: the replay buffer is corrupt');
    b.logW.set(take((buf, o, l) => new Float64Array(buf, o, l), n!, 8));
    b.logQ.set(take((buf, o, l) => new Float64Array(buf, o, l), n!, 8));
    b.born.set(take((buf, o, l) => new Int32Array(buf, o, l), n!, 4));
    b.x.set(take((buf, o, l) => new Float32Array(buf, o, l), n! * rowDim!, 4));
    b.size = n!;
    b.head = head!;
    return b;
  }
}

/** First index whose cumulative weight exceeds v (binary search). */
function search(cdf: Float64Array, v: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! > v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
