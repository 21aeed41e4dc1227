// A network imported into the format-neutral graph: a TFLite file, or an ONNX model converted by
// src/import/onnx/to-graph.ts. `run` lowers the graph to a target (once per target) and executes
// it; `lower` shows what a target made of each layer.
import type { DType, Graph, Quantization } from "../graph/types.js";
import { reference } from "../reference/index.js";
import { defaultEngine } from "../runtime.js";
import { lowerGraph, type Lowered, type TargetName } from "../targets/index.js";
import type { ConvRunner, TensorData } from "../targets/types.js";
import { Network, type NetworkCheck } from "../network/network.js";
import type { NetworkPlanOptions } from "../network/fusion-plan.js";
import type { CheckOptions } from "../check/index.js";
import type { NetworkReport } from "../fusion-report.js";
import { gap8NntoolFindings, type ModelFinding } from "../targets/gap8-nntool/check.js";
import { kernelLayers } from "./kernel-layers.js";
import { bindGraphInputs, type GraphInput } from "./inputs.js";
import { nchwShape, presentedNchw } from "./layout.js";
import { runLowered, type GraphRunResult } from "./run.js";

/** A graph input or output as the model declares it. */
export interface GraphValueSpec {
  name: string;
  /** Tensor index in the model. */
  index: number;
  dtype: DType;
  /** The model's own shape (NHWC for TFLite, NCHW for a model from ONNX). */
  shape: number[];
  /** Per-tensor quantization, or null for a float or raw integer tensor. */
  quant: { dtype: DType; scale: number; zeroPoint: number } | null;
  /** The quantization exactly as stored in the file (per axis where the file has several). */
  quantization: Quantization | null;
}

export interface GraphRunOptions {
  /** The deployment whose arithmetic to run (default: the model's own runtime). */
  target?: TargetName;
  /** Also return every tensor the run produced, in execution order. */
  layers?: boolean;
  /** Where depthwise and pointwise layers run: the WebAssembly kernels (default; needs `await init()`) or the TypeScript reference. */
  engine?: "wasm" | "reference";
  /** Called after each layer (progress). */
  onLayer?: (done: number, total: number) => void;
}

/** What `check` found, and the layers it does not cover. */
export interface GraphCheck {
  findings: Array<NetworkCheck["findings"][number] | ModelFinding>;
  notChecked: Array<{ layer: string; kind: string }>;
}

export type { GraphInput };

/** A layer as a target lowered it: the op and the integer constants the deployment carries. */
export interface LoweredLayerInfo {
  op: number;
  opType: string;
  kind: string;
  /** Name of the (first) output tensor. */
  name: string;
  outputs: number[];
  params: Record<string, unknown>;
}

function spec(graph: Graph, index: number): GraphValueSpec {
  const t = graph.tensors[index]!;
  const q = t.quant && t.quant.scale.length === 1 ? { dtype: t.dtype, scale: t.quant.scale[0]!, zeroPoint: t.quant.zeroPoint[0]! } : null;
  return { name: t.name, index, dtype: t.dtype, shape: presentedNchw(graph, t) ? nchwShape(t.shape) : t.shape.slice(), quant: q, quantization: t.quant };
}

export class GraphNetwork {
  readonly inputs: GraphValueSpec[];
  readonly outputs: GraphValueSpec[];
  /** The target `run` uses when none is given: the model's own runtime. */
  readonly defaultTarget: TargetName;
  private readonly lowered = new Map<TargetName, Lowered>();
  private kernels: { net: Network; others: Array<{ layer: string; kind: string }> } | null = null;

  constructor(
    readonly graph: Graph,
    defaultTarget?: TargetName,
  ) {
    this.inputs = graph.inputs.map((i) => spec(graph, i));
    this.outputs = graph.outputs.map((i) => spec(graph, i));
    this.defaultTarget = defaultTarget ?? (graph.format === "tflite" ? "tflite-micro" : "onnxruntime");
  }

  get name(): string {
    return this.graph.name;
  }

  get format(): Graph["format"] {
    return this.graph.format;
  }

  /** The graph lowered to `target` (computed once per target). */
  lowerTo(target: TargetName = this.defaultTarget): Lowered {
    let l = this.lowered.get(target);
    if (!l) {
      l = lowerGraph(this.graph, target);
      this.lowered.set(target, l);
    }
    return l;
  }

  /** The kernel-layer view the planner and the check work on (built once). */
  private kernelView(): { net: Network; others: Array<{ layer: string; kind: string }> } {
    if (!this.kernels) {
      const k = kernelLayers(this.graph);
      this.kernels = { net: new Network(k.graph), others: k.others };
    }
    return this.kernels;
  }

  /**
   * The fusion plan of the model's depthwise-separable blocks on the GAP8 scratchpad model (as for
   * an ONNX model): per block the recommended schedule with its bytes and estimated cycles.
   */
  plan(options: NetworkPlanOptions = {}): NetworkReport {
    return this.kernelView().net.plan(options);
  }

  /**
   * The deployment check. Targets `pulp-nn` and `dory-fused`: the model's depthwise and pointwise
   * layers on the PULP-NN / DORY kernels (as for an ONNX model). Target `gap8-nntool`: what an
   * NNTool deployment changes (re-quantized tensors and their lost resolution, the input
   * conversion, the softmax's Q15 output and the logit range where its exp wraps).
   */
  check(options: CheckOptions | { target: "gap8-nntool" }, plan: NetworkPlanOptions = {}): GraphCheck {
    if (typeof options !== "object" || options === null) throw new TypeError("options must be { target, ... }");
    if (options.target === "gap8-nntool") return { findings: gap8NntoolFindings(this), notChecked: [] };
    const { net, others } = this.kernelView();
    return { findings: net.check(options, plan).findings, notChecked: others.map((o) => ({ ...o })) };
  }

  /** Each layer as `target` runs it, with the integer constants the deployment carries. */
  lower(target: TargetName = this.defaultTarget): LoweredLayerInfo[] {
    const l = this.lowerTo(target);
    return l.layers.map((layer) => ({
      op: layer.op.index,
      opType: layer.op.opcode,
      kind: layer.op.kind,
      name: this.graph.tensors[layer.op.outputs[0]!]!.name,
      outputs: layer.op.outputs.slice(),
      params: layer.params,
    }));
  }

  run(input: GraphInput, options: GraphRunOptions = {}): GraphRunResult {
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    const { target = this.defaultTarget, layers = false, engine = "wasm", onLayer } = options;
    if (engine !== "wasm" && engine !== "reference") throw new RangeError(`options.engine must be "wasm" or "reference", got ${String(engine)}`);
    const bound = this.bindInputs(input);
    const lowered = this.lowerTo(target);
    const data = bound.map((d, k) => (lowered.convertInput ? lowered.convertInput(k, d) : d));
    const conv: ConvRunner = engine === "wasm" ? ((e) => (t, op) => e.conv(t, op))(defaultEngine()) : reference.conv;
    const general = engine === "wasm" ? defaultEngine() : reference;
    return runLowered(lowered, data, { layers: layers === true, ctx: { conv, general }, onLayer });
  }

  /** Checks and copies the caller's inputs (so later changes to them cannot reach the run). */
  private bindInputs(input: GraphInput): TensorData[] {
    return bindGraphInputs(this.graph, input);
  }
}
