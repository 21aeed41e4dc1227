// FULLY_CONNECTED as ONNX Runtime's QGemm (com.microsoft; a QDQ MatMul + bias is fused into it):
// the input read as rows of the weights' inner size, `y = A * B^T + C` with
// `acc = bias[n] + sum of (w - wZeroPoint) * (x - xZeroPoint)` in int32 with wrap-around, and MLAS's
// requantization with the per-column float32 scale `f32(f32(aScale * bScale[n]) / yScale)` (the same
// output processor as QLinearConv). QLinearMatMul computes the same bytes without a bias.
// With int8 weights of one zero point it runs on the general kernel as a 1x1 convolution over the
// rows (`onnx` scheme, prepared once per runner); TypeScript loops for other weights and for a run
// without a general runner.
import type { FullyConnectedOp as GeneralFc } from "../../general.js";
import { numel, type FullyConnectedOp, type Graph } from "../../graph/types.js";
import { requantizeOnnx } from "../../network/arith.js";
import { outputFor, valueOf } from "../tensors.js";
import { generalCall, runBatches } from "../tflite/general-op.js";
import type { LoweredLayer, RunContext, TensorData } from "../types.js";
import { input, output } from "./common.js";
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
  const xt = input(graph, op, 0, "the input");
  const yt = output(graph, op);
  const allRows = numel(xt.shape) / I;
  const wz = p.wZeroPoint[0]!;
  const fc: GeneralFc | null = p.raw instanceof Int8Array && p.wZeroPoint.every((z) => z === wz)
    ? { kind: "fullyConnected", outFeatures: O, weights: p.raw, weightZeroPoint: wz, bias, requant: { scheme: "onnx", scale, outputZeroPoint: zy, min, max } }
    : null;
  const general = fc && Number.isInteger(allRows) && allRows > 0
    ? generalCall({ height: allRows, width: 1, channels: I, layout: "HWC", zeroPoint: zx, dtype: p.x.dtype }, fc, allRows * O, p.y.dtype)
    : null;
  return {
    op,
    params: {
      onnxOp: "QGemm", transB: 1, inputZeroPoint: zx, weights: p.raw, weightsLayout: "[N][K]", weightZeroPoint: p.wZeroPoint,
      bias, scale, outputZeroPoint: zy, min, max, kernel: general ? "wasm general" : "typescript",
    },
    run(values: Array<TensorData | undefined>, ctx: RunContext) {
      const xd = valueOf(values, xi) as Int8Array | Uint8Array;
      const rows = xd.length / I;
      const out = outputFor(ctx, yt) as Int8Array | Uint8Array;
      if (rows === allRows && runBatches(general, ctx, xd, 1, allRows * I, out, allRows * O)) {
        values[yi] = out;
        return;
      }
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
