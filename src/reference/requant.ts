// The requantization schemes of SPEC §3, written straight from their formulas. This file is the
// definition the WebAssembly kernels are tested against, so it favours exactness over speed:
// 64-bit products go through BigInt, and every 32-bit `+`/`*` that the C sources do in int32 is
// wrapped explicitly (`| 0`, `Math.imul`), because JavaScript numbers would otherwise keep the
// carries that the hardware drops.
import type { CheckedRequant } from "../validate.js";

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** PULP-NN's `clip8` for unsigned outputs: everything at or below 0 is 0, at or above 255 is 255. */
function clipU8(x: number): number {
  return x <= 0 ? 0 : x >= 255 ? 255 : x;
}

/**
 * gemmlowp's SaturatingRoundingDoublingHighMul: `floor((a*b + 2^30) / 2^31)` of the exact 64-bit
 * product. (gemmlowp writes it as a truncating division with a sign-dependent nudge; the two
 * agree for every input.) The one product whose result does not fit int32, `a = b = -2^31`,
 * saturates to `2^31 - 1`.
 */
export function srdhm(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  // BigInt `>>` is an arithmetic shift, i.e. floor division by 2^31.
  return Number((ab + (1n << 30n)) >> 31n);
}

/**
 * gemmlowp's RoundingDivideByPOT: `x / 2^e` rounded half away from zero, for e in 0..31. The mask
 * is built as `2^e - 1` in a double so that e = 31 gives 0x7fffffff rather than a wrapped shift.
 */
export function rdbpot(x: number, e: number): number {
  const mask = 2 ** e - 1;
  const q = x >> e;
  const rem = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return q + (rem > threshold ? 1 : 0);
}

/** TFLite `MultiplyByQuantizedMultiplier`, double rounding (gemmlowp; the default). */
export function tfliteDoubleRound(acc: number, m: number, s: number): number {
  // The left shift is an int32 multiply in the C source, so it wraps.
  const a = Math.imul(acc, 2 ** Math.max(s, 0));
  return rdbpot(srdhm(a, m), Math.max(-s, 0));
}

/** TFLite `MultiplyByQuantizedMultiplier` with TFLITE_SINGLE_ROUNDING: one rounding of acc*M/2^(31-s). */
export function tfliteSingleRound(acc: number, m: number, s: number): number {
  const total = BigInt(31 - s);
  const r = (BigInt(acc) * BigInt(m) + (1n << (total - 1n))) >> total;
  // The 64-bit result is static_cast to int32: keep its low 32 bits.
  return Number(BigInt.asIntN(32, r));
}

function tflite(acc: number, c: number, rq: Extract<CheckedRequant, { scheme: "tflite" }>): number {
  const m = rq.multiplier[c];
  const s = rq.shift[c];
  const r = rq.single ? tfliteSingleRound(acc, m, s) : tfliteDoubleRound(acc, m, s);
  // `r + output_offset` is an int32 add in the kernels, before the activation clamp.
  return clamp((r + rq.outputZeroPoint) | 0, rq.min, rq.max);
}

/** Round to nearest integer, ties to even (what `nearbyintf` does in the default FP mode). */
export function roundHalfToEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function onnx(acc: number, c: number, rq: Extract<CheckedRequant, { scheme: "onnx" }>): number {
  // MLAS converts the int32 accumulator to float and multiplies in float32: two roundings.
  const v = Math.fround(Math.fround(acc) * rq.scale[c]);
  const zp = rq.outputZeroPoint;
  // Clamping before rounding is what MLAS does; the bounds are integers, so the order is immaterial.
  return roundHalfToEven(clamp(v, rq.min - zp, rq.max - zp)) + zp;
}

function pulpBn(acc: number, c: number, rq: Extract<CheckedRequant, { scheme: "pulp-bn" }>): number {
  return clipU8(((Math.imul(rq.k[c], acc) + rq.lambda[c]) | 0) >> rq.shift);
}

function pulpQuant(acc: number, rq: Extract<CheckedRequant, { scheme: "pulp-quant" }>): number {
  const t = Math.imul(rq.mult, acc) >> rq.shift;
  // pulp_nn_quant_u8 returns its intermediate through an int16: keep the low 16 bits, signed.
  return clipU8((t << 16) >> 16);
}

function pulpShift(acc: number, rq: Extract<CheckedRequant, { scheme: "pulp-shift" }>): number {
  return clipU8(acc >> rq.shift);
}

/** `(x + 2^(n-1)) >> n` with the add wrapped to int32: the AutoTiler's `gap_roundnorm_reg`. */
function roundNorm(x: number, n: number): number {
  return ((x + (n > 0 ? 2 ** (n - 1) : 0)) | 0) >> n;
}

function gapSq8(acc: number, c: number, rq: Extract<CheckedRequant, { scheme: "gap-sq8" }>): number {
  let t = roundNorm(Math.imul(acc, rq.scale[c]), rq.norm[c]);
  if (rq.relu) t = roundNorm(Math.imul(Math.max(t, 0), rq.actScale), rq.actNorm);
  return clamp(t, -128, 127);
}

/**
 * The output value of channel `c` for an int32 accumulator, per SPEC §3. The result is within the
 * output dtype's range (int8 or uint8), so it can be stored in the output tensor as is.
 */
export function requantize(acc: number, c: number, rq: CheckedRequant): number {
  switch (rq.scheme) {
    case "tflite":
      return tflite(acc, c, rq);
    case "onnx":
      return onnx(acc, c, rq);
    case "pulp-bn":
      return pulpBn(acc, c, rq);
    case "pulp-quant":
      return pulpQuant(acc, rq);
    case "pulp-shift":
      return pulpShift(acc, rq);
    case "gap-sq8":
      return gapSq8(acc, c, rq);
  }
}

/**
 * The int32 value the accumulator of output channel `c` starts from: the bias, or for `gap-sq8` the
 * bias pre-shifted by `biasNorm` (a wrapping int32 shift, as the AutoTiler's bias setup does),
 * or 0 without a bias.
 */
export function accumulatorBias(bias: Int32Array | null, c: number, rq: CheckedRequant): number {
  if (bias === null) return 0;
  return rq.scheme === "gap-sq8" ? bias[c] << rq.biasNorm : bias[c];
}
