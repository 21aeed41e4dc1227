// Depthwise-separable blocks of an imported network and their fusion plan on the GAP8 scratchpad
// model. Each block gets the recommendation `fusionReport` (src/fusion-report.ts) makes for the
// MobileNet presets (src/scratchpad/recommend.ts): under the objective (activation bytes or
// estimated cycles), the best of running the layers unfused or fusing a pair (dw+pw, pw+dw; in an
// inverted residual expand+dw or dw+project) that the deployment check does not flag. So `dwpw plan`
// on a MobileNet ONNX model gives the totals of `dwpw report` for the same network and scheme.
import { blockRow, dims, networkReport, type BlockRow, type NetworkReport } from "../fusion-report.js";
import type { LatencyOptions } from "../latency/model.js";
import type { MemoryConfig } from "../scratchpad/memory.js";
import type { Objective, TransferReport } from "../scratchpad/plan.js";
import { planContext, recommend, type PlanContext } from "../scratchpad/recommend.js";
import type { ConvOp, Layout, Tensor } from "../types.js";
import { isDwPw, type DwPwLayer, type NetworkLayer, type NetworkGraph, type ValueSpec } from "./types.js";

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
  /** Units where no fused schedule fits L1 run their first pair as one unfused block on the model. */
  unfusedBlock: boolean;
}

export interface NetworkPlanOptions {
  memory?: Partial<MemoryConfig>;
  /** The layout tensors keep in L2 (default HWC, as `dwpw report`). */
  layout?: Layout;
  /** What each block's plan minimises: `"bytes"` (default) or `"cycles"` (estimated GAP8 cycles). */
  objective?: Objective;
  /** Latency model options, or false for no cycle estimates (objective `bytes` only). */
  latency?: LatencyOptions | false;
  /** Put every candidate the planner weighed on each row. */
  candidates?: boolean;
}

/** Multiply-accumulates of a depthwise or pointwise layer. */
function macsOf(l: DwPwLayer, graph: NetworkGraph): number {
  const out = graph.values.get(l.output)!.shape;
  const pixels = (out[2] ?? 1) * (out[3] ?? 1);
  const op = l.op as ConvOp;
  if (op.kind === "depthwise") return pixels * (out[1] ?? 1) * op.kernel[0] * op.kernel[1];
  const inC = graph.values.get(l.inputs[0]!)!.shape[1] ?? 1;
  return pixels * (out[1] ?? 1) * inC;
}

/** Plans one unit: the recommendation `fusionReport` makes for the same layers. */
export function planUnit(graph: NetworkGraph, unit: BlockUnit, options: NetworkPlanOptions = {}, ctx?: PlanContext): UnitPlan {
  const layout = options.layout ?? "HWC";
  const context = ctx ?? planContext(options.memory, options.objective, options.latency);
  const tensorOf = (l: DwPwLayer) => withZeroPoint(placeholder(graph.values.get(l.inputs[0]!)!, layout), l.inZeroPoint);
  const input = tensorOf(unit.layers[0]!);
  const out = placeholder(graph.values.get(unit.layers[unit.layers.length - 1]!.output)!, layout);
  const layers = unit.layers.map((l, i) => ({ op: l.op as ConvOp, role: unit.roles[i]!, name: l.name, relu: l.relu }));
  const mid = unit.layers.length === 3 ? () => tensorOf(unit.layers[1]!) : null;
  const rec = recommend(input, layers, mid, context);
  const macs = unit.layers.reduce((s, l) => s + macsOf(l, graph), 0);
  const row = blockRow(unit.index, `${dims(input)} -> ${dims(out)}`, rec, macs, options.candidates === true);
  const c = rec.candidates[rec.chosen]!;
  const fused = c.pair && c.report ? { pair: c.pair, report: c.report } : null;
  return { unit, row, fused, unfusedBlock: !fused && rec.fusion === "none (no fused schedule fits L1)" };
}

/** The fusion plan and transfer report of every block of the network, and the totals. */
export function planNetwork(graph: NetworkGraph, options: NetworkPlanOptions = {}): { report: NetworkReport; plans: UnitPlan[] } {
  const layout = options.layout ?? "HWC";
  const ctx = planContext(options.memory, options.objective, options.latency);
  const mem = ctx.memory;
  const plans = findUnits(graph).map((u) => planUnit(graph, u, options, ctx));
  const head = {
    network: graph.name, scheme: "onnx" as const, layout, objective: ctx.objective,
    memory: { l1: mem.l1, l1Usable: mem.l1Usable, l2: mem.l2, dma: mem.dmaName, doubleBuffer: mem.doubleBuffer },
  };
  return { report: networkReport(head, plans.map((p) => p.row), ctx.latency?.overlap ?? false, null), plans };
}

/** Layers of the network that are not part of any block. */
export function layersOutsideUnits(graph: NetworkGraph, units: BlockUnit[]): NetworkLayer[] {
  const inUnit = new Set(units.flatMap((u) => u.positions));
  return graph.layers.filter((_, i) => !inUnit.has(i));
}
