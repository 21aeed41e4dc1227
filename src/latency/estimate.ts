// Compute cycles of a whole block under a schedule and tiling: the kernel calls each step of the
// schedule makes (the same steps the planner counts transfers for and the executor runs), each
// costed by kernels.ts, plus the deployment loop's per-tile overhead and the fused row schedules'
// window slides. Combined with the planner's DMA cycles this gives the latency estimate.
import type { Layout } from "../types.js";
import type { Layer } from "../validate.js";
import type { Block } from "../scratchpad/block.js";
import type { ResolvedMemory } from "../scratchpad/memory.js";
import { planLayerAlone, rowSteps, slidingSteps, Tally, type Tiling } from "../scratchpad/plan.js";
import type { Schedule } from "../scratchpad/schedules.js";
import { copyCycles, depthwiseCycles, pointwiseCycles, type DepthwiseCall } from "./kernels.js";
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

/** Sizes of the chunks of n items in tiles of t: [size, how many] pairs (full chunks, then the rest). */
function chunks(n: number, t: number): Array<[number, number]> {
  const full = Math.floor(n / t), rest = n - full * t;
  const out: Array<[number, number]> = [];
  if (full > 0) out.push([t, full]);
  if (rest > 0) out.push([rest, 1]);
  return out;
}

function dwCall(layer: Layer, st: { a: number; b: number; padTop: number; padBottom: number; o0: number; o1: number }, channels: number, layout: Layout): DepthwiseCall {
  return {
    inRows: st.b - st.a, width: layer.width, channels, outRows: st.o1 - st.o0, outWidth: layer.outWidth,
    kh: layer.kh, kw: layer.kw, padTop: st.padTop, padBottom: st.padBottom, layout,
  };
}

/** One layer tiled alone (the unfused baseline), as planLayerAlone tiles it. */
export function layerCompute(blk: Block, which: "first" | "second", t: Tiling, m: ComputeModel): ComputeCount {
  const layer = blk[which];
  const L = blk.input.layout;
  let cycles = 0, steps = 0;
  if (layer.kind === "pointwise") {
    const R = t.pwRows as number, Cb = t.pwOutChannels as number;
    for (const [n, nr] of chunks(layer.height, R)) {
      for (const [nb, nc] of chunks(layer.outChannels, Cb)) {
        cycles += nr * nc * (pointwiseCycles({ rows: n, width: layer.width, cin: layer.channels, cout: nb, layout: L }, m) + m.tileOverhead);
        steps += nr * nc;
      }
    }
    return { cycles, steps };
  }
  const R = t.dwRows as number, Cb = t.dwChannels as number;
  const rs = rowSteps(layer.outHeight, R, layer);
  for (const [nb, nc] of chunks(layer.channels, Cb)) {
    // DORY's depthwise tiles arrive in CHW (the DMA transposes HWC); PULP-NN reads CHW.
    for (const st of rs) cycles += nc * (depthwiseCycles(dwCall(layer, st, nb, "CHW"), m) + m.tileOverhead);
    steps += nc * rs.length;
  }
  return { cycles, steps };
}

function dwpwRows(blk: Block, s: Schedule, t: Tiling, m: ComputeModel): ComputeCount {
  const { dw, pw } = blk;
  const R = t.rows as number, Cb = t.outChannels as number, Cd = t.dwChannels as number;
  const C = dw.channels, W = dw.width, Wt = dw.outWidth;
  const Lin = s.input as Layout, Lt = s.intermediate as Layout;
  let cycles = 0, steps = 0, winA = 0;
  for (const st of slidingSteps(blk, R)) {
    // The rows the window keeps move to its front (the executor's slideWindow), core-local.
    if (st.kept > 0 && st.a !== winA) cycles += copyCycles(st.kept * W * C, Lin === "CHW" ? C : 1, m);
    winA = st.a;
    for (const [nd, k] of chunks(C, Cd)) cycles += k * depthwiseCycles(dwCall(dw, st, nd, Lin), m);
    const rows = st.o1 - st.o0;
    for (const [nb, k] of chunks(pw.outChannels, Cb)) {
      cycles += k * (pointwiseCycles({ rows, width: Wt, cin: C, cout: nb, layout: Lt }, m) + m.tileOverhead);
      steps += k;
    }
  }
  return { cycles, steps };
}

function pwdwRows(blk: Block, s: Schedule, t: Tiling, m: ComputeModel): ComputeCount {
  const { dw, pw } = blk;
  const R = t.rows as number, Cb = t.outChannels as number;
  const Cin = pw.channels, W = pw.width, Ct = pw.outChannels;
  const Lin = s.input as Layout, Lt = s.intermediate as Layout;
  let cycles = 0, steps = 0, winA = 0;
  for (const st of slidingSteps(blk, R)) {
    if (st.kept > 0 && st.a !== winA) cycles += copyCycles(st.kept * W * Ct, Lt === "CHW" ? Ct : 1, m);
    winA = st.a;
    const n = st.b - st.newA;
    if (n > 0) for (const [nb, k] of chunks(Ct, Cb)) cycles += k * pointwiseCycles({ rows: n, width: W, cin: Cin, cout: nb, layout: Lin }, m);
    cycles += depthwiseCycles(dwCall(dw, st, Ct, Lt), m) + m.tileOverhead;
    steps++;
  }
  return { cycles, steps };
}

function pwdwChannels(blk: Block, s: Schedule, t: Tiling, m: ComputeModel): ComputeCount {
  const { dw, pw } = blk;
  const B = t.channels as number, Ri = t.inputRows as number;
  const Cin = pw.channels, H = pw.height, W = pw.width;
  const Lin = s.input as Layout, Lt = s.intermediate as Layout;
  const resident = Ri >= H;
  const rowTiles = chunks(H, Math.min(Ri, H));
  const whole = { a: 0, b: H, padTop: dw.pad.top, padBottom: dw.pad.bottom, o0: 0, o1: dw.outHeight };
  let cycles = 0, steps = 0;
  for (const [nb, k] of chunks(pw.outChannels, B)) {
    let batch = 0;
    for (const [n, nr] of rowTiles) batch += nr * pointwiseCycles({ rows: n, width: W, cin: Cin, cout: nb, layout: Lin }, m);
    // Each streamed input row tile is a step of the loop; the batch's output write is one more.
    const batchSteps = 1 + (resident ? 0 : rowTiles.reduce((x, [, nr]) => x + nr, 0));
    batch += depthwiseCycles(dwCall(dw, whole, nb, Lt), m) + batchSteps * m.tileOverhead;
    cycles += k * batch;
    steps += k * batchSteps;
  }
  return { cycles, steps };
}

const FAMILY_COMPUTE = { dwpwRows, pwdwRows, pwdwChannels };

/** Compute cycles of a fused schedule's tiling, or of both layers of `unfused`. */
export function blockCompute(blk: Block, sched: Schedule, t: Tiling, m: ComputeModel): ComputeCount {
  if (sched.family === "unfused") {
    const a = layerCompute(blk, "first", t, m), b = layerCompute(blk, "second", t, m);
    return { cycles: a.cycles + b.cycles, steps: a.steps + b.steps };
  }
  return FAMILY_COMPUTE[sched.family](blk, sched, t, m);
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
export function layerEstimate(blk: Block, which: "first" | "second", t: Tiling, dmaCycles: number, lat: ResolvedLatency): LatencyEstimate {
  const c = layerCompute(blk, which, t, lat.compute);
  return combine(c.cycles, dmaCycles, c.steps, lat.overlap);
}

/**
 * The estimate of a block under `sched` and tiling `t` whose transfers cost `dmaCycles` in all.
 * The unfused baseline is the sum of its two layers, each estimated alone (each overlaps, if at
 * all, only its own transfers), so it equals the sum of the layers' own reports.
 */
export function estimateWith(blk: Block, sched: Schedule, t: Tiling, mem: ResolvedMemory, dmaCycles: number, lat: ResolvedLatency): LatencyEstimate {
  if (sched.family === "unfused") {
    const per = (which: "first" | "second") => {
      const tally = new Tally();
      planLayerAlone(blk, which, t, mem, tally);
      return layerEstimate(blk, which, t, tally.cycles, lat);
    };
    return addEstimates(per("first"), per("second"));
  }
  const c = blockCompute(blk, sched, t, lat.compute);
  return combine(c.cycles, dmaCycles, c.steps, lat.overlap);
}
