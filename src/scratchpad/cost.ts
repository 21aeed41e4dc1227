// The DMA cost rules, in closed form for the planner. The WebAssembly model (assembly/scratchpad.ts)
// applies the same rules while it copies; tests hold the two equal. See that file for the rules.
import type { Layout } from "../types.js";
import type { DmaModel } from "./memory.js";

/** A tensor's strides in bytes, as a view of it (element (y, x, c) at y*row + x*px + c*ch). */
export interface Strides {
  row: number;
  px: number;
  ch: number;
}

export function stridesOf(layout: Layout, height: number, width: number, channels: number): Strides {
  return layout === "HWC" ? { row: width * channels, px: channels, ch: 1 } : { row: width, px: 1, ch: height * width };
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
  if (chans > 1 && (l2.ch === 1) !== (l1.ch === 1)) {
    return { bytes, commands: chans, cycles: chans * dma.layoutCyclesPerChannel + Math.ceil(bytes / dma.layoutBytesPerCycle) };
  }
  const hwc = l2.ch <= l2.px;
  const [n0, s0, n1, s1, n2] = hwc ? [chans, l2.ch, cols, l2.px, rows] : [cols, l2.px, rows, l2.row, chans];
  let commands = 1;
  if (n0 > 1 && n1 > 1 && n2 > 1 && !(s0 === 1 && s1 === n0)) commands = n2;
  return { bytes, commands, cycles: commands * dma.cyclesPerCommand + Math.ceil(bytes / dma.bytesPerCycle) };
}

/** Cost of a contiguous copy (weights, parameters): one 1D command. */
export function linearCost(bytes: number, dma: DmaModel): TransferCost {
  if (bytes <= 0) return { bytes: 0, commands: 0, cycles: 0 };
  return { bytes, commands: 1, cycles: dma.cyclesPerCommand + Math.ceil(bytes / dma.bytesPerCycle) };
}
