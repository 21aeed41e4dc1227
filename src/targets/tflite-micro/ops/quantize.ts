// QUANTIZE and DEQUANTIZE: TFLM's quantize_common.cc (reference_ops::AffineQuantize for float
// input, reference_ops::Requantize between integer types) and dequantize_common.cc
// (reference_ops::Dequantize).
import type { DType, Graph, SimpleOp } from "../../../graph/types.js";
import { dtypeRange, mulByQuantMul, quantizeMultiplier, roundHalfAwayFromZero } from "../../tflite/arith.js";
import { allocFor, valueOf } from "../../tensors.js";
import type { LoweredLayer, TensorData } from "../../types.js";
import { inputOf, outputOf, quantOf, unsupported } from "./common.js";

/** The integer conversions TFLM's QUANTIZE Prepare accepts (input -> outputs). */
const REQUANTIZE: Partial<Record<DType, DType[]>> = {
  int8: ["int8", "uint8", "int16", "int32"],
  int16: ["int8", "int16", "int32"],
  uint8: ["int8"],
  int32: ["int8", "int16"],
};

/**
 * C's `static_cast<int32_t>` of a float holding an integral value, as x86-64 executes it (the dumps'
 * platform): a value outside int32, or NaN, becomes INT32_MIN.
 */
function toInt32(v: number): number {
  return v >= -2147483648 && v <= 2147483647 ? v : -2147483648;
}

export function lowerQuantize(op: SimpleOp, graph: Graph): LoweredLayer {
  const x = inputOf(graph, op, 0);
  const out = outputOf(graph, op);
  const qo = quantOf(op, out, "output");
  const [lo, hi] = out.dtype === "int8" || out.dtype === "int16" || out.dtype === "uint8" || out.dtype === "int32" ? dtypeRange(out.dtype) : [0, 0];

  if (x.dtype === "float32") {
    if (out.dtype !== "int8" && out.dtype !== "int16") unsupported(op, `float32 to ${out.dtype}`);
    const zp = qo.zeroPoint;
    const scale = qo.scale;
    return {
      op,
      params: { scale, zeroPoint: zp },
      run(values) {
        const input = valueOf(values, x.index) as Float32Array;
        const o = allocFor(out) as Int8Array | Int16Array;
        for (let i = 0; i < input.length; i++) {
          // round(val / float(scale)) in float32, ties away from zero, then the zero point.
          const v = (toInt32(roundHalfAwayFromZero(Math.fround(input[i]! / scale))) + zp) | 0;
          o[i] = v < lo ? lo : v > hi ? hi : v;
        }
        values[out.index] = o;
      },
    };
  }

  if (!REQUANTIZE[x.dtype]?.includes(out.dtype)) unsupported(op, `${x.dtype} to ${out.dtype}`);
  const qi = quantOf(op, x, "input");
  const [multiplier, shift] = quantizeMultiplier(qi.scale / qo.scale);
  const zi = qi.zeroPoint;
  const zo = qo.zeroPoint;
  const requant = (q: number) => {
    const v = (mulByQuantMul((q - zi) | 0, multiplier, shift) + zo) | 0;
    return v < lo ? lo : v > hi ? hi : v;
  };
  // 8-bit inputs go through a table of their 256 values.
  const table = x.dtype === "int8" || x.dtype === "uint8" ? Int32Array.from({ length: 256 }, (_, k) => requant(x.dtype === "int8" ? k - 128 : k)) : null;
  const bias = x.dtype === "int8" ? 128 : 0;
  return {
    op,
    params: { inputZeroPoint: zi, outputZeroPoint: zo, multiplier, shift },
    run(values) {
      const input = valueOf(values, x.index) as Exclude<TensorData, BigInt64Array | Float32Array>;
      const o = allocFor(out) as Exclude<TensorData, BigInt64Array | Float32Array>;
      if (table) for (let i = 0; i < input.length; i++) o[i] = table[input[i]! + bias]!;
      else {
        for (let i = 0; i < input.length; i++) {
          const v = (mulByQuantMul((input[i]! - zi) | 0, multiplier, shift) + zo) | 0;
          o[i] = v < lo ? lo : v > hi ? hi : v;
        }
      }
      values[out.index] = o;
    },
  };
}

export function lowerDequantize(op: SimpleOp, graph: Graph): LoweredLayer {
  const x = inputOf(graph, op, 0);
  const out = outputOf(graph, op);
  if (x.dtype !== "int8" && x.dtype !== "int16") unsupported(op, `${x.dtype} input; TFLite Micro dequantizes int8 or int16`);
  if (out.dtype !== "float32") unsupported(op, `${out.dtype} output; TFLite Micro dequantizes to float32`);
  const { scale, zeroPoint } = quantOf(op, x, "input");
  // The float32 scale is widened to double, multiplied, and the product rounded to float32.
  const table = x.dtype === "int8" ? Float32Array.from({ length: 256 }, (_, k) => scale * (k - 128 - zeroPoint)) : null;
  return {
    op,
    params: { scale, zeroPoint },
    run(values) {
      const input = valueOf(values, x.index) as Int8Array | Int16Array;
      const o = allocFor(out) as Float32Array;
      if (table) for (let i = 0; i < input.length; i++) o[i] = table[input[i]! + 128]!;
      else for (let i = 0; i < input.length; i++) o[i] = scale * (input[i]! - zeroPoint);
      values[out.index] = o;
    },
  };
}
