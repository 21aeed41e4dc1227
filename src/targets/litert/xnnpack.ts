// XNNPACK's quantized arithmetic as the LiteRT delegate sets it up: float32 requantization scales,
// round-to-nearest-even through the "magic bias" 1.5 * 2^23, and activation bounds quantized the
// way XNNPACK quantizes a float. Every float step is a float32 step (Math.fround), as in the C.
import type { Activation, GraphTensor } from "../../graph/types.js";

/** 1.5 * 2^23: adding it to a float32 |v| < 2^22 leaves round-to-nearest-even(v) in the low bits. */
export const MAGIC_BIAS = 12582912;

const f32 = Math.fround;

/** Round to nearest, ties to even, of a float32 value with |v| < 2^22 (the magic-bias trick). */
export function rne(v: number): number {
  return f32(v + MAGIC_BIAS) - MAGIC_BIAS;
}

/** `lrintf` in the default rounding mode: nearest, ties to even (any magnitude). */
export function lrintf(v: number): number {
  const r = Math.round(v);
  // Math.round rounds ties up; move the ties that land on an odd number back down.
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * XNNPACK's quantization of a float bound (`xnn_qs8_quantize` and its uint8 twin):
 * `lrintf(clamp(f32(value / scale) + zp, qmin, qmax))` in float32.
 */
export function quantizeBound(value: number, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  const v = f32(f32(value / scale) + zeroPoint);
  return lrintf(Math.min(Math.max(v, qmin), qmax));
}

/** The float range TFLite's delegate gives XNNPACK for a fused activation (ConvertActivationToOutputRange). */
export function activationFloatRange(act: Activation): [number, number] {
  switch (act) {
    case "none":
      return [-Infinity, Infinity];
    case "relu":
      return [0, Infinity];
    case "relu6":
      return [0, 6];
    case "reluN1To1":
      return [-1, 1];
  }
}

/** The int range of an 8-bit dtype XNNPACK handles, or null for any other dtype. */
export function int8Range(dtype: string): [number, number] | null {
  return dtype === "int8" ? [-128, 127] : dtype === "uint8" ? [0, 255] : null;
}

/** The output clamp of a delegated op: the fused activation's float range quantized in the output's quantization. */
export function outputBounds(act: Activation, scale: number, zeroPoint: number, dtype: string): [number, number] {
  const [qmin, qmax] = int8Range(dtype)!;
  const [lo, hi] = activationFloatRange(act);
  return [quantizeBound(lo, scale, zeroPoint, qmin, qmax), quantizeBound(hi, scale, zeroPoint, qmin, qmax)];
}

/** A tensor the XNNPACK delegate takes as an 8-bit activation: int8 (or uint8), per-tensor quantized. */
export function isQ8Activation(t: GraphTensor): boolean {
  return (t.dtype === "int8" || t.dtype === "uint8") && t.quant !== null && t.quant.scale.length === 1 && Number.isFinite(t.quant.scale[0]!) && t.quant.scale[0]! > 0;
}

/** Per-tensor scale and zero point (of a tensor known to be per-tensor quantized). */
export function q(t: GraphTensor): { scale: number; zeroPoint: number } {
  return { scale: t.quant!.scale[0]!, zeroPoint: t.quant!.zeroPoint[0]! };
}
