// SOFTMAX, int8 input with int8 or int16 output: TFLM's softmax_common.cc (PreprocessSoftmaxScaling,
// CalculateInputRadius) and reference_ops::Softmax. Along the last axis, each difference to the row's
// maximum is scaled by beta*scale into a 5-integer-bit fixed-point value, exponentiated with
// gemmlowp's exp_on_negative_values, summed with 12 integer bits, and multiplied by the sum's
// fixed-point reciprocal. A difference depends on two int8 values only, so exp is tabulated.
import type { Graph, SoftmaxOp } from "../../../graph/types.js";
import { numel } from "../../../graph/types.js";
import { mulByQuantMulGreaterThanOne, quantizeMultiplier, rdbpot, srdhm } from "../../tflite/arith.js";
import { allocFor, valueOf } from "../../tensors.js";
import type { LoweredLayer } from "../../types.js";
import { inputOf, outputOf, quantOf, requireDtype, unsupported } from "./common.js";
import { expOnNegativeValues, reciprocal, rescale } from "./fixedpoint.js";

const SCALED_DIFF_INTEGER_BITS = 5;
const ACCUMULATION_INTEGER_BITS = 12;

export function lowerSoftmax(op: SoftmaxOp, graph: Graph): LoweredLayer {
  const x = inputOf(graph, op, 0);
  const out = outputOf(graph, op);
  requireDtype(op, x, ["int8"], "input");
  requireDtype(op, out, ["int8", "int16"], "output");
  if (x.shape.length < 1) unsupported(op, "a scalar input");
  const qi = quantOf(op, x, "input");
  const qo = quantOf(op, out, "output");
  // The output quantization TFLM insists on: [0, 1) in 256 or 65536 steps.
  if (out.dtype === "int8" && (qo.zeroPoint !== -128 || qo.scale !== 1 / 256)) {
    unsupported(op, `int8 output quantization (scale ${qo.scale}, zero point ${qo.zeroPoint}); TFLite Micro requires 1/256 and -128`);
  }
  if (out.dtype === "int16" && (qo.zeroPoint !== -32768 || Math.abs(qo.scale - 1 / 65536) > Math.fround(0.001 * (1 / 65536)))) {
    unsupported(op, `int16 output quantization (scale ${qo.scale}, zero point ${qo.zeroPoint}); TFLite Micro requires 1/65536 and -32768`);
  }

  // PreprocessSoftmaxScaling: beta*scale as a multiplier > 1 with 5 integer bits, capped at 2^31-1.
  const real = Math.min(Math.fround(op.beta) * qi.scale * 2 ** (31 - SCALED_DIFF_INTEGER_BITS), 2 ** 31 - 1);
  const [inputMultiplier, inputLeftShift] = quantizeMultiplier(real);
  if (inputLeftShift < 0 || inputMultiplier === 0) unsupported(op, `beta ${op.beta} times the input scale ${qi.scale} is too small`);
  // CalculateInputRadius: differences below -radius would overflow the scaled range and count as 0.
  const radius = Math.floor(((2 ** SCALED_DIFF_INTEGER_BITS - 1) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS)) / 2 ** inputLeftShift);
  const diffMin = -radius;

  // exp of every possible difference d = x - max in [-255, 0], with 0 integer bits, and its
  // rescaling to the accumulator's 12 integer bits; differences below diffMin contribute nothing.
  const exp0 = new Int32Array(256);
  const expAcc = new Int32Array(256);
  const included = new Uint8Array(256);
  for (let d = -255; d <= 0; d++) {
    if (d < diffMin) continue;
    const e = expOnNegativeValues(mulByQuantMulGreaterThanOne(d, inputMultiplier, inputLeftShift), SCALED_DIFF_INTEGER_BITS);
    exp0[d + 255] = e;
    expAcc[d + 255] = rescale(e, 0, ACCUMULATION_INTEGER_BITS);
    included[d + 255] = 1;
  }

  const bits = out.dtype === "int8" ? 8 : 16;
  const [lo, hi] = out.dtype === "int8" ? [-128, 127] : [-32768, 32767];
  const depth = x.shape[x.shape.length - 1]!;
  const rows = depth === 0 ? 0 : numel(x.shape) / depth;
  return {
    op,
    params: { beta: op.beta, inputMultiplier, inputLeftShift, diffMin, exp: exp0 },
    run(values) {
      const input = valueOf(values, x.index) as Int8Array;
      const o = allocFor(out) as Int8Array | Int16Array;
      for (let r = 0, base = 0; r < rows; r++, base += depth) {
        let max = -128;
        for (let c = 0; c < depth; c++) if (input[base + c]! > max) max = input[base + c]!;
        let sum = 0;
        for (let c = 0; c < depth; c++) sum = (sum + expAcc[input[base + c]! - max + 255]!) | 0;
        const [scale, bitsOverUnit] = reciprocal(sum, ACCUMULATION_INTEGER_BITS);
        const shift = bitsOverUnit + 31 - bits;
        for (let c = 0; c < depth; c++) {
          const d = input[base + c]! - max + 255;
          if (!included[d]) {
            o[base + c] = lo;
            continue;
          }
          const v = rdbpot(srdhm(scale, exp0[d]!), shift) + lo;
          o[base + c] = v < lo ? lo : v > hi ? hi : v;
        }
      }
      values[out.index] = o;
    },
  };
}
