// The latency model against measured GAP8 times: every depthwise and pointwise layer of
// 1.0-MobileNetV1-128 as DORY + PULP-NN ran it on a GAP8 board (../shared/gap8/dory-mobilenetv1-128.csv,
// transcribed from Fig. 2 of pulp-platform/dory's README), each layer estimated alone the way DORY
// deploys it (tiled L2 -> L1 -> L2, blocking transfers), and a fit of the DMA constants — the only
// part of the model with no published GAP8 figure — to those times.
import { describeBlock } from "../scratchpad/block.js";
import { resolveMemory, type DmaModel, type MemoryConfig } from "../scratchpad/memory.js";
import { planLayer, type Objective } from "../scratchpad/search.js";
import { mobilenetV1, randomInput, randomOp, type QuantScheme } from "../presets/mobilenet.js";
import type { ConvOp } from "../types.js";
import { resolveLatency, type LatencyOptions } from "./model.js";
import type { LatencyEstimate } from "./estimate.js";

/** GAP8's cluster clock in the measurement (cycles per millisecond at 100 MHz). */
export const MEASURED_CYCLES_PER_MS = 100_000;

/** One measured layer (a row of the CSV) and where it sits in mobilenetV1({ resolution: 128 }). */
export interface MeasuredLayer {
  layer: string;
  kind: "dw3x3" | "pw";
  stride: number;
  inChannels: number;
  outChannels: number;
  outSize: number;
  /** Millions of MACs of one layer. */
  mmac: number;
  /** Measured time of one layer, ms at 100 MHz. */
  timeMs: number;
  /** How many identical layers the row stands for (DwConv7-11 / PwConv8-12: 5). */
  repeat: number;
  /** 1-based block of mobilenetV1 the layer belongs to. */
  block: number;
  /**
   * Whether the measurement is dominated by weights streamed from the off-chip L3 HyperRAM (the
   * 512 kB and 1 MB weight tensors of PwConv13/14; PAPER.md counts every other pointwise layer as
   * running "with weights in L2"). The L2 <-> L1 model does not cover L3, so these rows are shown
   * but kept out of the fit.
   */
  l3: boolean;
}

/**
 * The 26 depthwise/pointwise layers of the measured table (Conv1, the average pool and the FC
 * layer are not depthwise-separable layers and are left out).
 */
export const DORY_MOBILENET_V1_128: readonly MeasuredLayer[] = Object.freeze([
  { layer: "DwConv1", kind: "dw3x3", stride: 1, inChannels: 32, outChannels: 32, outSize: 64, mmac: 1.18, timeMs: 9.13, repeat: 1, block: 1, l3: false },
  { layer: "PwConv2", kind: "pw", stride: 1, inChannels: 32, outChannels: 64, outSize: 64, mmac: 8.39, timeMs: 10.91, repeat: 1, block: 1, l3: false },
  { layer: "DwConv2", kind: "dw3x3", stride: 2, inChannels: 64, outChannels: 64, outSize: 32, mmac: 0.59, timeMs: 10.16, repeat: 1, block: 2, l3: false },
  { layer: "PwConv3", kind: "pw", stride: 1, inChannels: 64, outChannels: 128, outSize: 32, mmac: 8.39, timeMs: 7.84, repeat: 1, block: 2, l3: false },
  { layer: "DwConv3", kind: "dw3x3", stride: 1, inChannels: 128, outChannels: 128, outSize: 32, mmac: 1.18, timeMs: 8.72, repeat: 1, block: 3, l3: false },
  { layer: "PwConv4", kind: "pw", stride: 1, inChannels: 128, outChannels: 128, outSize: 32, mmac: 16.78, timeMs: 13.31, repeat: 1, block: 3, l3: false },
  { layer: "DwConv4", kind: "dw3x3", stride: 2, inChannels: 128, outChannels: 128, outSize: 16, mmac: 0.29, timeMs: 4.62, repeat: 1, block: 4, l3: false },
  { layer: "PwConv5", kind: "pw", stride: 1, inChannels: 128, outChannels: 256, outSize: 16, mmac: 8.39, timeMs: 6.58, repeat: 1, block: 4, l3: false },
  { layer: "DwConv5", kind: "dw3x3", stride: 1, inChannels: 256, outChannels: 256, outSize: 16, mmac: 0.59, timeMs: 4.75, repeat: 1, block: 5, l3: false },
  { layer: "PwConv6", kind: "pw", stride: 1, inChannels: 256, outChannels: 256, outSize: 16, mmac: 16.78, timeMs: 11.91, repeat: 1, block: 5, l3: false },
  { layer: "DwConv6", kind: "dw3x3", stride: 2, inChannels: 256, outChannels: 256, outSize: 8, mmac: 0.15, timeMs: 2.56, repeat: 1, block: 6, l3: false },
  { layer: "PwConv7", kind: "pw", stride: 1, inChannels: 256, outChannels: 512, outSize: 8, mmac: 8.39, timeMs: 5.94, repeat: 1, block: 6, l3: false },
  { layer: "DwConv7-11", kind: "dw3x3", stride: 1, inChannels: 512, outChannels: 512, outSize: 8, mmac: 0.29, timeMs: 2.56, repeat: 5, block: 7, l3: false },
  { layer: "PwConv8-12", kind: "pw", stride: 1, inChannels: 512, outChannels: 512, outSize: 8, mmac: 16.78, timeMs: 13.08, repeat: 5, block: 7, l3: false },
  { layer: "DwConv12", kind: "dw3x3", stride: 2, inChannels: 512, outChannels: 512, outSize: 4, mmac: 0.07, timeMs: 1.45, repeat: 1, block: 12, l3: false },
  { layer: "PwConv13", kind: "pw", stride: 1, inChannels: 512, outChannels: 1024, outSize: 4, mmac: 8.39, timeMs: 9.11, repeat: 1, block: 12, l3: true },
  { layer: "DwConv13", kind: "dw3x3", stride: 1, inChannels: 1024, outChannels: 1024, outSize: 4, mmac: 0.15, timeMs: 1.78, repeat: 1, block: 13, l3: false },
  { layer: "PwConv14", kind: "pw", stride: 1, inChannels: 1024, outChannels: 1024, outSize: 4, mmac: 16.78, timeMs: 27.31, repeat: 1, block: 13, l3: true },
]);

/** The kind a row's error is summarised under. */
export type LayerKind = "dw stride 1" | "dw stride 2" | "pw (weights in L2)" | "pw (weights from L3)";

export function layerKind(l: MeasuredLayer): LayerKind {
  if (l.kind === "dw3x3") return l.stride === 1 ? "dw stride 1" : "dw stride 2";
  return l.l3 ? "pw (weights from L3)" : "pw (weights in L2)";
}

/** One measured layer with the model's estimate. */
export interface LayerComparison {
  layer: string;
  kind: LayerKind;
  repeat: number;
  macs: number;
  measuredCycles: number;
  estimate: LatencyEstimate;
  tiling: Record<string, number>;
  /** estimate / measured - 1 (negative: the model is faster than the board). */
  error: number;
}

/** Per-kind summary: repeat-weighted cycles and the mean absolute relative error of the rows. */
export interface KindSummary {
  kind: LayerKind;
  layers: number;
  measuredCycles: number;
  estimatedCycles: number;
  /** Sum of estimates / sum of measured - 1. */
  totalError: number;
  /** Mean of |estimate / measured - 1| over the layers (repeat-weighted). */
  meanAbsError: number;
}

export interface CalibrationOptions {
  /** Memory configuration (DMA model in particular); default GAP8's with the `dory-gap8` preset. */
  memory?: Partial<MemoryConfig>;
  latency?: LatencyOptions;
  /** How each layer is tiled (default "cycles": DORY's tiler also favours tiles that keep all cores busy). */
  objective?: Objective;
  /** Requantization of the random ops (default `pulp-bn`: uint8, per-channel k and lambda, as DORY's MobileNet). */
  scheme?: QuantScheme;
}

/** Each measured layer estimated alone, as DORY deploys it. */
export function compareMeasured(options: CalibrationOptions = {}): LayerComparison[] {
  const net = mobilenetV1({ resolution: 128, padding: "symmetric" });
  const mem = resolveMemory(options.memory);
  const lat = resolveLatency(options.latency, mem.doubleBuffer);
  const lo = { scheme: options.scheme ?? ("pulp-bn" as const), layout: "HWC" as const, seed: 1 };
  const blocks = new Map<number, ReturnType<typeof describeBlock>>();
  const blockOf = (index: number) => {
    let blk = blocks.get(index);
    if (!blk) {
      const b = net.blocks[index - 1]!;
      const ops = b.layers.map((l) => randomOp(l, lo)) as [ConvOp, ConvOp];
      blk = describeBlock(randomInput(b.layers[0]!, lo), ops);
      blocks.set(index, blk);
    }
    return blk;
  };
  return DORY_MOBILENET_V1_128.map((l) => {
    const blk = blockOf(l.block);
    const which = l.kind === "dw3x3" ? "first" : "second";
    const layer = blk[which];
    if (layer.channels !== l.inChannels || layer.outChannels !== l.outChannels || layer.outHeight !== l.outSize || layer.sh !== l.stride) {
      throw new Error(`dwpw: ${l.layer} does not match block ${l.block} of mobilenetV1-128`); // a table/preset mismatch
    }
    const r = planLayer(blk, which, mem, options.objective ?? "cycles", lat);
    const estimate = r.estimate as LatencyEstimate;
    const measuredCycles = Math.round(l.timeMs * MEASURED_CYCLES_PER_MS);
    const macs = layer.kind === "depthwise"
      ? layer.outHeight * layer.outWidth * layer.channels * layer.kh * layer.kw
      : layer.height * layer.width * layer.channels * layer.outChannels;
    return { layer: l.layer, kind: layerKind(l), repeat: l.repeat, macs, measuredCycles, estimate, tiling: r.tiling, error: estimate.totalCycles / measuredCycles - 1 };
  });
}

/** Errors per layer kind (and "all in L2": every kind but the L3 one). */
export function summarize(rows: readonly LayerComparison[]): KindSummary[] {
  const kinds: Array<LayerKind | "all in L2"> = ["dw stride 1", "dw stride 2", "pw (weights in L2)", "pw (weights from L3)", "all in L2"];
  return kinds.flatMap((kind) => {
    const sel = rows.filter((r) => (kind === "all in L2" ? r.kind !== "pw (weights from L3)" : r.kind === kind));
    if (!sel.length) return [];
    const w = sel.reduce((s, r) => s + r.repeat, 0);
    const measuredCycles = sel.reduce((s, r) => s + r.repeat * r.measuredCycles, 0);
    const estimatedCycles = sel.reduce((s, r) => s + r.repeat * r.estimate.totalCycles, 0);
    return [{
      kind: kind as LayerKind,
      layers: w,
      measuredCycles,
      estimatedCycles,
      totalError: estimatedCycles / measuredCycles - 1,
      meanAbsError: sel.reduce((s, r) => s + r.repeat * Math.abs(r.error), 0) / w,
    }];
  });
}

/** The fit's objective: repeat-weighted mean squared log ratio over the layers with weights in L2. */
export function fitLoss(rows: readonly LayerComparison[]): number {
  const sel = rows.filter((r) => r.kind !== "pw (weights from L3)");
  const w = sel.reduce((s, r) => s + r.repeat, 0);
  return sel.reduce((s, r) => s + r.repeat * Math.log(r.estimate.totalCycles / r.measuredCycles) ** 2, 0) / w;
}

/** The values each DMA constant is searched over. */
export const FIT_GRID: Readonly<Record<keyof DmaModel, readonly number[]>> = Object.freeze({
  bytesPerCycle: [1, 1.5, 2, 3, 4, 6, 8],
  cyclesPerCommand: [10, 25, 50, 75, 100, 150, 200, 300, 400, 600, 900],
  layoutBytesPerCycle: [0.125, 0.17, 0.25, 0.33, 0.4, 0.5, 0.67, 0.8, 1],
  layoutCyclesPerChannel: [10, 25, 50, 100, 200, 400],
});

/**
 * Fits the DMA constants to the layers whose weights sit in L2, by coordinate descent over
 * FIT_GRID from `start` (each layer re-tiled for every candidate, as the tiler would): minimises
 * fitLoss. Slow (hundreds of plans); the result is recorded as GAP8_FIT_DMA.
 */
export function fitDma(start: DmaModel, options: Omit<CalibrationOptions, "memory"> & { memory?: Omit<Partial<MemoryConfig>, "dma"> } = {}, rounds = 3): { dma: DmaModel; loss: number } {
  let best: DmaModel = { ...start };
  const lossOf = (dma: DmaModel) => fitLoss(compareMeasured({ ...options, memory: { ...options.memory, dma } }));
  let bestLoss = lossOf(best);
  for (let round = 0; round < rounds; round++) {
    let moved = false;
    for (const key of Object.keys(FIT_GRID) as Array<keyof DmaModel>) {
      for (const v of FIT_GRID[key]) {
        if (v === best[key]) continue;
        const cand = { ...best, [key]: v };
        const loss = lossOf(cand);
        if (loss < bestLoss) {
          best = cand;
          bestLoss = loss;
          moved = true;
        }
      }
    }
    if (!moved) break;
  }
  return { dma: best, loss: bestLoss };
}
