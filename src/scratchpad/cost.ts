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
  if ((l2.ch === 1) !== (l1.ch === 1)) {
    return { bytes, commands: chans, cycles: chans * dma.layoutCyclesPerChannel + Math.ceil(bytes / dma.layoutBytesPerCycle) };
  }
  const hwc = l2.ch <= l2.px;
  const all: Array<[number, number]> = hwc
    ? [[chans, l2.ch], [cols, l2.px], [rows, l2.row]]
    : [[cols, l2.px], [rows, l2.row], [chans, l2.ch]];
  const dims = all.filter(([n]) => n > 1); // inner to outer
  // The leading dimensions that form one contiguous run (none when the innermost is strided).
  let k = 0;
  let run = 1;
  while (k < dims.length && (dims[k] as [number, number])[1] === run) run *= (dims[k++] as [number, number])[0];
  // One 2D command covers the run and the next dimension; each index of the ones beyond is a command.
  const commands = dims.slice(k + 1).reduce((p, [n]) => p * n, 1);
  return { bytes, commands, cycles: commands * dma.cyclesPerCommand + Math.ceil(bytes / dma.bytesPerCycle) };
}

/** Cost of a contiguous copy (weights, parameters): one 1D command. */
export function linearCost(bytes: number, dma: DmaModel): TransferCost {
  if (bytes <= 0) return { bytes: 0, commands: 0, cycles: 0 };
  return { bytes, commands: 1, cycles: dma.cyclesPerCommand + Math.ceil(bytes / dma.bytesPerCycle) };
}
