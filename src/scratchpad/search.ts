// The tiling search: for a block and a schedule, the tiling that fits L1 and is best under the
// objective — fewest activation bytes (then DMA cycles, then tiles), or fewest estimated cycles.
// Each family says which values of its tile sizes are worth trying (./schedules/); the search
// scores them in closed form (closed-form.ts).
import type { Block } from "./block.js";
import { l1Need, planWith, Tally } from "./closed-form.js";
import { l2Layout, tensorsInL2 } from "./l2.js";
import type { ResolvedMemory } from "./memory.js";
import { familyOf, schedule, type Schedule } from "./schedules.js";
import { LAYER_TILING, layerFootprint, walkLayer } from "./schedules/unfused.js";
import type { Tiling, Which } from "./schedules/walk.js";
import type { TransferReport } from "./transfer-report.js";
import { layerEstimate, type LatencyEstimate } from "../latency/estimate.js";
import { resolveLatency, type ResolvedLatency } from "../latency/model.js";

/** What the planner minimises: activation bytes moved (the default) or estimated cycles. */
export type Objective = "bytes" | "cycles";

/**
 * The objectives of the search: the public ones, and `bytes+cycles` (bytes, ties broken by
 * estimated cycles; needs a latency model), which the network recommendations use so that a
 * plan chosen for bytes is not needlessly slow. `estimate: true` alone keeps plain `bytes`, so it
 * adds the estimate without changing the plan.
 */
export type SearchObjective = Objective | "bytes+cycles";

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

/** Whether the block's op order and layouts allow the schedule at all: null, or why not. */
export function applicable(blk: Block, sched: Schedule): string | null {
  if (sched.order === null) return null;
  if (sched.order !== blk.order) return `it runs ${sched.order} but the block is ${blk.order}`;
  if (sched.input !== blk.input.layout) return `it takes ${sched.input} input but the block input is ${blk.input.layout}`;
  return null;
}

/** Checks forced tile sizes against the schedule's keys. */
export function checkForced(sched: Schedule, forced: Tiling): void {
  if (typeof forced !== "object" || forced === null) throw new TypeError("options.tiling must be an object");
  const keys = familyOf(sched).tiling;
  for (const [k, v] of Object.entries(forced)) {
    if (!keys.includes(k)) throw new RangeError(`options.tiling.${k} is not a tile size of ${sched.name} (expected ${keys.join(", ")})`);
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new RangeError(`options.tiling.${k} must be a positive integer, got ${v}`);
  }
}

export function better(a: TransferReport, b: TransferReport, objective: SearchObjective = "bytes"): boolean {
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
 * Candidate values of each tiling key, with forced values fixed. For the cycles objectives the
 * pointwise row tiles also try multiples of 4 and 8 rows (the HoWo kernel's split is even there).
 */
function candidates(blk: Block, sched: Schedule, forced: Tiling, maxRows: number, objective: SearchObjective): Record<string, number[]> {
  const all = familyOf(sched).candidates(blk, { maxRows, evenRows: objective !== "bytes" });
  for (const k of Object.keys(all)) if (k in forced) all[k] = [forced[k] as number];
  return all;
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
 * value of the last key that fits (see `Family.tiling`).
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

/** The transfers of one layer of a block run alone (its input and output through L2). */
function layerTally(blk: Block, which: Which, t: Tiling, mem: ResolvedMemory): Tally {
  const s = schedule("unfused");
  const tally = new Tally(blk, mem);
  walkLayer(blk, which, t, tally, tensorsInL2(blk, s, l2Layout(blk, s), 0));
  return tally;
}

/** The tiling of one layer alone that moves the fewest activation bytes (then cycles, then tiles). */
function bestLayerTiling(
  blk: Block, which: Which, c: Record<string, number[]>, mem: ResolvedMemory,
  fits: (t: Tiling, need: number) => boolean, objective: SearchObjective = "bytes", latency?: ResolvedLatency, forced: Tiling = {},
): Tiling | null {
  const keys = LAYER_TILING[blk[which].kind];
  let b: { est: number; act: number; cycles: number; tiles: number; t: Tiling } | null = null;
  const need = (t: Tiling) => layerFootprint(blk, which, t, mem.doubleBuffer);
  // Under bytes+cycles, bytes ties go to the tiling with fewer estimated cycles, so the more even
  // splits are scored too; under bytes, est is 0 for all and the order is DMA cycles, tiles.
  const scored = objective !== "bytes";
  const gen = scored ? evenlySplit(c, keys, need, fits, forced) : largestFitting(c, keys, need, fits);
  for (const t of gen) {
    const tally = layerTally(blk, which, t, mem);
    const act = tally.activationBytes;
    const est = scored ? layerEstimate(blk, which, t, tally.cycles, latency as ResolvedLatency).totalCycles : 0;
    const [p, q, bp, bq] = objective === "cycles" ? [est, act, b?.est, b?.act] : [act, est, b?.act, b?.est];
    if (!b || p < (bp as number) || (p === bp && (q < (bq as number) || (q === bq && (tally.cycles < b.cycles || (tally.cycles === b.cycles && tally.tiles < b.tiles)))))) {
      b = { est, act, cycles: tally.cycles, tiles: tally.tiles, t };
    }
  }
  return b?.t ?? null;
}

/**
 * The DORY-style report of one layer of a block run alone (L2 to L2), best tiling; for network
 * reports. With `latency` the report carries its estimate; `objective: "cycles"` tiles for it.
 */
export function planLayer(blk: Block, which: Which, mem: ResolvedMemory, objective: SearchObjective = "bytes", latency?: ResolvedLatency): TransferReport {
  const sched = schedule("unfused");
  const lat = objective !== "bytes" ? (latency ?? resolveLatency(undefined, mem.doubleBuffer)) : latency;
  const t = bestLayerTiling(blk, which, candidates(blk, sched, {}, 4, objective), mem, (_t, need) => need <= mem.l1Usable, objective, lat);
  if (!t) throw new L1OverflowError(`unfused ${which} layer`, Infinity, mem.l1Usable, {});
  const tally = layerTally(blk, which, t, mem);
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
    tiles: tally.tiles,
    peakL1Bytes: layerFootprint(blk, which, t, mem.doubleBuffer),
    tiling: t,
    l2Bytes: 0,
    fitsL2: true,
    dma: mem.dmaName,
  };
  if (lat) report.estimate = layerEstimate(blk, which, t, tally.cycles, lat);
  return report;
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
  const family = familyOf(sched);
  const limits = family.limits(blk);
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
    const layer = (which: Which) => {
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
    const gen = objective !== "bytes" ? evenlySplit(c, family.tiling, need, fits, clamped) : largestFitting(c, family.tiling, need, fits);
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

