// The fusion report of a whole network: for every block, the L2<->L1 traffic of the unfused
// (DORY-style, layer by layer) deployment against the best fused schedule, each counted on the
// scratchpad model, and whether the fused emulation gave the reference's bytes. Then the latency
// section: per block and end to end, the estimated GAP8 cycles (src/latency) of the unfused
// deployment against the optimizer's choice of fused or unfused schedule and tiling.
import { defaultEngine } from "./runtime.js";
import { reference } from "./reference/index.js";
import { describeBlock } from "./scratchpad/block.js";
import { resolveMemory, type MemoryConfig } from "./scratchpad/memory.js";
import { bestTiling, choosePlan, L1OverflowError, planLayer, type Objective, type TransferReport } from "./scratchpad/plan.js";
import { resolveLatency, type LatencyOptions, type ResolvedLatency } from "./latency/model.js";
import { addEstimates, type LatencyEstimate } from "./latency/schedule.js";
import { runBlock } from "./scratchpad/index.js";
import { schedule, SCHEDULES } from "./scratchpad/schedules.js";
import { randomInput, randomOp, type NetworkSpec, type QuantScheme } from "./networks/mobilenet.js";
import type { ConvOp, Layout, Tensor } from "./types.js";

/** Traffic of one way of running a block. */
export interface Traffic {
  activationBytes: number;
  weightBytes: number;
  dmaCommands: number;
  dmaCycles: number;
  peakL1Bytes: number;
}

export interface BlockRow {
  block: number;
  /** e.g. `56x56x128 -> 56x56x128`. */
  shape: string;
  /** Which layers run fused, e.g. `dw+pw`, `expand+dw | project`. */
  fusion: string;
  /** The fused pair's schedule, or null when no fused schedule fits L1. */
  schedule: string | null;
  tiling: Record<string, number> | null;
  unfused: Traffic;
  fused: Traffic | null;
  /** Activation bytes saved by fusion, in percent of unfused. */
  reduction: number;
  /** Whether the emulated block (fused where it fits) gave the reference's bytes; null if not run. */
  bitExact: boolean | null;
  /** Estimated cycles, unfused against the optimizer's choice (absent with `latency: false`). */
  latency?: BlockLatency;
}

/** A block's estimated latency: the unfused deployment against the optimizer's plan. */
export interface BlockLatency {
  /** Multiply-accumulates of the block's layers. */
  macs: number;
  /** Every layer tiled alone (DORY style), each tiled for fewest estimated cycles. */
  unfused: LatencyEstimate;
  /** The optimizer's plan: per block, a fused pair or none, schedule and tiling chosen by the objective. */
  optimized: LatencyEstimate;
  /** What the plan fuses, e.g. `depthwise+pointwise`, `expand+dw | project`, or `none`. */
  fusion: string;
  /** The fused pair's schedule, or null when the plan is unfused. */
  schedule: string | null;
  tiling: Record<string, number> | null;
  /** Cycles saved, in percent of unfused. */
  reduction: number;
}

/** The network's estimated latency, summed over its blocks. */
export interface NetworkLatency {
  /** What the plans minimise (`cycles` unless asked otherwise). */
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
  memory: { l1: number; l1Usable: number; l2: number; dma: string; doubleBuffer: boolean };
  blocks: BlockRow[];
  total: { unfused: Traffic; fused: Traffic; reduction: number };
  bitExact: boolean | null;
  /** Estimated latency of the blocks (absent with `latency: false`). */
  latency?: NetworkLatency;
}

export interface ReportOptions {
  scheme?: QuantScheme;
  layout?: Layout;
  memory?: Partial<MemoryConfig>;
  /** Run the fused emulation and compare with the reference (slower). Default true. */
  run?: boolean;
  seed?: number;
  /**
   * The latency section: estimated cycles per block and end to end, unfused against optimized.
   * Latency model options, or false to leave the section out. Default: on, GAP8 constants, blocking DMA.
   */
  latency?: LatencyOptions | false;
  /** What the latency section's plans minimise: `cycles` (default) or `bytes`. */
  objective?: Objective;
}

export const ZERO: Traffic = { activationBytes: 0, weightBytes: 0, dmaCommands: 0, dmaCycles: 0, peakL1Bytes: 0 };

/** The traffic fields of a transfer report. */
export function traffic(r: TransferReport): Traffic {
  return { activationBytes: r.activationBytes, weightBytes: r.l2ToL1.weights + r.l2ToL1.params, dmaCommands: r.dmaCommands, dmaCycles: r.dmaCycles, peakL1Bytes: r.peakL1Bytes };
}

/** Two ways of running summed (peak L1: the larger). */
export function add(a: Traffic, b: Traffic): Traffic {
  return {
    activationBytes: a.activationBytes + b.activationBytes,
    weightBytes: a.weightBytes + b.weightBytes,
    dmaCommands: a.dmaCommands + b.dmaCommands,
    dmaCycles: a.dmaCycles + b.dmaCycles,
    peakL1Bytes: Math.max(a.peakL1Bytes, b.peakL1Bytes),
  };
}

/** Percent of `unfused` saved by `fused`. */
export const reduction = (unfused: number, fused: number) => (unfused === 0 ? 0 : (100 * (unfused - fused)) / unfused);
export const dims = (t: { height: number; width: number; channels: number }) => `${t.height}x${t.width}x${t.channels}`;

/** The fused schedule of a pair that moves the fewest activation bytes (then cycles), or null if none fits. */
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

/** Traffic of a pair run unfused (both layers tiled alone). */
function unfusedPair(input: Tensor, ops: [ConvOp, ConvOp], memory?: Partial<MemoryConfig>): TransferReport {
  const blk = describeBlock(input, ops);
  const mem = resolveMemory(memory);
  return bestTiling(blk, schedule("unfused"), mem);
}

/** Traffic of one layer tiled alone: `ops[which]` of the pair. */
function lone(input: Tensor, ops: [ConvOp, ConvOp], which: "first" | "second", memory?: Partial<MemoryConfig>): TransferReport {
  return planLayer(describeBlock(input, ops), which, resolveMemory(memory));
}

const ZERO_ESTIMATE: LatencyEstimate = { computeCycles: 0, dmaCycles: 0, totalCycles: 0 };

/** The planning context of the latency section. */
interface LatencyContext {
  memory: ReturnType<typeof resolveMemory>;
  objective: Objective;
  latency: ResolvedLatency;
}

/** A plan's estimate (plans made with latency options always carry one). */
const est = (r: TransferReport): LatencyEstimate => r.estimate as LatencyEstimate;

/** Whether plan a beats plan b under the objective (cycles, or activation bytes then cycles). */
function cheaper(a: { est: LatencyEstimate; bytes: number }, b: { est: LatencyEstimate; bytes: number }, objective: Objective): boolean {
  if (objective === "cycles") return a.est.totalCycles < b.est.totalCycles || (a.est.totalCycles === b.est.totalCycles && a.bytes < b.bytes);
  return a.bytes < b.bytes || (a.bytes === b.bytes && a.est.totalCycles < b.est.totalCycles);
}

/**
 * One layer of a pair tiled alone, with its estimate: the unfused baseline. It is always tiled for
 * fewest cycles, whatever the objective (DORY's tiler, too, favours tiles that keep every core
 * busy), so that both objectives are measured against the same deployment.
 */
function aloneEstimate(input: Tensor, ops: [ConvOp, ConvOp], which: "first" | "second", ctx: LatencyContext): TransferReport {
  return planLayer(describeBlock(input, ops), which, ctx.memory, "cycles", ctx.latency);
}

/** The optimizer's plan of a pair: unfused or any fused schedule that fits, by the objective. */
function optimizedPair(input: Tensor, ops: [ConvOp, ConvOp], ctx: LatencyContext): TransferReport {
  return choosePlan(describeBlock(input, ops), ctx.memory, { objective: ctx.objective, latency: { compute: ctx.latency.compute, overlap: ctx.latency.overlap } });
}

function blockLatency(macs: number, unfused: LatencyEstimate, optimized: LatencyEstimate, fusion: string, plan: TransferReport | null): BlockLatency {
  const fused = plan !== null && plan.schedule !== "unfused";
  return {
    macs,
    unfused,
    optimized,
    fusion: fused ? fusion : "none",
    schedule: fused ? plan.schedule : null,
    tiling: fused ? { ...plan.tiling } : null,
    reduction: reduction(unfused.totalCycles, optimized.totalCycles),
  };
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
 * first when `run` is true.
 */
export function fusionReport(net: NetworkSpec, options: ReportOptions = {}): NetworkReport {
  const scheme = options.scheme ?? "tflite-double";
  const layout = options.layout ?? "HWC";
  const run = options.run ?? true;
  const mem = resolveMemory(options.memory);
  const lo = { scheme, layout, seed: options.seed ?? 1 };
  if (run) defaultEngine(); // fail early with the init() message
  const objective = options.objective ?? "cycles";
  if (objective !== "bytes" && objective !== "cycles") throw new RangeError(`options.objective must be "bytes" or "cycles", got ${String(objective)}`);
  const ctx: LatencyContext | null =
    options.latency === false ? null : { memory: mem, objective, latency: resolveLatency(options.latency, mem.doubleBuffer) };
  const rows: BlockRow[] = [];
  for (const b of net.blocks) {
    const ops = b.layers.map((l) => randomOp(l, lo));
    const input = randomInput(b.layers[0]!, lo);
    let unfused: Traffic, fused: Traffic | null, fusion: string, chosen: TransferReport | null;
    let runFused: () => Tensor;
    let lat: BlockLatency | undefined;
    const macs = b.layers.reduce((s, l) => s + l.macs, 0);
    if (ops.length === 2) {
      const pair = ops as [ConvOp, ConvOp];
      if (ctx) {
        const u = addEstimates(est(aloneEstimate(input, pair, "first", ctx)), est(aloneEstimate(input, pair, "second", ctx)));
        const o = optimizedPair(input, pair, ctx);
        lat = blockLatency(macs, u, est(o), `${b.layers[0]!.role}+${b.layers[1]!.role}`, o);
      }
      unfused = traffic(unfusedPair(input, pair, options.memory));
      chosen = bestFused(input, pair, options.memory);
      fused = chosen && traffic(chosen);
      fusion = `${b.layers[0]!.role}+${b.layers[1]!.role}`;
      runFused = () => runBlock(defaultEngine(), input, pair, { memory: options.memory, ...(chosen ? { schedule: chosen.schedule, tiling: chosen.tiling } : { schedule: "unfused" }) }).output;
    } else {
      // Inverted residual: expand -> dw -> project. Fuse expand+dw or dw+project, whichever moves less.
      const [ex, dw, pr] = ops as [ConvOp, ConvOp, ConvOp];
      // The intermediate tensor: computed when emulating; for planning alone only its shape and
      // dtype matter, which the dw layer's random input has too (no init() needed).
      const mid = run ? defaultEngine().conv(input, ex) : randomInput(b.layers[1]!, lo);
      const head: [ConvOp, ConvOp] = [ex, dw], tail: [ConvOp, ConvOp] = [dw, pr];
      if (ctx) {
        // Unfused: the three layers alone. Optimized: fuse expand+dw or dw+project (or nothing).
        const ex1 = aloneEstimate(input, head, "first", ctx), dw1 = aloneEstimate(input, head, "second", ctx);
        const pr1 = aloneEstimate(mid, tail, "second", ctx);
        const u = addEstimates(addEstimates(est(ex1), est(dw1)), est(pr1));
        // The optimized plan's lone layer is tiled by the objective, like its fused pair.
        const lone = (r: TransferReport, t: Tensor, pair: [ConvOp, ConvOp], which: "first" | "second") =>
          ctx.objective === "cycles" ? r : planLayer(describeBlock(t, pair), which, ctx.memory, ctx.objective, ctx.latency);
        const exO = lone(ex1, input, head, "first"), prO = lone(pr1, mid, tail, "second");
        const pa = optimizedPair(input, head, ctx), pb = optimizedPair(mid, tail, ctx);
        const a = { est: addEstimates(est(pa), est(prO)), bytes: pa.activationBytes + prO.activationBytes };
        const bb = { est: addEstimates(est(exO), est(pb)), bytes: exO.activationBytes + pb.activationBytes };
        const useA = !cheaper(bb, a, ctx.objective);
        lat = useA
          ? blockLatency(macs, u, a.est, "expand+dw | project", pa)
          : blockLatency(macs, u, bb.est, "expand | dw+project", pb);
      }
      const project = traffic(lone(mid, tail, "second", options.memory));
      const expand = traffic(lone(input, head, "first", options.memory));
      unfused = add(traffic(unfusedPair(input, head, options.memory)), project);
      const a = bestFused(input, head, options.memory);
      const bb = bestFused(mid, tail, options.memory);
      const ta = a && add(traffic(a), project);
      const tb = bb && add(expand, traffic(bb));
      const useA = ta !== null && (tb === null || ta.activationBytes <= tb.activationBytes);
      chosen = useA ? a : bb;
      fused = useA ? ta : tb;
      fusion = useA ? "expand+dw | project" : "expand | dw+project";
      runFused = () => {
        if (useA) return defaultEngine().conv(runBlock(defaultEngine(), input, head, { memory: options.memory, schedule: a!.schedule, tiling: a!.tiling }).output, pr);
        if (bb) return runBlock(defaultEngine(), mid, tail, { memory: options.memory, schedule: bb.schedule, tiling: bb.tiling }).output;
        return defaultEngine().conv(runBlock(defaultEngine(), input, head, { memory: options.memory, schedule: "unfused" }).output, pr);
      };
    }
    if (fused && fused.activationBytes >= unfused.activationBytes) {
      // Fusion does not pay here (e.g. the input would be re-read per channel batch): deploy unfused.
      fused = null;
      chosen = null;
      fusion = "none (unfused moves less)";
      const seq = ops;
      runFused = () => seq.reduce<Tensor>((t, op) => defaultEngine().conv(t, op), input);
    }
    let bitExact: boolean | null = null;
    if (run) {
      const want = ops.reduce<Tensor>((t, op) => reference.conv(t, op), input);
      bitExact = sameBytes(runFused(), want);
    }
    rows.push({
      block: b.index,
      shape: `${dims(b.input)} -> ${dims(b.output)}`,
      fusion,
      schedule: chosen?.schedule ?? null,
      tiling: chosen?.tiling ?? null,
      unfused,
      fused,
      reduction: fused ? reduction(unfused.activationBytes, fused.activationBytes) : 0,
      bitExact,
      ...(lat ? { latency: lat } : {}),
    });
  }
  const totalUnfused = rows.reduce((t, r) => add(t, r.unfused), ZERO);
  const totalFused = rows.reduce((t, r) => add(t, r.fused ?? r.unfused), ZERO);
  const report: NetworkReport = {
    network: net.name,
    scheme,
    layout,
    memory: { l1: mem.l1, l1Usable: mem.l1Usable, l2: mem.l2, dma: mem.dmaName, doubleBuffer: mem.doubleBuffer },
    blocks: rows,
    total: { unfused: totalUnfused, fused: totalFused, reduction: reduction(totalUnfused.activationBytes, totalFused.activationBytes) },
    bitExact: run ? rows.every((r) => r.bitExact) : null,
  };
  if (ctx) {
    const sum = (pick: (l: BlockLatency) => LatencyEstimate) => rows.reduce((t, r) => addEstimates(t, pick(r.latency as BlockLatency)), ZERO_ESTIMATE);
    const u = sum((l) => l.unfused), o = sum((l) => l.optimized);
    report.latency = {
      objective,
      overlap: ctx.latency.overlap,
      macs: rows.reduce((s, r) => s + (r.latency as BlockLatency).macs, 0),
      unfused: u,
      optimized: o,
      reduction: reduction(u.totalCycles, o.totalCycles),
    };
  }
  return report;
}

/** The report as an aligned text table. */
export function formatReport(r: NetworkReport): string {
  const kb = (n: number) => (n / 1000).toFixed(1);
  const head = ["blk", "shape", "fused", "schedule", "unfused kB", "fused kB", "saved", "cmds u/f", "DMA kcyc u/f", "peak L1", "exact"];
  const body = r.blocks.map((b) => [
    String(b.block), b.shape, b.fusion, b.schedule ?? (b.fusion.startsWith("none") ? "unfused" : "(no fused schedule fits L1)"),
    kb(b.unfused.activationBytes), b.fused ? kb(b.fused.activationBytes) : "-", `${b.reduction.toFixed(1)}%`,
    `${b.unfused.dmaCommands}/${b.fused?.dmaCommands ?? "-"}`,
    `${kb(b.unfused.dmaCycles)}/${b.fused ? kb(b.fused.dmaCycles) : "-"}`,
    String((b.fused ?? b.unfused).peakL1Bytes),
    b.bitExact === null ? "-" : b.bitExact ? "yes" : "NO",
  ]);
  const t = r.total;
  body.push([
    "all", "", "", "", kb(t.unfused.activationBytes), kb(t.fused.activationBytes), `${t.reduction.toFixed(1)}%`,
    `${t.unfused.dmaCommands}/${t.fused.dmaCommands}`, `${kb(t.unfused.dmaCycles)}/${kb(t.fused.dmaCycles)}`,
    String(t.fused.peakL1Bytes), r.bitExact === null ? "-" : r.bitExact ? "yes" : "NO",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
  const line = (row: string[]) => row.map((c, i) => (i <= 3 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
  const m = r.memory;
  return [
    `${r.network}: ${r.scheme}, ${r.layout}, L1 ${m.l1Usable}/${m.l1} B usable, L2 ${m.l2} B, DMA ${m.dma}${m.doubleBuffer ? ", double-buffered" : ""}`,
    line(head),
    ...body.map(line),
    ...(r.latency ? ["", formatLatency(r)] : []),
  ].join("\n");
}

/** The latency section of a report as an aligned text table (empty if the report has none). */
export function formatLatency(r: NetworkReport): string {
  const L = r.latency;
  if (!L) return "";
  const k = (n: number) => (n / 1000).toFixed(1);
  const share = (e: LatencyEstimate) => `${e.totalCycles === 0 ? 0 : Math.round((100 * e.computeCycles) / (e.computeCycles + e.dmaCycles))}%`;
  const head = ["blk", "plan", "schedule", "unfused kcyc", "compute", "optimized kcyc", "compute", "MAC/cyc u/o", "saved"];
  const body = r.blocks.map((b) => {
    const l = b.latency as BlockLatency;
    return [
      String(b.block), l.fusion, l.schedule ?? "unfused",
      k(l.unfused.totalCycles), share(l.unfused), k(l.optimized.totalCycles), share(l.optimized),
      `${(l.macs / l.unfused.totalCycles).toFixed(2)}/${(l.macs / l.optimized.totalCycles).toFixed(2)}`,
      `${l.reduction.toFixed(1)}%`,
    ];
  });
  body.push([
    "all", "", "", k(L.unfused.totalCycles), share(L.unfused), k(L.optimized.totalCycles), share(L.optimized),
    `${(L.macs / L.unfused.totalCycles).toFixed(2)}/${(L.macs / L.optimized.totalCycles).toFixed(2)}`, `${L.reduction.toFixed(1)}%`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
  const line = (row: string[]) => row.map((c, i) => (i <= 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
  const ms = (c: number) => (c / 100_000).toFixed(2); // GAP8's cluster at 100 MHz, as in DORY's measurements
  return [
    `estimated latency on GAP8's 8-core cluster (src/latency): plans by ${L.objective}, DMA ${r.memory.dma} ${L.overlap ? "overlapped (double-buffered)" : "blocking"}; compute = share of compute in the cycles`,
    line(head),
    ...body.map(line),
    `end to end (blocks only): unfused ${k(L.unfused.totalCycles)} kcycles (${ms(L.unfused.totalCycles)} ms at 100 MHz) -> optimized ${k(L.optimized.totalCycles)} kcycles (${ms(L.optimized.totalCycles)} ms): ${L.reduction.toFixed(2)}% less`,
  ].join("\n");
}

