// Elementwise ops whose output byte depends only on their two input bytes (quantized ADD, SUB,
// MUL of every target): a 64 Ki-entry table of the op's arithmetic, built once, and a plan of the
// numpy broadcast made at lowering, so that a run is one table lookup per output.
import { numel } from "../graph/types.js";
import { stridesOf } from "./tensors.js";

type Bytes = Int8Array | Uint8Array;

/**
 * numpy broadcasting of two inputs onto the output, as a list of rows: the output is walked in
 * rows of `inner` values; row r starts at `offA[r]` / `offB[r]` in the inputs, and inside a row
 * an input advances by `strideA` / `strideB` (0 when it is broadcast along the row). Dimensions
 * both inputs walk contiguously are merged first, so inputs of the output's shape are one row.
 */
export interface BroadcastPlan {
  rows: number;
  inner: number;
  offA: Int32Array;
  offB: Int32Array;
  strideA: number;
  strideB: number;
}

export function broadcastPlan(aShape: readonly number[], bShape: readonly number[], outShape: readonly number[]): BroadcastPlan {
  const rank = outShape.length;
  const pad = (s: readonly number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const a = pad(aShape);
  const b = pad(bShape);
  const sa = stridesOf(a).map((s, i) => (a[i] === 1 && outShape[i] !== 1 ? 0 : s));
  const sb = stridesOf(b).map((s, i) => (b[i] === 1 && outShape[i] !== 1 ? 0 : s));
  const dims: number[] = [1];
  const pa: number[] = [0];
  const pb: number[] = [0];
  for (let d = 0; d < rank; d++) {
    const n = outShape[d]!;
    if (n === 1) continue;
    const k = dims.length - 1;
    if (pa[k] === sa[d]! * n && pb[k] === sb[d]! * n) {
      dims[k] = dims[k]! * n;
      pa[k] = sa[d]!;
      pb[k] = sb[d]!;
    } else {
      dims.push(n);
      pa.push(sa[d]!);
      pb.push(sb[d]!);
    }
  }
  const r = dims.length;
  const inner = dims[r - 1]!;
  const total = numel(outShape);
  const rows = inner === 0 ? 0 : total / inner;
  const offA = new Int32Array(rows);
  const offB = new Int32Array(rows);
  const idx = new Array<number>(r - 1).fill(0);
  for (let row = 0; row < rows; row++) {
    let oa = 0;
    let ob = 0;
    for (let d = 0; d < r - 1; d++) {
      oa += idx[d]! * pa[d]!;
      ob += idx[d]! * pb[d]!;
    }
    offA[row] = oa;
    offB[row] = ob;
    for (let d = r - 2; d >= 0; d--) {
      if (++idx[d]! < dims[d]!) break;
      idx[d] = 0;
    }
  }
  return { rows, inner, offA, offB, strideA: pa[r - 1]!, strideB: pb[r - 1]! };
}

/**
 * An elementwise 8-bit op whose output byte depends only on its two input bytes, as a 64 Ki-entry
 * table of `f(a, b)` built on first use: the run is then one lookup per output, whatever the
 * arithmetic, with the same bytes as evaluating `f` each time. `f` gets the bytes' values as
 * `dtype` reads them and returns the output's value (stored as its byte).
 */
export function pairTable(f: (a: number, b: number) => number, dtype: "int8" | "uint8" = "int8"): () => Int8Array {
  let table: Int8Array | null = null;
  const lo = dtype === "int8" ? -128 : 0;
  return () => {
    if (!table) {
      table = new Int8Array(65536);
      for (let a = lo; a < lo + 256; a++) for (let b = lo; b < lo + 256; b++) table[((a & 0xff) << 8) | (b & 0xff)] = f(a, b);
    }
    return table;
  };
}

/**
 * `out[k] = table[x[ia], y[ib]]` over a broadcasting plan. Bytes index the table and are stored as
 * bytes, so uint8 tensors run as well (with a table built from the unsigned values).
 */
export function applyPairTable(table: Int8Array, plan: BroadcastPlan, x: Bytes, y: Bytes, out: Bytes): void {
  const { rows, inner, offA, offB, strideA, strideB } = plan;
  if (rows === 1 && strideA === 1 && strideB === 1) {
    applyPairTableFlat(table, x, y, out, inner);
    return;
  }
  let k = 0;
  for (let r = 0; r < rows; r++) {
    let ia = offA[r]!;
    let ib = offB[r]!;
    for (let c = 0; c < inner; c++, ia += strideA, ib += strideB) out[k++] = table[((x[ia]! & 0xff) << 8) | (y[ib]! & 0xff)]!;
  }
}

/**
 * `out[k] = table[x[k], y[k]]` for k < n, four bytes per step where the three arrays are 4-byte
 * aligned (about twice as fast as byte by byte). Lane j of a word is the same byte of memory in
 * all three arrays whatever the platform's byte order.
 */
function applyPairTableFlat(table: Int8Array, x: Bytes, y: Bytes, out: Bytes, n: number): void {
  let k = 0;
  if ((x.byteOffset | y.byteOffset | out.byteOffset) % 4 === 0) {
    const words = n >> 2;
    const a = new Int32Array(x.buffer, x.byteOffset, words);
    const b = new Int32Array(y.buffer, y.byteOffset, words);
    const o = new Int32Array(out.buffer, out.byteOffset, words);
    for (let w = 0; w < words; w++) {
      const p = a[w]!;
      const q = b[w]!;
      o[w] =
        (table[((p & 0xff) << 8) | (q & 0xff)]! & 0xff) |
        ((table[(p & 0xff00) | ((q >>> 8) & 0xff)]! & 0xff) << 8) |
        ((table[((p >>> 8) & 0xff00) | ((q >>> 16) & 0xff)]! & 0xff) << 16) |
        (table[((p >>> 16) & 0xff00) | (q >>> 24)]! << 24);
    }
    k = words << 2;
  }
  for (; k < n; k++) out[k] = table[((x[k]! & 0xff) << 8) | (y[k]! & 0xff)]!;
}
