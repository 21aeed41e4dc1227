// A depthwise-separable block as the scratchpad model sees it: two validated layers, their
// tensors' shapes, and the per-channel parameter sizes; plus the tile geometry both the planner
// and the executor use (which input rows a tile of output rows needs, and with what padding).
import { channelParams, type ChannelParams } from "../wasm/params.js";
import { checkTensor, layerOf, outputShape, shapeOf, type Layer, type TensorShape } from "../validate.js";
import type { ConvOp, Tensor } from "../types.js";

export interface Block {
  order: "dw-pw" | "pw-dw";
  input: TensorShape;
  first: Layer;
  second: Layer;
  /** The depthwise and the pointwise layer, whichever order they run in. */
  dw: Layer;
  pw: Layer;
  intermediate: TensorShape;
  output: TensorShape;
  firstParams: ChannelParams;
  secondParams: ChannelParams;
}

/** Bytes of per-channel parameters for one channel (bias + the scheme's arrays). */
export function paramBytesPerChannel(p: ChannelParams): number {
  return (p.bias ? 4 : 0) + p.aStride + p.bStride;
}

/** Validates a block: the second op must accept the first op's output, and one op of each kind. */
export function describeBlock(input: Tensor, ops: [ConvOp, ConvOp]): Block {
  const dtype = checkTensor(input);
  if (!Array.isArray(ops) || ops.length !== 2) throw new TypeError("ops must be a pair [first, second] of convolutions");
  const first = layerOf(shapeOf(input, dtype), ops[0], "ops[0]");
  const second = layerOf(outputShape(first), ops[1], "ops[1]", "ops[0] output");
  if (first.kind === second.kind) {
    throw new RangeError(`ops must be one depthwise and one pointwise convolution; both are ${first.kind}`);
  }
  const order = first.kind === "depthwise" ? "dw-pw" : "pw-dw";
  return {
    order,
    input: shapeOf(input, dtype),
    first,
    second,
    dw: order === "dw-pw" ? first : second,
    pw: order === "dw-pw" ? second : first,
    intermediate: outputShape(first),
    output: outputShape(second),
    firstParams: channelParams(first.requant, first.bias),
    secondParams: channelParams(second.requant, second.bias),
  };
}

/** The input rows a tile of depthwise output rows [o0, o1) reads, and its vertical padding. */
export interface RowWindow {
  /** First input row read. */
  a: number;
  /** One past the last input row read (a == b when the tile reads only padding). */
  b: number;
  padTop: number;
  padBottom: number;
}

export function rowWindow(o0: number, o1: number, layer: Layer): RowWindow {
  const first = o0 * layer.sh - layer.pad.top;
  const last = (o1 - 1) * layer.sh - layer.pad.top + layer.kh; // exclusive
  const a = Math.max(first, 0);
  const b = Math.max(a, Math.min(last, layer.height));
  return { a, b, padTop: a - first, padBottom: last - b };
}

/** Tile sizes worth trying for n items: every distinct ceil(n / k). */
export function tileCandidates(n: number): number[] {
  const out = new Set<number>();
  for (let k = 1; k <= n; k++) out.add(Math.ceil(n / k));
  return [...out];
}
