// MEAN, int8 and int16: TFLM's reduce_common.cc EvalIntegerMean, which runs
// reference_ops::QuantizedMeanOrSum for every int8 MEAN: the sum over the reduced axes, offset by
// count * input zero point, scaled by in/out with 1/count folded into the multiplier. (Older TFLM
// releases divided the raw sum when both sides share their quantization; the dumps show the
// rescaling path for those too, and it is not bit-identical.)
import type { Graph, MeanOp } from "../../../graph/types.js";
import { numel } from "../../../graph/types.js";
import { dtypeRange, mulByQuantMul, quantizeMultiplier } from "../../tflite/arith.js";
import { outputFor, stridesOf, valueOf } from "../../tensors.js";
import type { LoweredLayer } from "../../types.js";
import { inputOf, outputOf, quantOf, requireDtype, unsupported } from "./common.js";

/** TFLM sizes its index scratch for 5 dimensions and its resolved-axis scratch for 2 axes. */
const MAX_RANK = 5;
const MAX_AXES = 2;

/**
 * QuantizedMeanOrSum's folding of 1/count into (multiplier, shift): the multiplier is shifted left
 * by floor(log2(count)) (at most 32, and keeping the shift >= -31) and divided by the count in 64 bits.
 */
export function meanMultiplier(multiplier: number, shift: number, count: number): [number, number] {
  if (count < 1) return [multiplier, shift];
  let s = Math.floor(Math.log2(count));
  while (2 ** (s + 1) <= count) s++;
  while (2 ** s > count) s--;
  s = Math.min(s, 32, 31 + shift);
  const m = Number((BigInt(multiplier) << BigInt(s)) / BigInt(count));
  return [m, shift - s];
}

export function lowerMean(op: MeanOp, graph: Graph): LoweredLayer {
  const x = inputOf(graph, op, 0);
  const out = outputOf(graph, op);
  requireDtype(op, x, ["int8", "int16"], "input");
  if (out.dtype !== x.dtype) unsupported(op, `a ${x.dtype} input with a ${out.dtype} output`);
  if (x.shape.length > MAX_RANK) unsupported(op, `a ${x.shape.length}-D input (TFLite Micro reduces up to ${MAX_RANK} dimensions)`);
  if (op.axes.length > MAX_AXES) unsupported(op, `reducing ${op.axes.length} axes (TFLite Micro reduces at most ${MAX_AXES})`);
  const qi = quantOf(op, x, "input");
  const qo = quantOf(op, out, "output");

  // Where each input element lands in the (row-major) output.
  const inStrides = stridesOf(x.shape);
  const keptShape = x.shape.map((d, i) => (op.axes.includes(i) ? 1 : d));
  const keptStrides = stridesOf(keptShape).map((s, i) => (op.axes.includes(i) ? 0 : s));
  const n = numel(x.shape);
  const target = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let o = 0;
    for (let d = 0; d < x.shape.length; d++) o += Math.floor(i / inStrides[d]!) % x.shape[d]! * keptStrides[d]!;
    target[i] = o;
  }
  const nOut = numel(out.shape);
  const count = op.axes.reduce((p, a) => p * x.shape[a]!, 1);
  const [lo, hi] = dtypeRange(out.dtype);

  const [multiplier, shift] = quantizeMultiplier(qi.scale / qo.scale);
  const [outputMultiplier, outputShift] = meanMultiplier(multiplier, shift, count);
  const offset = qi.zeroPoint * count;
  const zo = qo.zeroPoint;
  return {
    op,
    params: { count, inputZeroPoint: qi.zeroPoint, outputZeroPoint: zo, outputMultiplier, outputShift },
    run(values, ctx) {
      const input = valueOf(values, x.index) as Int8Array | Int16Array;
      const sums = new Int32Array(nOut);
      for (let i = 0; i < n; i++) sums[target[i]!] += input[i]!;
      const o = outputFor(ctx, out) as Int8Array | Int16Array;
      for (let j = 0; j < nOut; j++) {
        const v = mulByQuantMul((sums[j]! - offset) | 0, outputMultiplier, outputShift) + zo;
        o[j] = v < lo ? lo : v > hi ? hi : v;
      }
      values[out.index] = o;
    },
  };
}
