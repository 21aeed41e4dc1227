// Which TFLite convolutions are dwpw's depthwise / pointwise kernels, and the kernel op each one is
// under TFLite's arithmetic (the `tflite` scheme): what the tflite-micro target runs on the
// WebAssembly kernels, and what the fusion planner and the deployment check see of a TFLite model.
import type { Conv2dOp, DepthwiseConv2dOp, Graph, GraphOp } from "../../graph/types.js";
import { tfliteMultipliers } from "../../quant.js";
import type { DepthwiseOp, PointwiseOp } from "../../types.js";
import { activationRange } from "./arith.js";

/** True for a depthwise layer the kernels run: multiplier 1, no dilation, batch 1, int8. */
export function isKernelDepthwise(op: GraphOp, graph: Graph): op is DepthwiseConv2dOp {
  if (op.kind !== "depthwiseConv2d" || op.depthMultiplier !== 1 || op.dilation[0] !== 1 || op.dilation[1] !== 1) return false;
  const x = graph.tensors[op.inputs[0]!]!;
  return x.shape[0] === 1 && x.dtype === "int8" && graph.tensors[op.outputs[0]!]!.dtype === "int8";
}

/** True for a pointwise layer the kernels run: 1x1, stride 1, no padding, one group, batch 1, int8. */
export function isKernelPointwise(op: GraphOp, graph: Graph): op is Conv2dOp {
  if (op.kind !== "conv2d") return false;
  const x = graph.tensors[op.inputs[0]!]!;
  const w = graph.tensors[op.inputs[1]!]!;
  const { top, left, bottom, right } = op.pad;
  return (
    w.shape[1] === 1 && w.shape[2] === 1 && w.shape[3] === x.shape[3] &&
    op.stride[0] === 1 && op.stride[1] === 1 && top + left + bottom + right === 0 &&
    x.shape[0] === 1 && x.dtype === "int8" && graph.tensors[op.outputs[0]!]!.dtype === "int8"
  );
}

/**
 * Depthwise weights from TFLite's `[1][kh][kw][channels]` to channel-major `[channels][kh][kw]`:
 * what the depthwise kernel takes, and the grouped convolution's `[C*M][kh][kw][1]`.
 */
export function channelMajor(w: ArrayLike<number>, taps: number, channels: number): Int8Array {
  const out = new Int8Array(channels * taps);
  for (let t = 0; t < taps; t++) for (let c = 0; c < channels; c++) out[c * taps + t] = w[t * channels + c]!;
  return out;
}

/** The int32 bias of a convolution, or null when the op has none. */
function biasOf(op: GraphOp, graph: Graph): Int32Array | null {
  const i = op.inputs[2];
  if (i === undefined || i < 0) return null;
  const d = graph.tensors[i]!.data!;
  return new Int32Array(d.slice().buffer);
}

/** The `tflite` requantization of a convolution whose weights are quantized per channel or per tensor. */
function requantOf(op: Conv2dOp | DepthwiseConv2dOp, graph: Graph, channels: number) {
  const x = graph.tensors[op.inputs[0]!]!;
  const w = graph.tensors[op.inputs[1]!]!;
  const y = graph.tensors[op.outputs[0]!]!;
  if (!x.quant || !w.quant || !y.quant) throw new RangeError(`internal: op ${op.index} is not quantized`);
  const ws = w.quant.scale.length === 1 ? Array(channels).fill(w.quant.scale[0]!) : Array.from(w.quant.scale);
  const out = { scale: y.quant.scale[0]!, zeroPoint: y.quant.zeroPoint[0]! };
  const { multiplier, shift } = tfliteMultipliers({ input: x.quant.scale[0]!, weights: ws, output: out.scale });
  const [min, max] = activationRange(op.activation, out.scale, out.zeroPoint, y.dtype);
  return { scheme: "tflite" as const, rounding: "double" as const, multiplier, shift, outputZeroPoint: out.zeroPoint, min, max };
}

/**
 * The dwpw kernel op of a TFLite depthwise or pointwise layer (see isKernelDepthwise /
 * isKernelPointwise), with TFLite Micro's requantization; null for any other op.
 */
export function kernelOp(op: GraphOp, graph: Graph): DepthwiseOp | PointwiseOp | null {
  if (isKernelDepthwise(op, graph)) {
    const w = graph.tensors[op.inputs[1]!]!;
    const [, kh, kw, C] = w.shape as [number, number, number, number];
    const src = new Int8Array(w.data!.buffer, w.data!.byteOffset, w.data!.length);
    const weights = channelMajor(src, kh * kw, C);
    return { kind: "depthwise", kernel: [kh, kw], stride: [op.stride[0], op.stride[1]], pad: { ...op.pad }, weights, bias: biasOf(op, graph), requant: requantOf(op, graph, C) };
  }
  if (isKernelPointwise(op, graph)) {
    const w = graph.tensors[op.inputs[1]!]!;
    const O = w.shape[0]!;
    // [O][1][1][I] is already [Cout][Cin].
    const weights = new Int8Array(w.data!.slice().buffer);
    return { kind: "pointwise", outChannels: O, weights, bias: biasOf(op, graph), requant: requantOf(op, graph, O) };
  }
  return null;
}
