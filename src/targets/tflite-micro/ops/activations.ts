// Standalone activations, int8: RELU, RELU6, LEAKY_RELU, HARD_SWISH, LOGISTIC, TANH as TFLM's
// reference kernels compute them. Each output byte depends on the input byte only, so every kernel
// is evaluated once per possible input value at lowering time and run as a 256-entry table.
import type { Graph, GraphOp, GraphTensor, LeakyReluOp, SimpleOp } from "../../../graph/types.js";
import { frexp } from "../../../quant.js";
import { mulByQuantMul, quantizeMultiplier, rdbpot, roundHalfAwayFromZero } from "../../tflite/arith.js";
import { allocFor, valueOf } from "../../tensors.js";
import type { LoweredLayer } from "../../types.js";
import { inputOf, outputOf, quantOf, requireDtype, unsupported } from "./common.js";
import { logistic, tanh } from "./fixedpoint.js";

const INT8_MIN = -128;
const INT8_MAX = 127;

const clamp8 = (v: number) => (v < INT8_MIN ? INT8_MIN : v > INT8_MAX ? INT8_MAX : v);

/** The op's int8 input and output, with their quantization. */
function int8Operands(op: GraphOp, graph: Graph) {
  const x = inputOf(graph, op, 0);
  const out = outputOf(graph, op);
  requireDtype(op, x, ["int8"], "input");
  requireDtype(op, out, ["int8"], "output");
  return { x, out, qi: quantOf(op, x, "input"), qo: quantOf(op, out, "output") };
}

/** A layer that maps each int8 input byte through `table` (indexed by byte + 128). */
function tableLayer(op: GraphOp, x: GraphTensor, out: GraphTensor, table: Int8Array, params: Record<string, unknown>): LoweredLayer {
  return {
    op,
    params: { ...params, table },
    run(values) {
      const input = valueOf(values, x.index) as Int8Array;
      const o = allocFor(out) as Int8Array;
      for (let i = 0; i < input.length; i++) o[i] = table[input[i]! + 128]!;
      values[out.index] = o;
    },
  };
}

function tabulate(f: (q: number) => number): Int8Array {
  const t = new Int8Array(256);
  for (let q = -128; q < 128; q++) t[q + 128] = f(q);
  return t;
}

/** RELU (activations_common.cc CalculateReluOpData + ReluQuantized): requantize, then clamp at real 0. */
export function lowerRelu(op: SimpleOp, graph: Graph): LoweredLayer {
  const { x, out, qi, qo } = int8Operands(op, graph);
  // The quotient of the scales is taken in float32, then widened.
  const [outputMultiplier, outputShift] = quantizeMultiplier(Math.fround(qi.scale / qo.scale));
  const activationMin = Math.max(INT8_MIN, qo.zeroPoint + roundHalfAwayFromZero(Math.fround(0 / qo.scale)));
  const activationMax = INT8_MAX;
  const table = tabulate((q) => {
    const v = qo.zeroPoint + mulByQuantMul(q - qi.zeroPoint, outputMultiplier, outputShift);
    return Math.min(activationMax, Math.max(activationMin, v));
  });
  return tableLayer(op, x, out, table, { inputOffset: qi.zeroPoint, outputOffset: qo.zeroPoint, outputMultiplier, outputShift, activationMin, activationMax });
}

/**
 * RELU6 (Relu6Prepare + Relu6Quantized): clamps to [zero point, quantized 6] in the INPUT's
 * quantization and copies the bytes; the output's own quantization is not used.
 */
export function lowerRelu6(op: SimpleOp, graph: Graph): LoweredLayer {
  const x = inputOf(graph, op, 0);
  const out = outputOf(graph, op);
  requireDtype(op, x, ["int8", "int16"], "input");
  if (out.dtype !== x.dtype) unsupported(op, `a ${x.dtype} input with a ${out.dtype} output`);
  const qi = quantOf(op, x, "input");
  const [tmin, tmax] = x.dtype === "int8" ? [INT8_MIN, INT8_MAX] : [-32768, 32767];
  // FloatToQuantizedType: round(6 / scale) in float32, plus the zero point, clamped to the type.
  const six = Math.min(tmax, Math.max(tmin, roundHalfAwayFromZero(Math.fround(6 / qi.scale)) + qi.zeroPoint));
  const zero = qi.zeroPoint;
  return {
    op,
    params: { zero, six },
    run(values) {
      const input = valueOf(values, x.index) as Int8Array | Int16Array;
      const o = allocFor(out) as Int8Array | Int16Array;
      for (let i = 0; i < input.length; i++) {
        const v = input[i]!;
        o[i] = v > six ? six : v < zero ? zero : v;
      }
      values[out.index] = o;
    },
  };
}

/** RELU_N1_TO_1 has no kernel in TFLite Micro's op resolver. */
export function lowerReluN1To1(op: SimpleOp): LoweredLayer {
  return unsupported(op, "TFLite Micro has no RELU_N1_TO_1 kernel");
}

/** LEAKY_RELU (leaky_relu_common.cc + QuantizeLeakyRelu): one multiplier for x >= 0, one for alpha*x. */
export function lowerLeakyRelu(op: LeakyReluOp, graph: Graph): LoweredLayer {
  const { x, out, qi, qo } = int8Operands(op, graph);
  // Both quotients are computed in float32 before widening.
  const [outputMultiplierAlpha, outputShiftAlpha] = quantizeMultiplier(Math.fround(Math.fround(qi.scale * Math.fround(op.alpha)) / qo.scale));
  const [outputMultiplierIdentity, outputShiftIdentity] = quantizeMultiplier(Math.fround(qi.scale / qo.scale));
  const table = tabulate((q) => {
    const d = q - qi.zeroPoint;
    const v = d >= 0 ? mulByQuantMul(d, outputMultiplierIdentity, outputShiftIdentity) : mulByQuantMul(d, outputMultiplierAlpha, outputShiftAlpha);
    return clamp8(qo.zeroPoint + v);
  });
  return tableLayer(op, x, out, table, {
    inputOffset: qi.zeroPoint,
    outputOffset: qo.zeroPoint,
    outputMultiplierAlpha,
    outputShiftAlpha,
    outputMultiplierIdentity,
    outputShiftIdentity,
  });
}

// int16 fixed-point helpers of TFLite's hard_swish.h.
const sat16 = (v: number) => (v > 32767 ? 32767 : v < -32768 ? -32768 : v);
/** gemmlowp's SaturatingRoundingDoublingHighMul on int16. */
function srdhm16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  const ab = a * b;
  return Math.trunc((ab + (ab >= 0 ? 1 << 14 : 1 - (1 << 14))) / (1 << 15));
}
/** TFLite's SaturatingDoublingHighMul on int16 (truncating, no rounding nudge). */
function sdhm16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  return Math.trunc((a * b) / (1 << 15));
}
/** TFLite's DownScaleInt32ToInt16Multiplier. */
function downScale16(m: number): number {
  return m >= 0x7fffffff - (1 << 15) ? 32767 : (m + (1 << 15)) >> 16;
}

/** HARD_SWISH (hard_swish_common.cc + reference_ops::HardSwish): x * relu6(x + 3) / 6 in int16 fixed point. */
export function lowerHardSwish(op: SimpleOp, graph: Graph): LoweredLayer {
  const { x, out, qi, qo } = int8Operands(op, graph);
  // The scales are combined in float32, as the kernel's Prepare does.
  const hiresInputScale = Math.fround(Math.fround(1 / 128) * qi.scale);
  const reluishScale = Math.fround(3 / 32768);
  const [om32, outputMultiplierExponent] = quantizeMultiplier(Math.fround(hiresInputScale / qo.scale));
  if (outputMultiplierExponent > 0) unsupported(op, `the output scale ${qo.scale} is too small for the input scale ${qi.scale} (TFLite Micro requires a multiplier below 1)`);
  const [rm32, reluishMultiplierExponent] = quantizeMultiplier(Math.fround(hiresInputScale / reluishScale));
  const outputMultiplier = downScale16(om32);
  const reluishMultiplier = downScale16(rm32);
  const table = tabulate((q) => {
    const hires = sat16((q - qi.zeroPoint) * 128); // fits: |q - zp| <= 255
    const preshiftOutput = srdhm16(hires, outputMultiplier);
    let reluish = hires;
    if (reluishMultiplierExponent > 0) reluish = sat16(reluish * 2 ** (reluishMultiplierExponent - 1));
    reluish = srdhm16(reluish, reluishMultiplier);
    if (reluishMultiplierExponent > 0) reluish = sat16(reluish * 2);
    if (reluishMultiplierExponent < 0) reluish = rdbpot(reluish, -reluishMultiplierExponent);
    reluish = (reluish + (1 << 15)) >> 1;
    const preshift = sdhm16(reluish, preshiftOutput);
    const v = ((rdbpot(preshift, -outputMultiplierExponent) + qo.zeroPoint) << 16) >> 16; // int16 arithmetic
    return clamp8(v);
  });
  return tableLayer(op, x, out, table, {
    inputZeroPoint: qi.zeroPoint,
    outputZeroPoint: qo.zeroPoint,
    outputMultiplier,
    outputMultiplierExponent,
    reluishMultiplier,
    reluishMultiplierExponent,
  });
}

/**
 * The input rescaling of TFLM's int8 LOGISTIC and TANH (logistic_common.cc, tanh.cc): scale * 2^27 as
 * frexp's mantissa in Q31 and its exponent, and the radius beyond which the result saturates.
 */
function q4InputParams(scale: number): { inputMultiplier: number; inputLeftShift: number; inputRangeRadius: number } {
  const [q, e] = frexp(scale * 2 ** 27);
  const inputMultiplier = roundHalfAwayFromZero(q * 2 ** 31);
  const inputRangeRadius = Math.floor((15 * 2 ** 27) / 2 ** e);
  return { inputMultiplier, inputLeftShift: e, inputRangeRadius };
}

/** LOGISTIC (reference_integer_ops::Logistic): gemmlowp's logistic on a 4-integer-bit input, out in 1/256 steps from -128. */
export function lowerLogistic(op: SimpleOp, graph: Graph): LoweredLayer {
  const { x, out, qi, qo } = int8Operands(op, graph);
  if (qo.zeroPoint !== -128) unsupported(op, `output zero point ${qo.zeroPoint}; TFLite Micro requires -128`);
  const p = q4InputParams(qi.scale);
  const table = tabulate((q) => {
    const d = q - qi.zeroPoint;
    if (d <= -p.inputRangeRadius) return INT8_MIN;
    if (d >= p.inputRangeRadius) return INT8_MAX;
    const y = logistic(mulByQuantMul(d, p.inputMultiplier, p.inputLeftShift), 4);
    return clamp8(rdbpot(y, 23) - 128);
  });
  return tableLayer(op, x, out, table, { inputZeroPoint: qi.zeroPoint, ...p });
}

/** TANH (reference_integer_ops::Tanh): gemmlowp's tanh on a 4-integer-bit input, out in 1/128 steps. */
export function lowerTanh(op: SimpleOp, graph: Graph): LoweredLayer {
  const { x, out, qi } = int8Operands(op, graph);
  const p = q4InputParams(qi.scale);
  const table = tabulate((q) => {
    const d = q - qi.zeroPoint;
    if (d <= -p.inputRangeRadius) return INT8_MIN;
    if (d >= p.inputRangeRadius) return INT8_MAX;
    const y = tanh(mulByQuantMul(d, p.inputMultiplier, p.inputLeftShift), 4);
    return clamp8(rdbpot(y, 24));
  });
  return tableLayer(op, x, out, table, { inputZeroPoint: qi.zeroPoint, ...p });
}
