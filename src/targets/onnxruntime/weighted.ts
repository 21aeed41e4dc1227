// What ONNX Runtime's weighted quantized ops (QLinearConv, QGemm) take from a graph op: the input's
// and output's quantization, the weights with their zero points, the int32 bias, the per-channel
// float32 output scales MLAS requantizes with, and the fused activation's clamp.
import type { Conv2dOp, DepthwiseConv2dOp, FullyConnectedOp, Graph, GraphTensor } from "../../graph/types.js";
import { onnxScales } from "../../quant.js";
import { constData } from "../tensors.js";
import { activationBounds, input, optionalInput, output, q8, unsupported, type QInfo } from "./common.js";

export type WeightedOp = Conv2dOp | DepthwiseConv2dOp | FullyConnectedOp;

/** What QLinearConv and QGemm share: quantizations, per-channel scales, clamp bounds, bias. */
export interface WeightedParams {
  x: QInfo;
  y: QInfo;
  /** The weights with their zero point subtracted, in the file's layout. */
  w: Int16Array;
  /** The weights as stored (int8 / uint8), in the file's layout. */
  raw: Int8Array | Uint8Array;
  wZeroPoint: Int32Array;
  /** Per output channel, `f32(f32(xScale * wScale[c]) / yScale)`. */
  scale: Float32Array;
  bias: Int32Array | null;
  min: number;
  max: number;
}

/** The constants of a weighted op with `channels` outputs (weights in input 1, bias in input 2). */
export function weightedParams(op: WeightedOp, graph: Graph, channels: number): WeightedParams {
  const xt = input(graph, op, 0, "the input");
  const wt = input(graph, op, 1, "the weights");
  const yt = output(graph, op);
  const x = q8(op, xt, "the input");
  const y = q8(op, yt, "the output");
  const { raw, zeroPoints, scales } = weights(op, wt, channels);
  let scale: Float32Array;
  try {
    scale = onnxScales({ input: x.scale, weights: scales, output: y.scale });
  } catch (e) {
    throw unsupported(op, (e as Error).message);
  }
  const w = new Int16Array(raw.length);
  // Per-channel zero points run along the output-channel axis: the first dimension of a CONV_2D /
  // FULLY_CONNECTED filter, the last of a DEPTHWISE_CONV_2D one.
  const inner = op.kind === "depthwiseConv2d";
  const per = raw.length / channels;
  for (let i = 0; i < raw.length; i++) w[i] = raw[i]! - zeroPoints[inner ? i % channels : Math.floor(i / per)]!;
  const [min, max] = activationBounds(op.activation, y);
  return { x, y, w, raw, wZeroPoint: zeroPoints, scale, bias: bias(op, graph, channels), min, max };
}

function weights(op: WeightedOp, t: GraphTensor, channels: number) {
  if (t.dtype !== "int8" && t.dtype !== "uint8") throw unsupported(op, `the weights (tensor ${t.index}) are ${t.dtype}; int8 or uint8 expected`);
  if (!t.data) throw unsupported(op, `the weights (tensor ${t.index}) must be a constant`);
  const q = t.quant;
  if (!q || q.scale.length === 0) throw unsupported(op, `the weights (tensor ${t.index}) have no quantization`);
  const n = q.scale.length;
  if (n !== 1 && n !== channels) throw unsupported(op, `the weights (tensor ${t.index}) have ${n} scales for ${channels} output channels`);
  const scales = n === 1 ? new Float32Array(channels).fill(q.scale[0]!) : Float32Array.from(q.scale);
  const zeroPoints = new Int32Array(channels);
  for (let c = 0; c < channels; c++) zeroPoints[c] = q.zeroPoint[q.zeroPoint.length === 1 ? 0 : c] ?? 0;
  return { raw: (constData(t) as Int8Array | Uint8Array).slice(), zeroPoints, scales };
}

function bias(op: WeightedOp, graph: Graph, channels: number): Int32Array | null {
  const t = optionalInput(graph, op, 2);
  if (!t) return null;
  if (t.dtype !== "int32" || !t.data) throw unsupported(op, `the bias (tensor ${t.index}) must be a constant int32 tensor`);
  const b = Int32Array.from(constData(t) as Int32Array);
  if (b.length !== channels) throw unsupported(op, `the bias (tensor ${t.index}) has ${b.length} values for ${channels} output channels`);
  return b;
}

