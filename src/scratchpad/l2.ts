// Where a block sits in L2: its input and output, the intermediate when it goes through L2 (the
// unfused baseline), then each layer's weights and parameter arrays, every one 4-byte aligned.
// The executor places the block at these offsets; the closed form reports their total, and the
// walks address the tensors through the views below (only their strides matter to the DMA's cost).
import type { ChannelParams } from "../wasm/params.js";
import type { Block } from "./block.js";
import { viewAt, type View } from "./cost.js";
import type { Schedule } from "./schedules.js";

/** Offsets of one layer's arrays (0 for an array the layer does not have). */
export interface LayerOffsets {
  weights: number;
  bias: number;
  a: number;
  b: number;
}

export interface L2Layout {
  /** Bytes the block keeps in L2. */
  bytes: number;
  input: number;
  output: number;
  /** -1 when the intermediate never leaves L1. */
  intermediate: number;
  first: LayerOffsets;
  second: LayerOffsets;
}

/** The block's place in L2 under `s`, as offsets from the start of its region. */
export function l2Layout(blk: Block, s: Schedule): L2Layout {
  let top = 0;
  const alloc = (n: number) => {
    const p = top;
    top += (n + 3) & ~3;
    return p;
  };
  const act = (t: { height: number; width: number; channels: number }) => alloc(t.height * t.width * t.channels);
  const input = act(blk.input);
  const output = act(blk.output);
  const intermediate = s.family === "unfused" ? act(blk.intermediate) : -1;
  const layer = (weights: number, p: ChannelParams): LayerOffsets => ({
    weights: alloc(weights),
    bias: p.bias ? alloc(p.bias.length) : 0,
    a: p.a ? alloc(p.a.length) : 0,
    b: p.b ? alloc(p.b.length) : 0,
  });
  const first = layer(blk.first.weights.length, blk.firstParams);
  const second = layer(blk.second.weights.length, blk.secondParams);
  return { bytes: top, input, output, intermediate, first, second };
}

/** The block's tensors in L2 as views: input x, output y, and the intermediate where it is stored. */
export interface TensorsInL2 {
  x: View;
  y: View;
  mid: View | null;
}

/** The layout of the block's output under `s`: the schedule's, or the input's when unfused. */
export const outputLayout = (blk: Block, s: Schedule) => s.output ?? blk.input.layout;

export function tensorsInL2(blk: Block, s: Schedule, at: L2Layout, base: number): TensorsInL2 {
  const L = blk.input.layout;
  const view = (t: { height: number; width: number; channels: number }, layout: typeof L, offset: number) =>
    viewAt(base + offset, layout, t.height, t.width, t.channels);
  return {
    x: view(blk.input, L, at.input),
    y: view(blk.output, outputLayout(blk, s), at.output),
    mid: at.intermediate >= 0 ? view(blk.intermediate, L, at.intermediate) : null,
  };
}
