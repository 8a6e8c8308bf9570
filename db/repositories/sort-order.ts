/**
 * Argsort of a float64 column: the row indices in ascending order of `values`, non-finite or
 * missing values first (as SQL sorts NULL), ties in index order. An LSD radix sort on the IEEE-754
 * bit pattern (4 passes of 16 bits): ~30× faster than Array.prototype.sort with a comparator on
 * 10⁶ rows, which dominated writing a large sample set.
 */
export function ascendingOrder(values: ArrayLike<number> | null, n: number): Uint32Array {
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (!values) return order;
  // Map each double to an unsigned key whose integer order is the numeric order.
  const bits = new Float64Array(1);
  const words = new Uint32Array(bits.buffer);
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    bits[0] = Number.isFinite(v) ? v + 0 : -Infinity; // + 0 turns −0 into +0: they tie, as in SQL
    const h = words[1]!;
    const l = words[0]!;
    // Negative: flip every bit (larger magnitude sorts first); positive: flip the sign bit.
    if (h >>> 31) {
      hi[i] = ~h >>> 0;
      lo[i] = ~l >>> 0;
    } else {
      hi[i] = (h | 0x80000000) >>> 0;
      lo[i] = l;
    }
  }
  let next = new Uint32Array(n);
  const counts = new Uint32Array(65536);
  for (const [word, shift] of [[lo, 0], [lo, 16], [hi, 0], [hi, 16]] as const) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(word[order[i]!]! >>> shift) & 0xffff]!++;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    // Stable scatter: equal digits keep their order, so ties end in index order.
    for (let i = 0; i < n; i++) {
      const r = order[i]!;
      next[counts[(word[r]! >>> shift) & 0xffff]!++] = r;
    }
    [order, next] = [next, order];
  }
  return order;
}
