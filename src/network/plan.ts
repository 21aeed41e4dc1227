// Depthwise-separable blocks of an imported network and their fusion plan on the GAP8 scratchpad
// model. The choices are exactly those of `fusionReport` (src/report.ts) for the MobileNet
// presets: a dw+pw (or pw+dw) pair runs under its best fused schedule unless that moves no fewer
// activation bytes than running the two layers unfused; an inverted residual (expand -> dw ->
// project) fuses expand+dw or dw+project, whichever moves fewer bytes. So `dwpw plan` on a
// MobileNet ONNX model gives the totals of `dwpw report` for the same network and scheme.
import { add, bestFused, dims, reduction, traffic, ZERO, type BlockRow, type NetworkReport, type Traffic } from "../report.js";
import { describeBlock } from "../scratchpad/block.js";
import { resolveMemory, type MemoryConfig } from "../scratchpad/memory.js";
import { bestTiling, planLayer, type TransferReport } from "../scratchpad/plan.js";
import { schedule } from "../scratchpad/schedules.js";
import type { ConvOp, Layout, Tensor } from "../types.js";
import { isDwPw, type DwPwLayer, type Layer, type NetworkGraph, type ValueSpec } from "./types.js";

/** A group of 2 (dw+pw or pw+dw) or 3 (expand, dw, project) consecutive kernel layers. */
export interface BlockUnit {
  /** 1-based, in network order. */
  index: number;
  layers: DwPwLayer[];
  /** Index of each layer in the network's layer list. */
  positions: number[];
  /** `depthwise`, `pointwise`, `expand`, `project` for each layer (as in the MobileNet presets). */
  roles: string[];
}

/**
 * Finds the blocks: around every depthwise layer, the pointwise layer feeding it (if no earlier
 * block took it) and the pointwise layer it feeds. Two layers chain only when the tensor between
 * them has no other reader, is not a graph output, and is read with the zero point it was written
 * with.
 */
export function findUnits(graph: NetworkGraph): BlockUnit[] {
  const layers = graph.layers;
  const producer = new Map<string, number>();
  const readers = new Map<string, number[]>();
  layers.forEach((l, i) => {
    producer.set(l.output, i);
    for (const inp of l.inputs) (readers.get(inp) ?? readers.set(inp, []).get(inp)!).push(i);
  });
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const chained = (a: number, b: number): boolean => {
    const la = layers[a]!;
    const lb = layers[b]!;
    if (!isDwPw(la) || !isDwPw(lb)) return false;
    const r = readers.get(la.output) ?? [];
    return r.length === 1 && r[0] === b && !outputs.has(la.output) && lb.inputs[0] === la.output && lb.inZeroPoint === la.out.zeroPoint;
  };
  const taken = new Set<number>();
  const units: BlockUnit[] = [];
  layers.forEach((l, i) => {
    if (l.kind !== "depthwise" || taken.has(i)) return;
    const p = producer.get(l.inputs[0]!);
    const before = p !== undefined && layers[p]!.kind === "pointwise" && !taken.has(p) && chained(p, i) ? p : null;
    const r = readers.get(l.output) ?? [];
    const after = r.length === 1 && layers[r[0]!]!.kind === "pointwise" && !taken.has(r[0]!) && chained(i, r[0]!) ? r[0]! : null;
    const positions = [before, i, after].filter((x): x is number => x !== null);
    if (positions.length < 2) return;
    // A block runs its layers back to back: they must be consecutive in execution order.
    if (positions.some((x, k) => k > 0 && x !== positions[k - 1]! + 1)) return;
    for (const x of positions) taken.add(x);
    const roles =
      positions.length === 3 ? ["expand", "depthwise", "project"] : before !== null ? ["pointwise", "depthwise"] : ["depthwise", "pointwise"];
    units.push({ index: units.length + 1, layers: positions.map((x) => layers[x] as DwPwLayer), positions, roles });
  });
  return units;
}

/** A tensor of a value's geometry (zero bytes): what the planners need to validate a block. */
export function placeholder(v: ValueSpec, layout: Layout): Tensor {
  const [, C, H, W] = v.shape.length === 4 ? v.shape : [1, v.shape.reduce((a, b) => a * b, 1), 1, 1];
  const n = (C as number) * (H as number) * (W as number);
  const data = v.quant?.dtype === "uint8" ? new Uint8Array(n) : new Int8Array(n);
  return { data, height: H as number, width: W as number, channels: C as number, layout, zeroPoint: v.quant?.zeroPoint ?? 0 };
}

export function withZeroPoint(t: Tensor, zp: number): Tensor {
  return t.zeroPoint === zp ? t : { ...t, zeroPoint: zp };
}

/** How one unit is deployed: which pair (if any) runs fused, under which schedule and tiling. */
export interface UnitPlan {
  unit: BlockUnit;
  row: BlockRow;
  /** `pair`: layers [0,1] or [1,2] of the unit run fused with `report`; null: every layer alone. */
  fused: { pair: [number, number]; report: TransferReport } | null;
  /** Two-layer units that fit no fused schedule run as one unfused block on the model. */
  unfusedBlock: boolean;
}

export interface NetworkPlanOptions {
  memory?: Partial<MemoryConfig>;
  /** The layout tensors keep in L2 (default HWC, as `dwpw report`). */
  layout?: Layout;
}

/** Plans one unit: the decision `fusionReport` makes for the same layers. */
export function planUnit(graph: NetworkGraph, unit: BlockUnit, options: NetworkPlanOptions = {}): UnitPlan {
  const layout = options.layout ?? "HWC";
  const memory = options.memory;
  const mem = resolveMemory(memory);
  const ops = unit.layers.map((l) => l.op as ConvOp);
  const tensorOf = (l: DwPwLayer) => withZeroPoint(placeholder(graph.values.get(l.inputs[0]!)!, layout), l.inZeroPoint);
  const input = tensorOf(unit.layers[0]!);
  const outSpec = graph.values.get(unit.layers[unit.layers.length - 1]!.output)!;
  const out = placeholder(outSpec, layout);
  let unfused: Traffic;
  let fused: Traffic | null;
  let fusion: string;
  let chosen: TransferReport | null;
  let plan: UnitPlan["fused"] = null;
  let unfusedBlock = false;
  if (ops.length === 2) {
    const pair = ops as [ConvOp, ConvOp];
    unfused = traffic(bestTiling(describeBlock(input, pair), schedule("unfused"), mem));
    chosen = bestFused(input, pair, memory);
    fused = chosen && traffic(chosen);
    fusion = `${unit.roles[0]}+${unit.roles[1]}`;
    if (chosen) plan = { pair: [0, 1], report: chosen };
    else unfusedBlock = true;
  } else {
    const [ex, dw, pr] = ops as [ConvOp, ConvOp, ConvOp];
    const mid = tensorOf(unit.layers[1]!);
    const head: [ConvOp, ConvOp] = [ex, dw];
    const tail: [ConvOp, ConvOp] = [dw, pr];
    const project = traffic(planLayer(describeBlock(mid, tail), "second", mem));
    const expand = traffic(planLayer(describeBlock(input, head), "first", mem));
    unfused = add(traffic(bestTiling(describeBlock(input, head), schedule("unfused"), mem)), project);
    const a = bestFused(input, head, memory);
    const bb = bestFused(mid, tail, memory);
    const ta = a && add(traffic(a), project);
    const tb = bb && add(expand, traffic(bb));
    const useA = ta !== null && (tb === null || ta.activationBytes <= tb.activationBytes);
    chosen = useA ? a : bb;
    fused = useA ? ta : tb;
    fusion = useA ? "expand+dw | project" : "expand | dw+project";
    if (useA) plan = { pair: [0, 1], report: a! };
    else if (bb) plan = { pair: [1, 2], report: bb };
    else unfusedBlock = true; // like the report: expand+dw as an unfused block, then project
  }
  if (fused && fused.activationBytes >= unfused.activationBytes) {
    fused = null;
    chosen = null;
    plan = null;
    unfusedBlock = false;
    fusion = "none (unfused moves less)";
  }
  const row: BlockRow = {
    block: unit.index,
    shape: `${dims(input)} -> ${dims(out)}`,
    fusion,
    schedule: chosen?.schedule ?? null,
    tiling: chosen?.tiling ?? null,
    unfused,
    fused,
    reduction: fused ? reduction(unfused.activationBytes, fused.activationBytes) : 0,
    bitExact: null,
  };
  return { unit, row, fused: plan, unfusedBlock };
}

/** The fusion plan and transfer report of every block of the network, and the totals. */
export function planNetwork(graph: NetworkGraph, options: NetworkPlanOptions = {}): { report: NetworkReport; plans: UnitPlan[] } {
  const layout = options.layout ?? "HWC";
  const mem = resolveMemory(options.memory);
  const plans = findUnits(graph).map((u) => planUnit(graph, u, options));
  const rows = plans.map((p) => p.row);
  const totalUnfused = rows.reduce((t, r) => add(t, r.unfused), ZERO);
  const totalFused = rows.reduce((t, r) => add(t, r.fused ?? r.unfused), ZERO);
  const report: NetworkReport = {
    network: graph.name,
    scheme: "onnx",
    layout,
    memory: { l1: mem.l1, l1Usable: mem.l1Usable, l2: mem.l2, dma: mem.dmaName, doubleBuffer: mem.doubleBuffer },
    blocks: rows,
    total: { unfused: totalUnfused, fused: totalFused, reduction: reduction(totalUnfused.activationBytes, totalFused.activationBytes) },
    bitExact: null,
  };
  return { report, plans };
}

/** Layers of the network that are not part of any block. */
export function layersOutsideUnits(graph: NetworkGraph, units: BlockUnit[]): Layer[] {
  const inUnit = new Set(units.flatMap((u) => u.positions));
  return graph.layers.filter((_, i) => !inUnit.has(i));
}
