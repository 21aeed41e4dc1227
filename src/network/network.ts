// The network runner: executes an imported graph layer by layer. Depthwise and pointwise layers run
// on the WebAssembly kernels (`conv`), or on the plain TypeScript reference for checking; the other
// ops are exact TypeScript emulations of ONNX Runtime's arithmetic (./ops.ts). Blocks of
// depthwise-separable layers can instead run on the GAP8 scratchpad model with their best schedule.
import { check, type CheckOptions, type Finding, type Subject, type NetworkEntry } from "../check/index.js";
import { toLayout } from "../layout.js";
import { applyPairTable } from "../pair-table.js";
import { reference } from "../reference/index.js";
import type { NetworkReport, BlockRow } from "../fusion-report.js";
import { defaultEngine } from "../runtime.js";
import { PreparedBlock } from "../scratchpad/index.js";
import type { MemoryConfig, TransferReport } from "../scratchpad/index.js";
import type { ConvOp, Layout, Tensor } from "../types.js";
import { snapshotTensor, snapshotValue, snapshotView } from "../validate.js";
import { checkNetworkSizes } from "./limits.js";
import type { Graph } from "../graph/types.js";
import { checkTarget, isOnnxRuntimeTarget, lowerOnnxLayers, onnxGraphOf, ortLayers, ortRounding, refuseOrtOnlyOptions, runOnnxOnTarget, type OnnxLoweredLayer } from "../import/onnx/targets.js";
import type { TargetName } from "../targets/types.js";
import {
  addDirect, convNchw, convNchwU8S8, dequantizeStored, fullyConnected, fullyConnectedU8S8, globalAveragePoolStored, newQ,
  reshapeAliases, reshapeStored, rowMajorOf, storeRowMajor, storedRowMajor, type QData,
} from "./ops.js";
import { Buffers, PreparedNetwork, storedTensor } from "./prepared.js";
import { quantizeStoredOn } from "./quantize.js";
import { findUnits, planNetwork, withZeroPoint, type BlockUnit, type NetworkPlanOptions, type UnitPlan } from "./fusion-plan.js";
import { ADD_ROUNDINGS, U8S8_MODES, isDwPw, type AddRounding, type ConvLayer, type NetworkLayer, type LayerKind, type NetworkGraph, type PointwiseLayer, type QDtype, type U8S8Mode, type ValueSpec } from "./types.js";

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
  /** The deployment whose arithmetic to run (SPEC §7): `onnxruntime` (default) and `onnxruntime-wasm`
   * run the ONNX layers themselves; any other target runs the model converted to the format-neutral
   * graph, with that deployment's arithmetic derived from the file's scales (docs/targets/cross-format.md). */
  target?: TargetName;
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
  onLayer?: (done: number, total: number, layer: NetworkLayer) => void;
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

/** What every layer of one run reads. */
interface RunCtx {
  p: PreparedNetwork;
  buffers: Buffers;
  layout: Layout;
  convFn: (t: Tensor, op: ConvOp) => Tensor;
  rounding: AddRounding;
  saturate: boolean;
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
  /** Prepared state by engine and layout (constants, packed weights, tables, buffers). */
  readonly #prepared = new Map<string, PreparedNetwork>();
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

  get layers(): NetworkLayer[] {
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
  check(rawOptions: CheckOptions, rawPlanOptions: NetworkPlanOptions = {}): NetworkCheck {
    const options = snapshotValue(rawOptions, "options");
    const planOptions = snapshotValue(rawPlanOptions, "plan");
    const layout = planOptions.layout ?? "HWC";
    const g = this.graph;
    const geo = (name: string) => {
      const s = g.values.get(name)!.shape;
      return { height: s[2]!, width: s[3]!, channels: s[1]!, layout };
    };
    const unitPlans = planNetwork(g, planOptions).plans;
    const fusedAt = new Map<number, UnitPlan>();
    if (options.target === "dory-fused") for (const p of unitPlans) if (p.fused) fusedAt.set(p.unit.positions[p.fused.pair[0]]!, p);
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
   * Each layer as `target` computes it, with the integer constants the deployment carries: for the
   * onnxruntime targets the layers' own constants (weights with zero points subtracted, biases, the
   * float32 quotients); for any other target the converted graph's lowered ops.
   */
  lower(target: TargetName = "onnxruntime"): OnnxLoweredLayer[] {
    const t = checkTarget(target);
    if (isOnnxRuntimeTarget(t)) return ortLayers(this.graph, t === "onnxruntime-wasm" ? "ort-wasm" : "ort-x86");
    return lowerOnnxLayers(this.graph, t);
  }

  /** The model as a format-neutral graph (NHWC tensors presented as NCHW), converted once: what the
   * targets other than onnxruntime lower. */
  toGraph(): Graph {
    return onnxGraphOf(this.graph).graph;
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
    const target = options.target === undefined ? undefined : checkTarget(options.target);
    if (target !== undefined && !isOnnxRuntimeTarget(target)) {
      refuseOrtOnlyOptions(options, target);
      return runOnnxOnTarget(this.graph, input, { target, layers: options.layers === true, engine: options.engine, onLayer: options.onLayer });
    }
    const layout = options.layout ?? "HWC";
    if (layout !== "HWC" && layout !== "CHW") throw new RangeError(`options.layout must be "HWC" or "CHW", got ${String(layout)}`);
    const rounding = checkRounding(ortRounding(target, options.addRounding, this.addRounding));
    const saturate = checkU8S8(options.u8s8 ?? this.u8s8) === "ort-x86-u8s8-saturation";
    const engineName = options.engine ?? "wasm";
    if (engineName !== "wasm" && engineName !== "reference") throw new RangeError(`options.engine must be "wasm" or "reference", got ${String(engineName)}`);
    const convFn: (t: Tensor, op: ConvOp) => Tensor =
      engineName === "wasm" ? ((e) => (t: Tensor, op: ConvOp) => e.conv(t, op))(defaultEngine()) : reference.conv;
    const g = this.graph;
    const prepared = this.preparedFor(engineName, layout);
    // A run nested in another (from `onLayer`) gets buffers of its own.
    const nested = prepared.busy;
    const ctx: RunCtx = { p: prepared, buffers: nested ? new Buffers() : prepared.buffers, layout, convFn, rounding, saturate };
    const vals = new Map<string, Rt>();
    for (const [name, t] of prepared.consts) vals.set(name, { spec: g.values.get(name)!, q: t });
    const skipQuantize = this.bindInputs(input, vals, layout);

    // Blocks on the scratchpad model.
    const blockAt = new Map<number, UnitPlan>();
    let memory: Partial<MemoryConfig> | undefined;
    if (options.blocks) {
      if (engineName !== "wasm") throw new RangeError("options.blocks runs on the WebAssembly scratchpad model; it needs engine \"wasm\"");
      if (saturate) throw new RangeError("options.blocks computes exact products; it cannot be combined with u8s8 \"ort-x86-u8s8-saturation\"");
      memory = typeof options.blocks === "object" ? options.blocks.memory : undefined;
      for (const p of prepared.plans(memory, () => planNetwork(g, { memory, layout }).plans)) blockAt.set(p.unit.positions[0]!, p);
    }
    const layerOutputs: LayerOutput[] | undefined = options.layers ? [] : undefined;
    const blocks: BlockRun[] | undefined = options.blocks ? [] : undefined;
    const record = (l: NetworkLayer) => {
      if (layerOutputs) layerOutputs.push({ layer: l.name, kind: l.kind, opType: l.opType, nodes: l.nodes.slice(), output: publicValue(vals.get(l.output)!, layout) });
    };
    // Buffers whose last reader has run go back to the pool.
    const free = (from: number, to: number) => {
      for (let j = from; j <= to; j++) {
        for (const name of prepared.freeAfter[j]!) {
          const v = vals.get(name);
          if (v?.q) ctx.buffers.release(v.q.data);
        }
      }
    };
    const total = g.layers.length;
    prepared.busy = true;
    try {
      for (let i = 0; i < total; i++) {
        const l = g.layers[i]!;
        const p = blockAt.get(i);
        if (p) {
          const start = i;
          i = this.runUnit(p, vals, layout, memory, blocks!, ctx, (l2) => record(l2), layerOutputs !== undefined) - 1;
          free(start, i);
          options.onLayer?.(i + 1, total, g.layers[i]!);
          continue;
        }
        if (!(l.kind === "quantize" && skipQuantize.has(l.name))) this.runLayer(l, vals, ctx);
        record(l);
        free(i, i);
        options.onLayer?.(i + 1, total, l);
      }
    } finally {
      if (!nested) prepared.busy = false;
    }
    const outputs: Record<string, NetworkValue> = {};
    for (const o of g.outputs) {
      const v = vals.get(o.name);
      if (!v) throw new Error(`internal: output ${o.name} was not computed`);
      outputs[o.name] = publicValue(v, layout);
    }
    // The outputs were copied out: their buffers serve the next run.
    for (const o of g.outputs) {
      const v = vals.get(o.name)!;
      if (v.q) ctx.buffers.release(v.q.data);
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

  /** The prepared state of runs on `engine` in `layout`, made at the first such run. */
  private preparedFor(engine: "wasm" | "reference", layout: Layout): PreparedNetwork {
    const e = engine === "wasm" ? defaultEngine() : null;
    const k = `${engine}/${layout}`;
    let p = this.#prepared.get(k);
    // A new default engine (another `init()`) has memory of its own: prepare again.
    if (!p || p.engine !== e) {
      p = new PreparedNetwork(this.graph, layout, e ?? reference, e);
      this.#prepared.set(k, p);
    }
    return p;
  }

  private runLayer(l: NetworkLayer, vals: Map<string, Rt>, ctx: RunCtx): void {
    const g = this.graph;
    const { p, layout } = ctx;
    const spec = g.values.get(l.output)!;
    const get = (name: string) => {
      const v = vals.get(name);
      if (!v) throw new Error(`internal: ${name} not computed before layer ${l.name}`);
      return v;
    };
    const x = get(l.inputs[0]!);
    // ORT's x86 u8 x s8 GEMM saturates pairs of products (pointwise, standard conv, fully connected).
    const sat = ctx.saturate && x.spec.quant?.dtype === "uint8";
    const outBuf = () => ctx.buffers.acquire(spec.quant!.dtype, numel(spec.shape));
    const zp = spec.quant && !Number.isNaN(spec.quant.zeroPoint) ? spec.quant.zeroPoint : 0;
    const stored = (data: QData): Rt => ({ spec, q: storedTensor(data, spec, layout, zp) });
    let out: Rt;
    switch (l.kind) {
      case "quantize": {
        const y = outBuf();
        quantizeStoredOn(ctx.p.engine, x.f!, spec.shape, l.quant, layout, y);
        out = stored(y);
        break;
      }
      case "dequantize":
        out = { spec, f: dequantizeStored(x.q!.data, x.spec.shape, l.quant, layout) };
        break;
      case "depthwise":
      case "pointwise": {
        if (sat && l.kind === "pointwise") {
          const [, , H, W] = x.spec.shape as [number, number, number, number];
          out = stored(fromRowMajor(convNchwU8S8(nchw(x, layout), H, W, pointwiseAsConv(l, x.spec.shape[1]!)).data, spec, layout, outBuf()));
          break;
        }
        const k = ctx.p.engine ? p.dwpw(l, x.spec) : null;
        if (k) {
          const y = outBuf();
          k.run(x.q!.data, y);
          out = stored(y);
        } else {
          const y = outBuf();
          y.set(ctx.convFn(withZeroPoint(x.q!, l.inZeroPoint), l.op).data as never);
          out = stored(y);
        }
        break;
      }
      case "conv": {
        const [, , H, W] = x.spec.shape as [number, number, number, number];
        // Depthwise-like convolutions (one input and one output channel per group) run on ORT's
        // depthwise kernel, which is exact.
        const gemm = !(l.inChannels === l.group && l.outChannels === l.group);
        const k = sat && gemm ? null : p.conv(l, x.spec);
        if (k) {
          const y = outBuf();
          k.run(x.q!.data, y);
          out = stored(y);
        } else {
          const r = sat && gemm ? convNchwU8S8(nchw(x, layout), H, W, l) : convNchw(nchw(x, layout), H, W, l);
          out = stored(fromRowMajor(r.data, spec, layout, outBuf()));
        }
        break;
      }
      case "add": {
        const b = get(l.inputs[1]!);
        const s = p.add(l, ctx.rounding);
        const y = outBuf();
        const table = p.table(s, l);
        if (table) applyPairTable(table, s.plan, x.q!.data, b.q!.data, y);
        else addDirect(s.f, s.plan, x.q!.data, b.q!.data, y);
        out = stored(y);
        break;
      }
      case "globalAveragePool": {
        const s = x.spec.shape;
        const y = outBuf();
        globalAveragePoolStored(x.q!.data, s[1]!, numel(s.slice(2)), layout, l, ctx.buffers.scratch32(s[1]!), y);
        out = stored(y);
        break;
      }
      case "fullyConnected": {
        const k = sat ? null : p.fullyConnected(l, x.spec);
        const rows = storedRowMajor(x.spec.shape, layout) ? x.q!.data : nchw(x, layout);
        let y: QData;
        if (k && storedRowMajor(spec.shape, layout)) {
          y = outBuf();
          k.run(rows, y);
        } else {
          const r = k ? k.run(rows) : (sat ? fullyConnectedU8S8 : fullyConnected)(rows, l);
          y = fromRowMajor(r, spec, layout, outBuf());
        }
        out = stored(y);
        break;
      }
      case "reshape":
        if (!x.q) {
          out = { spec, f: x.f! };
        } else if (reshapeAliases(x.spec.shape, spec.shape, layout)) {
          out = stored(x.q.data);
        } else {
          const y = outBuf();
          reshapeStored(x.q.data, x.spec.shape, y, spec.shape, layout);
          out = stored(y);
        }
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
    ctx: RunCtx,
    record: (l: NetworkLayer) => void,
    wantLayers: boolean,
  ): number {
    const g = this.graph;
    const ls = p.unit.layers;
    const engine = defaultEngine();
    const set = (i: number, t: Tensor) => vals.set(ls[i]!.output, { spec: g.values.get(ls[i]!.output)!, q: t });
    const inputOf = (i: number) => withZeroPoint(vals.get(ls[i]!.inputs[0]!)!.q!, ls[i]!.inZeroPoint);
    // Layers the plan runs alone take the plain run's path (prepared kernels, pooled buffers).
    const runAlone = (i: number) => {
      this.runLayer(ls[i]!, vals, ctx);
      record(ls[i]!);
    };
    const runPair = (a: number, opts: { schedule: string; tiling?: Record<string, number> }) => {
      const x = inputOf(a);
      const ops: [ConvOp, ConvOp] = [ls[a]!.op, ls[a + 1]!.op];
      const prepared = ctx.p.block(memory, p.unit.index, a, () => new PreparedBlock(x, ops, { memory, ...opts }));
      const y = g.values.get(ls[a + 1]!.output)!;
      const r = prepared.run(engine, x, ctx.buffers.acquire(y.quant!.dtype, numel(y.shape)));
      // The intermediate stays in L1; a layer listing still gets it, computed on the kernels.
      if (wantLayers) runAlone(a);
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

/** NCHW bytes of a quantized runtime value (a copy when it is stored in another order). */
function nchw(v: Rt, layout: Layout): QData {
  if (!v.q) throw new Error(`internal: ${v.spec.name} is not quantized`);
  const d = v.q.data;
  if (v.q.layout !== layout && is4d(v.spec.shape)) return toLayout(v.q, "CHW").data;
  return rowMajorOf(d, v.spec.shape, layout, newQ(d instanceof Int8Array ? "int8" : "uint8", d.length));
}

/** NCHW bytes of a value stored into `out` in the run's order. */
function fromRowMajor(data: QData, spec: ValueSpec, layout: Layout, out: QData): QData {
  if (data.length !== numel(spec.shape)) throw new Error(`internal: ${spec.name} has ${data.length} values for shape [${spec.shape.join(", ")}]`);
  storeRowMajor(data, spec.shape, layout, out);
  return out;
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

/** A value as the caller gets it: its own copy, in NCHW order. */
function publicValue(v: Rt, layout: Layout): NetworkValue {
  const spec = v.spec;
  if (v.f) return { name: spec.name, dtype: "float32", shape: spec.shape.slice(), data: v.f };
  const data = nchw(v, layout);
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
