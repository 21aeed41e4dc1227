// Per block, the page's view of the library's recommendation: the unfused baseline and every fused
// schedule the planner weighed (src/scratchpad/recommend.ts, through `fusionReport` or
// `planNetwork` with `candidates: true`), each with its bytes and estimated cycles, which one is
// planned, and whether the deployment check lets it through. The page draws exactly these.
import type { BlockRow } from "../src/fusion-report.js";

/** One way of running a block: which layers are fused, with which schedule, and what it costs. */
export interface Candidate {
  /** e.g. `dw+pw`, `expand+dw | project`. */
  fusion: string;
  schedule: string;
  /** Activation bytes of the whole block run this way, or null when the schedule does not fit L1. */
  bytes: number | null;
  /** Estimated GAP8 cycles of the whole block run this way (null when it does not fit). */
  cycles: number | null;
  dmaCycles: number | null;
  tiling: Record<string, number> | null;
  /** Deployment-check errors of the block run this way that running it unfused does not have. */
  rejectedBy: string[];
}

/** A block as the page draws it. */
export interface BlockPlan {
  block: number;
  /** e.g. `56x56x128 -> 56x56x128`. */
  shape: string;
  /** Activation bytes and estimated cycles of the unfused (layer by layer) baseline. */
  unfused: number;
  unfusedCycles: number | null;
  /** The fused schedules (the unfused baseline is drawn from `unfused`). */
  candidates: Candidate[];
  /** Index into `candidates` of the planned one, or null when the block runs unfused. */
  chosen: number | null;
  /** The report's fusion column: the planned candidate's, or why there is none. */
  fusion: string;
  /** Activation bytes and estimated cycles as planned. */
  planned: number;
  plannedCycles: number | null;
  /** The deployment check finds no error in the plan. */
  deployable: boolean;
  /** The check's errors and warnings about the plan. */
  findings: BlockRow["findings"];
}

/** The page's view of a report row made with `candidates: true`. */
export function blockPlan(row: BlockRow): BlockPlan {
  const all = row.candidates;
  if (!all) throw new Error("internal: the row was planned without its candidates");
  const base = all[0]!;
  const baseErrors = new Set(base.findings.filter((f) => f.severity === "error").map((f) => `${f.layer} ${f.rule}`));
  const candidates: Candidate[] = all.slice(1).map((c) => ({
    fusion: c.fusion,
    schedule: c.schedule,
    bytes: c.traffic?.activationBytes ?? null,
    cycles: c.estimate?.totalCycles ?? null,
    dmaCycles: c.traffic?.dmaCycles ?? null,
    tiling: c.tiling,
    rejectedBy: [...new Set(c.findings.filter((f) => f.severity === "error" && !baseErrors.has(`${f.layer} ${f.rule}`)).map((f) => f.rule))],
  }));
  const i = row.schedule === null ? -1 : all.findIndex((c) => c.pair !== null && c.schedule === row.schedule && c.fusion === row.fusion);
  return {
    block: row.block,
    shape: row.shape,
    unfused: row.unfused.activationBytes,
    unfusedCycles: base.estimate?.totalCycles ?? null,
    candidates,
    chosen: i < 1 ? null : i - 1,
    fusion: row.fusion,
    planned: row.activationBytes,
    plannedCycles: row.cycles,
    deployable: row.deployable,
    findings: row.findings,
  };
}
