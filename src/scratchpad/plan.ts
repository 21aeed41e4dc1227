// The planner's front door: `options` checked and resolved into a request, the request searched
// (search.ts: the named schedule's best tiling, or the best of every schedule that applies), and
// the result kept in a cache (plan-cache.ts). Callers import the planner from here.
import type { Block } from "./block.js";
import type { ResolvedMemory } from "./memory.js";
import { cachedPlan } from "./plan-cache.js";
import { schedule as parseSchedule, SCHEDULES, type Schedule } from "./schedules.js";
import type { Tiling } from "./schedules/walk.js";
import { applicable, bestTiling, better, checkForced, L1OverflowError, type Objective } from "./search.js";
import type { TransferReport } from "./transfer-report.js";
import { resolveLatency, type LatencyOptions, type ResolvedLatency } from "../latency/model.js";

export { bestTiling, L1OverflowError, planLayer, type Objective, type SearchObjective } from "./search.js";
export type { Tiling } from "./schedules/walk.js";
export type { TransferReport } from "./transfer-report.js";

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

/**
 * Chooses the schedule: the named one, or among all that apply and fit, the one that moves the
 * fewest activation bytes (ties: fewest DMA cycles) — or, with `objective: "cycles"`, the one with
 * the fewest estimated cycles. A block planned before with the same inputs is not searched again.
 */
export function choosePlan(blk: Block, mem: ResolvedMemory, options: BlockOptions): TransferReport {
  const req = planRequest(blk, mem, options);
  // Everything a plan depends on: the block's input and its two validated layers (the rest of
  // Block derives from them: shapes, strides, padding, dtypes, layout, parameter sizes), the
  // resolved memory and DMA model, and the resolved request.
  return cachedPlan([blk.input, blk.first, blk.second, mem, req], () => searchPlan(blk, mem, req));
}
