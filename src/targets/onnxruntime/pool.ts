// AVERAGE_POOL_2D. A global pool (the window is the whole input, one output pixel) is ONNX Runtime's
// QLinearGlobalAveragePool (com.microsoft): per channel `acc = sum of x - xZeroPoint * H*W` in int32,
// then MLAS's requantization with the float32 scale `f32(xScale / f32(yScale * f32(H*W)))`
// (`gapScale`, with the range ONNX Runtime accepts). Any other average pool takes the float path
// (DequantizeLinear -> AveragePool -> QuantizeLinear; ONNX Runtime's QLinearAveragePool, which its
// optimizer may fuse such a group into, is not emulated).
import type { Graph, Pool2dOp } from "../../graph/types.js";
import { requantizeOnnx } from "../../network/arith.js";
import { gapScale } from "../../network/ops.js";
import { tensorAt, valueOf } from "../tensors.js";
import type { LoweredLayer, TensorData } from "../types.js";
import { activationBounds, isQ8, newQ8, output, q8, unsupported } from "./common.js";
import { lowerFloatPath } from "./float-path.js";

/** Whether the pool covers the whole input with one window: a global average pool. */
export function isGlobalPool(op: Pool2dOp, graph: Graph): boolean {
  const x = tensorAt(graph, op.inputs[0]!);
  const y = output(graph, op);
  const [, H, W] = x.shape as [number, number, number, number];
  const [, Ho, Wo] = y.shape as [number, number, number, number];
  const { top, left, bottom, right } = op.pad;
  return op.filter[0] === H && op.filter[1] === W && Ho === 1 && Wo === 1 && top + left + bottom + right === 0;
}

export function lowerAveragePool2d(op: Pool2dOp, graph: Graph): LoweredLayer {
  const xt = tensorAt(graph, op.inputs[0]!);
  const yt = output(graph, op);
  if (!isGlobalPool(op, graph) || !isQ8(xt) || !isQ8(yt) || xt.dtype !== yt.dtype) return lowerFloatPath(op, graph);
  const x = q8(op, xt, "the input");
  const y = q8(op, yt, "the output");
  const [N, H, W, C] = xt.shape as [number, number, number, number];
  const HW = H * W;
  let scale: number;
  try {
    scale = gapScale(x.scale, y.scale, HW);
  } catch (e) {
    throw unsupported(op, (e as Error).message);
  }
  const bias = Math.imul(-x.zeroPoint, HW);
  const [lo, hi] = activationBounds(op.activation, y);
  const xi = op.inputs[0]!;
  const yi = op.outputs[0]!;
  return {
    op,
    params: { onnxOp: "QLinearGlobalAveragePool", channelsLast: 1, inputZeroPoint: x.zeroPoint, bias, scale, outputZeroPoint: y.zeroPoint, min: lo, max: hi },
    run(values: Array<TensorData | undefined>) {
      const xd = valueOf(values, xi) as Int8Array | Uint8Array;
      const out = newQ8(y.dtype, N * C);
      for (let b = 0; b < N; b++) {
        for (let c = 0; c < C; c++) {
          let acc = bias;
          for (let i = 0; i < HW; i++) acc = (acc + xd[(b * HW + i) * C + c]!) | 0;
          out[b * C + c] = requantizeOnnx(acc, scale, y.zeroPoint, lo, hi);
        }
      }
      values[yi] = out;
    },
  };
}
