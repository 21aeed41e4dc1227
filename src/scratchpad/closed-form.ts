// The closed form: a schedule's transfer report without copying a byte or running a kernel. It
// walks the schedule's steps (the same walk the executor runs on the WebAssembly model) and sums
// each transfer's cost under the DMA cost rules (cost.ts), which the model applies as it copies.
import type { ChannelParams } from "../wasm/params.js";
import type { Block } from "./block.js";
import { boxCost, linearCost, type TransferCost, type View } from "./cost.js";
import { l2Layout } from "./l2.js";
import type { ResolvedMemory } from "./memory.js";
import { familyOf, walk, type Schedule } from "./schedules.js";
import { Footprint, weightsPerChannel, type Kind, type Scratchpad, type Tiling, type Which } from "./schedules/walk.js";
import { activationBytes, type TransferReport } from "./transfer-report.js";
import { estimateWith } from "../latency/estimate.js";
import type { ResolvedLatency } from "../latency/model.js";

/** Bytes per channel of each parameter array a layer has (each is a contiguous copy of its own). */
const paramArrays = (p: ChannelParams): number[] => [p.bias ? 4 : 0, p.aStride, p.bStride].filter((b) => b > 0);

/**
 * Counts a walk's transfers the way the WebAssembly model counts them, and its output tiles; per
 * phase too (the unfused layers' DMA cycles, which the latency model overlaps layer by layer).
 */
export class Tally extends Footprint implements Scratchpad {
  readonly l2ToL1 = { input: 0, intermediate: 0, weights: 0, params: 0 };
  readonly l1ToL2 = { intermediate: 0, output: 0 };
  commands = 0;
  cycles = 0;
  tiles = 0;
  /** DMA cycles of each phase (L1 freed between phases). */
  readonly phaseCycles = [0];
  /** Per layer, the bytes one channel loads: weights, then each parameter array. */
  private readonly perChannel: Record<Which, { weights: number; params: number[] }>;

  constructor(blk: Block, private readonly mem: ResolvedMemory) {
    super(mem.doubleBuffer); // L1 addresses as the model's allocator gives them
    this.perChannel = {
      first: { weights: weightsPerChannel(blk.first), params: paramArrays(blk.firstParams) },
      second: { weights: weightsPerChannel(blk.second), params: paramArrays(blk.secondParams) },
    };
  }

  add(toL1: boolean, kind: Kind, c: TransferCost): void {
    if (c.bytes === 0) return;
    if (toL1) this.l2ToL1[kind === "output" ? "input" : (kind as keyof Tally["l2ToL1"])] += c.bytes;
    else this.l1ToL2[kind as keyof Tally["l1ToL2"]] += c.bytes;
    this.commands += c.commands;
    this.cycles += c.cycles;
    this.phaseCycles[this.phaseCycles.length - 1] += c.cycles;
  }

  dma(toL1: boolean, kind: Kind, l2: View, l1: View, rows: number, cols: number, chans: number): void {
    if (!toL1) this.tiles++;
    this.add(toL1, kind, boxCost(l2, l1, rows, cols, chans, this.mem.dma));
  }

  load(which: Which, _c0: number, n: number): void {
    const { weights, params } = this.perChannel[which];
    this.add(true, "weights", linearCost(n * weights, this.mem.dma));
    for (const b of params) this.add(true, "params", linearCost(n * b, this.mem.dma));
  }

  reset(): void {
    this.top = 0;
    this.phaseCycles.push(0);
  }

  get activationBytes(): number {
    return activationBytes(this.l2ToL1, this.l1ToL2);
  }
}

/** L1 bytes the tiling needs (the largest phase), without walking its steps. */
export function l1Need(blk: Block, sched: Schedule, t: Tiling, mem: ResolvedMemory): number {
  return familyOf(sched).footprint(blk, sched, t, mem.doubleBuffer);
}

/** The report of `sched` with tiling `t`, in closed form; with `latency`, its estimated cycles too. */
export function planWith(blk: Block, sched: Schedule, t: Tiling, mem: ResolvedMemory, latency?: ResolvedLatency): TransferReport {
  const tally = new Tally(blk, mem);
  walk(blk, sched, t, tally);
  const { l2ToL1, l1ToL2 } = tally;
  const l2Bytes = l2Layout(blk, sched).bytes;
  const report: TransferReport = {
    schedule: sched.name,
    l2ToL1: { ...l2ToL1 },
    l1ToL2: { ...l1ToL2 },
    activationBytes: tally.activationBytes,
    dmaCommands: tally.commands,
    dmaCycles: tally.cycles,
    tiles: tally.tiles,
    peakL1Bytes: l1Need(blk, sched, t, mem),
    tiling: { ...t },
    l2Bytes,
    fitsL2: l2Bytes <= mem.l2,
    dma: mem.dmaName,
  };
  if (latency) report.estimate = estimateWith(blk, sched, t, tally.phaseCycles, latency);
  return report;
}
