// MUL, int8: TFLM's mul_common.cc with reference_integer_ops::Mul / BroadcastMul4DSlow. The product
// of the offset inputs is scaled by in1*in2/out (one QuantizeMultiplier, double rounding) and clamped
// to the fused activation.
import type { ElementwiseOp, Graph } from "../../../graph/types.js";
import { activationRange, mulByQuantMul, quantizeMultiplier } from "../../tflite/arith.js";
import { allocFor, valueOf } from "../../tensors.js";
import type { LoweredLayer } from "../../types.js";
import { applyPairTable, broadcastPlan, pairTable } from "../../../pair-table.js";
import { inputOf, outputOf, quantOf, requireDtype, sameShape, unsupported } from "./common.js";

export function lowerMul(op: ElementwiseOp, graph: Graph): LoweredLayer {
  const a = inputOf(graph, op, 0);
  const b = inputOf(graph, op, 1);
  const out = outputOf(graph, op);
  for (const [t, what] of [[a, "input 1"], [b, "input 2"], [out, "output"]] as const) requireDtype(op, t, ["int8"], what);
  const qa = quantOf(op, a, "first input");
  const qb = quantOf(op, b, "second input");
  const qo = quantOf(op, out, "output");
  // The broadcasting kernel indexes through 4-D descriptors only.
  if (!sameShape(a.shape, b.shape) && Math.max(a.shape.length, b.shape.length, out.shape.length) > 4) {
    unsupported(op, "broadcasting over more than 4 dimensions");
  }
  const [outputMultiplier, outputShift] = quantizeMultiplier((qa.scale * qb.scale) / qo.scale);
  const [activationMin, activationMax] = activationRange(op.activation, qo.scale, qo.zeroPoint, out.dtype);
  const plan = broadcastPlan(a.shape, b.shape, out.shape);
  const za = qa.zeroPoint;
  const zb = qb.zeroPoint;
  const zo = qo.zeroPoint;
  const table = pairTable((p, q) => {
    const v = zo + mulByQuantMul((p - za) * (q - zb), outputMultiplier, outputShift);
    return v < activationMin ? activationMin : v > activationMax ? activationMax : v;
  });
  return {
    op,
    params: { input1Offset: -za, input2Offset: -zb, outputOffset: zo, outputMultiplier, outputShift, activationMin, activationMax },
    run(values) {
      const o = allocFor(out) as Int8Array;
      applyPairTable(table(), plan, valueOf(values, a.index) as Int8Array, valueOf(values, b.index) as Int8Array, o);
      values[out.index] = o;
    },
  };
}
