// QUANTIZE, LEAKY_RELU (XNNPACK) and RELU / RELU6 / RELU_N1_TO_1 (TFLite's built-in kernels).
// QUANTIZE int8 -> int8 (qs8-vcvt): an 8.8 fixed-point ratio `M = lrintf(256 * f32(si / so))`,
//   `out = ((x - zi) * M + 256 * zo + 128) >> 8`: round half up on a multiplier with 8 fraction bits,
//   where TFLite uses a 31-bit multiplier rounding half away from zero.
// QUANTIZE float32 -> int8 (f32-qs8-vcvt): `rne(f32(x * f32(1 / so))) + zo`, a multiplication by the
//   float32 reciprocal and ties to even, where TFLite divides and rounds ties away from zero.
// LEAKY_RELU (qs8-vlrelu): the same 8.8 scheme with a multiplier for each sign,
//   `lrintf(256 * f32(si / so))` and `lrintf(256 * f32(f32(si / so) * alpha))`.
// RELU, RELU6 and RELU_N1_TO_1 on int8 are float-only in the delegate, so TFLite's kernel runs them:
//   it requantizes (`zo + MultiplyByQuantizedMultiplier(x - zi, f32(si / so))`) and then clamps to
//   the quantized bounds, where TFLite Micro clamps the input without rescaling it.
import type { Graph, LeakyReluOp, SimpleOp } from "../../../graph/types.js";
import type { OpTable } from "../../lowering.js";
import { allocFor, tensorAt, valueOf } from "../../tensors.js";
import type { LoweredLayer } from "../../types.js";
import { mulByQuantMul, quantizeMultiplier, roundHalfAwayFromZero } from "../../tflite/arith.js";
import { MAGIC_BIAS, isQ8Activation, lrintf, q } from "../xnnpack.js";
import { builtin } from "./builtin.js";

const f32 = Math.fround;

/** The 8.8 fixed-point kernels of qs8-vcvt and qs8-vlrelu: `clamp(((x - zi) * m + 256 * zo + 128) >> 8)`. */
function fixed88(op: SimpleOp | LeakyReluOp, graph: Graph, positive: number, negative: number, params: Record<string, unknown>): LoweredLayer {
  const x = tensorAt(graph, op.inputs[0]!);
  const y = tensorAt(graph, op.outputs[0]!);
  const zi = q(x).zeroPoint;
  const zo = q(y).zeroPoint;
  const bias = zo * 256 + 0x80;
  return {
    op,
    params: { ...params, positiveMultiplier: positive, negativeMultiplier: negative, inputZeroPoint: zi, outputZeroPoint: zo, bias, shift: 8, rounding: "half up" },
    run(values) {
      const xd = valueOf(values, op.inputs[0]!) as Int8Array;
      const yd = allocFor(y) as Int8Array;
      for (let i = 0; i < xd.length; i++) {
        const d = xd[i]! - zi;
        const v = (bias + d * (d >= 0 ? positive : negative)) >> 8;
        yd[i] = v < -128 ? -128 : v > 127 ? 127 : v;
      }
      values[op.outputs[0]!] = yd;
    },
  };
}

function quantize(op: SimpleOp, graph: Graph): LoweredLayer {
  const x = tensorAt(graph, op.inputs[0]!);
  const y = tensorAt(graph, op.outputs[0]!);
  if (y.dtype !== "int8" || !isQ8Activation(y)) return builtin(op, graph);
  if (x.dtype === "float32") {
    const { scale: so, zeroPoint: zo } = q(y);
    const inv = f32(1 / so);
    const lo = -128 - zo;
    const hi = 127 - zo;
    return {
      op,
      params: { kernel: "xnnpack", scheme: "xnnpack-f32-qs8", scale: inv, magicBias: MAGIC_BIAS, outputZeroPoint: zo },
      run(values) {
        const xd = valueOf(values, op.inputs[0]!) as Float32Array;
        const yd = allocFor(y) as Int8Array;
        for (let i = 0; i < xd.length; i++) {
          let v = f32(xd[i]! * inv);
          v = v < lo ? lo : v > hi ? hi : v;
          yd[i] = f32(v + MAGIC_BIAS) - MAGIC_BIAS + zo;
        }
        values[op.outputs[0]!] = yd;
      },
    };
  }
  if (x.dtype === "int8" && isQ8Activation(x)) {
    const ratio = f32(q(x).scale / q(y).scale);
    if (ratio >= 1 / 256 && ratio <= 128) {
      const m = lrintf(256 * ratio);
      return fixed88(op, graph, m, m, { kernel: "xnnpack", scheme: "xnnpack-qs8-cvt" });
    }
  }
  return builtin(op, graph);
}

function leakyRelu(op: LeakyReluOp, graph: Graph): LoweredLayer {
  const x = tensorAt(graph, op.inputs[0]!);
  const y = tensorAt(graph, op.outputs[0]!);
  const alpha = f32(op.alpha);
  if (x.dtype === "int8" && y.dtype === "int8" && isQ8Activation(x) && isQ8Activation(y) && alpha !== 0 && Math.abs(alpha) >= 2 ** -126) {
    const pos = f32(q(x).scale / q(y).scale);
    const neg = f32(pos * alpha);
    if (pos >= 1 / 256 && pos <= 128 && neg >= -127.99609375 && neg <= 128 && Math.abs(neg) >= 1 / 256) {
      return fixed88(op, graph, lrintf(256 * pos), lrintf(256 * neg), { kernel: "xnnpack", scheme: "xnnpack-qs8-lrelu" });
    }
  }
  return builtin(op, graph);
}

/** TFLite's QuantizedReluX: requantize to the output, then clamp to the activation's quantized range. */
function reluX(op: SimpleOp, graph: Graph, actMin: number, actMax: number): LoweredLayer {
  const x = tensorAt(graph, op.inputs[0]!);
  const y = tensorAt(graph, op.outputs[0]!);
  if (x.dtype !== "int8" || y.dtype !== "int8" || !isQ8Activation(x) || !isQ8Activation(y)) return builtin(op, graph);
  const { scale: si, zeroPoint: zi } = q(x);
  const { scale: so, zeroPoint: zo } = q(y);
  const [multiplier, shift] = quantizeMultiplier(f32(si / so));
  const min = Math.max(-128, zo + roundHalfAwayFromZero(f32(actMin / so)));
  const max = actMax === Infinity ? 127 : Math.min(127, zo + roundHalfAwayFromZero(f32(actMax / so)));
  return {
    op,
    params: { kernel: "tflite-builtin", scheme: "tflite", multiplier, shift, inputZeroPoint: zi, outputZeroPoint: zo, min, max },
    run(values) {
      const xd = valueOf(values, op.inputs[0]!) as Int8Array;
      const yd = allocFor(y) as Int8Array;
      for (let i = 0; i < xd.length; i++) {
        const v = zo + mulByQuantMul(xd[i]! - zi, multiplier, shift);
        yd[i] = v < min ? min : v > max ? max : v;
      }
      values[op.outputs[0]!] = yd;
    },
  };
}

export const UNARY_OPS: OpTable = {
  quantize,
  leakyRelu,
  relu: (op, graph) => reluX(op, graph, 0, Infinity),
  relu6: (op, graph) => reluX(op, graph, 0, 6),
  reluN1To1: (op, graph) => reluX(op, graph, -1, 1),
};
