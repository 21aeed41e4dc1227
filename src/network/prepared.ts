// What a network run needs that does not depend on the input, made once per network, engine and
// layout and kept: the constants in the run's layout, every convolution and fully connected layer
// prepared on the general kernel (weights packed at first use), the QLinearAdd plans and pair
// tables, the blocks run on the scratchpad model, and the activation buffers with the position
// after which each one is free again.
import type { Engine } from "../engine.js";
import type { FullyConnectedOp, GeneralConvOp, GeneralInputShape, PreparedGeneral } from "../general.js";
import { generalLayerFor } from "../general.js";
import { buildPairTable } from "../pair-table.js";
import type { MemoryConfig, PreparedBlock } from "../scratchpad/index.js";
import type { Layout, OnnxRequant, Tensor } from "../types.js";
import type { UnitPlan } from "./fusion-plan.js";
import { qRange } from "./arith.js";
import {
  addFunction, addMode, addPlan, reshapeAliases, storedStrides, stridedCopy, rowMajorStrides, weightsOhwi,
  type AddMode, type AddPlan, type QData,
} from "./ops.js";
import type { AddLayer, AddRounding, ConvLayer, DwPwLayer, FullyConnectedLayer, NetworkLayer, NetworkGraph, ValueSpec } from "./types.js";

/** Prepares general convolutions and fully connected layers: an `Engine`, or the reference. */
export interface GeneralPreparer {
  prepareGeneral(shape: GeneralInputShape, op: GeneralConvOp | FullyConnectedOp): PreparedGeneral;
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Outputs a QLinearAdd layer computes one by one before its pair table is built: below that, the
 * table (65536 entries) costs more than it saves. */
const TABLE_AFTER = 1 << 15;

interface AddState {
  plan: AddPlan;
  f: (a: number, b: number) => number;
  key: string;
}

export class PreparedNetwork {
  /** Quantized constants, stored as the run keeps values. */
  readonly consts = new Map<string, Tensor>();
  /** Per position, the values whose buffers are free once that layer has run. */
  readonly freeAfter: string[][];
  private readonly general = new Map<NetworkLayer, PreparedGeneral | null>();
  private readonly adds = new Map<string, AddState>();
  private readonly tables = new Map<string, { computed: number; table: Uint8Array | null }>();
  /** Per memory configuration: the block plans, and the blocks prepared on the scratchpad model. */
  private readonly unitPlans = new Map<string, { plans: UnitPlan[]; blocks: Map<string, PreparedBlock> }>();
  /** Buffers of the runs that are not nested in another run of this network. */
  readonly buffers = new Buffers();
  busy = false;

  constructor(
    readonly graph: NetworkGraph,
    readonly layout: Layout,
    readonly preparer: GeneralPreparer,
    readonly engine: Engine | null,
  ) {
    for (const [name, data] of graph.constValues) {
      const spec = graph.values.get(name)!;
      const q = spec.quant!;
      const stored = data instanceof Int8Array ? new Int8Array(data.length) : new Uint8Array(data.length);
      stridedCopy(data, rowMajorStrides(spec.shape), stored, storedStrides(spec.shape, layout), spec.shape);
      this.consts.set(name, storedTensor(stored, spec, layout, Number.isNaN(q.zeroPoint) ? 0 : q.zeroPoint));
    }
    this.freeAfter = liveness(graph, layout);
  }

  /** The general-kernel call of a standard convolution, or null when the kernel cannot take it. */
  conv(l: ConvLayer, x: ValueSpec): PreparedGeneral | null {
    return this.cached(l, () => {
      const [, C, H, W] = x.shape as [number, number, number, number];
      const op: GeneralConvOp = {
        kind: "conv", outChannels: l.outChannels, kernel: l.kernel, stride: l.stride, dilation: l.dilation, pad: l.pad, groups: l.group,
        weights: weightsOhwi(l), bias: l.bias, requant: onnxRequant(l.scale, l.out),
      };
      return [{ height: H, width: W, channels: C, layout: this.layout, zeroPoint: l.inZeroPoint, dtype: x.quant!.dtype }, op];
    });
  }

  /** A depthwise or pointwise layer on the general kernel (depthwise runs on the depthwise kernel
   * there, with the same arithmetic as `Engine.conv`), or null. */
  dwpw(l: DwPwLayer, x: ValueSpec): PreparedGeneral | null {
    return this.cached(l, () => {
      const [, C, H, W] = x.shape as [number, number, number, number];
      const o = l.op;
      const op: GeneralConvOp =
        o.kind === "depthwise"
          ? { kind: "conv", outChannels: C, kernel: o.kernel, stride: o.stride, pad: o.pad, groups: C, weights: o.weights, bias: o.bias ?? null, requant: o.requant }
          : { kind: "conv", outChannels: o.outChannels, kernel: [1, 1], stride: [1, 1], pad: { top: 0, left: 0, bottom: 0, right: 0 }, weights: o.weights, bias: o.bias ?? null, requant: o.requant };
      return [{ height: H, width: W, channels: C, layout: this.layout, zeroPoint: l.inZeroPoint, dtype: x.quant!.dtype }, op];
    });
  }

  /** The general-kernel call of a fully connected layer (rows of features in row-major order), or null. */
  fullyConnected(l: FullyConnectedLayer, x: ValueSpec): PreparedGeneral | null {
    return this.cached(l, () => [
      { height: l.rows, width: 1, channels: l.inFeatures, layout: "HWC", zeroPoint: l.inZeroPoint, dtype: x.quant!.dtype },
      { kind: "fullyConnected", outFeatures: l.outFeatures, weights: l.weights, bias: l.bias, requant: onnxRequant(l.scale, l.out) },
    ]);
  }

  private cached(l: NetworkLayer, make: () => [GeneralInputShape, GeneralConvOp | FullyConnectedOp]): PreparedGeneral | null {
    let p = this.general.get(l);
    if (p === undefined) {
      const [shape, op] = make();
      try {
        generalLayerFor(shape, op);
        p = this.preparer.prepareGeneral(shape, op);
      } catch {
        // Beyond the kernel's limits: the caller keeps its TypeScript loops.
        p = null;
      }
      this.general.set(l, p);
    }
    return p;
  }

  /** The block plans for a memory configuration (the search runs once per configuration). */
  plans(memory: Partial<MemoryConfig> | undefined, make: () => UnitPlan[]): UnitPlan[] {
    return this.forMemory(memory, make).plans;
  }

  /**
   * The scratchpad run of the pair of layers from position `at` of a block unit, under a memory
   * configuration whose plans were made (`plans`): prepared at its first run (`make`), then kept.
   */
  block(memory: Partial<MemoryConfig> | undefined, unit: number, at: number, make: () => PreparedBlock): PreparedBlock {
    const blocks = this.forMemory(memory, () => {
      throw new Error("internal: a block run before its unit plans");
    }).blocks;
    const k = `${unit}/${at}`;
    let b = blocks.get(k);
    if (!b) blocks.set(k, (b = make()));
    return b;
  }

  private forMemory(memory: Partial<MemoryConfig> | undefined, make: () => UnitPlan[]): { plans: UnitPlan[]; blocks: Map<string, PreparedBlock> } {
    const k = JSON.stringify(memory ?? null);
    let p = this.unitPlans.get(k);
    if (!p) {
      p = { plans: make(), blocks: new Map() };
      // A few configurations are kept; a caller sweeping many does not grow this without bound.
      if (this.unitPlans.size >= 8) this.unitPlans.delete(this.unitPlans.keys().next().value!);
      this.unitPlans.set(k, p);
    }
    return p;
  }

  /** A QLinearAdd's plan and arithmetic under `rounding`. */
  add(l: AddLayer, rounding: AddRounding): AddState {
    const k = `${l.name}\u0000${rounding}`;
    let s = this.adds.get(k);
    if (!s) {
      const g = this.graph;
      const [a, b, y] = [g.values.get(l.inputs[0]!)!, g.values.get(l.inputs[1]!)!, g.values.get(l.output)!];
      const mode: AddMode = addMode(a.shape, b.shape, y.shape, rounding);
      s = {
        plan: addPlan(a.shape, b.shape, y.shape, this.layout, mode),
        f: addFunction(l, mode),
        // Layers with the same quantization and formula share a table.
        key: [mode, l.a.dtype, l.a.scale, l.a.zeroPoint, l.b.dtype, l.b.scale, l.b.zeroPoint, l.out.dtype, l.out.scale, l.out.zeroPoint].join(","),
      };
      this.adds.set(k, s);
    }
    return s;
  }

  /** The pair table of `s`, once enough outputs have been computed one by one to pay for it; else null. */
  table(s: AddState, l: AddLayer): Uint8Array | null {
    let t = this.tables.get(s.key);
    if (!t) {
      t = { computed: 0, table: null };
      this.tables.set(s.key, t);
    }
    if (t.table) return t.table;
    t.computed += s.plan.n;
    if (t.computed < TABLE_AFTER) return null;
    t.table = buildPairTable(s.f, l.a.dtype, l.b.dtype);
    return t.table;
  }
}

function onnxRequant(scale: Float32Array, out: { dtype: "int8" | "uint8"; zeroPoint: number }): OnnxRequant {
  const [min, max] = qRange(out.dtype);
  return { scheme: "onnx", scale, outputZeroPoint: out.zeroPoint, min, max };
}

/** A stored value as a Tensor (a value that is not 4-D is one pixel of all its elements). */
export function storedTensor(data: QData, spec: ValueSpec, layout: Layout, zeroPoint: number): Tensor {
  if (spec.shape.length === 4) {
    const [, C, H, W] = spec.shape as [number, number, number, number];
    return { data, height: H, width: W, channels: C, layout, zeroPoint };
  }
  return { data, height: 1, width: 1, channels: data.length, layout, zeroPoint };
}

/**
 * After which position each quantized value's buffer is free: the last layer that reads it (or
 * any reshape that shares its bytes). Graph outputs are never freed by the run.
 */
function liveness(g: NetworkGraph, layout: Layout): string[][] {
  const root = new Map<string, string>();
  const rootOf = (v: string) => root.get(v) ?? v;
  const last = new Map<string, number>();
  const touch = (v: string, i: number) => {
    const r = rootOf(v);
    last.set(r, Math.max(last.get(r) ?? -1, i));
  };
  g.layers.forEach((l, i) => {
    for (const v of l.inputs) touch(v, i);
    if (l.kind === "reshape") {
      const x = g.values.get(l.inputs[0]!)!, y = g.values.get(l.output)!;
      if (x.quant && reshapeAliases(x.shape, y.shape, layout)) root.set(l.output, rootOf(l.inputs[0]!));
    }
    touch(l.output, i);
  });
  for (const o of g.outputs) last.set(rootOf(o.name), Infinity);
  const out: string[][] = g.layers.map(() => []);
  for (const [v, i] of last) if (i !== Infinity && i >= 0) out[i]!.push(v);
  return out;
}

/** Activation buffers by dtype and size, reused from run to run. */
export class Buffers {
  private readonly free = new Map<string, QData[]>();
  private readonly owned = new WeakSet<QData>();
  private acc = new Int32Array(0);

  /** An int32 scratch of at least `n` entries (per-channel sums). */
  scratch32(n: number): Int32Array {
    if (this.acc.length < n) this.acc = new Int32Array(n);
    return this.acc;
  }

  acquire(dtype: "int8" | "uint8", n: number): QData {
    const k = `${dtype}${n}`;
    const b = this.free.get(k)?.pop();
    if (b) return b;
    const d = dtype === "int8" ? new Int8Array(n) : new Uint8Array(n);
    this.owned.add(d);
    return d;
  }

  /** Gives a buffer back (one this pool made; any other array is left alone). */
  release(d: QData): void {
    if (!this.owned.has(d)) return;
    const k = `${d instanceof Int8Array ? "int8" : "uint8"}${d.length}`;
    let l = this.free.get(k);
    if (!l) this.free.set(k, (l = []));
    if (!l.includes(d)) l.push(d);
  }
}

export { numel };
