// ADD, SUB and MUL as the XNNPACK delegate runs them for int8.
// ADD / SUB (qs8-vadd): each input's scale ratio `f32(inScale / outScale)` becomes a ~21-bit
//   integer multiplier with one shared shift, `out = (bias + a*ma + b*mb) >> shift + zp`, where the
//   bias holds `2^(shift-1)` (round half up) and the zero-point terms; SUB negates b's ratio.
//   TFLite instead shifts by 20 bits and applies three 31-bit multipliers with double rounding.
// MUL (qs8-vmul fp32): `out = rne(f32(f32((a - za) * (b - zb)) * scale)) + zp` with
//   `scale = f32(f32(sa * sb) / so)`, where TFLite uses one fixed-point multiplier.
// The delegate only takes these when the scale ratios are in XNNPACK's range; otherwise TFLite's
// built-in kernel runs the op. Each output byte depends on its two input bytes only, so a run looks
// it up in a table of the formula over every byte pair, built at the first run.
import type { ElementwiseOp, Graph } from "../../../graph/types.js";
import type { OpTable } from "../../lowering.js";
import { outputFor, tensorAt, valueOf } from "../../tensors.js";
import { applyPairTable, broadcastPlan, pairTable } from "../../../pair-table.js";
import type { LoweredLayer } from "../../types.js";
import { MAGIC_BIAS, isQ8Activation, lrintf, outputBounds, q } from "../xnnpack.js";
import { builtin } from "./builtin.js";

const f32 = Math.fround;
const bits = new Float32Array(1);
const bitsI = new Int32Array(bits.buffer);

function delegated(graph: Graph, op: ElementwiseOp): boolean {
  const [a, b] = op.inputs.map((i) => tensorAt(graph, i));
  const y = tensorAt(graph, op.outputs[0]!);
  if (!a || !b || a.dtype !== "int8" || b.dtype !== "int8" || y.dtype !== "int8") return false;
  if (!isQ8Activation(a) || !isQ8Activation(b) || !isQ8Activation(y)) return false;
  if (a.shape.length > 6 || b.shape.length > 6 || y.shape.length > 6) return false;
  const so = q(y).scale;
  if (op.kind === "mul") {
    const r = f32(f32(q(a).scale * q(b).scale) / so);
    return r >= 1 / 65536 && r < 256;
  }
  const ra = f32(q(a).scale / so);
  const rb = f32(q(b).scale / so);
  return ra >= 1 / 1024 && ra < 256 && rb >= 1 / 1024 && rb < 256;
}

function addSub(op: ElementwiseOp, graph: Graph): LoweredLayer {
  const a = tensorAt(graph, op.inputs[0]!);
  const b = tensorAt(graph, op.inputs[1]!);
  const y = tensorAt(graph, op.outputs[0]!);
  const aq = q(a);
  const bq = q(b);
  const yq = q(y);
  const aRatio = f32(aq.scale / yq.scale);
  const bRatio = op.kind === "sub" ? -f32(bq.scale / yq.scale) : f32(bq.scale / yq.scale);
  bits[0] = Math.max(Math.abs(aRatio), Math.abs(bRatio));
  const exponent = (bitsI[0]! >> 23) - 127;
  const shift = 20 - exponent;
  // |ratio| * 2^shift is exact in float32 (an exponent change), then rounded to an integer.
  const aMult = Math.sign(aRatio) * lrintf(Math.abs(aRatio) * 2 ** shift);
  const bMult = Math.sign(bRatio) * lrintf(Math.abs(bRatio) * 2 ** shift);
  const bias = (2 ** (shift - 1) - aMult * aq.zeroPoint - bMult * bq.zeroPoint) | 0;
  const [min, max] = outputBounds(op.activation, yq.scale, yq.zeroPoint, y.dtype);
  const plan = broadcastPlan(a.shape, b.shape, y.shape);
  const zout = yq.zeroPoint;
  const table = pairTable((p, r) => {
    const acc = (bias + p * aMult + r * bMult) | 0;
    const v = (acc >> shift) + zout;
    return v < min ? min : v > max ? max : v;
  });
  return {
    op,
    params: { kernel: "xnnpack", scheme: "xnnpack-add", aMultiplier: aMult, bMultiplier: bMult, shift, bias, rounding: "half up", outputZeroPoint: zout, min, max },
    run(values, ctx) {
      const yd = outputFor(ctx, y) as Int8Array;
      applyPairTable(table(), plan, valueOf(values, op.inputs[0]!) as Int8Array, valueOf(values, op.inputs[1]!) as Int8Array, yd);
      values[op.outputs[0]!] = yd;
    },
  };
}

function mul(op: ElementwiseOp, graph: Graph): LoweredLayer {
  const a = tensorAt(graph, op.inputs[0]!);
  const b = tensorAt(graph, op.inputs[1]!);
  const y = tensorAt(graph, op.outputs[0]!);
  const aq = q(a);
  const bq = q(b);
  const yq = q(y);
  const scale = f32(f32(aq.scale * bq.scale) / yq.scale);
  const [min, max] = outputBounds(op.activation, yq.scale, yq.zeroPoint, y.dtype);
  const plan = broadcastPlan(a.shape, b.shape, y.shape);
  const { zeroPoint: za } = aq;
  const { zeroPoint: zb } = bq;
  const zout = yq.zeroPoint;
  const lo = min - zout;
  const hi = max - zout;
  const table = pairTable((p, r) => {
    let v = f32((p - za) * (r - zb) * scale);
    v = v < lo ? lo : v > hi ? hi : v;
    return f32(v + MAGIC_BIAS) - MAGIC_BIAS + zout;
  });
  return {
    op,
    params: { kernel: "xnnpack", scheme: "xnnpack-fp32", scale, magicBias: MAGIC_BIAS, aZeroPoint: za, bZeroPoint: zb, outputZeroPoint: zout, min, max },
    run(values, ctx) {
      const yd = outputFor(ctx, y) as Int8Array;
      applyPairTable(table(), plan, valueOf(values, op.inputs[0]!) as Int8Array, valueOf(values, op.inputs[1]!) as Int8Array, yd);
      values[op.outputs[0]!] = yd;
    },
  };
}

export const ELEMENTWISE_OPS: OpTable = {
  add: (op, graph) => (delegated(graph, op) ? addSub(op, graph) : builtin(op, graph)),
  sub: (op, graph) => (delegated(graph, op) ? addSub(op, graph) : builtin(op, graph)),
  mul: (op, graph) => (delegated(graph, op) ? mul(op, graph) : builtin(op, graph)),
};
