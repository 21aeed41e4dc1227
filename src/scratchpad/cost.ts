// The DMA cost rules, in closed form for the planner, and the views the schedules' walks move tiles
// between. The WebAssembly model (assembly/scratchpad.ts) applies the same rules while it copies;
// tests hold the two equal. See that file for the rules.
import type { Layout } from "../types.js";
import type { DmaModel } from "./memory.js";

/** A tensor's strides in bytes, as a view of it (element (y, x, c) at y*row + x*px + c*ch). */
export interface Strides {
  row: number;
  px: number;
  ch: number;
}

/** A tensor or tile in a memory: element (y, x, c) at `ptr + y*row + x*px + c*ch`. */
export interface View extends Strides {
  ptr: number;
}

/** The view of a dense `height` x `width` x `channels` tensor stored at `ptr` in `layout`. */
export function viewAt(ptr: number, layout: Layout, height: number, width: number, channels: number): View {
  return layout === "HWC" ? { ptr, row: width * channels, px: channels, ch: 1 } : { ptr, row: width, px: 1, ch: height * width };
}

export interface TransferCost {
  bytes: number;
  commands: number;
  cycles: number;
}

/** Cost of moving a rows x cols x chans box between an L2 tensor and an L1 buffer. */
export function boxCost(l2: Strides, l1: Strides, rows: number, cols: number, chans: number, dma: DmaModel): TransferCost {
  if (rows <= 0 || cols <= 0 || chans <= 0) return { bytes: 0, commands: 0, cycles: 0 };
  const bytes = rows * cols * chans;
  if ((l2.ch === 1) !== (l1.ch === 1)) {
    return { bytes, commands: chans, cycles: chans * dma.layoutCyclesPerChannel + Math.ceil(bytes / dma.layoutBytesPerCycle) };
  }
  // The dimensions inner to outer: channels, columns, rows in HWC; columns, rows, channels in CHW.
  const hwc = l2.ch <= l2.px;
  const n0 = hwc ? chans : cols, n1 = hwc ? cols : rows, n2 = hwc ? rows : chans;
  const s0 = hwc ? l2.ch : l2.px, s1 = hwc ? l2.px : l2.row, s2 = hwc ? l2.row : l2.ch;
  // The leading dimensions (of more than one index) that form one contiguous run (none when the
  // innermost is strided); one 2D command covers the run and the next dimension; each index of
  // the ones beyond is a command. (No arrays: this runs for every tile of every tiling searched.)
  let run = 1, beyond = 0, commands = 1;
  for (let i = 0; i < 3; i++) {
    const n = i === 0 ? n0 : i === 1 ? n1 : n2;
    if (n <= 1) continue;
    const stride = i === 0 ? s0 : i === 1 ? s1 : s2;
    if (beyond === 0 && stride === run) run *= n;
    else if (beyond++ > 0) commands *= n;
  }
  return { bytes, commands, cycles: commands * dma.cyclesPerCommand + Math.ceil(bytes / dma.bytesPerCycle) };
}

/** Cost of a contiguous copy (weights, parameters): one 1D command. */
export function linearCost(bytes: number, dma: DmaModel): TransferCost {
  if (bytes <= 0) return { bytes: 0, commands: 0, cycles: 0 };
  return { bytes, commands: 1, cycles: dma.cyclesPerCommand + Math.ceil(bytes / dma.bytesPerCycle) };
}
