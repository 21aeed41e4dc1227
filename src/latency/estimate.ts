// The latency estimate of a block (or of one layer) under a schedule and tiling: the compute of
// each step of the schedule's walk — the same walk the executor runs and the closed form counts
// transfers for — costed by kernels.ts, plus the tile loop's own work per step and the fused row
// schedules' window slides; then combined with the DMA cycles of the transfers.
import type { Block } from "../scratchpad/block.js";
import { l2Layout, tensorsInL2 } from "../scratchpad/l2.js";
import { schedule, walk, type Schedule } from "../scratchpad/schedules.js";
import { walkLayer } from "../scratchpad/schedules/unfused.js";
import type { KernelStep, Scratchpad, Tiling, Which, Window } from "../scratchpad/schedules/walk.js";
import { copyCycles, depthwiseCycles, pointwiseCycles } from "./kernels.js";
import type { ComputeModel, ResolvedLatency } from "./model.js";

/** Estimated cycles of a block (or layer): compute, DMA and the total under the DMA mode. */
export interface LatencyEstimate {
  /** Cluster cycles spent in kernels, window slides and the tile loop (blocking DMA excluded). */
  computeCycles: number;
  /** Cycles of the L2<->L1 transfers under the memory configuration's DMA model. */
  dmaCycles: number;
  /** compute + DMA when transfers block; with overlap, max(compute, DMA) + one step's DMA. */
  totalCycles: number;
}

/** Compute cycles and the number of DMA steps (tiles) they are spread over. */
export interface ComputeCount {
  cycles: number;
  steps: number;
}

/**
 * The cycles of kernel calls, remembering the last few shapes: a walk repeats a handful of call
 * shapes (full and last chunks, first, middle and last row steps), and costing a call walks every
 * core's share.
 */
class RecentCalls {
  private readonly shapes: KernelStep[] = [];
  private readonly values: number[] = [];
  private next = 0;

  constructor(private readonly cost: (k: KernelStep, m: ComputeModel) => number) {}

  cycles(k: KernelStep, m: ComputeModel): number {
    const a = k.call;
    for (let i = 0; i < this.shapes.length; i++) {
      const l = this.shapes[i] as KernelStep, b = l.call;
      if (a.height === b.height && a.width === b.width && a.channels === b.channels && a.outChannels === b.outChannels &&
        a.kh === b.kh && a.kw === b.kw && a.pad.top === b.pad.top && a.pad.bottom === b.pad.bottom &&
        k.outRows === l.outRows && k.outCols === l.outCols && k.srcLayout === l.srcLayout) return this.values[i] as number;
    }
    const v = this.cost(k, m);
    this.shapes[this.next] = k;
    this.values[this.next] = v;
    this.next = (this.next + 1) % 8;
    return v;
  }
}

const pointwiseStep = (k: KernelStep, m: ComputeModel): number =>
  pointwiseCycles({ rows: k.call.height, width: k.call.width, cin: k.call.channels, cout: k.call.outChannels, layout: k.srcLayout }, m);

const depthwiseStep = ({ call: c, outRows, outCols, srcLayout }: KernelStep, m: ComputeModel): number =>
  depthwiseCycles({
    inRows: c.height, width: c.width, channels: c.channels, outRows, outWidth: outCols,
    kh: c.kh, kw: c.kw, padTop: c.pad.top, padBottom: c.pad.bottom, layout: srcLayout,
  }, m);

/** Counts what a walk computes on the cluster, per phase (the unfused layers are phases of their own). */
class ComputeCounter implements Scratchpad {
  private readonly pw = new RecentCalls(pointwiseStep);
  private readonly dw = new RecentCalls(depthwiseStep);
  readonly doubleBuffer = false;
  readonly phases: ComputeCount[] = [{ cycles: 0, steps: 0 }];
  private now: ComputeCount = this.phases[0] as ComputeCount;

  constructor(private readonly m: ComputeModel) {}

  alloc(): number {
    return 0;
  }

  kernel(k: KernelStep): void {
    const c = k.call;
    this.now.cycles += c.kind === "pointwise" ? this.pw.cycles(k, this.m) : this.dw.cycles(k, this.m);
  }

  slide(w: Window, shift: number, kept: number): void {
    if (kept > 0 && shift !== 0) this.now.cycles += copyCycles(kept * w.width * w.channels, w.layout === "CHW" ? w.channels : 1, this.m);
  }

  step(): void {
    this.now.cycles += this.m.tileOverhead;
    this.now.steps++;
  }

  reset(): void {
    this.phases.push((this.now = { cycles: 0, steps: 0 }));
  }
}

const sum = (cs: readonly ComputeCount[]): ComputeCount => cs.reduce((a, c) => ({ cycles: a.cycles + c.cycles, steps: a.steps + c.steps }));

function phasesOf(blk: Block, sched: Schedule, t: Tiling, m: ComputeModel): ComputeCount[] {
  const counter = new ComputeCounter(m);
  walk(blk, sched, t, counter);
  return counter.phases;
}

/** One layer tiled alone (as the unfused baseline tiles it). */
export function layerCompute(blk: Block, which: Which, t: Tiling, m: ComputeModel): ComputeCount {
  const s = schedule("unfused");
  const counter = new ComputeCounter(m);
  walkLayer(blk, which, t, counter, tensorsInL2(blk, s, l2Layout(blk, s), 0));
  return sum(counter.phases);
}

/** Compute cycles of a schedule's tiling (both layers' for `unfused`). */
export function blockCompute(blk: Block, sched: Schedule, t: Tiling, m: ComputeModel): ComputeCount {
  return sum(phasesOf(blk, sched, t, m));
}

/**
 * Total cycles from compute and DMA. Blocking transfers add up. Overlapped (double-buffered)
 * transfers hide behind compute step by step: the total is the larger of the two plus the one
 * step's DMA that nothing hides (the first tile's input / the last tile's output), taken as the
 * average step's share.
 */
export function combine(compute: number, dma: number, steps: number, overlap: boolean): LatencyEstimate {
  const c = Math.round(compute);
  if (!overlap) return { computeCycles: c, dmaCycles: dma, totalCycles: c + dma };
  return { computeCycles: c, dmaCycles: dma, totalCycles: Math.round(Math.max(compute, dma) + dma / Math.max(steps, 1)) };
}

/** Adds two estimates (layers run one after the other). */
export function addEstimates(a: LatencyEstimate, b: LatencyEstimate): LatencyEstimate {
  return { computeCycles: a.computeCycles + b.computeCycles, dmaCycles: a.dmaCycles + b.dmaCycles, totalCycles: a.totalCycles + b.totalCycles };
}

/** The estimate of one layer tiled alone with tiling `t` whose transfers cost `dmaCycles`. */
export function layerEstimate(blk: Block, which: Which, t: Tiling, dmaCycles: number, lat: ResolvedLatency): LatencyEstimate {
  const c = layerCompute(blk, which, t, lat.compute);
  return combine(c.cycles, dmaCycles, c.steps, lat.overlap);
}

/**
 * The estimate of a block under `sched` and tiling `t`, given the DMA cycles of each phase of its
 * walk (one for a fused schedule; one per layer for `unfused`). Phases run one after the other and
 * each overlaps, if at all, only its own transfers: the unfused estimate is the sum of its layers'.
 */
export function estimateWith(blk: Block, sched: Schedule, t: Tiling, phaseDmaCycles: readonly number[], lat: ResolvedLatency): LatencyEstimate {
  return phasesOf(blk, sched, t, lat.compute)
    .map((c, i) => combine(c.cycles, phaseDmaCycles[i] as number, c.steps, lat.overlap))
    .reduce(addEstimates);
}
