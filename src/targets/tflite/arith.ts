// TFLite's integer arithmetic primitives (tensorflow/lite/kernels/internal/common.h, gemmlowp's
// fixedpoint.h), shared by the TFLite-family targets: TFLite Micro, CMSIS-NN and LiteRT. Exact for
// every int32 input; no BigInt on the hot paths.
import { quantizeMultiplier, roundHalfAwayFromZero } from "../../quant.js";
import type { Activation } from "../../graph/types.js";

export { quantizeMultiplier, roundHalfAwayFromZero };

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

/**
 * gemmlowp's SaturatingRoundingDoublingHighMul: `floor((a*b + 2^30) / 2^31)` of the exact 64-bit
 * product, saturating the one overflow (a = b = -2^31). The product is split into 16-bit halves
 * so that every partial sum is exact in a double.
 */
export function srdhm(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  // a*b = hi * 2^16 + lo with |hi| < 2^47 and 0 <= lo < 2^16, both exact in doubles.
  const bLo = b & 0xffff;
  const bHi = b >> 16;
  const p1 = a * bLo; // |p1| < 2^47
  const p2 = a * bHi; // |p2| < 2^47
  // a*b + 2^30 = p2 * 2^16 + p1 + 2^30; divide by 2^31 with floor.
  const t = p1 + 2 ** 30; // exact
  // floor((p2 * 2^16 + t) / 2^31) = floor((p2 + t / 2^16) / 2^15)
  // With t = tHi * 2^16 + tLo (0 <= tLo < 2^16) and s = p2 + tHi:
  // floor((s * 2^16 + tLo) / 2^31) = floor(s / 2^15), because tLo / 2^16 < 1 cannot carry.
  const tHi = Math.floor(t / 65536);
  const s = p2 + tHi; // exact, |s| < 2^48
  return Math.floor(s / 32768);
}

/** gemmlowp's RoundingDivideByPOT: `x / 2^e` rounded half away from zero, e in 0..31. */
export function rdbpot(x: number, e: number): number {
  const mask = 2 ** e - 1;
  const q = x >> e;
  const rem = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return q + (rem > threshold ? 1 : 0);
}

/** TFLite's `MultiplyByQuantizedMultiplier` (double rounding, the default build). */
export function mulByQuantMul(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return rdbpot(srdhm(Math.imul(x, 2 ** left), multiplier), right);
}

/** `MultiplyByQuantizedMultiplierSmallerThanOneExp` (shift <= 0). */
export function mulByQuantMulSmallerThanOne(x: number, multiplier: number, shift: number): number {
  return rdbpot(srdhm(x, multiplier), -shift);
}

/** `MultiplyByQuantizedMultiplierGreaterThanOne` (shift >= 0). */
export function mulByQuantMulGreaterThanOne(x: number, multiplier: number, shift: number): number {
  return srdhm(Math.imul(x, 2 ** shift), multiplier);
}

/** The int range of a quantized dtype. */
export function dtypeRange(dtype: string): [number, number] {
  switch (dtype) {
    case "int8":
      return [-128, 127];
    case "uint8":
      return [0, 255];
    case "int16":
      return [-32768, 32767];
    case "int32":
      return [INT32_MIN, INT32_MAX];
    default:
      throw new RangeError(`internal: ${dtype} is not a quantized integer type`);
  }
}

/**
 * TFLite's `CalculateActivationRangeQuantized`: the fused activation's bounds in the output's
 * quantization, each real bound quantized as `zp + round(f32(bound / scale))` (float32 division,
 * ties away from zero) and intersected with the dtype's range.
 */
export function activationRange(act: Activation, scale: number, zeroPoint: number, dtype: string): [number, number] {
  const [qmin, qmax] = dtypeRange(dtype);
  const q = (f: number) => zeroPoint + roundHalfAwayFromZero(Math.fround(f / scale));
  switch (act) {
    case "none":
      return [qmin, qmax];
    case "relu":
      return [Math.max(qmin, q(0)), qmax];
    case "relu6":
      return [Math.max(qmin, q(0)), Math.min(qmax, q(6))];
    case "reluN1To1":
      return [Math.max(qmin, q(-1)), Math.min(qmax, q(1))];
  }
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
