// An ONNX network under a target other than ONNX Runtime: its layers converted once to the
// format-neutral graph (./to-graph.ts), lowered per target (cached) and run by the graph runner.
// Results come back in the ONNX network's own terms: NCHW values named by tensor, one entry per
// ONNX layer (the helper reshapes and transposes a conversion adds are not listed).
import { UnsupportedOpError } from "../../graph/errors.js";
import { toLayout } from "../../layout.js";
import type { AddRounding, NetworkLayer, NetworkGraph } from "../../network/types.js";
import type { LayerOutput, NetworkValue, RunResult } from "../../network/network.js";
import { reference } from "../../reference/index.js";
import { bindGraphInputs } from "../../runner/inputs.js";
import { runLowered } from "../../runner/run.js";
import { defaultEngine } from "../../runtime.js";
import { lowerGraph, TARGETS, type Lowered, type TargetName } from "../../targets/index.js";
import type { ConvRunner, TensorData } from "../../targets/types.js";
import type { Tensor } from "../../types.js";
import { toGraph, type OnnxGraph } from "./to-graph.js";

/** The targets that run the ONNX layers themselves (src/network/network.ts). */
export const ONNX_RUNTIME_TARGETS = ["onnxruntime", "onnxruntime-wasm"] as const;

export function isOnnxRuntimeTarget(t: unknown): t is (typeof ONNX_RUNTIME_TARGETS)[number] {
  return t === "onnxruntime" || t === "onnxruntime-wasm";
}

/** Checks a target name (any of SPEC §7's). */
export function checkTarget(t: unknown): TargetName {
  if (!TARGETS.includes(t as TargetName)) throw new RangeError(`target must be one of ${TARGETS.join(", ")}; got ${String(t)}`);
  return t as TargetName;
}

interface Cached {
  converted: OnnxGraph;
  lowered: Map<TargetName, Lowered>;
}

// Per imported network (its layer list never changes after import): the graph and its lowerings.
const cache = new WeakMap<NetworkGraph, Cached>();

function cached(net: NetworkGraph): Cached {
  let c = cache.get(net);
  if (!c) {
    c = { converted: toGraph(net), lowered: new Map() };
    cache.set(net, c);
  }
  return c;
}

/** The format-neutral graph of an ONNX network (converted once). */
export function onnxGraphOf(net: NetworkGraph): OnnxGraph {
  return cached(net).converted;
}

/** The graph lowered to `target` (once per target); a refusal names the ONNX node. */
export function lowerOnnxTo(net: NetworkGraph, target: TargetName): Lowered {
  const c = cached(net);
  let l = c.lowered.get(target);
  if (!l) {
    try {
      l = lowerGraph(c.converted.graph, target);
    } catch (e) {
      throw renamed(e, c.converted, target);
    }
    c.lowered.set(target, l);
  }
  return l;
}

/** A target's refusal of graph op N, restated for the ONNX node it came from (tensor numbers as names). */
function renamed(e: unknown, converted: OnnxGraph, target: string): unknown {
  if (!(e instanceof UnsupportedOpError) || typeof e.op !== "number") return e;
  const layer = converted.layerOfOp[e.op];
  if (!layer) return e;
  const tensors = converted.graph.tensors;
  const own = `target ${target}: `;
  const detail = (e.detail.startsWith(own) ? e.detail.slice(own.length) : e.detail).replace(/tensor (\d+)/g, (m, i: string) => (tensors[Number(i)] ? `tensor "${tensors[Number(i)]!.name}"` : m));
  const what = e.opType === layer.opType ? "" : ` (its ${e.opType})`;
  return new UnsupportedOpError(layer.name, layer.opType, `target ${target}${what}: ${detail}`);
}

export interface GraphTargetRunOptions {
  target: TargetName;
  layers?: boolean;
  engine?: "wasm" | "reference";
  onLayer?: (done: number, total: number, layer: NetworkLayer) => void;
}

function isTensor(v: unknown): v is Tensor {
  return typeof v === "object" && v !== null && "data" in v && "layout" in v && "height" in v;
}

/** The run's inputs as the ONNX model's own NCHW bytes (a quantized dwpw Tensor is laid out CHW). */
function asModelBytes(net: NetworkGraph, input: unknown): Record<string, TensorData> {
  let byName: Record<string, unknown>;
  if (isTensor(input) || ArrayBuffer.isView(input)) {
    if (net.inputs.length !== 1) throw new TypeError(`the network has ${net.inputs.length} inputs (${net.inputs.map((i) => i.name).join(", ")}); pass a record by name`);
    byName = { [net.inputs[0]!.name]: input };
  } else if (typeof input === "object" && input !== null) {
    byName = input as Record<string, unknown>;
  } else {
    throw new TypeError("input must be a Tensor, a typed array, or a record of those by input name");
  }
  const out: Record<string, TensorData> = {};
  for (const [name, v] of Object.entries(byName)) {
    const spec = net.inputs.find((s) => s.name === name);
    if (spec && isTensor(v)) {
      const field = `input "${name}"`;
      if (!spec.quant) throw new TypeError(`${field} is float32: under a target other than onnxruntime pass a Float32Array in NCHW order`);
      const shape = spec.shape.length === 4 ? spec.shape : [1, spec.shape.reduce((a, b) => a * b, 1), 1, 1];
      if (v.height !== shape[2] || v.width !== shape[3] || v.channels !== shape[1]) throw new RangeError(`${field} is ${v.height}x${v.width}x${v.channels} (HxWxC) but the model takes ${shape[2]}x${shape[3]}x${shape[1]}`);
      if (v.zeroPoint !== spec.quant.zeroPoint) throw new RangeError(`${field}.zeroPoint is ${v.zeroPoint} but the model's is ${spec.quant.zeroPoint}`);
      out[name] = toLayout(v, "CHW").data as TensorData;
    } else {
      out[name] = v as TensorData;
    }
  }
  return out;
}

/** Runs an ONNX network under a graph target; values in ONNX's NCHW shapes, named by tensor. */
export function runOnnxOnTarget(net: NetworkGraph, input: unknown, options: GraphTargetRunOptions): RunResult {
  const { target, layers = false, engine = "wasm", onLayer } = options;
  if (engine !== "wasm" && engine !== "reference") throw new RangeError(`options.engine must be "wasm" or "reference", got ${String(engine)}`);
  const converted = onnxGraphOf(net);
  const lowered = lowerOnnxTo(net, target);
  const bound = bindGraphInputs(converted.graph, asModelBytes(net, input));
  const data = bound.map((d, k) => (lowered.convertInput ? lowered.convertInput(k, d) : d));
  const conv: ConvRunner = engine === "wasm" ? ((e) => (t, op) => e.conv(t, op))(defaultEngine()) : reference.conv;
  const general = engine === "wasm" ? defaultEngine() : reference;
  const r = runLowered(lowered, data, {
    layers,
    ctx: { conv, general },
    onLayer: onLayer ? (done, total) => onLayer(done, total, converted.layerOfOp[done - 1]!) : undefined,
  });
  const value = (v: { name: string; dtype: string; shape: number[]; data: TensorData; scale?: number; zeroPoint?: number }): NetworkValue => {
    const out: NetworkValue = { name: v.name, dtype: v.dtype as NetworkValue["dtype"], shape: v.shape, data: v.data as NetworkValue["data"] };
    if (v.scale !== undefined) {
      out.scale = v.scale;
      out.zeroPoint = v.zeroPoint!;
    }
    return out;
  };
  const result: RunResult = { outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, value(v)])) };
  if (r.layers) {
    // One entry per ONNX layer: the graph op that writes the layer's own output tensor.
    const list: LayerOutput[] = [];
    for (const l of r.layers) {
      const layer = converted.layerOfOp[l.op]!;
      if (l.output.name !== layer.output) continue;
      list.push({ layer: layer.name, kind: layer.kind, opType: layer.opType, nodes: layer.nodes.slice(), output: value(l.output) });
    }
    result.layers = list;
  }
  return result;
}

/** A layer as a target lowered it, in the ONNX network's terms. */
export interface OnnxLoweredLayer {
  /** The ONNX layer (node) name. */
  layer: string;
  /** The tensor the lowered op writes. */
  name: string;
  /** The lowered op's kind (`conv2d`, `mean`, ...; the ONNX layer's kind for the onnxruntime targets). */
  kind: string;
  opType: string;
  params: Record<string, unknown>;
}

/** Each layer under a graph target, with the integer constants that deployment carries. */
export function lowerOnnxLayers(net: NetworkGraph, target: TargetName): OnnxLoweredLayer[] {
  const converted = onnxGraphOf(net);
  return lowerOnnxTo(net, target).layers.map((l) => ({
    layer: converted.layerOfOp[l.op.index]!.name,
    name: converted.graph.tensors[l.op.outputs[0]!]!.name,
    kind: l.op.kind,
    opType: l.op.opcode,
    params: l.params,
  }));
}

/** The existing layers' integer constants under ONNX Runtime (what its own runner computes with). */
export function ortLayers(net: NetworkGraph, addRounding: "ort-x86" | "ort-wasm"): OnnxLoweredLayer[] {
  return net.layers.map((l) => {
    const base = { layer: l.name, name: l.output, kind: l.kind, opType: l.opType };
    switch (l.kind) {
      case "depthwise":
      case "pointwise": {
        const rq = l.op.requant as { scale: Float32Array; outputZeroPoint: number; min: number; max: number };
        const weightsLayout = l.kind === "depthwise" ? "[C][kh][kw]" : "[Cout][Cin]";
        return { ...base, params: { inputZeroPoint: l.inZeroPoint, weights: l.op.weights, weightsLayout, bias: l.op.bias ?? null, scale: rq.scale, outputZeroPoint: rq.outputZeroPoint, min: rq.min, max: rq.max } };
      }
      case "conv":
        return { ...base, params: { group: l.group, inputZeroPoint: l.inZeroPoint, weights: l.weights, weightsLayout: "[Cout][Cin/group][kh][kw]", bias: l.bias, scale: l.scale, outputZeroPoint: l.out.zeroPoint } };
      case "fullyConnected":
        return { ...base, params: { inputZeroPoint: l.inZeroPoint, weights: l.weights, weightsLayout: "[N][K]", bias: l.bias, scale: l.scale, outputZeroPoint: l.out.zeroPoint } };
      case "add":
        return { ...base, params: { rounding: addRounding, a: l.a, b: l.b, out: l.out } };
      case "globalAveragePool":
        return { ...base, params: { in: l.in, out: l.out } };
      case "quantize":
      case "dequantize":
        return { ...base, params: { ...l.quant } };
      case "reshape":
        return { ...base, params: {} };
    }
  });
}

/**
 * The QLinearAdd rounding of a run under an ONNX Runtime target: the target's own (`onnxruntime` is
 * the x86-64 build, `onnxruntime-wasm` the WebAssembly one), the explicit option when it agrees, and
 * the network's default when no target is named.
 */
export function ortRounding(target: TargetName | undefined, explicit: unknown, networkDefault: AddRounding): unknown {
  if (target === undefined) return explicit ?? networkDefault;
  const own: AddRounding = target === "onnxruntime-wasm" ? "ort-wasm" : "ort-x86";
  if (explicit !== undefined && explicit !== own) throw new RangeError(`options.addRounding ${String(explicit)} contradicts target ${target} (whose rounding is ${own})`);
  return own;
}

/** Options that only mean something to ONNX Runtime's own runner. */
export function refuseOrtOnlyOptions(options: { addRounding?: unknown; u8s8?: unknown; blocks?: unknown }, target: TargetName): void {
  for (const k of ["addRounding", "u8s8", "blocks"] as const) {
    if (options[k] !== undefined && options[k] !== false) throw new RangeError(`options.${k} applies to the onnxruntime targets only; target ${target} has its own arithmetic`);
  }
}
