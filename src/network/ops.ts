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
  requantOnnx,
  type AddParams,
} from "./arith.js";
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
    for (let i = 0; i < Ho * Wo; i++) y[base + i] = requantOnnx(acc[i]!, s, zy, lo, hi);
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
    y[c] = requantOnnx(acc, scale, l.out.zeroPoint, lo, hi);
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
      y[m * N + n] = requantOnnx(acc, s, l.out.zeroPoint, lo, hi);
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
          y[(co * Ho + oy) * Wo + ox] = requantOnnx(acc, s, l.out.zeroPoint, lo, hi);
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
      y[m * N + n] = requantOnnx(acc, s, l.out.zeroPoint, lo, hi);
    }
  }
  return y;
}
