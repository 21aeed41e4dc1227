// What the weighted kernels of TFLite Micro share: the checks their Prepare makes on dtypes and
// quantization, the per-channel multipliers it derives, the fused activation's integer range, and
// the int32 requantization of one accumulator.
import type { Graph, GraphOp, GraphTensor } from "../../../graph/types.js";
import { tfliteMultipliers } from "../../../quant.js";
import { activationRange, mulByQuantMul } from "../../tflite/arith.js";
import { constData } from "../../tensors.js";
import { optionalInput, unsupported } from "./common.js";

/** The single per-tensor scale and zero point of a quantized activation of dtype `dtype`. */
export function activationQuant(op: GraphOp, t: GraphTensor, what: string, dtype = "int8"): { scale: number; zeroPoint: number } {
  if (t.dtype !== dtype) unsupported(op, `${what} (tensor ${t.index}) is ${t.dtype}; only ${dtype} is supported here`);
  if (!t.quant || t.quant.scale.length !== 1) unsupported(op, `${what} (tensor ${t.index}) needs one per-tensor scale and zero point`);
  const scale = t.quant.scale[0]!;
  if (!(scale > 0) || !Number.isFinite(scale)) unsupported(op, `${what} (tensor ${t.index}) has scale ${scale}; a finite scale > 0 is needed`);
  return { scale, zeroPoint: t.quant.zeroPoint[0]! };
}

/** Int8 weights as a typed array, checked to have `channels` per-channel scales or one. */
export function int8Weights(op: GraphOp, t: GraphTensor, channels: number, what: string): { data: Int8Array; scales: Float32Array; zeroPoint: number } {
  if (t.dtype !== "int8") unsupported(op, `${what} (tensor ${t.index}) is ${t.dtype}; only int8 weights are supported`);
  if (!t.data) unsupported(op, `${what} (tensor ${t.index}) must be a constant`);
  if (!t.quant || t.quant.scale.length === 0) unsupported(op, `${what} (tensor ${t.index}) has no quantization`);
  const n = t.quant.scale.length;
  if (n !== 1 && n !== channels) unsupported(op, `${what} (tensor ${t.index}) has ${n} scales for ${channels} output channels`);
  return { data: constData(t) as Int8Array, scales: t.quant.scale, zeroPoint: t.quant.zeroPoint[0] ?? 0 };
}

/** The int32 bias, or null when the optional input is absent. */
export function int32Bias(graph: Graph, op: GraphOp, k: number, channels: number): Int32Array | null {
  const t = optionalInput(graph, op, k);
  if (!t) return null;
  if (t.dtype !== "int32" || !t.data) unsupported(op, `the bias (tensor ${t.index}) must be a constant int32 tensor`);
  const b = constData(t) as Int32Array;
  if (b.length !== channels) unsupported(op, `the bias (tensor ${t.index}) has ${b.length} values for ${channels} output channels`);
  // A private copy: `network.lower()` hands these out, and callers must not reach the model.
  return Int32Array.from(b);
}

/**
 * Per output channel (M, shift) as PopulateConvolutionQuantizationParams derives them: one weight
 * scale per channel, or the single scale repeated; `double(in) * double(w) / double(out)`.
 */
export function channelMultipliers(op: GraphOp, inScale: number, wScales: Float32Array, outScale: number, channels: number): { multiplier: Int32Array; shift: Int32Array } {
  const weights = wScales.length === 1 ? new Float32Array(channels).fill(wScales[0]!) : wScales;
  try {
    return tfliteMultipliers({ input: inScale, weights, output: outScale });
  } catch (e) {
    unsupported(op, (e as Error).message);
  }
}

/** The output's quantization and the fused activation's clamp, as TFLM's Prepare computes them. */
export function outputClamp(op: GraphOp & { activation: Parameters<typeof activationRange>[0] }, out: GraphTensor): { outputOffset: number; activationMin: number; activationMax: number; outScale: number } {
  const q = activationQuant(op, out, "the output");
  const [activationMin, activationMax] = activationRange(op.activation, q.scale, q.zeroPoint, out.dtype);
  return { outputOffset: q.zeroPoint, activationMin, activationMax, outScale: q.scale };
}

/**
 * One accumulator to an output value: `MultiplyByQuantizedMultiplier` (double rounding), plus the
 * output zero point (an int32 add), clamped to the activation range.
 */
export function requant(acc: number, m: number, s: number, outOffset: number, lo: number, hi: number): number {
  const v = (mulByQuantMul(acc | 0, m, s) + outOffset) | 0;
  return v < lo ? lo : v > hi ? hi : v;
}

/** Bytes with an offset (an input's or weights' -zero point) added, so inner loops skip the add. */
export function withOffset(x: Int8Array, offset: number): Int16Array {
  const o = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) o[i] = x[i]! + offset;
  return o;
}
