// The fusion report of a whole network: for every block, one recommendation (src/scratchpad/
// recommend.ts) under an explicit objective (activation bytes or estimated GAP8 cycles), with the
// L2<->L1 traffic and the estimated cycles (src/latency) of the unfused (DORY-style, layer by
// layer) deployment and of the recommended one, what the deployment check says about the
// recommended one, and whether emulating it gave the reference's bytes.
import { defaultEngine } from "./runtime.js";
import { reference } from "./reference/index.js";
import { describeBlock } from "./scratchpad/block.js";
import { resolveMemory, type MemoryConfig } from "./scratchpad/memory.js";
import { bestTiling, L1OverflowError, type Objective } from "./scratchpad/search.js";
import type { TransferReport } from "./scratchpad/transfer-report.js";
import { add, planContext, recommend, ZERO, type PlanCandidate, type PlanFinding, type Recommendation, type Traffic } from "./scratchpad/recommend.js";
import type { LatencyOptions } from "./latency/model.js";
import { addEstimates, type LatencyEstimate } from "./latency/estimate.js";
import { runBlock } from "./scratchpad/index.js";
import { schedule, SCHEDULES } from "./scratchpad/schedules.js";
import { randomInput, randomOp, type NetworkSpec, type QuantScheme } from "./presets/mobilenet.js";
import type { ConvOp, Layout, Tensor } from "./types.js";

export { add, traffic, ZERO, type PlanCandidate, type PlanFinding, type Traffic } from "./scratchpad/recommend.js";
export type { Objective } from "./scratchpad/search.js";

export interface BlockRow {
  block: number;
  /** e.g. `56x56x128 -> 56x56x128`. */
  shape: string;
  /** Which layers the recommendation fuses, e.g. `dw+pw`, `expand+dw | project`; or `none (why)`. */
  fusion: string;
  /** The recommended fused pair's schedule, or null when the block runs unfused. */
  schedule: string | null;
  tiling: Record<string, number> | null;
  /** The unfused baseline: every layer tiled alone under the objective, intermediates through L2. */
  unfused: Traffic;
  /** The recommended plan's traffic when it fuses a pair, else null (the block runs unfused). */
  fused: Traffic | null;
  /** Activation bytes saved by the recommendation, in percent of unfused. */
  reduction: number;
  /** Activation bytes of the recommended plan (fused or unfused). */
  activationBytes: number;
  /** Estimated GAP8 cycles of the recommended plan, or null with `latency: false`. */
  cycles: number | null;
  /** The deployment check (target dory-fused) finds no error in the recommended plan. */
  deployable: boolean;
  /** The check's errors and warnings about the recommended plan. */
  findings: PlanFinding[];
  /** Schedules better under the objective that the recommendation skips because the check flags them. */
  rejected: Recommendation["rejected"];
  /** Whether the emulated block (as recommended) gave the reference's bytes; null if not run. */
  bitExact: boolean | null;
  /** Estimated cycles, unfused against the recommendation (absent with `latency: false`). */
  latency?: BlockLatency;
  /** Every way of running the block that the planner weighed (with `candidates: true`). */
  candidates?: PlanCandidate[];
}

/** A block's estimated latency: the unfused deployment against the recommended plan. */
export interface BlockLatency {
  /** Multiply-accumulates of the block's layers. */
  macs: number;
  /** Every layer tiled alone (DORY style) under the objective. */
  unfused: LatencyEstimate;
  /** The recommended plan: the row's schedule and tiling. */
  optimized: LatencyEstimate;
  /** Cycles saved, in percent of unfused (negative when the plan is slower). */
  reduction: number;
}

/** The network's estimated latency, summed over its blocks. */
export interface NetworkLatency {
  /** What the plans minimise (the report's objective). */
  objective: Objective;
  /** Whether transfers overlap compute (double buffering) instead of blocking. */
  overlap: boolean;
  macs: number;
  unfused: LatencyEstimate;
  optimized: LatencyEstimate;
  /** End-to-end cycles saved, in percent of unfused. */
  reduction: number;
}

export interface NetworkReport {
  network: string;
  scheme: QuantScheme;
  layout: Layout;
  /** What every block's recommendation minimises: activation bytes or estimated cycles. */
  objective: Objective;
  memory: { l1: number; l1Usable: number; l2: number; dma: string; doubleBuffer: boolean };
  blocks: BlockRow[];
  /** Activation traffic: every block unfused against every block as recommended. */
  total: { unfused: Traffic; fused: Traffic; reduction: number };
  /** No recommended plan has a deployment-check error. */
  deployable: boolean;
  bitExact: boolean | null;
  /** Estimated latency of the blocks (absent with `latency: false`). */
  latency?: NetworkLatency;
}

export interface ReportOptions {
  scheme?: QuantScheme;
  layout?: Layout;
  memory?: Partial<MemoryConfig>;
  /** Run the recommended plans on the scratchpad model and compare with the reference (slower). Default true. */
  run?: boolean;
  seed?: number;
  /**
   * What each block's recommendation minimises: `"bytes"` (default: L2<->L1 activation bytes, then
   * estimated cycles) or `"cycles"` (estimated GAP8 cycles, then bytes). The unfused baseline is
   * tiled under the same objective.
   */
  objective?: Objective;
  /**
   * Latency model options, or false to plan without cycle estimates (objective `bytes` only).
   * Default: GAP8 constants, blocking DMA.
   */
  latency?: LatencyOptions | false;
  /** Put every candidate the planner weighed on each row (`BlockRow.candidates`). Default false. */
  candidates?: boolean;
}

/** Percent of `unfused` saved by `fused`. */
export const reduction = (unfused: number, fused: number) => (unfused === 0 ? 0 : (100 * (unfused - fused)) / unfused);
export const dims = (t: { height: number; width: number; channels: number }) => `${t.height}x${t.width}x${t.channels}`;

/**
 * The fused schedule of a pair that moves the fewest activation bytes (then cycles), or null if
 * none fits. It weighs traffic only; `fusionReport` and `Network.plan` also run the deployment check.
 */
export function bestFused(input: Tensor, ops: [ConvOp, ConvOp], memory?: Partial<MemoryConfig>): TransferReport | null {
  const blk = describeBlock(input, ops);
  const mem = resolveMemory(memory);
  let best: TransferReport | null = null;
  for (const name of SCHEDULES) {
    const s = schedule(name);
    if (s.family === "unfused" || s.order !== blk.order || s.input !== blk.input.layout) continue;
    try {
      const r = bestTiling(blk, s, mem);
      if (!best || r.activationBytes < best.activationBytes || (r.activationBytes === best.activationBytes && r.dmaCycles < best.dmaCycles)) best = r;
    } catch (e) {
      if (!(e instanceof L1OverflowError)) throw e;
    }
  }
  return best;
}

/**
 * The report row of a block from its recommendation (the network report and the ONNX planner
 * share it). `macs` is the block's multiply-accumulates.
 */
export function blockRow(block: number, shape: string, rec: Recommendation, macs: number, withCandidates = false): BlockRow {
  const base = rec.candidates[0]!;
  const c = rec.candidates[rec.chosen]!;
  const t = c.traffic as Traffic;
  const fused = rec.chosen === 0 ? null : t;
  const row: BlockRow = {
    block,
    shape,
    fusion: rec.fusion,
    schedule: fused ? c.schedule : null,
    tiling: fused ? { ...(c.tiling as Record<string, number>) } : null,
    unfused: base.traffic as Traffic,
    fused,
    reduction: fused ? reduction((base.traffic as Traffic).activationBytes, t.activationBytes) : 0,
    activationBytes: t.activationBytes,
    cycles: c.estimate ? c.estimate.totalCycles : null,
    deployable: !c.findings.some((f) => f.severity === "error"),
    findings: c.findings,
    rejected: rec.rejected,
    bitExact: null,
  };
  if (base.estimate && c.estimate) {
    row.latency = { macs, unfused: base.estimate, optimized: c.estimate, reduction: reduction(base.estimate.totalCycles, c.estimate.totalCycles) };
  }
  if (withCandidates) row.candidates = rec.candidates;
  return row;
}

/** The report of a network from its rows (the totals, and the latency section when the rows have one). */
export function networkReport(
  head: Pick<NetworkReport, "network" | "scheme" | "layout" | "objective" | "memory">, rows: BlockRow[], overlap: boolean, bitExact: boolean | null,
): NetworkReport {
  const totalUnfused = rows.reduce((t, r) => add(t, r.unfused), ZERO);
  const totalFused = rows.reduce((t, r) => add(t, r.fused ?? r.unfused), ZERO);
  const report: NetworkReport = {
    ...head,
    blocks: rows,
    total: { unfused: totalUnfused, fused: totalFused, reduction: reduction(totalUnfused.activationBytes, totalFused.activationBytes) },
    deployable: rows.every((r) => r.deployable),
    bitExact,
  };
  if (rows.length > 0 && rows.every((r) => r.latency)) {
    const zero: LatencyEstimate = { computeCycles: 0, dmaCycles: 0, totalCycles: 0 };
    const sum = (pick: (l: BlockLatency) => LatencyEstimate) => rows.reduce((t, r) => addEstimates(t, pick(r.latency as BlockLatency)), zero);
    const u = sum((l) => l.unfused), o = sum((l) => l.optimized);
    report.latency = {
      objective: head.objective,
      overlap,
      macs: rows.reduce((s, r) => s + (r.latency as BlockLatency).macs, 0),
      unfused: u,
      optimized: o,
      reduction: reduction(u.totalCycles, o.totalCycles),
    };
  }
  return report;
}

function sameBytes(a: Tensor, b: Tensor): boolean {
  if (a.data.length !== b.data.length || a.layout !== b.layout) return false;
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.length);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * Plans (and by default emulates) every block of `net` under the scratchpad model. Needs `init()`
 * first when `run` is true, or for a network with inverted residuals (the depthwise input is computed).
 */
export function fusionReport(net: NetworkSpec, options: ReportOptions = {}): NetworkReport {
  const scheme = options.scheme ?? "tflite-double";
  const layout = options.layout ?? "HWC";
  const run = options.run ?? true;
  const ctx = planContext(options.memory, options.objective, options.latency);
  const mem = ctx.memory;
  const lo = { scheme, layout, seed: options.seed ?? 1 };
  if (run) defaultEngine(); // fail early with the init() message
  const rows: BlockRow[] = [];
  for (const b of net.blocks) {
    const ops = b.layers.map((l) => randomOp(l, lo));
    const input = randomInput(b.layers[0]!, lo);
    const macs = b.layers.reduce((s, l) => s + l.macs, 0);
    // The depthwise input of an inverted residual: computed when emulating; for planning alone
    // only its shape and dtype matter, which the dw layer's random input has too.
    let midTensor: Tensor | null = null;
    const mid = ops.length === 3 ? () => (midTensor ??= run ? defaultEngine().conv(input, ops[0]!) : randomInput(b.layers[1]!, lo)) : null;
    const rec = recommend(input, b.layers.map((l, i) => ({ op: ops[i]!, role: l.role, name: l.name })), mid, ctx);
    const row = blockRow(b.index, `${dims(b.input)} -> ${dims(b.output)}`, rec, macs, options.candidates === true);
    if (run) {
      const chosen = rec.candidates[rec.chosen]!;
      const engine = defaultEngine();
      let t = input;
      for (let i = 0; i < ops.length; i++) {
        if (chosen.pair && chosen.pair[0] === i) {
          t = runBlock(engine, t, [ops[i]!, ops[i + 1]!], { memory: options.memory, schedule: chosen.schedule, tiling: chosen.tiling! }).output;
          i++;
        } else if (!chosen.pair && i === 0 && rec.fusion === "none (no fused schedule fits L1)") {
          // Nothing fused fits: the first pair still runs on the model, unfused, to check its tiles.
          t = runBlock(engine, t, [ops[0]!, ops[1]!], { memory: options.memory, schedule: "unfused" }).output;
          i++;
        } else {
          t = engine.conv(t, ops[i]!);
        }
      }
      const want = ops.reduce<Tensor>((x, op) => reference.conv(x, op), input);
      row.bitExact = sameBytes(t, want);
    }
    rows.push(row);
  }
  const head = {
    network: net.name, scheme, layout, objective: ctx.objective,
    memory: { l1: mem.l1, l1Usable: mem.l1Usable, l2: mem.l2, dma: mem.dmaName, doubleBuffer: mem.doubleBuffer },
  };
  return networkReport(head, rows, ctx.latency?.overlap ?? false, run ? rows.every((r) => r.bitExact) : null);
}

/** Aligned columns: the first `left` left-aligned, the rest right-aligned. */
function table(head: string[], body: string[][], left: number): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
  const line = (row: string[]) => row.map((c, i) => (i < left ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ").trimEnd();
  return [line(head), ...body.map(line)];
}

const OBJECTIVE_TEXT: Record<Objective, string> = {
  bytes: "each block's plan moves the fewest L2<->L1 activation bytes",
  cycles: "each block's plan has the fewest estimated GAP8 cycles",
};

/**
 * The report as an aligned text table: per block the recommended plan against the unfused
 * baseline, in activation bytes and (with the latency model) estimated cycles, and the deployment
 * check's verdict on the plan; then the schedules the check ruled out and the findings.
 */
export function formatReport(r: NetworkReport): string {
  const kb = (n: number) => (n / 1000).toFixed(1);
  const k = (n: number) => (n / 1000).toFixed(1);
  const pct = (x: number) => `${x.toFixed(1)}%`;
  const lat = r.latency !== undefined;
  const head = ["blk", "shape", "plan", "schedule", "unfused kB", "plan kB", "saved", ...(lat ? ["unfused kcyc", "plan kcyc", "saved"] : []), "DMA cmds u/p", "peak L1", "check", "exact"];
  const body = r.blocks.map((b) => {
    const p = b.fused ?? b.unfused;
    return [
      String(b.block), b.shape, b.fusion, b.schedule ?? "unfused",
      kb(b.unfused.activationBytes), kb(b.activationBytes), pct(b.reduction),
      ...(b.latency ? [k(b.latency.unfused.totalCycles), k(b.latency.optimized.totalCycles), pct(b.latency.reduction)] : lat ? ["-", "-", "-"] : []),
      `${b.unfused.dmaCommands}/${p.dmaCommands}`, String(p.peakL1Bytes),
      b.deployable ? "ok" : "ERROR", b.bitExact === null ? "-" : b.bitExact ? "yes" : "NO",
    ];
  });
  const t = r.total, L = r.latency;
  body.push([
    "all", "", "", "", kb(t.unfused.activationBytes), kb(t.fused.activationBytes), pct(t.reduction),
    ...(L ? [k(L.unfused.totalCycles), k(L.optimized.totalCycles), pct(L.reduction)] : []),
    `${t.unfused.dmaCommands}/${t.fused.dmaCommands}`, String(t.fused.peakL1Bytes),
    r.deployable ? "ok" : "ERROR", r.bitExact === null ? "-" : r.bitExact ? "yes" : "NO",
  ]);
  const m = r.memory;
  const lines = [
    `${r.network}: ${r.scheme}, ${r.layout}, L1 ${m.l1Usable}/${m.l1} B usable, L2 ${m.l2} B, DMA ${m.dma}${m.doubleBuffer ? ", double-buffered" : ""}`,
    `objective ${r.objective}: ${OBJECTIVE_TEXT[r.objective]} among those the deployment check (dory-fused) does not flag;` +
      ` the unfused baseline is tiled under the same objective${lat ? `; cycles estimated by src/latency, DMA ${L!.overlap ? "overlapped" : "blocking"}` : ""}`,
    ...table(head, body, 4),
  ];
  for (const b of r.blocks) {
    for (const x of b.rejected) lines.push(`  block ${b.block}: not ${x.fusion} ${x.schedule}, which the deployment check flags (${x.rules.join(", ")})`);
    for (const f of b.findings) lines.push(`  block ${b.block} ${f.layer}: ${f.severity} ${f.rule}: ${f.message} Fix: ${f.fix}`);
  }
  if (!r.deployable) lines.push("ERROR: the kernels GAP8 would run compute other bytes than this plan on the blocks marked ERROR (findings above).");
  return [...lines, ...(L ? ["", formatLatency(r)] : [])].join("\n");
}

/** The latency section of a report: per block, where the estimated cycles go (empty without one). */
export function formatLatency(r: NetworkReport): string {
  const L = r.latency;
  if (!L) return "";
  const k = (n: number) => (n / 1000).toFixed(1);
  const share = (e: LatencyEstimate) => `${e.totalCycles === 0 ? 0 : Math.round((100 * e.computeCycles) / (e.computeCycles + e.dmaCycles))}%`;
  const head = ["blk", "schedule", "unfused kcyc", "compute", "plan kcyc", "compute", "MAC/cyc u/p", "saved"];
  const body = r.blocks.map((b) => {
    const l = b.latency as BlockLatency;
    return [
      String(b.block), b.schedule ?? "unfused",
      k(l.unfused.totalCycles), share(l.unfused), k(l.optimized.totalCycles), share(l.optimized),
      `${(l.macs / l.unfused.totalCycles).toFixed(2)}/${(l.macs / l.optimized.totalCycles).toFixed(2)}`,
      `${l.reduction.toFixed(1)}%`,
    ];
  });
  body.push([
    "all", "", k(L.unfused.totalCycles), share(L.unfused), k(L.optimized.totalCycles), share(L.optimized),
    `${(L.macs / L.unfused.totalCycles).toFixed(2)}/${(L.macs / L.optimized.totalCycles).toFixed(2)}`, `${L.reduction.toFixed(1)}%`,
  ]);
  const ms = (c: number) => (c / 100_000).toFixed(2); // GAP8's cluster at 100 MHz, as in DORY's measurements
  return [
    `estimated latency on GAP8's 8-core cluster (src/latency) of the same plans (objective ${L.objective}), DMA ${r.memory.dma} ${L.overlap ? "overlapped (double-buffered)" : "blocking"}; compute = share of compute in the cycles`,
    ...table(head, body, 2),
    `end to end (blocks only): unfused ${k(L.unfused.totalCycles)} kcycles (${ms(L.unfused.totalCycles)} ms at 100 MHz) -> plan ${k(L.optimized.totalCycles)} kcycles (${ms(L.optimized.totalCycles)} ms): ${L.reduction >= 0 ? `${L.reduction.toFixed(2)}% less` : `${(-L.reduction).toFixed(2)}% more`}`,
  ].join("\n");
}
