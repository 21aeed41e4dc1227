// Turning real-valued quantization scales into each scheme's integer parameters, exactly the way the
// ecosystems do it (SPEC §3 "Derivation"), plus the TF/ONNX padding helpers (SPEC §1).
import type { Padding } from "./types.js";

/** Real scales of one convolution: input and output per tensor, weights per output channel. */
export interface Scales {
  input: number;
  weights: ArrayLike<number>;
  output: number;
}

function checkScale(v: unknown, field: string, allowZero: boolean): number {
  if (typeof v !== "number") throw new TypeError(`${field} must be a number`);
  const f = Math.fround(v);
  if (!Number.isFinite(f) || f < 0 || (!allowZero && f === 0)) {
    throw new RangeError(`${field} must be a finite float32 ${allowZero ? ">= 0" : "> 0"}, got ${v}`);
  }
  return f;
}

/** The scales rounded to float32 (SPEC: each is a float32 value), checked, weights as an array. */
function float32Scales(scales: Scales): { input: number; weights: number[]; output: number } {
  if (typeof scales !== "object" || scales === null) throw new TypeError("scales must be { input, weights, output }");
  if (scales.weights === null || typeof scales.weights !== "object") throw new TypeError("scales.weights must be an array of numbers");
  const input = checkScale(scales.input, "scales.input", true);
  const output = checkScale(scales.output, "scales.output", false);
  const weights = Array.from(scales.weights, (w, i) => checkScale(w, `scales.weights[${i}]`, true));
  if (weights.length === 0) throw new RangeError(`scales.weights must have at least one entry`);
  return { input, weights, output };
}

const frexpView = new DataView(new ArrayBuffer(8));

/**
 * C's `frexp` for doubles: `x = q * 2^e` with |q| in [0.5, 1), or (x, 0) for 0, infinities and NaN.
 * Reads the exponent field directly, so it is exact for every double, subnormals included.
 */
export function frexp(x: number): [q: number, e: number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let bias = 0;
  if (Math.abs(x) < 2 ** -1022) {
    // Subnormal: scale (exactly) into the normal range, where the exponent field is meaningful.
    x *= 2 ** 64;
    bias = -64;
  }
  frexpView.setFloat64(0, x);
  const hi = frexpView.getUint32(0);
  const field = (hi >>> 20) & 0x7ff;
  // Replace the exponent field with the one of [0.5, 1) (biased 1022), keeping sign and mantissa.
  frexpView.setUint32(0, (hi & 0x800fffff) | (1022 << 20));
  return [frexpView.getFloat64(0), field - 1022 + bias];
}

/** C's `round`: to nearest, ties away from zero. (`Math.round` rounds ties up, which differs for negatives.) */
export function roundHalfAwayFromZero(v: number): number {
  const a = Math.abs(v);
  const f = Math.floor(a);
  const r = a - f >= 0.5 ? f + 1 : f;
  return v < 0 ? -r : r;
}

/**
 * TFLite's `QuantizeMultiplier`: a real multiplier as (M, shift) with M in [2^30, 2^31) or 0.
 * With single rounding, TFLite clamps the shift to 30 (its kernels cannot shift further left).
 */
export function quantizeMultiplier(e: number, rounding: "double" | "single" = "double"): [multiplier: number, shift: number] {
  if (e === 0) return [0, 0];
  const [q, exponent] = frexp(e);
  let s = exponent;
  let qf = roundHalfAwayFromZero(q * 2 ** 31);
  if (qf === 2 ** 31) {
    qf = 2 ** 30;
    s += 1;
  }
  if (s < -31) return [0, 0];
  if (rounding === "single" && s > 30) return [2 ** 31 - 1, 30];
  return [qf, s];
}

/**
 * Per-channel TFLite multipliers and shifts from real scales, as PopulateConvolutionQuantizationParams
 * computes them: `e = double(in) * double(w[c]) / double(out)` (left to right), then
 * `quantizeMultiplier(e)`.
 */
export function tfliteMultipliers(
  scales: Scales,
  rounding: "double" | "single" = "double",
): { multiplier: Int32Array; shift: Int32Array } {
  if (rounding !== "double" && rounding !== "single") throw new RangeError(`rounding must be "double" or "single", got ${String(rounding)}`);
  const { input, weights, output } = float32Scales(scales);
  const multiplier = new Int32Array(weights.length);
  const shift = new Int32Array(weights.length);
  weights.forEach((w, c) => {
    const [m, s] = quantizeMultiplier((input * w) / output, rounding);
    // TFLite's kernels shift left by at most 30: a larger ratio has no valid (M, shift).
    if (s > 30) throw new RangeError(`scales: input*weights[${c}]/output = ${(input * w) / output} needs shift ${s}; at most 30 is possible`);
    [multiplier[c], shift[c]] = [m, s];
  });
  return { multiplier, shift };
}

/**
 * Per-channel ONNX Runtime output scales: `f32(f32(xScale * wScale[c]) / yScale)`, as QLinearConv
 * computes them in float. (A float32 product or quotient computed in double and rounded once to
 * float32 is the correctly rounded float32 result, so `Math.fround` of each step is exact.)
 */
export function onnxScales(scales: Scales): Float32Array {
  const { input, weights, output } = float32Scales(scales);
  return Float32Array.from(weights, (w, c) => {
    const v = Math.fround(Math.fround(input * w) / output);
    if (!Number.isFinite(v)) throw new RangeError(`scales: input*weights[${c}]/output overflows float32`);
    return v;
  });
}

function positive(v: unknown, field: string): number {
  if (typeof v !== "number") throw new TypeError(`${field} must be a number`);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${field} must be a positive integer, got ${v}`);
  return v;
}

function pair(v: unknown, field: string): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) throw new TypeError(`${field} must be a [height, width] pair`);
  return [positive(v[0], `${field}[0]`), positive(v[1], `${field}[1]`)];
}

function sameUpper(size: number, k: number, s: number): [before: number, after: number] {
  const total = Math.max((Math.ceil(size / s) - 1) * s + k - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Padding helpers (SPEC §1). */
export const padding = {
  /** TF `SAME` / ONNX `SAME_UPPER`: output `ceil(in / stride)`, the odd pad pixel at the end. */
  same(inputHW: [number, number], kernel: [number, number], stride: [number, number]): Padding {
    const [h, w] = pair(inputHW, "inputHW");
    const [kh, kw] = pair(kernel, "kernel");
    const [sh, sw] = pair(stride, "stride");
    const [top, bottom] = sameUpper(h, kh, sh);
    const [left, right] = sameUpper(w, kw, sw);
    return { top, left, bottom, right };
  },
  /** TF / ONNX `VALID`: no padding. */
  valid(): Padding {
    return { top: 0, left: 0, bottom: 0, right: 0 };
  },
  /** `p` pixels on every side. */
  symmetric(p: number): Padding {
    if (typeof p !== "number") throw new TypeError("p must be a number");
    if (!Number.isInteger(p) || p < 0) throw new RangeError(`p must be a non-negative integer, got ${p}`);
    return { top: p, left: p, bottom: p, right: p };
  },
};
