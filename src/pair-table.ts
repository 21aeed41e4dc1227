// Elementwise 8-bit ops whose output byte depends only on their two input bytes (the quantized
// ADD, SUB and MUL of the TFLite targets, ONNX Runtime's QLinearAdd): a 64 Ki-entry table of the
// op's arithmetic over every pair of input bytes, and a plan of the broadcast made once, so that
// a run is one table lookup per output, with the same bytes as evaluating the arithmetic each time.
import type { Dtype } from "./types.js";

export type Bytes = Int8Array | Uint8Array;

/**
 * A broadcast as a list of rows: the output is walked in rows of `inner` values; row r starts at
 * `offA[r]` / `offB[r]` in the inputs, and inside a row an input advances by `strideA` / `strideB`
 * (0 when it is broadcast along the row).
 */
export interface BroadcastPlan {
  rows: number;
  inner: number;
  offA: Int32Array;
  offB: Int32Array;
  strideA: number;
  strideB: number;
}

/**
 * The plan of an output of dimensions `dims`, outermost first in the order the output is stored,
 * along which the inputs advance by `sa[d]` / `sb[d]` elements (0: broadcast). Dimensions of size 1
 * are dropped, and dimensions both inputs walk contiguously merged: inputs of the output's shape
 * and order are one row.
 */
export function walkPlan(dims: readonly number[], sa: readonly number[], sb: readonly number[]): BroadcastPlan {
  const n: number[] = [];
  const pa: number[] = [];
  const pb: number[] = [];
  for (let d = 0; d < dims.length; d++) {
    const e = dims[d]!;
    if (e === 1) continue;
    const k = n.length - 1;
    if (k >= 0 && pa[k] === sa[d]! * e && pb[k] === sb[d]! * e) {
      n[k] = n[k]! * e;
      pa[k] = sa[d]!;
      pb[k] = sb[d]!;
    } else {
      n.push(e);
      pa.push(sa[d]!);
      pb.push(sb[d]!);
    }
  }
  if (n.length === 0) {
    n.push(1);
    pa.push(0);
    pb.push(0);
  }
  const r = n.length;
  const inner = n[r - 1]!;
  const rows = inner === 0 ? 0 : n.reduce((u, v) => u * v, 1) / inner;
  const offA = new Int32Array(rows);
  const offB = new Int32Array(rows);
  const idx = new Array<number>(r - 1).fill(0);
  let oa = 0;
  let ob = 0;
  for (let row = 0; row < rows; row++) {
    offA[row] = oa;
    offB[row] = ob;
    for (let d = r - 2; d >= 0; d--) {
      idx[d]!++;
      oa += pa[d]!;
      ob += pb[d]!;
      if (idx[d]! < n[d]!) break;
      oa -= pa[d]! * n[d]!;
      ob -= pb[d]! * n[d]!;
      idx[d] = 0;
    }
  }
  return { rows, inner, offA, offB, strideA: pa[r - 1]!, strideB: pb[r - 1]! };
}

/** numpy broadcasting of two row-major inputs onto a row-major output. */
export function broadcastPlan(aShape: readonly number[], bShape: readonly number[], outShape: readonly number[]): BroadcastPlan {
  return walkPlan(outShape, broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape));
}

/** Row-major element strides of `shape` aligned to `out`'s rank, 0 along broadcast dimensions. */
function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const st = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[out.length - shape.length + i] = shape[i] === 1 ? 0 : s;
    s *= shape[i]!;
  }
  return st;
}

/**
 * `f` over every pair of input bytes, at index `aByte << 8 | bByte`: `f` gets each byte's value as
 * its dtype reads it and returns the output's value (stored as its byte).
 */
export function buildPairTable(f: (a: number, b: number) => number, aDtype: Dtype, bDtype: Dtype): Uint8Array {
  const t = new Uint8Array(65536);
  const aLo = aDtype === "int8" ? -128 : 0;
  const bLo = bDtype === "int8" ? -128 : 0;
  for (let a = aLo; a < aLo + 256; a++) for (let b = bLo; b < bLo + 256; b++) t[((a & 0xff) << 8) | (b & 0xff)] = f(a, b);
  return t;
}

/** The same table built on first use (a layer's lowering does not pay for it until it runs). */
export function pairTable(f: (a: number, b: number) => number, aDtype: Dtype = "int8", bDtype: Dtype = aDtype): () => Uint8Array {
  let table: Uint8Array | null = null;
  return () => (table ??= buildPairTable(f, aDtype, bDtype));
}

/** `out[k] = table[a[ia], b[ib]]` over a plan: bytes in, bytes out, whatever the dtypes. */
export function applyPairTable(table: Uint8Array, plan: BroadcastPlan, a: Bytes, b: Bytes, out: Bytes): void {
  const { rows, inner, offA, offB, strideA, strideB } = plan;
  if (rows === 1 && strideA === 1 && strideB === 1) {
    applyPairTableFlat(table, a, b, out, inner);
    return;
  }
  let k = 0;
  for (let r = 0; r < rows; r++) {
    let ia = offA[r]!;
    let ib = offB[r]!;
    for (let c = 0; c < inner; c++, ia += strideA, ib += strideB) out[k++] = table[((a[ia]! & 0xff) << 8) | (b[ib]! & 0xff)]!;
  }
}

/**
 * `out[k] = table[a[k], b[k]]` for k < n, four bytes per step where the three arrays are 4-byte
 * aligned (about twice as fast as byte by byte). Lane j of a word is the same byte of memory in
 * all three arrays whatever the platform's byte order.
 */
function applyPairTableFlat(table: Uint8Array, a: Bytes, b: Bytes, out: Bytes, n: number): void {
  let k = 0;
  if ((a.byteOffset | b.byteOffset | out.byteOffset) % 4 === 0) {
    const words = n >> 2;
    const x = new Int32Array(a.buffer, a.byteOffset, words);
    const y = new Int32Array(b.buffer, b.byteOffset, words);
    const o = new Int32Array(out.buffer, out.byteOffset, words);
    for (let w = 0; w < words; w++) {
      const p = x[w]!;
      const q = y[w]!;
      o[w] =
        table[((p & 0xff) << 8) | (q & 0xff)]! |
        (table[(p & 0xff00) | ((q >>> 8) & 0xff)]! << 8) |
        (table[((p >>> 8) & 0xff00) | ((q >>> 16) & 0xff)]! << 16) |
        (table[((p >>> 16) & 0xff00) | (q >>> 24)]! << 24);
    }
    k = words << 2;
  }
  for (; k < n; k++) out[k] = table[((a[k]! & 0xff) << 8) | (b[k]! & 0xff)]!;
}
