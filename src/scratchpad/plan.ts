// The planner: for a block, a schedule and a tiling, the transfer report in closed form — sums
// over the tiles of the DMA cost rules (cost.ts), with no copy and no kernel run. The executor
// (execute.ts) walks the same tiles on the WebAssembly model, whose own counters must come out
// equal (tests hold them so). The planner also lays out the L1 buffers and searches tilings.
import type { Layout } from "../types.js";
import type { ChannelParams } from "../wasm/params.js";
import { paramBytesPerChannel, rowWindow, tileCandidates, type Block } from "./block.js";
import { boxCost, linearCost, stridesOf, type TransferCost } from "./cost.js";
import type { ResolvedMemory } from "./memory.js";
import { schedule as parseSchedule, SCHEDULES, type Schedule } from "./schedules.js";
import { resolveLatency, type LatencyOptions, type ResolvedLatency } from "../latency/model.js";
import { estimateWith, layerEstimate, type LatencyEstimate } from "../latency/schedule.js";

/** What the planner minimises: activation bytes moved (the default) or estimated cycles. */
export type Objective = "bytes" | "cycles";

/**
 * The objectives of the search: the public ones, and `bytes+cycles` (bytes, ties broken by
 * estimated cycles; needs a latency model), which the network recommendations use so that a
 * plan chosen for bytes is not needlessly slow. `estimate: true` alone keeps plain `bytes`, so it
 * adds the estimate without changing the plan.
 */
export type SearchObjective = Objective | "bytes+cycles";

/** The transfer report of SPEC §5. */
export interface TransferReport {
  schedule: string;
  l2ToL1: { input: number; intermediate: number; weights: number; params: number };
  l1ToL2: { intermediate: number; output: number };
  /** input + intermediate (both ways) + output. */
  activationBytes: number;
  dmaCommands: number;
  dmaCycles: number;
  /** Output tiles written back to L2 (both layers' for `unfused`). */
  tiles: number;
  peakL1Bytes: number;
  tiling: Record<string, number>;
  /** Bytes the block keeps in L2: input, output, weights, parameters (and the intermediate, unfused). */
  l2Bytes: number;
  /** Whether l2Bytes fits the configured L2; on GAP8 a block that does not would spill to L3. */
  fitsL2: boolean;
  /** The DMA model the cycles are counted under. */
  dma: string;
  /**
   * Estimated cycles on GAP8's cluster (src/latency): present when planning by `objective: "cycles"`,
   * or when `estimate: true` or `latency` options are given.
   */
  estimate?: LatencyEstimate;
}

export type Kind = "input" | "intermediate" | "weights" | "params" | "output";

/** Accumulates transfers the way the WebAssembly model counts them. */
export class Tally {
  readonly l2ToL1 = { input: 0, intermediate: 0, weights: 0, params: 0 };
  readonly l1ToL2 = { intermediate: 0, output: 0 };
  commands = 0;
  cycles = 0;

  add(toL1: boolean, kind: Kind, c: TransferCost): void {
    if (c.bytes === 0) return;
    if (toL1) this.l2ToL1[kind === "output" ? "input" : (kind as keyof Tally["l2ToL1"])] += c.bytes;
    else this.l1ToL2[kind as keyof Tally["l1ToL2"]] += c.bytes;
    this.commands += c.commands;
    this.cycles += c.cycles;
  }
}

/** Tile sizes of each family (the keys of `TransferReport.tiling`). */
export const TILING_KEYS = {
  dwpwRows: ["rows", "outChannels", "dwChannels"],
  pwdwRows: ["rows", "outChannels"],
  pwdwChannels: ["channels", "inputRows"],
  unfused: ["dwRows", "dwChannels", "pwRows", "pwOutChannels"],
} as const;

export type Tiling = Record<string, number>;

/** L1 buffers in allocation order, each a size in bytes; unfused has one list per layer. */
export type BufferPhases = number[][];

/** L1 bytes a list of buffers takes with GAP8's 4-byte alignment of each buffer. */
export function l1Footprint(buffers: number[]): number {
  let top = 0;
  for (const b of buffers) top = ((top + 3) & ~3) + b;
  return top;
}

/** The per-channel parameter arrays of channels [c0, c0 + n), as contiguous copies. */
export function paramCopies(p: ChannelParams, n: number): number[] {
  return [p.bias ? 4 * n : 0, p.aStride * n, p.bStride * n].filter((b) => b > 0);
}

function addParams(t: Tally, p: ChannelParams, n: number, mem: ResolvedMemory): void {
  for (const b of paramCopies(p, n)) t.add(true, "params", linearCost(b, mem.dma));
}

/** Every step of a row schedule: output rows [o0, o1) and the rows of the layer's input they read. */
export function rowSteps(outRows: number, rows: number, layer: Block["dw"]): Array<{ o0: number; o1: number; a: number; b: number; padTop: number; padBottom: number }> {
  const steps = [];
  for (let o0 = 0; o0 < outRows; o0 += rows) {
    const o1 = Math.min(o0 + rows, outRows);
    const { a, b, padTop, padBottom } = rowWindow(o0, o1, layer);
    steps.push({ o0, o1, a, b, padTop, padBottom });
  }
  return steps;
}

/** A tile buffer, twice when double-buffering (two separately aligned buffers, as the executor allocates). */
const dbl = (mem: ResolvedMemory, bytes: number): number[] => (mem.doubleBuffer ? [bytes, bytes] : [bytes]);

interface FamilyPlan {
  buffers: BufferPhases;
  tiles: number;
}

function planDwpwRows(blk: Block, s: Schedule, t: Tiling, mem: ResolvedMemory, tally: Tally | null): FamilyPlan {
  const { dw, pw } = blk;
  const { rows: R, outChannels: Cb, dwChannels: Cd } = t as { rows: number; outChannels: number; dwChannels: number };
  const C = dw.channels, W = dw.width, Wt = dw.outWidth, Ht = dw.outHeight, Co = pw.outChannels;
  const Lin = s.input as Layout, Lout = s.output as Layout;
  // The input rows live in a sliding window: each step fetches only the rows it does not hold yet.
  const steps = slidingSteps(blk, R);
  const winRows = Math.max(...steps.map((st) => st.b - st.a));
  const pDw = paramBytesPerChannel(blk.firstParams), pPw = paramBytesPerChannel(blk.secondParams);
  const buffers = [Cd * dw.kh * dw.kw, Cd * pDw, Cb * C, Cb * pPw, winRows * W * C, R * Wt * C, ...dbl(mem, R * Wt * Cb)];
  const tiles = steps.length * Math.ceil(Co / Cb);
  if (!tally) return { buffers: [buffers], tiles };
  // Depthwise weights stay resident when they fit whole, else stream per channel chunk and step.
  const dwResident = Cd >= C;
  if (dwResident) {
    tally.add(true, "weights", linearCost(C * dw.kh * dw.kw, mem.dma));
    addParams(tally, blk.firstParams, C, mem);
  }
  const resident = Cb >= Co;
  if (resident) {
    tally.add(true, "weights", linearCost(Co * C, mem.dma));
    addParams(tally, blk.secondParams, Co, mem);
  }
  const inL1 = stridesOf(Lin, winRows, W, C); // the window: in CHW each channel's rows form one plane
  for (const st of steps) {
    const n = st.b - st.newA;
    tally.add(true, "input", boxCost(stridesOf(Lin, dw.height, W, C), inL1, n, W, C, mem.dma));
    if (!dwResident) {
      for (let c0 = 0; c0 < C; c0 += Cd) {
        const nd = Math.min(Cd, C - c0);
        tally.add(true, "weights", linearCost(nd * dw.kh * dw.kw, mem.dma));
        addParams(tally, blk.firstParams, nd, mem);
      }
    }
    for (let c0 = 0; c0 < Co; c0 += Cb) {
      const nb = Math.min(Cb, Co - c0);
      if (!resident) {
        tally.add(true, "weights", linearCost(nb * C, mem.dma));
        addParams(tally, blk.secondParams, nb, mem);
      }
      const r = st.o1 - st.o0;
      tally.add(false, "output", boxCost(stridesOf(Lout, Ht, Wt, Co), stridesOf(Lout, r, Wt, nb), r, Wt, nb, mem.dma));
    }
  }
  return { buffers: [buffers], tiles };
}

/** Sliding steps already computed, per block and rows per step (the tiling searches ask many times). */
const slidingCache = new WeakMap<Block, Map<number, SlidingStep[]>>();

export type SlidingStep = ReturnType<typeof rowSteps>[number] & { newA: number; kept: number; keepFrom: number };

/**
 * Window bookkeeping of the row schedules: which rows each step computes. The result is shared
 * between calls with the same block and R: callers must not modify it.
 */
export function slidingSteps(blk: Block, R: number): SlidingStep[] {
  let byRows = slidingCache.get(blk);
  if (!byRows) slidingCache.set(blk, (byRows = new Map()));
  let steps = byRows.get(R);
  if (!steps) byRows.set(R, (steps = computeSlidingSteps(blk, R)));
  return steps;
}

function computeSlidingSteps(blk: Block, R: number): SlidingStep[] {
  const steps = rowSteps(blk.dw.outHeight, R, blk.dw);
  let prevB = 0;
  return steps.map(({ o0, o1, a, b, padTop, padBottom }) => {
    const newA = Math.max(a, prevB);
    const keepFrom = a; // rows [a, prevB) stay in the window
    const kept = Math.max(prevB - a, 0);
    prevB = Math.max(prevB, b);
    return { o0, o1, a, b, padTop, padBottom, newA, kept, keepFrom };
  });
}

function planPwdwRows(blk: Block, s: Schedule, t: Tiling, mem: ResolvedMemory, tally: Tally | null): FamilyPlan {
  const { dw, pw } = blk;
  const { rows: R, outChannels: Cb } = t as { rows: number; outChannels: number };
  const Cin = pw.channels, H = pw.height, W = pw.width, Ct = pw.outChannels, Ho = dw.outHeight, Wo = dw.outWidth;
  const Lin = s.input as Layout, Lout = s.output as Layout;
  const steps = slidingSteps(blk, R);
  const winRows = Math.max(...steps.map((st) => st.b - st.a));
  const newRowsMax = Math.max(...steps.map((st) => st.b - st.newA));
  const pDw = paramBytesPerChannel(blk.secondParams), pPw = paramBytesPerChannel(blk.firstParams);
  const buffers = [Ct * dw.kh * dw.kw, Ct * pDw, Cb * Cin, Cb * pPw, ...dbl(mem, newRowsMax * W * Cin), winRows * W * Ct, ...dbl(mem, R * Wo * Ct)];
  if (!tally) return { buffers: [buffers], tiles: steps.length };
  tally.add(true, "weights", linearCost(Ct * dw.kh * dw.kw, mem.dma));
  addParams(tally, blk.secondParams, Ct, mem);
  const resident = Cb >= Ct;
  if (resident) {
    tally.add(true, "weights", linearCost(Ct * Cin, mem.dma));
    addParams(tally, blk.firstParams, Ct, mem);
  }
  for (const st of steps) {
    const n = st.b - st.newA;
    if (n > 0) {
      tally.add(true, "input", boxCost(stridesOf(Lin, H, W, Cin), stridesOf(Lin, n, W, Cin), n, W, Cin, mem.dma));
      if (!resident) {
        for (let c0 = 0; c0 < Ct; c0 += Cb) {
          const nb = Math.min(Cb, Ct - c0);
          tally.add(true, "weights", linearCost(nb * Cin, mem.dma));
          addParams(tally, blk.firstParams, nb, mem);
        }
      }
    }
    const r = st.o1 - st.o0;
    tally.add(false, "output", boxCost(stridesOf(Lout, Ho, Wo, Ct), stridesOf(Lout, r, Wo, Ct), r, Wo, Ct, mem.dma));
  }
  return { buffers: [buffers], tiles: steps.length };
}

function planPwdwChannels(blk: Block, s: Schedule, t: Tiling, mem: ResolvedMemory, tally: Tally | null): FamilyPlan {
  const { dw, pw } = blk;
  const { channels: B, inputRows: Ri } = t as { channels: number; inputRows: number };
  const Cin = pw.channels, H = pw.height, W = pw.width, Ct = pw.outChannels, Ho = dw.outHeight, Wo = dw.outWidth;
  const Lin = s.input as Layout, Lout = s.output as Layout;
  const resident = Ri >= H;
  const rowsTile = Math.min(Ri, H);
  const pDw = paramBytesPerChannel(blk.secondParams), pPw = paramBytesPerChannel(blk.firstParams);
  const inBuf = rowsTile * W * Cin;
  const buffers = [...(resident ? [inBuf] : dbl(mem, inBuf)), B * Cin, B * pPw, H * W * B, B * dw.kh * dw.kw, B * pDw, ...dbl(mem, Ho * Wo * B)];
  if (!tally) return { buffers: [buffers], tiles: Math.ceil(Ct / B) };
  const inL2 = stridesOf(Lin, H, W, Cin);
  if (resident) tally.add(true, "input", boxCost(inL2, stridesOf(Lin, H, W, Cin), H, W, Cin, mem.dma));
  let tiles = 0;
  for (let c0 = 0; c0 < Ct; c0 += B) {
    const nb = Math.min(B, Ct - c0);
    tally.add(true, "weights", linearCost(nb * Cin, mem.dma));
    addParams(tally, blk.firstParams, nb, mem);
    tally.add(true, "weights", linearCost(nb * dw.kh * dw.kw, mem.dma));
    addParams(tally, blk.secondParams, nb, mem);
    if (!resident) {
      for (let r0 = 0; r0 < H; r0 += rowsTile) {
        const n = Math.min(rowsTile, H - r0);
        tally.add(true, "input", boxCost(inL2, stridesOf(Lin, n, W, Cin), n, W, Cin, mem.dma));
      }
    }
    tally.add(false, "output", boxCost(stridesOf(Lout, Ho, Wo, Ct), stridesOf(Lout, Ho, Wo, nb), Ho, Wo, nb, mem.dma));
    tiles++;
  }
  return { buffers: [buffers], tiles };
}

/** One layer tiled alone, DORY style; `inKind`/`outKind` say which tensors it reads and writes. */
export function planLayerAlone(
  blk: Block, which: "first" | "second", t: Tiling, mem: ResolvedMemory, tally: Tally | null,
): { buffers: number[]; tiles: number } {
  const layer = blk[which];
  const params = which === "first" ? blk.firstParams : blk.secondParams;
  const inKind: Kind = which === "first" ? "input" : "intermediate";
  const outKind: Kind = which === "first" ? "intermediate" : "output";
  const L = blk.input.layout;
  const pp = paramBytesPerChannel(params);
  const { height: H, width: W, channels: C, outHeight: Ho, outWidth: Wo, outChannels: Co } = layer;
  const inL2 = stridesOf(L, H, W, C), outL2 = stridesOf(L, Ho, Wo, Co);
  let tiles = 0;
  if (layer.kind === "pointwise") {
    const { pwRows: R, pwOutChannels: Cb } = t as { pwRows: number; pwOutChannels: number };
    const buffers = [...dbl(mem, R * W * C), Cb * C, Cb * pp, ...dbl(mem, R * W * Cb)];
    if (!tally) return { buffers, tiles: Math.ceil(H / R) * Math.ceil(Co / Cb) };
    const resident = Cb >= Co;
    if (resident) {
      tally.add(true, "weights", linearCost(Co * C, mem.dma));
      addParams(tally, params, Co, mem);
    }
    for (let r0 = 0; r0 < H; r0 += R) {
      const n = Math.min(R, H - r0);
      tally.add(true, inKind, boxCost(inL2, stridesOf(L, n, W, C), n, W, C, mem.dma));
      for (let c0 = 0; c0 < Co; c0 += Cb) {
        const nb = Math.min(Cb, Co - c0);
        if (!resident) {
          tally.add(true, "weights", linearCost(nb * C, mem.dma));
          addParams(tally, params, nb, mem);
        }
        tally.add(false, outKind, boxCost(outL2, stridesOf(L, n, W, nb), n, W, nb, mem.dma));
        tiles++;
      }
    }
    return { buffers, tiles };
  }
  const { dwRows: R, dwChannels: Cb } = t as { dwRows: number; dwChannels: number };
  const steps = rowSteps(Ho, R, layer);
  const inRowsMax = Math.max(...steps.map((st) => st.b - st.a));
  const buffers = [...dbl(mem, inRowsMax * W * Cb), Cb * layer.kh * layer.kw, Cb * pp, ...dbl(mem, R * Wo * Cb)];
  if (!tally) return { buffers, tiles: steps.length * Math.ceil(C / Cb) };
  for (let c0 = 0; c0 < C; c0 += Cb) {
    const nb = Math.min(Cb, C - c0);
    tally.add(true, "weights", linearCost(nb * layer.kh * layer.kw, mem.dma));
    addParams(tally, params, nb, mem);
    for (const st of steps) {
      const n = st.b - st.a, r = st.o1 - st.o0;
      // PULP-NN's depthwise reads CHW and writes HWC: the DMA changes layout where L2 differs.
      tally.add(true, inKind, boxCost(inL2, stridesOf("CHW", n, W, nb), n, W, nb, mem.dma));
      tally.add(false, outKind, boxCost(outL2, stridesOf("HWC", r, Wo, nb), r, Wo, nb, mem.dma));
      tiles++;
    }
  }
  return { buffers, tiles };
}

function planUnfused(blk: Block, _s: Schedule, t: Tiling, mem: ResolvedMemory, tally: Tally | null): FamilyPlan {
  const a = planLayerAlone(blk, "first", t, mem, tally);
  const b = planLayerAlone(blk, "second", t, mem, tally);
  return { buffers: [a.buffers, b.buffers], tiles: a.tiles + b.tiles };
}

const FAMILY_PLANS = {
  dwpwRows: planDwpwRows,
  pwdwRows: planPwdwRows,
  pwdwChannels: planPwdwChannels,
  unfused: planUnfused,
};

/** Bytes of L2 a block keeps: tensors, weights and parameters, each 4-byte aligned. */
export function l2Footprint(blk: Block, sched: Schedule): number {
  const t = (n: number) => (n + 3) & ~3;
  const act = (s: { height: number; width: number; channels: number }) => t(s.height * s.width * s.channels);
  const params = (p: ChannelParams, n: number) => paramCopies(p, n).reduce((x, b) => x + t(b), 0);
  return (
    act(blk.input) + act(blk.output) + (sched.family === "unfused" ? act(blk.intermediate) : 0) +
    t(blk.first.weights.length) + t(blk.second.weights.length) +
    params(blk.firstParams, blk.first.outChannels) + params(blk.secondParams, blk.second.outChannels)
  );
}

/** The report of `sched` with tiling `t`, in closed form; with `latency`, its estimated cycles too. */
export function planWith(blk: Block, sched: Schedule, t: Tiling, mem: ResolvedMemory, latency?: ResolvedLatency): TransferReport {
  const tally = new Tally();
  const f = FAMILY_PLANS[sched.family](blk, sched, t, mem, tally);
  const { l2ToL1, l1ToL2 } = tally;
  const l2Bytes = l2Footprint(blk, sched);
  const report: TransferReport = {
    schedule: sched.name,
    l2ToL1: { ...l2ToL1 },
    l1ToL2: { ...l1ToL2 },
    activationBytes: l2ToL1.input + l2ToL1.intermediate + l1ToL2.intermediate + l1ToL2.output,
    dmaCommands: tally.commands,
    dmaCycles: tally.cycles,
    tiles: f.tiles,
    peakL1Bytes: Math.max(...f.buffers.map(l1Footprint)),
    tiling: { ...t },
    l2Bytes,
    fitsL2: l2Bytes <= mem.l2,
    dma: mem.dmaName,
  };
  if (latency) report.estimate = estimateWith(blk, sched, t, mem, tally.cycles, latency);
  return report;
}

/** L1 bytes the tiling needs (the largest phase), without counting transfers. */
export function l1Need(blk: Block, sched: Schedule, t: Tiling, mem: ResolvedMemory): number {
  return Math.max(...FAMILY_PLANS[sched.family](blk, sched, t, mem, null).buffers.map(l1Footprint));
}

/** Whether the block's op order and layouts allow the schedule at all. */
export function applicable(blk: Block, sched: Schedule): string | null {
  if (sched.family === "unfused") return null;
  if (sched.order !== blk.order) return `it runs ${sched.order} but the block is ${blk.order}`;
  if (sched.input !== blk.input.layout) return `it takes ${sched.input} input but the block input is ${blk.input.layout}`;
  return null;
}

function better(a: TransferReport, b: TransferReport, objective: SearchObjective = "bytes"): boolean {
  if (objective === "cycles") {
    const ca = (a.estimate as LatencyEstimate).totalCycles, cb = (b.estimate as LatencyEstimate).totalCycles;
    if (ca !== cb) return ca < cb;
  }
  if (a.activationBytes !== b.activationBytes) return a.activationBytes < b.activationBytes;
  if (objective === "bytes+cycles") {
    const ca = (a.estimate as LatencyEstimate).totalCycles, cb = (b.estimate as LatencyEstimate).totalCycles;
    if (ca !== cb) return ca < cb;
  }
  if (a.dmaCycles !== b.dmaCycles) return a.dmaCycles < b.dmaCycles;
  return a.tiles < b.tiles;
}

/**
 * Candidate values of each tiling key, with forced values fixed. For the cycles objective the
 * pointwise row tiles also try multiples of 4 and 8 rows (the HoWo kernel's split is even there).
 */
function candidates(blk: Block, sched: Schedule, forced: Tiling, maxRows: number, objective: SearchObjective = "bytes"): Record<string, number[]> {
  const pick = (key: string, all: number[]) => (key in forced ? [forced[key] as number] : all);
  const even = (n: number, all: number[]) =>
    objective !== "bytes" ? [...new Set([...all, ...[4, 8, 12, 16, 24, 32].filter((v) => v <= n)])] : all;
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  const { dw, pw } = blk;
  switch (sched.family) {
    case "dwpwRows":
      return {
        rows: pick("rows", upTo(Math.min(maxRows, dw.outHeight))),
        outChannels: pick("outChannels", tileCandidates(pw.outChannels)),
        dwChannels: pick("dwChannels", tileCandidates(dw.channels)),
      };
    case "pwdwRows":
      return {
        rows: pick("rows", upTo(Math.min(maxRows, dw.outHeight))),
        outChannels: pick("outChannels", tileCandidates(pw.outChannels)),
      };
    case "pwdwChannels":
      return {
        channels: pick("channels", tileCandidates(pw.outChannels)),
        inputRows: pick("inputRows", even(pw.height, tileCandidates(pw.height))),
      };
    case "unfused":
      return {
        dwRows: pick("dwRows", tileCandidates(dw.outHeight)),
        dwChannels: pick("dwChannels", tileCandidates(dw.channels)),
        pwRows: pick("pwRows", even(pw.height, tileCandidates(pw.height))),
        pwOutChannels: pick("pwOutChannels", tileCandidates(pw.outChannels)),
      };
  }
}

function* combinations(c: Record<string, number[]>, keys: readonly string[]): Generator<Tiling> {
  const rec = function* (i: number, acc: Tiling): Generator<Tiling> {
    if (i === keys.length) {
      yield { ...acc };
      return;
    }
    for (const v of c[keys[i] as string] as number[]) yield* rec(i + 1, { ...acc, [keys[i] as string]: v });
  };
  yield* rec(0, {});
}

/**
 * The tilings worth scoring: every combination of all keys but the last, each with the largest
 * value of the last key that fits. Every family's last key is a tile size that, the others fixed,
 * never moves more bytes or costs more cycles when larger (fewer re-fetches, fewer commands).
 */
function* largestFitting(
  c: Record<string, number[]>, keys: readonly string[], need: (t: Tiling) => number, fits: (t: Tiling, need: number) => boolean,
): Generator<Tiling> {
  const last = keys[keys.length - 1] as string;
  const values = [...(c[last] as number[])].sort((a, b) => b - a);
  for (const t of combinations(c, keys.slice(0, -1))) {
    for (const v of values) {
      const full = { ...t, [last]: v };
      if (fits(full, need(full))) {
        yield full;
        break;
      }
    }
  }
}

/**
 * The tilings the cycles objective scores: those of largestFitting, and with each the largest
 * fitting multiples of 8 and of 4 of the last key (unless forced): smaller tiles that split evenly
 * over the cluster's cores can be faster than the largest one.
 */
function* evenlySplit(
  c: Record<string, number[]>, keys: readonly string[], need: (t: Tiling) => number, fits: (t: Tiling, need: number) => boolean,
  forced: Tiling,
): Generator<Tiling> {
  const last = keys[keys.length - 1] as string;
  for (const t of largestFitting(c, keys, need, fits)) {
    yield t;
    if (last in forced) continue;
    const v = t[last] as number;
    for (const e of new Set([Math.floor(v / 8) * 8, Math.floor(v / 4) * 4])) {
      if (e < 1 || e >= v) continue;
      const full = { ...t, [last]: e };
      if (fits(full, need(full))) yield full;
    }
  }
}

/** The tiling of one layer alone that moves the fewest activation bytes (then cycles, then tiles). */
function bestLayerTiling(
  blk: Block, which: "first" | "second", c: Record<string, number[]>, mem: ResolvedMemory,
  fits: (t: Tiling, need: number) => boolean, objective: SearchObjective = "bytes", latency?: ResolvedLatency, forced: Tiling = {},
): Tiling | null {
  const keys = blk[which].kind === "depthwise" ? ["dwRows", "dwChannels"] : ["pwRows", "pwOutChannels"];
  let b: { est: number; act: number; cycles: number; tiles: number; t: Tiling } | null = null;
  const need = (t: Tiling) => l1Footprint(planLayerAlone(blk, which, t, mem, null).buffers);
  // Under bytes+cycles, bytes ties go to the tiling with fewer estimated cycles, so the more even
  // splits are scored too; under bytes, est is 0 for all and the order is DMA cycles, tiles.
  const scored = objective !== "bytes";
  const gen = scored ? evenlySplit(c, keys, need, fits, forced) : largestFitting(c, keys, need, fits);
  for (const t of gen) {
    const alone = planLayerAlone(blk, which, t, mem, null);
    const tally = new Tally();
    planLayerAlone(blk, which, t, mem, tally);
    const act = tally.l2ToL1.input + tally.l2ToL1.intermediate + tally.l1ToL2.intermediate + tally.l1ToL2.output;
    const est = scored ? layerEstimate(blk, which, t, tally.cycles, latency as ResolvedLatency).totalCycles : 0;
    const [p, q, bp, bq] = objective === "cycles" ? [est, act, b?.est, b?.act] : [act, est, b?.act, b?.est];
    if (!b || p < (bp as number) || (p === bp && (q < (bq as number) || (q === bq && (tally.cycles < b.cycles || (tally.cycles === b.cycles && alone.tiles < b.tiles)))))) {
      b = { est, act, cycles: tally.cycles, tiles: alone.tiles, t };
    }
  }
  return b?.t ?? null;
}

/**
 * The DORY-style report of one layer of a block run alone (L2 to L2), best tiling; for network
 * reports. With `latency` the report carries its estimate; `objective: "cycles"` tiles for it.
 */
export function planLayer(blk: Block, which: "first" | "second", mem: ResolvedMemory, objective: SearchObjective = "bytes", latency?: ResolvedLatency): TransferReport {
  const sched = parseSchedule("unfused");
  const lat = objective !== "bytes" ? (latency ?? resolveLatency(undefined, mem.doubleBuffer)) : latency;
  const t = bestLayerTiling(blk, which, candidates(blk, sched, {}, 4, objective), mem, (_t, need) => need <= mem.l1Usable, objective, lat);
  if (!t) throw new L1OverflowError(`unfused ${which} layer`, Infinity, mem.l1Usable, {});
  const tally = new Tally();
  const alone = planLayerAlone(blk, which, t, mem, tally);
  // Bytes read and written count as input and output of this lone layer, whatever its place in the block.
  const input = tally.l2ToL1.input + tally.l2ToL1.intermediate;
  const output = tally.l1ToL2.intermediate + tally.l1ToL2.output;
  const report: TransferReport = {
    schedule: "unfused",
    l2ToL1: { input, intermediate: 0, weights: tally.l2ToL1.weights, params: tally.l2ToL1.params },
    l1ToL2: { intermediate: 0, output },
    activationBytes: input + output,
    dmaCommands: tally.commands,
    dmaCycles: tally.cycles,
    tiles: alone.tiles,
    peakL1Bytes: l1Footprint(alone.buffers),
    tiling: t,
    l2Bytes: 0,
    fitsL2: true,
    dma: mem.dmaName,
  };
  if (lat) report.estimate = layerEstimate(blk, which, t, tally.cycles, lat);
  return report;
}

/** Raised when nothing fits: says by how many bytes the best attempt overflows L1. */
export class L1OverflowError extends RangeError {
  constructor(readonly schedule: string, readonly needBytes: number, readonly usableBytes: number, tiling: Tiling) {
    super(
      `schedule ${schedule} does not fit L1: its smallest tiling ${JSON.stringify(tiling)} needs ${needBytes} bytes, ` +
        `${needBytes - usableBytes} more than the ${usableBytes} usable`,
    );
    this.name = "L1OverflowError";
  }
}

function checkForced(sched: Schedule, forced: Tiling): void {
  if (typeof forced !== "object" || forced === null) throw new TypeError("options.tiling must be an object");
  const keys: readonly string[] = TILING_KEYS[sched.family];
  for (const [k, v] of Object.entries(forced)) {
    if (!keys.includes(k)) throw new RangeError(`options.tiling.${k} is not a tile size of ${sched.name} (expected ${keys.join(", ")})`);
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new RangeError(`options.tiling.${k} must be a positive integer, got ${v}`);
  }
}

/**
 * The best tiling of one schedule: fewest activation bytes, then fewest DMA cycles, among those
 * that fit the usable L1 — or, with `objective: "cycles"`, fewest estimated cycles (then bytes);
 * `bytes+cycles` breaks bytes ties on estimated cycles.
 * Forced tile sizes are kept (and clamped to the tensor). With `latency` (always for cycles) the
 * report carries its estimate. Throws L1OverflowError if none fits.
 */
export function bestTiling(
  blk: Block, sched: Schedule, mem: ResolvedMemory, forced: Tiling = {}, maxRows = 4, objective: SearchObjective = "bytes", latency?: ResolvedLatency,
): TransferReport {
  const lat = objective !== "bytes" ? (latency ?? resolveLatency(undefined, mem.doubleBuffer)) : latency;
  checkForced(sched, forced);
  const keys = TILING_KEYS[sched.family];
  const limits = tilingLimits(blk);
  const clamped: Tiling = {};
  for (const [k, v] of Object.entries(forced)) clamped[k] = Math.min(v, limits[k] as number);
  let best: TransferReport | null = null;
  let smallest: { need: number; t: Tiling } | null = null;
  const fits = (t: Tiling, need: number): boolean => {
    if (need <= mem.l1Usable) return true;
    if (!smallest || need < smallest.need) smallest = { need, t };
    return false;
  };
  const c = candidates(blk, sched, clamped, maxRows, objective);
  if (sched.family === "unfused") {
    // The two layers are tiled independently: score each layer alone, then report them together.
    // If a layer cannot fit, the block needs at least that layer's smallest footprint.
    const layer = (which: "first" | "second") => {
      let least: { need: number; t: Tiling } | null = null;
      const fitsLayer = (t: Tiling, need: number): boolean => {
        if (need <= mem.l1Usable) return true;
        if (!least || need < least.need) least = { need, t };
        return false;
      };
      const t = bestLayerTiling(blk, which, c, mem, fitsLayer, objective, lat, clamped);
      return { t, least: least as { need: number; t: Tiling } | null };
    };
    const first = layer("first");
    const second = layer("second");
    if (first.t && second.t) best = planWith(blk, sched, { ...first.t, ...second.t }, mem, lat);
    else {
      const failing = [first, second].filter((l) => !l.t && l.least).map((l) => l.least as { need: number; t: Tiling });
      smallest = { need: Math.max(...failing.map((f) => f.need)), t: Object.assign({}, ...failing.map((f) => f.t)) };
    }
  } else {
    const need = (t: Tiling) => l1Need(blk, sched, t, mem);
    const gen = objective !== "bytes" ? evenlySplit(c, keys, need, fits, clamped) : largestFitting(c, keys, need, fits);
    // Under plain bytes the estimate (if asked for) is added to the winner only.
    for (const t of gen) {
      const r = planWith(blk, sched, t, mem, objective !== "bytes" ? lat : undefined);
      if (!best || better(r, best, objective)) best = r;
    }
    if (best && lat && !best.estimate) best = planWith(blk, sched, best.tiling, mem, lat);
  }
  if (best) return best;
  const s = smallest as { need: number; t: Tiling } | null;
  throw new L1OverflowError(sched.name, s?.need ?? Infinity, mem.l1Usable, s?.t ?? {});
}

/** The largest meaningful value of each tiling key (larger forced values are clamped to it). */
function tilingLimits(blk: Block): Record<string, number> {
  const { dw, pw } = blk;
  return {
    rows: dw.outHeight,
    outChannels: pw.outChannels,
    channels: pw.outChannels,
    inputRows: pw.height,
    dwRows: dw.outHeight,
    dwChannels: dw.channels,
    pwRows: pw.height,
    pwOutChannels: pw.outChannels,
  };
}

/** Options shared by `block` and `plan`. */
export interface BlockOptions {
  schedule?: string;
  memory?: Partial<import("./memory.js").MemoryConfig>;
  tiling?: Tiling;
  /** Upper bound on intermediate rows per step of the fused row schedules (default 4, as in DORY's integration). */
  maxRowsPerStep?: number;
  /**
   * What schedule and tiling minimise: `"bytes"` (default: activation bytes moved, then DMA
   * cycles) or `"cycles"` (the latency model's estimated total cycles, then bytes).
   */
  objective?: Objective;
  /** Latency model options (compute constants, DMA overlap); giving them also attaches `estimate`. */
  latency?: LatencyOptions;
  /** Attach the estimated cycles (`report.estimate`) under the bytes objective too. */
  estimate?: boolean;
}

/** The objective and latency options of `options`, checked; latency is undefined when not needed. */
export function planObjective(options: BlockOptions, mem: ResolvedMemory): { objective: Objective; latency: ResolvedLatency | undefined } {
  const objective = options.objective ?? "bytes";
  if (objective !== "bytes" && objective !== "cycles") throw new RangeError(`options.objective must be "bytes" or "cycles", got ${String(objective)}`);
  if (options.estimate !== undefined && typeof options.estimate !== "boolean") throw new TypeError("options.estimate must be a boolean");
  const wanted = objective === "cycles" || options.estimate === true || options.latency !== undefined;
  return { objective, latency: wanted ? resolveLatency(options.latency, mem.doubleBuffer) : undefined };
}

/**
 * What the search depends on besides the block and the memory: `options` checked and resolved.
 * The search sees only this, so the plan cache's key (which holds all of it) cannot miss an option.
 */
interface PlanRequest {
  schedule: Schedule | null;
  tiling: Tiling;
  maxRows: number;
  objective: Objective;
  latency: ResolvedLatency | undefined;
}

function planRequest(blk: Block, mem: ResolvedMemory, options: BlockOptions): PlanRequest {
  const maxRows = options.maxRowsPerStep ?? 4;
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new RangeError(`options.maxRowsPerStep must be a positive integer, got ${maxRows}`);
  const { objective, latency } = planObjective(options, mem);
  const tiling = options.tiling ?? {};
  if (options.schedule === undefined) {
    if (options.tiling !== undefined && Object.keys(options.tiling).length > 0) {
      throw new RangeError("options.tiling needs options.schedule: tile sizes mean different things in each schedule");
    }
    return { schedule: null, tiling, maxRows, objective, latency };
  }
  const sched = parseSchedule(options.schedule);
  const why = applicable(blk, sched);
  if (why) throw new RangeError(`options.schedule ${sched.name} does not apply to this block: ${why}`);
  checkForced(sched, tiling);
  return { schedule: sched, tiling, maxRows, objective, latency };
}

/** The named schedule's best tiling, or the best of all schedules that apply and fit. */
function searchPlan(blk: Block, mem: ResolvedMemory, req: PlanRequest): TransferReport {
  const { maxRows, objective, latency } = req;
  if (req.schedule) return bestTiling(blk, req.schedule, mem, req.tiling, maxRows, objective, latency);
  let best: TransferReport | null = null;
  let firstError: unknown = null;
  for (const name of SCHEDULES) {
    const sched = parseSchedule(name);
    if (applicable(blk, sched)) continue;
    try {
      const r = bestTiling(blk, sched, mem, {}, maxRows, objective, latency);
      if (!best || better(r, best, objective)) best = r;
    } catch (e) {
      if (!(e instanceof L1OverflowError)) throw e;
      firstError ??= e;
    }
  }
  if (!best) throw firstError;
  return best;
}

/** A bounded map that forgets the least recently used entry first. */
class LruCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      // Re-inserting moves the key to the end of Map's insertion order: the most recent.
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }
}

/**
 * Plans already searched (10–40 ms each on MobileNet blocks), by planKey. Entries are never
 * handed out: callers get copies, so a report mutated or returned to a user cannot alter them.
 */
const planCache = new LruCache<TransferReport>(128);

/** A JSON replacer that writes a typed array as its type and length. */
const arraysBySize = (_k: string, v: unknown): unknown => (ArrayBuffer.isView(v) ? `${v.constructor.name}(${(v as Uint8Array).length})` : v);

/**
 * Everything a plan depends on, as a string: the block's input and its two validated layers
 * (the rest of Block derives from them: shapes, strides, padding, dtypes, layout, parameter
 * sizes), with arrays standing in by their length (the planner never reads their values); the
 * resolved memory and DMA model; and the resolved request.
 */
function planKey(blk: Block, mem: ResolvedMemory, req: PlanRequest): string {
  return JSON.stringify([blk.input, blk.first, blk.second, mem, req], arraysBySize);
}

/**
 * Chooses the schedule: the named one, or among all that apply and fit, the one that moves the
 * fewest activation bytes (ties: fewest DMA cycles) — or, with `objective: "cycles"`, the one with
 * the fewest estimated cycles. A block planned before with the same inputs is not searched again.
 */
export function choosePlan(blk: Block, mem: ResolvedMemory, options: BlockOptions): TransferReport {
  const req = planRequest(blk, mem, options);
  const key = planKey(blk, mem, req);
  let plan = planCache.get(key);
  if (!plan) planCache.set(key, (plan = searchPlan(blk, mem, req)));
  return structuredClone(plan);
}
