// MEAN as the XNNPACK delegate runs it for int8 (static reduce, mean): an int32 sum of the raw
// values, then `rne(f32(f32(sum - n * zi) * scale)) + zo` with
// `scale = f32(f32(si / so) * f32(1 / n))`, where TFLite Micro divides the sum with integer
// rounding and requantizes with a fixed-point multiplier.
import type { Graph, MeanOp } from "../../../graph/types.js";
import { numel } from "../../../graph/types.js";
import type { OpTable } from "../../lowering.js";
import { allocFor, tensorAt, valueOf } from "../../tensors.js";
import type { LoweredLayer } from "../../types.js";
import { MAGIC_BIAS, isQ8Activation, q } from "../xnnpack.js";
import { builtin } from "./builtin.js";

const f32 = Math.fround;

function mean(op: MeanOp, graph: Graph): LoweredLayer {
  const x = tensorAt(graph, op.inputs[0]!);
  const y = tensorAt(graph, op.outputs[0]!);
  if (x.dtype !== "int8" || y.dtype !== "int8" || !isQ8Activation(x) || !isQ8Activation(y) || x.shape.length > 6) return builtin(op, graph);
  const { scale: si, zeroPoint: zi } = q(x);
  const { scale: so, zeroPoint: zo } = q(y);
  const shape = x.shape;
  const reduced = shape.map((_, d) => op.axes.includes(d));
  let n = 1;
  for (let d = 0; d < shape.length; d++) if (reduced[d]) n *= shape[d]!;
  const scale = f32(f32(si / so) * f32(1 / n));
  // For each input element, the output element it adds into (output in row-major order of the kept axes).
  const total = numel(shape);
  const target = new Int32Array(total);
  {
    const pos = new Array<number>(shape.length).fill(0);
    for (let i = 0; i < total; i++) {
      let o = 0;
      for (let d = 0; d < shape.length; d++) if (!reduced[d]) o = o * shape[d]! + pos[d]!;
      target[i] = o;
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++pos[d]! < shape[d]!) break;
        pos[d] = 0;
      }
    }
  }
  const outN = numel(y.shape);
  const sums = new Int32Array(outN);
  const offset = n * zi;
  return {
    op,
    params: { kernel: "xnnpack", scheme: "xnnpack-fp32", count: n, scale, magicBias: MAGIC_BIAS, inputZeroPoint: zi, outputZeroPoint: zo },
    run(values) {
      const xd = valueOf(values, op.inputs[0]!) as Int8Array;
      const yd = allocFor(y) as Int8Array;
      sums.fill(0);
      for (let i = 0; i < total; i++) sums[target[i]!] += xd[i]!;
      for (let o = 0; o < outN; o++) {
        let v = f32(f32(sums[o]! - offset) * scale);
        v = v < -128 - zo ? -128 - zo : v > 127 - zo ? 127 - zo : v;
        yd[o] = f32(v + MAGIC_BIAS) - MAGIC_BIAS + zo;
      }
      values[op.outputs[0]!] = yd;
    },
  };
}

export const MEAN_OPS: OpTable = { mean };
