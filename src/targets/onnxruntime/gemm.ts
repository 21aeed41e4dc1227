// FULLY_CONNECTED as ONNX Runtime's QGemm (com.microsoft; a QDQ MatMul + bias is fused into it):
// the input read as rows of the weights' inner size, `y = A * B^T + C` with
// `acc = bias[n] + sum of (w - wZeroPoint) * (x - xZeroPoint)` in int32 with wrap-around, and MLAS's
// requantization with the per-column float32 scale `f32(f32(aScale * bScale[n]) / yScale)` (the same
// output processor as QLinearConv). QLinearMatMul computes the same bytes without a bias.
import type { FullyConnectedOp, Graph } from "../../graph/types.js";
import { requantizeOnnx } from "../../network/arith.js";
import { valueOf } from "../tensors.js";
import type { LoweredLayer, TensorData } from "../types.js";
import { input, newQ8 } from "./common.js";
import { weightedParams } from "./weighted.js";

export function lowerFullyConnected(op: FullyConnectedOp, graph: Graph): LoweredLayer {
  const wt = input(graph, op, 1, "the weights");
  const [O, I] = wt.shape as [number, number];
  const p = weightedParams(op, graph, O);
  const { w, scale, bias, min, max } = p;
  const zx = p.x.zeroPoint;
  const zy = p.y.zeroPoint;
  const xi = op.inputs[0]!;
  const yi = op.outputs[0]!;
  return {
    op,
    params: {
      onnxOp: "QGemm", transB: 1, inputZeroPoint: zx, weights: p.raw, weightsLayout: "[N][K]", weightZeroPoint: p.wZeroPoint,
      bias, scale, outputZeroPoint: zy, min, max,
    },
    run(values: Array<TensorData | undefined>) {
      const xd = valueOf(values, xi) as Int8Array | Uint8Array;
      const rows = xd.length / I;
      const out = newQ8(p.y.dtype, rows * O);
      const xs = new Int16Array(I);
      for (let r = 0; r < rows; r++) {
        for (let k = 0; k < I; k++) xs[k] = xd[r * I + k]! - zx;
        for (let n = 0; n < O; n++) {
          const wb = n * I;
          let acc = 0; // exact in a double, wrapped to int32 once
          for (let k = 0; k < I; k++) acc += w[wb + k]! * xs[k]!;
          acc |= 0;
          if (bias) acc = (acc + bias[n]!) | 0;
          out[r * O + n] = requantizeOnnx(acc, scale[n]!, zy, min, max);
        }
      }
      values[yi] = out;
    },
  };
}
