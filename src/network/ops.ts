// The quantized ops of a network other than depthwise/pointwise convolutions, in plain TypeScript
// (correctness first): general convolution, QLinearAdd, QLinearGlobalAveragePool, fully connected
// (QLinearMatMul / QGemm), QuantizeLinear, DequantizeLinear. Activations are planar NCHW
// (batch 1) byte arrays here; the runner converts layouts around them.
import {
  addWasm,
  addX86,
  addX86Constants,
  addX86ScalarA,
  dequantizeValue,
  qRange,
  quantizeValue,
  requantizeOnnx,
  type AddParams,
} from "./arith.js";
import { walkPlan, type BroadcastPlan } from "../pair-table.js";
import type { Layout } from "../types.js";
import type { AddLayer, AddRounding, ConvLayer, FullyConnectedLayer, GlobalAveragePoolLayer, QDtype, QParams } from "./types.js";

export type QData = Int8Array | Uint8Array;

export function newQ(dtype: QDtype, n: number): QData {
  return dtype === "int8" ? new Int8Array(n) : new Uint8Array(n);
}

/** A convolution layer's sizes on an H x W input: kernel, stride, dilation, padding, output size, groups. */
function convGeometry(H: number, W: number, l: ConvLayer) {
  const { inChannels: Cin, outChannels: Cout, group: G } = l;
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.stride;
  const [dh, dw] = l.dilation;
  const { top, left, bottom, right } = l.pad;
  const Ho = Math.floor((H + top + bottom - (dh * (kh - 1) + 1)) / sh) + 1;
  const Wo = Math.floor((W + left + right - (dw * (kw - 1) + 1)) / sw) + 1;
  return { Cin, Cout, G, kh, kw, sh, sw, dh, dw, top, left, bottom, right, Ho, Wo, cinG: Cin / G, coutG: Cout / G };
}

/**
 * QLinearConv of any geometry, NCHW in and out: `acc = bias + sum (x - zx) * w` in int32 with
 * wrap-around (padding taps contribute nothing), then the `onnx` requantization per output channel.
 */
export function convNchw(x: QData, H: number, W: number, l: ConvLayer): { data: QData; height: number; width: number } {
  const { Cout, kh, kw, sh, sw, dh, dw, top, left, Ho, Wo, cinG, coutG } = convGeometry(H, W, l);
  const [lo, hi] = qRange(l.out.dtype);
  const zx = l.inZeroPoint;
  const zy = l.out.zeroPoint;
  const y = newQ(l.out.dtype, Cout * Ho * Wo);
  // x - zx once, as int32.
  const xs = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) xs[i] = (x[i] as number) - zx;
  const acc = new Int32Array(Ho * Wo);
  for (let co = 0; co < Cout; co++) {
    const g = Math.floor(co / coutG);
    acc.fill(l.bias ? (l.bias[co] as number) : 0);
    for (let ci = 0; ci < cinG; ci++) {
      const plane = (g * cinG + ci) * H * W;
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          const wv = l.weights[((co * cinG + ci) * kh + ky) * kw + kx] as number;
          if (wv === 0) continue;
          for (let oy = 0; oy < Ho; oy++) {
            const iy = oy * sh - top + ky * dh;
            if (iy < 0 || iy >= H) continue;
            const row = plane + iy * W;
            const orow = oy * Wo;
            for (let ox = 0; ox < Wo; ox++) {
              const ix = ox * sw - left + kx * dw;
              if (ix < 0 || ix >= W) continue;
              acc[orow + ox] = (acc[orow + ox]! + Math.imul(xs[row + ix]!, wv)) | 0;
            }
          }
        }
      }
    }
    const s = l.scale.length === 1 ? l.scale[0]! : l.scale[co]!;
    const base = co * Ho * Wo;
    for (let i = 0; i < Ho * Wo; i++) y[base + i] = requantizeOnnx(acc[i]!, s, zy, lo, hi);
  }
  return { data: y, height: Ho, width: Wo };
}

/** QLinearGlobalAveragePool over NCHW planes: `acc = sum x - zx*HW`, scale `f32(sx / f32(sy * f32(HW)))`. */
export function globalAveragePoolNchw(x: QData, C: number, HW: number, l: GlobalAveragePoolLayer): QData {
  const scale = gapScale(l.in.scale, l.out.scale, HW);
  const [lo, hi] = qRange(l.out.dtype);
  const y = newQ(l.out.dtype, C);
  const bias = Math.imul(-l.in.zeroPoint, HW);
  for (let c = 0; c < C; c++) {
    let acc = bias;
    const base = c * HW;
    for (let i = 0; i < HW; i++) acc = (acc + (x[base + i] as number)) | 0;
    y[c] = requantizeOnnx(acc, scale, l.out.zeroPoint, lo, hi);
  }
  return y;
}

/** MLAS `CheckQLinearGlobalAveragePoolScaleAndSize`: `sIn / (sOut * float(imageSize))` in float32,
 * with its range check (ONNX Runtime refuses the op outside it). */
export function gapScale(sIn: number, sOut: number, imageSize: number): number {
  const scale = Math.fround(sIn / Math.fround(sOut * Math.fround(imageSize)));
  if (imageSize >= 0x1000000 || scale < 2 ** -32 || scale >= 256) {
    throw new RangeError(
      `QLinearGlobalAveragePool: input scale / (output scale * ${imageSize} pixels) = ${scale} is outside [2^-32, 256), which ONNX Runtime rejects`,
    );
  }
  return scale;
}

/** Fully connected: `x` is `rows x K` (row-major), weights `[N][K]`. */
export function fullyConnected(x: QData, l: FullyConnectedLayer): QData {
  const { rows: M, inFeatures: K, outFeatures: N } = l;
  const [lo, hi] = qRange(l.out.dtype);
  const y = newQ(l.out.dtype, M * N);
  const zx = l.inZeroPoint;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let acc = l.bias ? (l.bias[n] as number) : 0;
      const wrow = n * K;
      const xrow = m * K;
      for (let k = 0; k < K; k++) acc = (acc + Math.imul((x[xrow + k] as number) - zx, l.weights[wrow + k] as number)) | 0;
      const s = l.scale.length === 1 ? l.scale[0]! : l.scale[n]!;
      y[m * N + n] = requantizeOnnx(acc, s, l.out.zeroPoint, lo, hi);
    }
  }
  return y;
}

/** numpy broadcasting of two shapes; throws naming the layer when they do not broadcast. */
export function broadcastShape(a: number[], b: number[], where: string): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new RangeError(`${where}: shapes [${a.join(", ")}] and [${b.join(", ")}] do not broadcast`);
    out.push(Math.max(da, db));
  }
  return out;
}

/** Strides of `shape` aligned to the `out` rank, 0 on broadcast dimensions. */
function broadcastStrides(shape: number[], out: number[]): number[] {
  const st = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const j = out.length - shape.length + i;
    st[j] = shape[i] === 1 ? 0 : s;
    s *= shape[i] as number;
  }
  return st;
}

/**
 * QLinearAdd with numpy broadcasting; inputs and output in row-major (NCHW) order. `rounding`
 * picks ONNX Runtime's x86-64 or WebAssembly arithmetic.
 */
export function qlinearAdd(a: QData, aShape: number[], b: QData, bShape: number[], outShape: number[], l: AddLayer, rounding: AddRounding): QData {
  const [lo, hi] = qRange(l.out.dtype);
  const p: AddParams = { sa: l.a.scale, za: l.a.zeroPoint, sb: l.b.scale, zb: l.b.zeroPoint, sc: l.out.scale, zc: l.out.zeroPoint, lo, hi };
  const n = outShape.reduce((x, y) => x * y, 1);
  const y = newQ(l.out.dtype, n);
  const x86 = rounding === "ort-x86" ? addX86Constants(p) : null;
  // ORT's kernel sees an input as a scalar when it has a single element over the whole op or over
  // each broadcast span; a scalar A changes the order of the x86 kernel's fused multiply-adds.
  // (A single-element B gives the general formula; MLAS checks A first.)
  const scalarA = x86 !== null && (a.length === 1 || spanScalar(aShape, outShape));
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const rank = outShape.length;
  const idx = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let i = 0; i < n; i++) {
    const av = a[ia] as number;
    const bv = b[ib] as number;
    if (x86) {
      if (scalarA) y[i] = addX86ScalarA(av, bv, x86.rA, x86.rB, x86.fixed, lo, hi);
      else y[i] = addX86(av, bv, x86.rA, x86.rB, x86.fixed, lo, hi);
    } else {
      y[i] = addWasm(av, bv, p);
    }
    // Advance the multi-index.
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      ia += sa[d]!;
      ib += sb[d]!;
      if (idx[d]! < outShape[d]!) break;
      ia -= sa[d]! * outShape[d]!;
      ib -= sb[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return y;
}

/** Whether ONNX Runtime's broadcaster hands this input to the kernel one element per span: its
 * innermost non-trivial dimension is broadcast while the output's is not (e.g. [1,C,1,1] + [1,C,H,W]). */
function spanScalar(shape: number[], out: number[]): boolean {
  const aligned = [...new Array<number>(out.length - shape.length).fill(1), ...shape];
  for (let d = out.length - 1; d >= 0; d--) {
    if (out[d] === 1) continue;
    return aligned[d] === 1;
  }
  return false;
}

/** QuantizeLinear of a float32 array. */
export function quantize(x: Float32Array, q: QParams): QData {
  const [lo, hi] = qRange(q.dtype);
  const y = newQ(q.dtype, x.length);
  for (let i = 0; i < x.length; i++) y[i] = quantizeValue(x[i]!, q.scale, q.zeroPoint, lo, hi);
  return y;
}

/** DequantizeLinear to float32. */
export function dequantize(x: QData, q: QParams): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = dequantizeValue(x[i] as number, q.scale, q.zeroPoint);
  return y;
}

// ---------------------------------------------------------------------------------------------
// ONNX Runtime's x86-64 u8 x s8 GEMM without VNNI (option `u8s8: "ort-x86-u8s8-saturation"`).
//
// MLAS's AVX2 kernel multiplies uint8 activations by int8 weights with vpmaddubsw, which adds each
// adjacent pair of products (reduction elements 2i and 2i+1) with signed saturation to int16
// before widening. With large weights and large activations the pair saturates, and ORT's result
// is not the mathematical one. It computes, on the raw (not zero-point-shifted) activations,
// `acc = bias + sum_i sat16(a[2i]*w[2i] + a[2i+1]*w[2i+1]) - za * sum_k w[k]` (int32, wrapping),
// where the reduction runs over (ky, kx, c) of the im2col row (NHWC order, whatever the model's
// layout; padding taps hold the zero point) and an odd last element pairs with 0. Depthwise
// convolutions run on another kernel and stay exact. Established against onnxruntime-node on an
// AVX2 host by test/onnx-*.test.ts.

function sat16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/** One saturating dot product of raw activations `a` and weights `w` (length K). */
function dotU8S8(a: Int32Array, w: Int8Array, wOff: number, K: number): number {
  let acc = 0;
  let k = 0;
  for (; k + 1 < K; k += 2) acc = (acc + sat16(a[k]! * w[wOff + k]! + a[k + 1]! * w[wOff + k + 1]!)) | 0;
  if (k < K) acc = (acc + sat16(a[k]! * w[wOff + k]!)) | 0;
  return acc;
}

/** `convNchw` as ORT's x86 u8s8 GEMM computes it (not for depthwise layers, which are exact). */
export function convNchwU8S8(x: QData, H: number, W: number, l: ConvLayer): { data: QData; height: number; width: number } {
  const { Cout, G, kh, kw, sh, sw, dh, dw, top, left, Ho, Wo, cinG, coutG } = convGeometry(H, W, l);
  const K = kh * kw * cinG;
  const [lo, hi] = qRange(l.out.dtype);
  const zx = l.inZeroPoint;
  const y = newQ(l.out.dtype, Cout * Ho * Wo);
  // Weights reordered to [Cout][ky][kx][c] (the im2col order), and their sums.
  const wr = new Int8Array(Cout * K);
  const wsum = new Int32Array(Cout);
  for (let co = 0; co < Cout; co++) {
    for (let ci = 0; ci < cinG; ci++) {
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          const v = l.weights[((co * cinG + ci) * kh + ky) * kw + kx]!;
          wr[co * K + (ky * kw + kx) * cinG + ci] = v;
          wsum[co] = (wsum[co]! + v) | 0;
        }
      }
    }
  }
  const row = new Int32Array(K);
  for (let g = 0; g < G; g++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - top + ky * dh;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - left + kx * dw;
            const inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
            for (let ci = 0; ci < cinG; ci++) row[(ky * kw + kx) * cinG + ci] = inside ? (x[((g * cinG + ci) * H + iy) * W + ix] as number) : zx;
          }
        }
        for (let co = g * coutG; co < (g + 1) * coutG; co++) {
          let acc = dotU8S8(row, wr, co * K, K);
          acc = (acc - Math.imul(zx, wsum[co]!) + (l.bias ? l.bias[co]! : 0)) | 0;
          const s = l.scale.length === 1 ? l.scale[0]! : l.scale[co]!;
          y[(co * Ho + oy) * Wo + ox] = requantizeOnnx(acc, s, l.out.zeroPoint, lo, hi);
        }
      }
    }
  }
  return { data: y, height: Ho, width: Wo };
}

/** `fullyConnected` as ORT's x86 u8s8 GEMM computes it. */
export function fullyConnectedU8S8(x: QData, l: FullyConnectedLayer): QData {
  const { rows: M, inFeatures: K, outFeatures: N } = l;
  const [lo, hi] = qRange(l.out.dtype);
  const y = newQ(l.out.dtype, M * N);
  const zx = l.inZeroPoint;
  const row = new Int32Array(K);
  for (let m = 0; m < M; m++) {
    for (let k = 0; k < K; k++) row[k] = x[m * K + k] as number;
    for (let n = 0; n < N; n++) {
      let wsum = 0;
      for (let k = 0; k < K; k++) wsum = (wsum + l.weights[n * K + k]!) | 0;
      const acc = (dotU8S8(row, l.weights, n * K, K) - Math.imul(zx, wsum) + (l.bias ? l.bias[n]! : 0)) | 0;
      const s = l.scale.length === 1 ? l.scale[0]! : l.scale[n]!;
      y[m * N + n] = requantizeOnnx(acc, s, l.out.zeroPoint, lo, hi);
    }
  }
  return y;
}

// ---------------------------------------------------------------------------------------------
// The same ops on activations as the runner keeps them: a 4-D value in the run's layout (HWC or
// CHW, batch 1), any other value row-major. Nothing is transposed between layers; a value changes
// order only where a reshape or a fully connected layer reads a 4-D tensor in ONNX's NCHW order.

/** Strides of a value's logical (ONNX) dimensions in its stored bytes. */
export function storedStrides(shape: readonly number[], layout: Layout): number[] {
  if (shape.length === 4 && layout === "HWC") {
    const [, C, H, W] = shape as [number, number, number, number];
    return [C * H * W, 1, W * C, C];
  }
  return rowMajorStrides(shape);
}

export function rowMajorStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) st[i] = st[i + 1]! * shape[i + 1]!;
  return st;
}

/** Whether a value's stored bytes are in row-major (NCHW) order. */
export function storedRowMajor(shape: readonly number[], layout: Layout): boolean {
  return shape.length !== 4 || layout === "CHW" || shape[1] === 1 || shape[2]! * shape[3]! === 1;
}

/**
 * Copies a tensor of logical `shape` element by element: the element at index `i` goes from
 * `src[i . srcStrides]` to `dst[i . dstStrides]`.
 */
export function stridedCopy(src: QData, srcStrides: readonly number[], dst: QData, dstStrides: readonly number[], shape: readonly number[]): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[0]!;
    return;
  }
  const inner = shape[rank - 1]!;
  const si = srcStrides[rank - 1]!, di = dstStrides[rank - 1]!;
  const outer = shape.slice(0, -1);
  const rows = outer.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(rank - 1).fill(0);
  let so = 0, dOff = 0;
  for (let r = 0; r < rows; r++) {
    for (let k = 0, s = so, d = dOff; k < inner; k++, s += si, d += di) dst[d] = src[s]!;
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      so += srcStrides[d]!;
      dOff += dstStrides[d]!;
      if (idx[d]! < outer[d]!) break;
      so -= srcStrides[d]! * outer[d]!;
      dOff -= dstStrides[d]! * outer[d]!;
      idx[d] = 0;
    }
  }
}

/** The row-major (NCHW) bytes of a stored value: `x` itself when already in that order, else copied into `scratch`. */
export function rowMajorOf(x: QData, shape: readonly number[], layout: Layout, scratch: QData): QData {
  if (storedRowMajor(shape, layout)) return x;
  stridedCopy(x, storedStrides(shape, layout), scratch, rowMajorStrides(shape), shape);
  return scratch;
}

/** Stores row-major (NCHW) bytes `x` of a value of `shape` into `out` in the value's stored order. */
export function storeRowMajor(x: QData, shape: readonly number[], layout: Layout, out: QData): void {
  if (storedRowMajor(shape, layout)) {
    if (x !== out) out.set(x as never);
    return;
  }
  stridedCopy(x, rowMajorStrides(shape), out, storedStrides(shape, layout), shape);
}

/**
 * Reshape (same elements in row-major order, another shape) from the stored bytes of `x` to those
 * of `y`. The caller aliases the two when `reshapeAliases` says their bytes are the same.
 */
export function reshapeStored(x: QData, xShape: readonly number[], y: QData, yShape: readonly number[], layout: Layout): void {
  if (storedRowMajor(yShape, layout)) {
    // Gather straight into the output (the usual case: a 4-D tensor flattened before a Gemm).
    stridedCopy(x, storedStrides(xShape, layout), y, rowMajorStrides(xShape), xShape);
    return;
  }
  const rows = storedRowMajor(xShape, layout) ? x : rowMajorOf(x, xShape, layout, x.slice());
  storeRowMajor(rows, yShape, layout, y);
}

/** Whether a reshape from `xShape` to `yShape` leaves the stored bytes as they are. */
export function reshapeAliases(xShape: readonly number[], yShape: readonly number[], layout: Layout): boolean {
  if (storedRowMajor(xShape, layout) && storedRowMajor(yShape, layout)) return true;
  return xShape.length === 4 && yShape.length === 4 && xShape.every((d, i) => d === yShape[i]);
}

/** Which of ONNX Runtime's QLinearAdd formulas applies (see arith.ts). */
export type AddMode = "x86" | "x86-scalar-a" | "wasm";

/** QLinearAdd over stored values: the output dense in its stored order, each input read through its strides. */
export interface AddPlan extends BroadcastPlan {
  mode: AddMode;
  n: number;
}

export function addMode(aShape: number[], bShape: number[], outShape: number[], rounding: AddRounding): AddMode {
  if (rounding !== "ort-x86") return "wasm";
  // ORT's kernel sees an input as a scalar when it has a single element over the whole op or over
  // each broadcast span; a scalar A changes the order of the x86 kernel's fused multiply-adds.
  // (A single-element B gives the general formula; MLAS checks A first.)
  return numelOf(aShape) === 1 || spanScalar(aShape, outShape) ? "x86-scalar-a" : "x86";
}

function numelOf(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

/** The plan of a QLinearAdd on stored values (independent of the data: made once per network and layout). */
export function addPlan(aShape: number[], bShape: number[], outShape: number[], layout: Layout, mode: AddMode): AddPlan {
  const rank = outShape.length;
  const along = (shape: number[]) => {
    const st = storedStrides(shape, layout);
    const lead = rank - shape.length;
    return outShape.map((o, d) => (d < lead || shape[d - lead] === 1 ? 0 : st[d - lead]!));
  };
  const sa = along(aShape), sb = along(bShape);
  // Walk the output in its stored order: N, H, W, C for a 4-D value in HWC.
  const perm = rank === 4 && layout === "HWC" ? [0, 2, 3, 1] : outShape.map((_, i) => i);
  const plan = walkPlan(perm.map((d) => outShape[d]!), perm.map((d) => sa[d]!), perm.map((d) => sb[d]!));
  return { ...plan, mode, n: numelOf(outShape) };
}

/** One QLinearAdd output of the raw input values `a`, `b` under `mode`. */
export function addFunction(l: AddLayer, mode: AddMode): (a: number, b: number) => number {
  const [lo, hi] = qRange(l.out.dtype);
  const p: AddParams = { sa: l.a.scale, za: l.a.zeroPoint, sb: l.b.scale, zb: l.b.zeroPoint, sc: l.out.scale, zc: l.out.zeroPoint, lo, hi };
  if (mode === "wasm") return (a, b) => addWasm(a, b, p);
  const { rA, rB, fixed } = addX86Constants(p);
  return mode === "x86" ? (a, b) => addX86(a, b, rA, rB, fixed, lo, hi) : (a, b) => addX86ScalarA(a, b, rA, rB, fixed, lo, hi);
}

/** QLinearAdd computed output by output (a layer too small to pay for its table yet). */
export function addDirect(f: (a: number, b: number) => number, p: AddPlan, a: QData, b: QData, out: QData): void {
  const { rows, inner, offA, offB, strideA, strideB } = p;
  let k = 0;
  for (let r = 0; r < rows; r++) {
    let ia = offA[r]!, ib = offB[r]!;
    for (let c = 0; c < inner; c++, ia += strideA, ib += strideB) out[k++] = f(a[ia]!, b[ib]!);
  }
}

/** QLinearGlobalAveragePool of a stored [1, C, H, W] value; the output's C bytes are the same in either layout. */
export function globalAveragePoolStored(x: QData, C: number, HW: number, layout: Layout, l: GlobalAveragePoolLayer, acc: Int32Array, out: QData): void {
  if (layout === "CHW") {
    out.set(globalAveragePoolNchw(x, C, HW, l) as never);
    return;
  }
  const scale = gapScale(l.in.scale, l.out.scale, HW);
  const [lo, hi] = qRange(l.out.dtype);
  acc.fill(Math.imul(-l.in.zeroPoint, HW), 0, C);
  for (let p = 0, i = 0; p < HW; p++) for (let c = 0; c < C; c++, i++) acc[c] = (acc[c]! + x[i]!) | 0;
  for (let c = 0; c < C; c++) out[c] = requantizeOnnx(acc[c]!, scale, l.out.zeroPoint, lo, hi);
}

/**
 * Where a value of `shape` (`n` elements) stored in `layout` keeps its channel planes: C planes of
 * HW elements; element i of channel c at `c * cStride + i * pStride`.
 */
export function storedPlanes(shape: readonly number[], n: number, layout: Layout): { C: number; HW: number; cStride: number; pStride: number } {
  const HW = shape.length === 4 ? shape[2]! * shape[3]! : n;
  const C = n / HW;
  return storedRowMajor(shape, layout) ? { C, HW, cStride: HW, pStride: 1 } : { C, HW, cStride: 1, pStride: C };
}

/** QuantizeLinear of row-major float32 `x` into a value stored in `layout`. */
export function quantizeStored(x: Float32Array, shape: readonly number[], q: QParams, layout: Layout, out: QData): void {
  const [lo, hi] = qRange(q.dtype);
  const { scale, zeroPoint: zp } = q;
  const { C, HW, cStride, pStride } = storedPlanes(shape, x.length, layout);
  const vlo = lo - zp, vhi = hi - zp;
  for (let c = 0; c < C; c++) {
    for (let p = 0, i = c * HW, o = c * cStride; p < HW; p++, i++, o += pStride) {
      // `quantizeValue`, inlined: float32 quotient, clamp (NaN takes the low bound), then round half
      // to even by adding and subtracting 1.5 * 2^52 (exact: |v| <= 255).
      let v = Math.fround(x[i]! / scale);
      if (!(v >= vlo)) v = vlo;
      else if (v > vhi) v = vhi;
      out[o] = v + 6755399441055744 - 6755399441055744 + zp;
    }
  }
}

/** DequantizeLinear of a stored value to row-major float32. */
export function dequantizeStored(x: QData, shape: readonly number[], q: QParams, layout: Layout): Float32Array {
  const y = new Float32Array(x.length);
  if (storedRowMajor(shape, layout)) {
    for (let i = 0; i < x.length; i++) y[i] = dequantizeValue(x[i]!, q.scale, q.zeroPoint);
    return y;
  }
  const [, C, H, W] = shape as [number, number, number, number];
  const HW = H * W;
  for (let c = 0; c < C; c++) for (let p = 0, i = c * HW; p < HW; p++, i++) y[i] = dequantizeValue(x[p * C + c]!, q.scale, q.zeroPoint);
  return y;
}

/** A standard convolution layer's weights `[Cout][Cin/group][kh][kw]` as the general kernel reads them, `[Cout][kh][kw][Cin/group]`. */
export function weightsOhwi(l: ConvLayer): Int8Array {
  const [kh, kw] = l.kernel;
  const cinG = l.inChannels / l.group;
  const out = new Int8Array(l.weights.length);
  for (let co = 0; co < l.outChannels; co++) {
    for (let ci = 0; ci < cinG; ci++) {
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) out[((co * kh + ky) * kw + kx) * cinG + ci] = l.weights[((co * cinG + ci) * kh + ky) * kw + kx]!;
      }
    }
  }
  return out;
}
