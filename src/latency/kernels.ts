// Cycles of one call of each PULP-NN-style kernel on the cluster: the work of every core under
// the kernel's own split (rows and half-rows for the pointwise HoWo kernel, channels for the
// depthwise kernel), the slowest core, and the closing barrier. The per-step costs are the
// constants of model.ts; this file only follows the kernels' loop structure.
import type { Layout } from "../types.js";
import type { ComputeModel } from "./model.js";

/** One core's share of a pointwise call: output rows and pixels per row. */
export interface HoWoShare {
  rows: number;
  pixels: number;
}

/**
 * How pulp_nn_pointwise_HoWo_parallel shares `rows` x `width` output pixels among `cores`: whole
 * rows when the row count is a multiple of the core count (or the width is 1), else the cores pair
 * up, each pair takes a chunk of rows and each core of the pair one half of every row (the second
 * half also gets the odd pixel). Chunks are `ceil(rows / groups)`, so some cores may get nothing.
 */
export function howoSplit(rows: number, width: number, cores: number): HoWoShare[] {
  const out: HoWoShare[] = [];
  const split = rows % cores !== 0 && width > 1 && cores > 1;
  const groups = split ? cores / 2 : cores;
  const chunk = Math.ceil(rows / groups);
  for (let core = 0; core < cores; core++) {
    const g = split ? core >> 1 : core;
    const start = Math.min(chunk * g, rows);
    const stop = Math.min(start + chunk, rows);
    const half = width >> 1;
    const pixels = !split ? width : (core & 1) === 0 ? half : half + (width & 1);
    out.push({ rows: stop - start, pixels });
  }
  return out;
}

/** How the depthwise kernels share `channels` among `cores`: chunks of `ceil(channels / cores)`. */
export function channelSplit(channels: number, cores: number): number[] {
  const chunk = Math.ceil(channels / cores);
  const out: number[] = [];
  for (let core = 0; core < cores; core++) {
    const start = Math.min(chunk * core, channels);
    out.push(Math.min(start + chunk, channels) - start);
  }
  return out;
}

/** Extra cycles of a word access that is misaligned 3 times in 4 (a stride that is not a multiple of 4). */
const misalignedShare = (m: ComputeModel, aligned: boolean) => (aligned ? 0 : 0.75 * m.misaligned);

/** A pointwise call: `rows` x `width` pixels, `cin` -> `cout` channels, input in `layout`. */
export interface PointwiseCall {
  rows: number;
  width: number;
  cin: number;
  cout: number;
  layout: Layout;
}

/** Cycles of pulp_nn_matmul on one pixel pair (all `cout` channels), with the CHW gather if any. */
export function pointwisePairCycles(cin: number, cout: number, layout: Layout, m: ComputeModel): number {
  const q = cin >> 2, r = cin & 3;
  // Weight rows start at c*Cin and pixels at p*Cin: word loads are aligned only when Cin % 4 == 0.
  const mis = misalignedShare(m, r === 0);
  const s = m.l1Stall;
  const requant = m.requantPw + 2 * s; // one load (k/lambda shared by the pair) and one store
  const block = m.pwBlockSetup + 4 * s + q * (m.pwInner + 6 * (s + mis)) + r * (m.pwInnerTail + 6 * s) + 8 * requant;
  const chan = m.pwChanSetup + q * (m.pwChanInner + 3 * (s + mis)) + r * (m.pwChanTail + 3 * s) + 2 * requant;
  const gather = layout === "CHW" ? cin * (m.pwGather + 4 * s) : 0;
  return m.pwPairCall + gather + (cout >> 2) * block + (cout & 3) * chan;
}

/** Cycles of the single-pixel leftover path of the HoWo kernel (an odd pixel count in a core's row). */
export function pointwisePixelCycles(cin: number, cout: number, layout: Layout, m: ComputeModel): number {
  const q = cin >> 2, r = cin & 3;
  const mis = misalignedShare(m, r === 0);
  const s = m.l1Stall;
  // One pixel's gather: one load and one store fewer than the pair's per channel.
  const gather = layout === "CHW" ? cin * (m.pwGather - 2 + 2 * s) : 0;
  return gather + cout * (m.pwPixelSetup + q * (m.pwPixelInner + 2 * (s + mis)) + r * (m.pwPixelTail + 2 * s) + m.requantPw + 2 * s);
}

/** Cycles of one core's share of a pointwise call (prologue included, barrier not). */
export function pointwiseCoreCycles(share: HoWoShare, c: PointwiseCall, m: ComputeModel): number {
  if (share.rows === 0) return m.prologue;
  const pairs = share.pixels >> 1, odd = share.pixels & 1;
  const row = m.pwRow + pairs * pointwisePairCycles(c.cin, c.cout, c.layout, m) + odd * pointwisePixelCycles(c.cin, c.cout, c.layout, m);
  return m.prologue + share.rows * row;
}

/** Cycles of a pointwise call on the cluster: the slowest core, then the barrier. */
export function pointwiseCycles(c: PointwiseCall, m: ComputeModel): number {
  if (c.rows <= 0 || c.width <= 0 || c.cout <= 0) return 0;
  let worst = 0;
  for (const share of howoSplit(c.rows, c.width, m.cores)) worst = Math.max(worst, pointwiseCoreCycles(share, c, m));
  return worst + m.barrier;
}

/** A depthwise call: the tile's input rows (padding excluded) and output rows, all columns. */
export interface DepthwiseCall {
  inRows: number;
  width: number;
  channels: number;
  outRows: number;
  outWidth: number;
  kh: number;
  kw: number;
  padTop: number;
  padBottom: number;
  layout: Layout;
}

/** Cycles of one output column of one channel: build the column buffer, then every output row. */
export function depthwiseColumnCycles(c: DepthwiseCall, m: ComputeModel): number {
  const s = m.l1Stall;
  const words = Math.ceil(c.kw / 4);
  const taps = c.kh * c.kw, tail = taps & 3, wordTaps = taps >> 2;
  // Source pixels sit at any offset; buffer rows are kw bytes apart.
  const copyMis = misalignedShare(m, false) + misalignedShare(m, c.kw % 4 === 0);
  const row = c.layout === "CHW"
    ? m.dwRow + words * (m.dwWordCopy + copyMis + 2 * s)
    : m.dwRow + words * 4 * (m.dwByteGather + 2 * s);
  const padRow = m.dwPadRow + words * (1 + s);
  // The dot product walks the buffer from l*sh*kw (+ tail) and the weights from ch*taps (+ tail).
  const dotMis = misalignedShare(m, c.kw % 4 === 0 && taps % 4 === 0);
  const pixel =
    m.dwPixel + s +
    (tail > 0 ? 2 + tail * (m.dwTap + 2 * s) : 0) +
    (wordTaps > 0 ? 1 + wordTaps * (m.dwWordTap + 2 * dotMis + 2 * s) : 0) +
    m.requantDw + 3 * s;
  return m.dwColumn + c.inRows * row + (c.padTop + c.padBottom) * padRow + c.outRows * pixel;
}

/** Cycles of one channel of a depthwise call. */
export function depthwiseChannelCycles(c: DepthwiseCall, m: ComputeModel): number {
  return m.dwChannel + c.outWidth * depthwiseColumnCycles(c, m);
}

/** Cycles of a depthwise call on the cluster: the core with the most channels, then the barrier. */
export function depthwiseCycles(c: DepthwiseCall, m: ComputeModel): number {
  if (c.channels <= 0 || c.outRows <= 0 || c.outWidth <= 0) return 0;
  const most = Math.max(...channelSplit(c.channels, m.cores));
  return m.prologue + most * depthwiseChannelCycles(c, m) + m.barrier;
}

/** Cycles of a core-local L1 copy of `bytes` bytes in `planes` separate runs, split over the cores. */
export function copyCycles(bytes: number, planes: number, m: ComputeModel): number {
  if (bytes <= 0) return 0;
  const words = Math.ceil(bytes / 4);
  return m.prologue + Math.ceil(words / m.cores) * (m.copyWord + 2 * m.l1Stall) + Math.ceil(planes / m.cores) * m.dwRow + m.barrier;
}
