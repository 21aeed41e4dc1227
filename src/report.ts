// The fusion report of a whole network: for every block, the L2<->L1 traffic of the unfused
// (DORY-style, layer by layer) deployment against the best fused schedule, each counted on the
// scratchpad model, and whether the fused emulation gave the reference's bytes.
import { defaultEngine } from "./runtime.js";
import { reference } from "./reference/index.js";
import { describeBlock } from "./scratchpad/block.js";
import { resolveMemory, type MemoryConfig } from "./scratchpad/memory.js";
import { bestTiling, L1OverflowError, planLayer, type TransferReport } from "./scratchpad/plan.js";
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
}

export interface NetworkReport {
  network: string;
  scheme: QuantScheme;
  layout: Layout;
  memory: { l1: number; l1Usable: number; l2: number; dma: string; doubleBuffer: boolean };
  blocks: BlockRow[];
  total: { unfused: Traffic; fused: Traffic; reduction: number };
  bitExact: boolean | null;
}

export interface ReportOptions {
  scheme?: QuantScheme;
  layout?: Layout;
  memory?: Partial<MemoryConfig>;
  /** Run the fused emulation and compare with the reference (slower). Default true. */
  run?: boolean;
  seed?: number;
}

const ZERO: Traffic = { activationBytes: 0, weightBytes: 0, dmaCommands: 0, dmaCycles: 0, peakL1Bytes: 0 };

function traffic(r: TransferReport): Traffic {
  return { activationBytes: r.activationBytes, weightBytes: r.l2ToL1.weights + r.l2ToL1.params, dmaCommands: r.dmaCommands, dmaCycles: r.dmaCycles, peakL1Bytes: r.peakL1Bytes };
}

function add(a: Traffic, b: Traffic): Traffic {
  return {
    activationBytes: a.activationBytes + b.activationBytes,
    weightBytes: a.weightBytes + b.weightBytes,
    dmaCommands: a.dmaCommands + b.dmaCommands,
    dmaCycles: a.dmaCycles + b.dmaCycles,
    peakL1Bytes: Math.max(a.peakL1Bytes, b.peakL1Bytes),
  };
}

const reduction = (unfused: number, fused: number) => (unfused === 0 ? 0 : (100 * (unfused - fused)) / unfused);
const dims = (t: { height: number; width: number; channels: number }) => `${t.height}x${t.width}x${t.channels}`;

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
  const rows: BlockRow[] = [];
  for (const b of net.blocks) {
    const ops = b.layers.map((l) => randomOp(l, lo));
    const input = randomInput(b.layers[0]!, lo);
    let unfused: Traffic, fused: Traffic | null, fusion: string, chosen: TransferReport | null;
    let runFused: () => Tensor;
    if (ops.length === 2) {
      const pair = ops as [ConvOp, ConvOp];
      unfused = traffic(unfusedPair(input, pair, options.memory));
      chosen = bestFused(input, pair, options.memory);
      fused = chosen && traffic(chosen);
      fusion = `${b.layers[0]!.role}+${b.layers[1]!.role}`;
      runFused = () => runBlock(defaultEngine(), input, pair, { memory: options.memory, ...(chosen ? { schedule: chosen.schedule, tiling: chosen.tiling } : { schedule: "unfused" }) }).output;
    } else {
      // Inverted residual: expand -> dw -> project. Fuse expand+dw or dw+project, whichever moves less.
      const [ex, dw, pr] = ops as [ConvOp, ConvOp, ConvOp];
      const mid = defaultEngine().conv(input, ex);
      const head: [ConvOp, ConvOp] = [ex, dw], tail: [ConvOp, ConvOp] = [dw, pr];
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
    });
  }
  const totalUnfused = rows.reduce((t, r) => add(t, r.unfused), ZERO);
  const totalFused = rows.reduce((t, r) => add(t, r.fused ?? r.unfused), ZERO);
  return {
    network: net.name,
    scheme,
    layout,
    memory: { l1: mem.l1, l1Usable: mem.l1Usable, l2: mem.l2, dma: mem.dmaName, doubleBuffer: mem.doubleBuffer },
    blocks: rows,
    total: { unfused: totalUnfused, fused: totalFused, reduction: reduction(totalUnfused.activationBytes, totalFused.activationBytes) },
    bitExact: run ? rows.every((r) => r.bitExact) : null,
  };
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
  ].join("\n");
}

