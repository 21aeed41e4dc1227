// A depthwise-separable block as the scratchpad model sees it: two validated layers, their
// tensors' shapes, and the per-channel parameter sizes; plus the tile geometry the schedules' walks
// use (which input rows a tile of output rows needs, with what padding, and which rows a sliding
// window already holds).
import { channelParams, type ChannelParams } from "../wasm/params.js";
import { checkTensor, layerOf, outputShape, shapeOf, type CheckedLayer as Layer, type TensorShape } from "../validate.js";
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

/** One step of a row schedule: output rows [o0, o1) and the rows of the layer's input they read. */
export interface RowStep extends RowWindow {
  o0: number;
  o1: number;
}

/** Every step of a row schedule of `rows` output rows per step. */
export function rowSteps(outRows: number, rows: number, layer: Layer): RowStep[] {
  const steps: RowStep[] = [];
  for (let o0 = 0; o0 < outRows; o0 += rows) {
    const o1 = Math.min(o0 + rows, outRows);
    const { a, b, padTop, padBottom } = rowWindow(o0, o1, layer);
    steps.push({ o0, o1, a, b, padTop, padBottom });
  }
  return steps;
}

/** A step of the fused row schedules, whose depthwise input rows live in a sliding window. */
export interface SlidingStep extends RowStep {
  /** First row the window does not hold yet: the step fetches (or computes) rows [newA, b). */
  newA: number;
  /** Rows [a, a + kept) the window keeps from the steps before. */
  kept: number;
}

/** Sliding steps already computed, per block and rows per step (the tiling searches ask many times). */
const slidingCache = new WeakMap<Block, Map<number, SlidingStep[]>>();

/**
 * The steps of the fused row schedules with `rows` depthwise output rows per step. The result is
 * shared between calls with the same block and rows: callers must not modify it.
 */
export function slidingSteps(blk: Block, rows: number): SlidingStep[] {
  let byRows = slidingCache.get(blk);
  if (!byRows) slidingCache.set(blk, (byRows = new Map()));
  let steps = byRows.get(rows);
  if (!steps) byRows.set(rows, (steps = computeSlidingSteps(blk, rows)));
  return steps;
}

function computeSlidingSteps(blk: Block, rows: number): SlidingStep[] {
  let prevB = 0;
  return rowSteps(blk.dw.outHeight, rows, blk.dw).map(({ o0, o1, a, b, padTop, padBottom }) => {
    const newA = Math.max(a, prevB);
    const kept = Math.max(prevB - a, 0); // rows [a, prevB) stay in the window
    prevB = Math.max(prevB, b);
    return { o0, o1, a, b, padTop, padBottom, newA, kept };
  });
}
