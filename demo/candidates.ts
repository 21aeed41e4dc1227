// Per block of a network, the L2<->L1 activation bytes of the unfused baseline and of every fused
// schedule that applies, and which one the fusion report picks. The same rules as `fusionReport`
// (src/report.ts) and `planNetwork` (src/network/plan.ts), spelled out per candidate so the page
// can draw them all; the worker compares its choice with theirs and flags any disagreement.
import type { Engine } from "../src/engine.js";
import { placeholder, withZeroPoint, type BlockUnit } from "../src/network/plan.js";
import type { DwPwLayer, NetworkGraph } from "../src/network/types.js";
import { randomInput, randomOp, type BlockSpec, type QuantScheme } from "../src/networks/mobilenet.js";
import { describeBlock } from "../src/scratchpad/block.js";
import { resolveMemory, type MemoryConfig, type ResolvedMemory } from "../src/scratchpad/memory.js";
import { bestTiling, L1OverflowError, planLayer, type TransferReport } from "../src/scratchpad/plan.js";
import { schedule, SCHEDULES } from "../src/scratchpad/schedules.js";
import type { ConvOp, Layout, Tensor } from "../src/types.js";

/** One way of running a block: which layers are fused, with which schedule, and what it moves. */
export interface Candidate {
  /** e.g. `dw+pw`, `expand+dw | project`. */
  fusion: string;
  schedule: string;
  /** Activation bytes of the whole block run this way, or null when the schedule does not fit L1. */
  bytes: number | null;
  dmaCycles: number | null;
  tiling: Record<string, number> | null;
}

/** A block as the page draws it. */
export interface BlockPlan {
  block: number;
  /** e.g. `56x56x128 -> 56x56x128`. */
  shape: string;
  /** Activation bytes of the unfused (layer by layer) baseline. */
  unfused: number;
  candidates: Candidate[];
  /** Index into `candidates` of the one deployed, or null when unfused moves less or nothing fits. */
  chosen: number | null;
  /** The report's fusion column: the chosen candidate's, or why there is none. */
  fusion: string;
  /** Activation bytes as deployed (the chosen candidate's, else unfused). */
  deployed: number;
}

export interface PlanOptions {
  scheme: QuantScheme;
  layout: Layout;
  memory: Partial<MemoryConfig>;
  seed?: number;
}

const dims = (t: { height: number; width: number; channels: number }) => `${t.height}x${t.width}x${t.channels}`;

/** Each fused schedule that applies to the pair: its best tiling's report, or null if none fits L1. */
function fusedSchedules(input: Tensor, pair: [ConvOp, ConvOp], mem: ResolvedMemory): Array<{ schedule: string; report: TransferReport | null }> {
  const blk = describeBlock(input, pair);
  const out: Array<{ schedule: string; report: TransferReport | null }> = [];
  for (const name of SCHEDULES) {
    const s = schedule(name);
    if (s.family === "unfused" || s.order !== blk.order || s.input !== blk.input.layout) continue;
    try {
      out.push({ schedule: name, report: bestTiling(blk, s, mem) });
    } catch (e) {
      if (!(e instanceof L1OverflowError)) throw e;
      out.push({ schedule: name, report: null });
    }
  }
  return out;
}

/** The first candidate moving the fewest bytes (ties: fewest DMA cycles), as `bestFused` picks. */
function best(cands: Candidate[], from: number, to: number): number | null {
  let b: number | null = null;
  for (let i = from; i < to; i++) {
    const c = cands[i]!;
    if (c.bytes === null) continue;
    const cur = b === null ? null : cands[b]!;
    if (!cur || c.bytes < cur.bytes! || (c.bytes === cur.bytes && c.dmaCycles! < cur.dmaCycles!)) b = i;
  }
  return b;
}

/**
 * The candidates of one block and the report's choice among them. `ops` are the block's 2 layers
 * (a pair) or 3 (expand, depthwise, project), `roles` their names; `mid` gives the depthwise
 * layer's input of a 3-layer block (only its shape, dtype and zero point matter to the planner).
 */
export function planCandidates(
  block: number, shape: string, roles: string[], input: Tensor, ops: ConvOp[], mid: () => Tensor, memory: Partial<MemoryConfig>,
): BlockPlan {
  const mem = resolveMemory(memory);
  const candidates: Candidate[] = [];
  const add = (fusion: string, schedule: string, r: TransferReport | null, extra: number) =>
    candidates.push({ fusion, schedule, bytes: r && r.activationBytes + extra, dmaCycles: r && r.dmaCycles, tiling: r?.tiling ?? null });
  let unfused: number;
  let chosen: number | null;
  if (ops.length === 2) {
    const pair = ops as [ConvOp, ConvOp];
    unfused = bestTiling(describeBlock(input, pair), schedule("unfused"), mem).activationBytes;
    for (const f of fusedSchedules(input, pair, mem)) add(`${roles[0]}+${roles[1]}`, f.schedule, f.report, 0);
    chosen = best(candidates, 0, candidates.length);
  } else {
    // Inverted residual: fuse expand+dw (project alone) or dw+project (expand alone).
    const [ex, dw, pr] = ops as [ConvOp, ConvOp, ConvOp];
    const m = mid();
    const head: [ConvOp, ConvOp] = [ex, dw], tail: [ConvOp, ConvOp] = [dw, pr];
    const project = planLayer(describeBlock(m, tail), "second", mem).activationBytes;
    const expand = planLayer(describeBlock(input, head), "first", mem).activationBytes;
    unfused = bestTiling(describeBlock(input, head), schedule("unfused"), mem).activationBytes + project;
    for (const f of fusedSchedules(input, head, mem)) add("expand+dw | project", f.schedule, f.report, project);
    const split = candidates.length;
    for (const f of fusedSchedules(m, tail, mem)) add("expand | dw+project", f.schedule, f.report, expand);
    const a = best(candidates, 0, split), t = best(candidates, split, candidates.length);
    const useA = a !== null && (t === null || candidates[a]!.bytes! <= candidates[t]!.bytes!);
    chosen = useA ? a : t;
  }
  let fusion = chosen === null ? "none (no fused schedule fits L1)" : candidates[chosen]!.fusion;
  if (chosen !== null && candidates[chosen]!.bytes! >= unfused) {
    chosen = null; // fusion does not pay here: the report deploys the block unfused
    fusion = "none (unfused moves less)";
  }
  return { block, shape, unfused, candidates, chosen, fusion, deployed: chosen === null ? unfused : candidates[chosen]!.bytes! };
}

/** A block of a MobileNet preset, with the seeded ops and input `fusionReport` makes for it. */
export function planPresetBlock(b: BlockSpec, options: PlanOptions, engine: Engine): BlockPlan {
  const lo = { scheme: options.scheme, layout: options.layout, seed: options.seed ?? 1 };
  const ops = b.layers.map((l) => randomOp(l, lo));
  const input = randomInput(b.layers[0]!, lo);
  const roles = b.layers.map((l) => l.role);
  return planCandidates(b.index, `${dims(b.input)} -> ${dims(b.output)}`, roles, input, ops, () => engine.conv(input, ops[0]!), options.memory);
}

/** A block of an imported ONNX network (tensors are placeholders of the right geometry, as `dwpw plan` uses). */
export function planOnnxUnit(graph: NetworkGraph, unit: BlockUnit, layout: Layout, memory: Partial<MemoryConfig>): BlockPlan {
  const inputOf = (l: DwPwLayer) => withZeroPoint(placeholder(graph.values.get(l.inputs[0]!)!, layout), l.inZeroPoint);
  const input = inputOf(unit.layers[0]!);
  const out = placeholder(graph.values.get(unit.layers[unit.layers.length - 1]!.output)!, layout);
  const ops = unit.layers.map((l) => l.op as ConvOp);
  return planCandidates(unit.index, `${dims(input)} -> ${dims(out)}`, unit.roles, input, ops, () => inputOf(unit.layers[1]!), memory);
}
