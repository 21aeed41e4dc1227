// The network runner: executes an imported graph layer by layer. Depthwise and pointwise layers run
// on the WebAssembly kernels (`conv`), or on the plain TypeScript reference for checking; the other
// ops are exact TypeScript emulations of ONNX Runtime's arithmetic (./ops.ts). Blocks of
// depthwise-separable layers can instead run on the GAP8 scratchpad model with their best schedule.
import { check, type CheckOptions, type Finding, type Subject, type NetworkEntry } from "../check/index.js";
import { toLayout } from "../layout.js";
import { reference } from "../reference/index.js";
import type { NetworkReport, BlockRow } from "../report.js";
import { defaultEngine } from "../runtime.js";
import { runBlock } from "../scratchpad/index.js";
import type { MemoryConfig, TransferReport } from "../scratchpad/index.js";
import type { ConvOp, Layout, Tensor } from "../types.js";
import { snapshotTensor, snapshotValue, snapshotView } from "../validate.js";
import { checkNetworkSizes } from "./limits.js";
import { convNchw, convNchwU8S8, dequantize, fullyConnected, fullyConnectedU8S8, globalAveragePoolNchw, newQ, qlinearAdd, quantize, type QData } from "./ops.js";
import { findUnits, planNetwork, withZeroPoint, type BlockUnit, type NetworkPlanOptions, type UnitPlan } from "./plan.js";
import { ADD_ROUNDINGS, U8S8_MODES, isDwPw, type AddRounding, type ConvLayer, type Layer, type LayerKind, type NetworkGraph, type PointwiseLayer, type QDtype, type U8S8Mode, type ValueSpec } from "./types.js";

/** A tensor the network produced, in ONNX's NCHW order (batch 1). */
export interface NetworkValue {
  name: string;
  dtype: QDtype | "float32";
  shape: number[];
  data: Int8Array | Uint8Array | Float32Array;
  /** Quantization of an int8/uint8 value. */
  scale?: number;
  zeroPoint?: number;
}

/** One layer's output (`run(..., { layers: true })`). */
export interface LayerOutput {
  layer: string;
  kind: LayerKind;
  opType: string;
  /** ONNX nodes folded into the layer. */
  nodes: string[];
  output: NetworkValue;
}

/** What a block run on the scratchpad model reports. */
export interface BlockRun {
  unit: number;
  layers: string[];
  fusion: string;
  /** Transfer report of the block run on the model (the fused pair, or the unfused pair). */
  report: TransferReport | null;
}

export interface RunResult {
  /** Graph outputs by name. */
  outputs: Record<string, NetworkValue>;
  /** Every layer's output in execution order (when `layers: true`). */
  layers?: LayerOutput[];
  /** Blocks run on the scratchpad model (when `blocks` is set). */
  blocks?: BlockRun[];
}

/** An input: a dwpw Tensor (quantized), raw NCHW values, or a record of those by input name. */
export type InputValue = Tensor | Float32Array | Int8Array | Uint8Array;
export type NetworkInput = InputValue | Record<string, InputValue>;

export interface RunOptions {
  /** Return every layer's output too. Default false. */
  layers?: boolean;
  /** Where depthwise/pointwise layers run: the WebAssembly kernels (default; needs `await init()`) or the TypeScript reference. */
  engine?: "wasm" | "reference";
  /** QLinearAdd rounding; defaults to the network's (`ort-x86` unless set at load). */
  addRounding?: AddRounding;
  /** uint8-activation x int8-weight products of pointwise, standard convolution and fully connected
   * layers: `exact` (the mathematical result, default) or `ort-x86-u8s8-saturation` (ONNX Runtime's
   * x86-64 kernels without VNNI, which saturate adjacent pairs of products to int16). */
  u8s8?: U8S8Mode;
  /** Layout activations keep between layers (default HWC). Results do not depend on it. */
  layout?: Layout;
  /** Run blocks of depthwise-separable layers on the GAP8 scratchpad model with the best schedule
   * (`true`, or the memory configuration). Needs the WebAssembly kernels. */
  blocks?: boolean | { memory?: Partial<MemoryConfig> };
  /** Called after each layer (progress). */
  onLayer?: (done: number, total: number, layer: Layer) => void;
}

export interface NetworkCheck {
  findings: Finding[];
  /** Layers the deployment check does not cover (not depthwise/pointwise). */
  notChecked: Array<{ layer: string; kind: LayerKind }>;
}

/** A runtime value: quantized (a Tensor in the run's layout) or float32 (NCHW). */
interface Rt {
  spec: ValueSpec;
  q?: Tensor;
  f?: Float32Array;
}

const is4d = (shape: number[]) => shape.length === 4;
const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function isTensor(v: unknown): v is Tensor {
  return typeof v === "object" && v !== null && "data" in v && "layout" in v && "height" in v;
}

/** One input value, read once: a Tensor's fields, or a typed array captured as a view. */
function snapshotInputValue(v: unknown, field: string): unknown {
  if (isTensor(v)) return snapshotTensor(v);
  if (ArrayBuffer.isView(v)) return snapshotView(v);
  return snapshotValue(v, field);
}

/** A run's input, read once (a value, or a record of values by input name). */
export function snapshotNetworkInput(v: unknown): unknown {
  if (typeof v !== "object" || v === null || isTensor(v) || ArrayBuffer.isView(v)) return snapshotInputValue(v, "input");
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = snapshotInputValue((v as Record<string, unknown>)[k], `input.${k}`);
  return Object.freeze(out);
}

export class Network {
  /** QLinearAdd rounding used when `run` does not say. */
  addRounding: AddRounding;
  /** u8 x s8 product arithmetic used when `run` does not say. */
  u8s8: U8S8Mode;

  constructor(
    readonly graph: NetworkGraph,
    options: { addRounding?: AddRounding; u8s8?: U8S8Mode } = {},
  ) {
    // Sizes are checked once here, so that no run allocates past the limits.
    checkNetworkSizes(graph);
    this.addRounding = checkRounding(options.addRounding ?? "ort-x86");
    this.u8s8 = checkU8S8(options.u8s8 ?? "exact");
  }

  get name(): string {
    return this.graph.name;
  }

  get inputs(): ValueSpec[] {
    return this.graph.inputs;
  }

  get outputs(): ValueSpec[] {
    return this.graph.outputs;
  }

  get layers(): Layer[] {
    return this.graph.layers;
  }

  /** The depthwise-separable blocks (dw+pw, pw+dw pairs and expand/dw/project triples). */
  units(): BlockUnit[] {
    return findUnits(this.graph);
  }

  /**
   * The fusion plan and transfer report of every block and the totals (as `dwpw report`): per
   * block the plan that is best under `objective` (`"bytes"`, the default, or `"cycles"`) among
   * those the deployment check (dory-fused) does not flag, with its bytes and estimated cycles.
   */
  plan(options: NetworkPlanOptions = {}): NetworkReport {
    return planNetwork(this.graph, snapshotValue(options, "options")).report;
  }

  /**
   * The deployment check (src/check) over the network's depthwise and pointwise layers. For target
   * `dory-fused`, a block runs under the schedule the fusion plan (made with `plan`'s options)
   * chose for it.
   */
  check(rawOptions: CheckOptions, rawPlan: NetworkPlanOptions = {}): NetworkCheck {
    const options = snapshotValue(rawOptions, "options");
    const plan = snapshotValue(rawPlan, "plan");
    const layout = plan.layout ?? "HWC";
    const g = this.graph;
    const geo = (name: string) => {
      const s = g.values.get(name)!.shape;
      return { height: s[2]!, width: s[3]!, channels: s[1]!, layout };
    };
    const plans = planNetwork(g, plan).plans;
    const fusedAt = new Map<number, UnitPlan>();
    if (options.target === "dory-fused") for (const p of plans) if (p.fused) fusedAt.set(p.unit.positions[p.fused.pair[0]]!, p);
    const entries: NetworkEntry[] = [];
    const notChecked: NetworkCheck["notChecked"] = [];
    for (let i = 0; i < g.layers.length; i++) {
      const l = g.layers[i]!;
      if (!isDwPw(l)) {
        if (l.kind !== "quantize" && l.kind !== "dequantize" && l.kind !== "reshape") notChecked.push({ layer: l.name, kind: l.kind });
        continue;
      }
      const p = fusedAt.get(i);
      if (p && p.fused) {
        const second = g.layers[i + 1] ?? null;
        const next = p.unit.layers[p.fused.pair[1]]!;
        if (second === next && isDwPw(second)) {
          entries.push({
            name: `${l.name} + ${next.name}`,
            input: geo(l.inputs[0]!),
            ops: [{ ...(l.op as ConvOp), relu: l.relu }, { ...(next.op as ConvOp), relu: next.relu }],
            schedule: p.fused.report.schedule as never,
          });
          i++;
          continue;
        }
      }
      entries.push({ name: l.name, input: geo(l.inputs[0]!), op: { ...(l.op as ConvOp), relu: l.relu } });
    }
    const findings = entries.length ? check(entries as Subject, options) : [];
    return { findings, notChecked };
  }

  /**
   * Runs the network. `input` is a dwpw Tensor (quantized; any layout), raw NCHW values (a
   * Float32Array for a float input, Int8Array/Uint8Array for a quantized one), or a record of
   * those by input name. A Tensor given for a float input that feeds a QuantizeLinear stands for
   * that QuantizeLinear's output.
   */
  run(rawInput: NetworkInput, rawOptions: RunOptions = {}): RunResult {
    // Read once; the run then computes from the snapshot only (and copies the input's bytes, since
    // `onLayer` runs the caller's code between layers).
    const input = snapshotNetworkInput(rawInput) as NetworkInput;
    const options = snapshotValue(rawOptions, "options");
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    const layout = options.layout ?? "HWC";
    if (layout !== "HWC" && layout !== "CHW") throw new RangeError(`options.layout must be "HWC" or "CHW", got ${String(layout)}`);
    const rounding = checkRounding(options.addRounding ?? this.addRounding);
    const saturate = checkU8S8(options.u8s8 ?? this.u8s8) === "ort-x86-u8s8-saturation";
    const engineName = options.engine ?? "wasm";
    if (engineName !== "wasm" && engineName !== "reference") throw new RangeError(`options.engine must be "wasm" or "reference", got ${String(engineName)}`);
    const convFn: (t: Tensor, op: ConvOp) => Tensor =
      engineName === "wasm" ? ((e) => (t: Tensor, op: ConvOp) => e.conv(t, op))(defaultEngine()) : reference.conv;
    const g = this.graph;
    const vals = new Map<string, Rt>();
    for (const [name, data] of g.constValues) vals.set(name, { spec: g.values.get(name)!, q: fromNchw(data, g.values.get(name)!, layout) });
    const skipQuantize = this.bindInputs(input, vals, layout);

    // Blocks on the scratchpad model.
    const blockAt = new Map<number, UnitPlan>();
    let memory: Partial<MemoryConfig> | undefined;
    if (options.blocks) {
      if (engineName !== "wasm") throw new RangeError("options.blocks runs on the WebAssembly scratchpad model; it needs engine \"wasm\"");
      if (saturate) throw new RangeError("options.blocks computes exact products; it cannot be combined with u8s8 \"ort-x86-u8s8-saturation\"");
      memory = typeof options.blocks === "object" ? options.blocks.memory : undefined;
      for (const p of planNetwork(g, { memory, layout }).plans) blockAt.set(p.unit.positions[0]!, p);
    }
    const layerOutputs: LayerOutput[] | undefined = options.layers ? [] : undefined;
    const blocks: BlockRun[] | undefined = options.blocks ? [] : undefined;
    const record = (l: Layer) => {
      if (layerOutputs) layerOutputs.push({ layer: l.name, kind: l.kind, opType: l.opType, nodes: l.nodes.slice(), output: publicValue(vals.get(l.output)!) });
    };
    const total = g.layers.length;
    for (let i = 0; i < total; i++) {
      const l = g.layers[i]!;
      const p = blockAt.get(i);
      if (p) {
        i = this.runUnit(p, vals, layout, memory, blocks!, convFn, (l2) => record(l2), layerOutputs !== undefined) - 1;
        options.onLayer?.(i + 1, total, g.layers[i]!);
        continue;
      }
      if (!(l.kind === "quantize" && skipQuantize.has(l.name))) this.runLayer(l, vals, layout, rounding, convFn, saturate);
      record(l);
      options.onLayer?.(i + 1, total, l);
    }
    const outputs: Record<string, NetworkValue> = {};
    for (const o of g.outputs) {
      const v = vals.get(o.name);
      if (!v) throw new Error(`internal: output ${o.name} was not computed`);
      outputs[o.name] = publicValue(v);
    }
    const result: RunResult = { outputs };
    if (layerOutputs) result.layers = layerOutputs;
    if (blocks) result.blocks = blocks;
    return result;
  }

  /** Binds the run's inputs; returns the QuantizeLinear layers whose output was given directly. */
  private bindInputs(input: NetworkInput, vals: Map<string, Rt>, layout: Layout): Set<string> {
    const g = this.graph;
    const skip = new Set<string>();
    let byName: Record<string, InputValue>;
    if (isTensor(input) || ArrayBuffer.isView(input)) {
      if (g.inputs.length !== 1) throw new TypeError(`the network has ${g.inputs.length} inputs (${g.inputs.map((i) => i.name).join(", ")}); pass a record by name`);
      byName = { [g.inputs[0]!.name]: input as InputValue };
    } else if (typeof input === "object" && input !== null) {
      byName = input as Record<string, InputValue>;
    } else {
      throw new TypeError("input must be a Tensor, a typed array, or a record of those by input name");
    }
    for (const spec of g.inputs) {
      const v = byName[spec.name];
      if (v === undefined) throw new TypeError(`input "${spec.name}" is missing`);
      const field = `input "${spec.name}"`;
      if (isTensor(v)) {
        const dtype = v.data instanceof Int8Array ? "int8" : v.data instanceof Uint8Array ? "uint8" : null;
        if (!dtype) throw new TypeError(`${field}.data must be an Int8Array or a Uint8Array`);
        let target = spec;
        if (!spec.quant) {
          // A quantized tensor for a float input: it replaces the QuantizeLinear that reads the input.
          const q = g.layers.find((l) => l.kind === "quantize" && l.inputs[0] === spec.name);
          const readers = g.layers.filter((l) => l.inputs.includes(spec.name));
          if (!q || readers.length !== 1) throw new TypeError(`${field} is float32 and not read by a single QuantizeLinear; pass a Float32Array`);
          skip.add(q.name);
          target = g.values.get(q.output)!;
        }
        const [, C, H, W] = target.shape.length === 4 ? target.shape : [1, numel(target.shape), 1, 1];
        if (v.height !== H || v.width !== W || v.channels !== C) {
          throw new RangeError(`${field} is ${v.height}x${v.width}x${v.channels} (HxWxC) but the model takes ${H}x${W}x${C}`);
        }
        if (v.data.length !== numel(target.shape)) throw new RangeError(`${field}.data has ${v.data.length} bytes, expected ${numel(target.shape)}`);
        if (dtype !== target.quant!.dtype) throw new TypeError(`${field} is ${dtype} but the model takes ${target.quant!.dtype}`);
        const zp = Number.isNaN(target.quant!.zeroPoint) ? v.zeroPoint : target.quant!.zeroPoint;
        if (v.zeroPoint !== zp) throw new RangeError(`${field}.zeroPoint is ${v.zeroPoint} but the model's is ${zp}`);
        const own = { ...v, data: v.data.slice() };
        vals.set(target.name, { spec: target, q: toLayout(is4d(target.shape) ? own : { ...own, height: 1, width: 1, channels: numel(target.shape), layout: "HWC" }, layout) });
        continue;
      }
      const n = numel(spec.shape);
      if (spec.quant) {
        const want = spec.quant.dtype === "int8" ? Int8Array : Uint8Array;
        if (!(v instanceof want)) throw new TypeError(`${field} is ${spec.quant.dtype}: pass ${want.name} bytes in NCHW order (or a Tensor)`);
        if (v.length !== n) throw new RangeError(`${field} has ${v.length} values, expected ${n} (shape [${spec.shape.join(", ")}])`);
        vals.set(spec.name, { spec, q: fromNchw(v.slice(), spec, layout) });
      } else {
        if (!(v instanceof Float32Array)) throw new TypeError(`${field} is float32: pass a Float32Array in NCHW order (or a quantized Tensor)`);
        if (v.length !== n) throw new RangeError(`${field} has ${v.length} values, expected ${n} (shape [${spec.shape.join(", ")}])`);
        vals.set(spec.name, { spec, f: v.slice() });
      }
    }
    return skip;
  }

  private runLayer(l: Layer, vals: Map<string, Rt>, layout: Layout, rounding: AddRounding, convFn: (t: Tensor, op: ConvOp) => Tensor, saturate: boolean): void {
    const g = this.graph;
    const spec = g.values.get(l.output)!;
    const get = (name: string) => {
      const v = vals.get(name);
      if (!v) throw new Error(`internal: ${name} not computed before layer ${l.name}`);
      return v;
    };
    const x = get(l.inputs[0]!);
    // ORT's x86 u8 x s8 GEMM saturates pairs of products (pointwise, standard conv, fully connected).
    const sat = saturate && x.spec.quant?.dtype === "uint8";
    let out: Rt;
    switch (l.kind) {
      case "quantize":
        out = { spec, q: fromNchw(quantize(x.f!, l.quant), spec, layout) };
        break;
      case "dequantize":
        out = { spec, f: dequantize(nchw(x), l.quant) };
        break;
      case "depthwise":
        out = { spec, q: convFn(withZeroPoint(x.q!, l.inZeroPoint), l.op) };
        break;
      case "pointwise":
        if (sat) {
          const [, , H, W] = x.spec.shape as [number, number, number, number];
          out = { spec, q: fromNchw(convNchwU8S8(nchw(x), H, W, pointwiseAsConv(l, x.spec.shape[1]!)).data, spec, layout) };
        } else {
          out = { spec, q: convFn(withZeroPoint(x.q!, l.inZeroPoint), l.op) };
        }
        break;
      case "conv": {
        const [, , H, W] = x.spec.shape as [number, number, number, number];
        // Depthwise-like convolutions (one input and one output channel per group) run on ORT's
        // depthwise kernel, which is exact.
        const gemm = !(l.inChannels === l.group && l.outChannels === l.group);
        const r = sat && gemm ? convNchwU8S8(nchw(x), H, W, l) : convNchw(nchw(x), H, W, l);
        out = { spec, q: fromNchw(r.data, spec, layout) };
        break;
      }
      case "add": {
        const b = get(l.inputs[1]!);
        out = { spec, q: fromNchw(qlinearAdd(nchw(x), x.spec.shape, nchw(b), b.spec.shape, spec.shape, l, rounding), spec, layout) };
        break;
      }
      case "globalAveragePool": {
        const s = x.spec.shape;
        out = { spec, q: fromNchw(globalAveragePoolNchw(nchw(x), s[1]!, numel(s.slice(2)), l), spec, layout) };
        break;
      }
      case "fullyConnected":
        out = { spec, q: fromNchw((sat ? fullyConnectedU8S8 : fullyConnected)(nchw(x), l), spec, layout) };
        break;
      case "reshape":
        out = x.q ? { spec, q: fromNchw(nchw(x), spec, layout) } : { spec, f: x.f! };
        break;
    }
    vals.set(l.output, out);
  }

  /** Runs one block unit as planned; returns the position after its last layer. */
  private runUnit(
    p: UnitPlan,
    vals: Map<string, Rt>,
    layout: Layout,
    memory: Partial<MemoryConfig> | undefined,
    blocks: BlockRun[],
    convFn: (t: Tensor, op: ConvOp) => Tensor,
    record: (l: Layer) => void,
    wantLayers: boolean,
  ): number {
    const g = this.graph;
    const ls = p.unit.layers;
    const engine = defaultEngine();
    const set = (i: number, t: Tensor) => vals.set(ls[i]!.output, { spec: g.values.get(ls[i]!.output)!, q: t });
    const inputOf = (i: number) => withZeroPoint(vals.get(ls[i]!.inputs[0]!)!.q!, ls[i]!.inZeroPoint);
    const runAlone = (i: number) => {
      set(i, convFn(inputOf(i), ls[i]!.op));
      record(ls[i]!);
    };
    const runPair = (a: number, opts: { schedule: string; tiling?: Record<string, number> }) => {
      const r = runBlock(engine, inputOf(a), [ls[a]!.op, ls[a + 1]!.op], { memory, ...opts });
      // The intermediate stays in L1; a layer listing still gets it, computed on the kernels.
      if (wantLayers) {
        set(a, convFn(inputOf(a), ls[a]!.op));
        record(ls[a]!);
      }
      set(a + 1, r.output);
      record(ls[a + 1]!);
      blocks.push({ unit: p.unit.index, layers: [ls[a]!.name, ls[a + 1]!.name], fusion: p.row.fusion, report: r.report });
    };
    let i = 0;
    while (i < ls.length) {
      if (p.fused && p.fused.pair[0] === i) {
        runPair(i, { schedule: p.fused.report.schedule, tiling: p.fused.report.tiling });
        i += 2;
      } else if (p.unfusedBlock && i === 0) {
        runPair(0, { schedule: "unfused" });
        i += 2;
      } else {
        runAlone(i);
        i++;
      }
    }
    if (!p.fused && !p.unfusedBlock) blocks.push({ unit: p.unit.index, layers: ls.map((l) => l.name), fusion: p.row.fusion, report: null });
    return p.unit.positions[p.unit.positions.length - 1]! + 1;
  }
}

function checkU8S8(m: unknown): U8S8Mode {
  if (!U8S8_MODES.includes(m as U8S8Mode)) throw new RangeError(`u8s8 must be one of ${U8S8_MODES.join(", ")}, got ${String(m)}`);
  return m as U8S8Mode;
}

/** A pointwise layer as a 1x1 convolution layer (for the saturating u8s8 emulation). */
function pointwiseAsConv(l: PointwiseLayer, inChannels: number): ConvLayer {
  const rq = l.op.requant as { scale: Float32Array | number[] };
  return {
    kind: "conv", name: l.name, nodes: l.nodes, opType: l.opType, inputs: l.inputs, output: l.output,
    inChannels, outChannels: l.op.outChannels, group: 1, kernel: [1, 1], stride: [1, 1], dilation: [1, 1],
    pad: { top: 0, left: 0, bottom: 0, right: 0 }, weights: l.op.weights, bias: l.op.bias ?? null,
    inZeroPoint: l.inZeroPoint, scale: Float32Array.from(rq.scale), out: l.out, relu: l.relu,
  };
}

function checkRounding(r: unknown): AddRounding {
  if (!ADD_ROUNDINGS.includes(r as AddRounding)) throw new RangeError(`addRounding must be one of ${ADD_ROUNDINGS.join(", ")}, got ${String(r)}`);
  return r as AddRounding;
}

/** NCHW bytes of a quantized runtime value. */
function nchw(v: Rt): QData {
  if (!v.q) throw new Error(`internal: ${v.spec.name} is not quantized`);
  return is4d(v.spec.shape) ? toLayout(v.q, "CHW").data : v.q.data;
}

/** A Tensor in `layout` from NCHW bytes of a value. */
function fromNchw(data: QData, spec: ValueSpec, layout: Layout): Tensor {
  if (data.length !== numel(spec.shape)) throw new Error(`internal: ${spec.name} has ${data.length} values for shape [${spec.shape.join(", ")}]`);
  const zp = spec.quant && !Number.isNaN(spec.quant.zeroPoint) ? spec.quant.zeroPoint : 0;
  if (is4d(spec.shape)) {
    const [, C, H, W] = spec.shape as [number, number, number, number];
    return toLayout({ data, height: H, width: W, channels: C, layout: "CHW", zeroPoint: zp }, layout);
  }
  return { data, height: 1, width: 1, channels: data.length, layout, zeroPoint: zp };
}

function publicValue(v: Rt): NetworkValue {
  const spec = v.spec;
  if (v.f) return { name: spec.name, dtype: "float32", shape: spec.shape.slice(), data: v.f };
  const data = nchw(v);
  const q = spec.quant!;
  return {
    name: spec.name,
    dtype: data instanceof Int8Array ? "int8" : "uint8",
    shape: spec.shape.slice(),
    data: data === v.q!.data ? data.slice() : data,
    scale: q.scale,
    zeroPoint: q.zeroPoint,
  };
}

export { newQ };
export type { BlockRow };
