// ADD and SUB, int8: TFLM's general quantized path (add_common.cc / sub_common.cc with
// reference_integer_ops::AddFunc and reference_ops::SubElementwise / BroadcastQuantSubSlow). Each
// input is offset, shifted left by 20, scaled onto twice the larger input scale, the two are added
// (or subtracted) and the sum is scaled onto the output and clamped to the fused activation.
import type { ElementwiseOp, Graph } from "../../../graph/types.js";
import { activationRange, mulByQuantMulSmallerThanOne, quantizeMultiplier, rdbpot, srdhm } from "../../tflite/arith.js";
import { outputFor, valueOf } from "../../tensors.js";
import type { LoweredLayer } from "../../types.js";
import { applyPairTable, broadcastPlan, pairTable } from "../../../pair-table.js";
import { inputOf, outputOf, quantOf, requireDtype, unsupported } from "./common.js";

const LEFT_SHIFT = 20;

/** TFLite's QuantizeMultiplierSmallerThanOneExp: refuses multipliers outside (0, 1). */
function smallerThanOne(op: ElementwiseOp, real: number, what: string): [number, number] {
  if (!(real > 0 && real < 1)) unsupported(op, `the ${what} multiplier ${real} is not in (0, 1), which TFLite Micro requires`);
  const [m, s] = quantizeMultiplier(real);
  if (s > 0) unsupported(op, `the ${what} multiplier ${real} is not in (0, 1), which TFLite Micro requires`);
  return [m, s];
}

export function lowerAddSub(op: ElementwiseOp, graph: Graph): LoweredLayer {
  const a = inputOf(graph, op, 0);
  const b = inputOf(graph, op, 1);
  const out = outputOf(graph, op);
  for (const [t, what] of [[a, "input 1"], [b, "input 2"], [out, "output"]] as const) requireDtype(op, t, ["int8"], what);
  const qa = quantOf(op, a, "first input");
  const qb = quantOf(op, b, "second input");
  const qo = quantOf(op, out, "output");
  if (Math.max(a.shape.length, b.shape.length) > 6) unsupported(op, "broadcasting over more than 6 dimensions");

  let real1: number, real2: number, realOut: number;
  if (op.kind === "add") {
    // add_common.cc works in double.
    const twiceMax = 2 * Math.max(qa.scale, qb.scale);
    real1 = qa.scale / twiceMax;
    real2 = qb.scale / twiceMax;
    realOut = twiceMax / (2 ** LEFT_SHIFT * qo.scale);
  } else {
    // sub_common.cc divides in float32 and widens the quotients to double.
    const twiceMax = Math.fround(2 * Math.max(qa.scale, qb.scale));
    real1 = Math.fround(qa.scale / twiceMax);
    real2 = Math.fround(qb.scale / twiceMax);
    realOut = Math.fround(twiceMax / Math.fround(2 ** LEFT_SHIFT * qo.scale));
  }
  const [input1Multiplier, input1Shift] = smallerThanOne(op, real1, "first input");
  const [input2Multiplier, input2Shift] = smallerThanOne(op, real2, "second input");
  const [outputMultiplier, outputShift] = smallerThanOne(op, realOut, "output");
  const [activationMin, activationMax] = activationRange(op.activation, qo.scale, qo.zeroPoint, out.dtype);

  // Each input's scaled value depends on its int8 byte only: tabulate both.
  const scaled = (zp: number, m: number, s: number) => {
    const t = new Int32Array(256);
    for (let q = -128; q < 128; q++) t[q + 128] = mulByQuantMulSmallerThanOne((q - zp) * 2 ** LEFT_SHIFT, m, s);
    return t;
  };
  const t1 = scaled(qa.zeroPoint, input1Multiplier, input1Shift);
  const t2 = scaled(qb.zeroPoint, input2Multiplier, input2Shift);
  const sign = op.kind === "add" ? 1 : -1;
  const plan = broadcastPlan(a.shape, b.shape, out.shape);
  const outShift = -outputShift;
  const zo = qo.zeroPoint;

  const table = pairTable((p, q) => {
    const sum = (t1[p + 128]! + sign * t2[q + 128]!) | 0;
    const v = rdbpot(srdhm(sum, outputMultiplier), outShift) + zo;
    return v < activationMin ? activationMin : v > activationMax ? activationMax : v;
  });

  return {
    op,
    params: {
      leftShift: LEFT_SHIFT,
      input1Offset: -qa.zeroPoint,
      input1Multiplier,
      input1Shift,
      input2Offset: -qb.zeroPoint,
      input2Multiplier,
      input2Shift,
      outputOffset: zo,
      outputMultiplier,
      outputShift,
      activationMin,
      activationMax,
    },
    run(values, ctx) {
      const o = outputFor(ctx, out) as Int8Array;
      applyPairTable(table(), plan, valueOf(values, a.index) as Int8Array, valueOf(values, b.index) as Int8Array, o);
      values[out.index] = o;
    },
  };
}
