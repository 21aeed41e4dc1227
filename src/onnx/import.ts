// From a decoded ONNX model to the network IR (src/network/types.ts).
//
// Two graph forms are accepted and give the same layers:
// - QLinear ("QOperator") form: QLinearConv, QLinearAdd, QLinearGlobalAveragePool, QLinearMatMul,
//   QGemm, with QuantizeLinear / DequantizeLinear at the edges.
// - QDQ form: float ops between DequantizeLinear and QuantizeLinear nodes. Each group
//   DequantizeLinear(s) -> Conv | Add | GlobalAveragePool | MatMul | Gemm -> [Relu | Clip] ->
//   QuantizeLinear is folded into the quantized op ONNX Runtime replaces it with when its graph
//   optimizations run (level `extended` or `all`), and a Relu or Clip in front of the
//   QuantizeLinear is dropped exactly when ONNX Runtime's ReluQuantFusion / ClipQuantFusion drop it
//   (the quantized range already clamps there). Reshape-like ops between a DequantizeLinear and a
//   QuantizeLinear with the same parameters become plain reshapes, as ORT's DropQDQNodes does.
//
// Anything else is an `OnnxError` naming the node and its op type.
import { OnnxError } from "./protobuf.js";
import { UnsupportedOpError } from "../graph/errors.js";
import { DataType, dtypeName, type AttributeProto, type ModelProto, type NodeProto, type ValueInfoProto } from "./model.js";
import { constTensor, type ConstTensor } from "./tensor.js";
import { broadcastShape, quantize } from "../network/ops.js";
import { checkNetworkSizes } from "../network/limits.js";
import type {
  AddLayer,
  ConvLayer,
  FileScales,
  FullyConnectedLayer,
  GlobalAveragePoolLayer,
  NetworkLayer,
  NetworkGraph,
  QDtype,
  QParams,
  ValueSpec,
} from "../network/types.js";
import type { DepthwiseOp, OnnxRequant, PointwiseOp } from "../types.js";

/** Options of the import. */
export interface ImportOptions {
  /** Shapes of graph inputs whose dims are symbolic (other than the batch), by input name. */
  inputShapes?: Record<string, number[]>;
}

export { UnsupportedOpError };

const f32 = Math.fround;
const MS = "com.microsoft";

/** A DequantizeLinear of a constant (QDQ weights and biases). */
interface DqConst {
  node: string;
  q: ConstTensor;
  scale: Float32Array;
  zeroPoint: ArrayLike<number> | null;
  axis: number;
}

/** A DequantizeLinear of a runtime tensor, not yet turned into a layer. */
interface DqAct {
  node: string;
  source: string;
  quant: QParams;
  materialized: boolean;
}

function attr(n: NodeProto, name: string): AttributeProto | undefined {
  return n.attributes.find((a) => a.name === name);
}

function attrInt(n: NodeProto, name: string, dflt: number): number {
  const a = attr(n, name);
  return a ? a.i : dflt;
}

function attrFloat(n: NodeProto, name: string, dflt: number): number {
  const a = attr(n, name);
  return a ? a.f : dflt;
}

function attrInts(n: NodeProto, name: string): number[] | undefined {
  const a = attr(n, name);
  return a ? a.ints.slice() : undefined;
}

function attrString(n: NodeProto, name: string, dflt: string): string {
  const a = attr(n, name);
  return a?.s ? new TextDecoder().decode(a.s) : dflt;
}

const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

function qdtypeOf(t: number): QDtype | null {
  return t === DataType.INT8 ? "int8" : t === DataType.UINT8 ? "uint8" : null;
}

/** Imports a decoded model. */
export function importModel(model: ModelProto, options: ImportOptions = {}): NetworkGraph {
  return new Importer(model, options).run();
}

class Importer {
  private readonly g;
  private readonly consts = new Map<string, ConstTensor>();
  private readonly values = new Map<string, ValueSpec>();
  private readonly constValues = new Map<string, Int8Array | Uint8Array>();
  private readonly layers: NetworkLayer[] = [];
  private readonly dqConst = new Map<string, DqConst>();
  private readonly dqAct = new Map<string, DqAct>();
  private readonly consumers = new Map<string, NodeProto[]>();
  private readonly graphOutputs = new Set<string>();
  private readonly done = new Set<NodeProto>();
  private readonly names = new Map<NodeProto, string>();
  private readonly usedNames = new Set<string>();
  private readonly inputs: ValueSpec[] = [];

  constructor(
    private readonly model: ModelProto,
    private readonly options: ImportOptions,
  ) {
    this.g = model.graph;
  }

  run(): NetworkGraph {
    const g = this.g;
    if (g.sparseInitializers > 0) throw new OnnxError("the graph has sparse initializers, which dwpw does not read");
    const defaultOpset = this.model.opsets.find((o) => o.domain === "" || o.domain === "ai.onnx");
    if (!defaultOpset) throw new OnnxError("the model imports no version of the default ONNX opset");
    for (const t of g.initializers) this.consts.set(t.name, constTensor(t, `initializer "${t.name}"`));
    const nodes = this.sortNodes();
    // Unique layer names: a name taken before gets the first free suffix _2, _3, ... Each base name
    // remembers where its search stopped, so N nodes sharing one name cost O(N), not O(N^2).
    const nextSuffix = new Map<string, number>();
    nodes.forEach((n, i) => {
      const base = n.name || `${n.opType}_${i}`;
      let name = base;
      if (this.usedNames.has(name)) {
        let k = nextSuffix.get(base) ?? 2;
        while (this.usedNames.has(`${base}_${k}`)) k++;
        name = `${base}_${k}`;
        nextSuffix.set(base, k + 1);
      }
      this.usedNames.add(name);
      this.names.set(n, name);
    });
    // Constants (Constant nodes) are values too.
    for (const n of nodes) {
      if (n.opType === "Constant" && (n.domain === "" || n.domain === "ai.onnx")) {
        this.consts.set(n.outputs[0]!, this.constantValue(n));
        this.done.add(n);
      }
    }
    for (const n of nodes) for (const i of n.inputs) if (i) (this.consumers.get(i) ?? this.consumers.set(i, []).get(i)!).push(n);
    for (const o of g.outputs) this.graphOutputs.add(o.name);
    for (const vi of g.inputs) {
      if (this.consts.has(vi.name)) continue; // IR < 4: initializers are listed as inputs too
      const spec = this.inputSpec(vi);
      this.values.set(spec.name, spec);
      this.inputs.push(spec);
    }
    if (this.inputs.length === 0) throw new OnnxError("the graph has no runtime input");
    for (const n of nodes) {
      if (this.done.has(n)) continue;
      this.node(n);
      this.done.add(n);
    }
    const outputs = g.outputs.map((o) => {
      if (this.dqAct.has(o.name)) this.materialize(o.name);
      const v = this.values.get(o.name);
      if (!v) {
        if (this.consts.has(o.name)) throw new OnnxError(`graph output "${o.name}" is a constant, not computed from the input`);
        throw new OnnxError(`graph output "${o.name}" is not produced by any node`);
      }
      return v;
    });
    const graph: NetworkGraph = {
      name: g.name || this.model.producerName || "onnx-model",
      producer: [this.model.producerName, this.model.producerVersion].filter(Boolean).join(" "),
      inputs: this.inputs,
      outputs,
      values: this.values,
      layers: this.layers,
      constValues: this.constValues,
    };
    // Every tensor a run would allocate, within the limits, before anything runs.
    checkNetworkSizes(graph, (m) => new OnnxError(m));
    return graph;
  }

  // ---------------------------------------------------------------------------------------------
  // Graph plumbing

  /** Nodes in a topological order (ONNX requires one; tolerate files that do not keep it). */
  private sortNodes(): NodeProto[] {
    const nodes = this.g.nodes;
    const producer = new Map<string, number>();
    nodes.forEach((n, i) =>
      n.outputs.forEach((o) => {
        if (!o) return;
        if (producer.has(o)) throw new OnnxError(`tensor "${o}" is produced by two nodes ("${nodes[producer.get(o)!]!.name}" and "${n.name}")`);
        producer.set(o, i);
      }),
    );
    const state = new Uint8Array(nodes.length); // 0 new, 1 visiting, 2 done
    const order: NodeProto[] = [];
    for (let start = 0; start < nodes.length; start++) {
      if (state[start]) continue;
      // Iterative DFS (a deep graph must not overflow the stack).
      const stack: Array<[number, number]> = [[start, 0]];
      state[start] = 1;
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        const n = nodes[top[0]]!;
        if (top[1] < n.inputs.length) {
          const inp = n.inputs[top[1]++]!;
          const p = inp ? producer.get(inp) : undefined;
          if (p === undefined) continue;
          if (state[p] === 1) throw new OnnxError(`the graph has a cycle through node "${nodes[p]!.name || nodes[p]!.opType}"`);
          if (state[p] === 0) {
            state[p] = 1;
            stack.push([p, 0]);
          }
        } else {
          state[top[0]] = 2;
          order.push(n);
          stack.pop();
        }
      }
    }
    return order;
  }

  private nodeName(n: NodeProto): string {
    return this.names.get(n) ?? (n.name || n.opType);
  }

  private unsupported(n: NodeProto, detail: string): never {
    throw new UnsupportedOpError(this.nodeName(n), n.opType, detail);
  }

  private constantValue(n: NodeProto): ConstTensor {
    const a = n.attributes[0];
    const what = `Constant node "${n.name || n.outputs[0]}"`;
    if (!a || n.attributes.length !== 1) throw new UnsupportedOpError(n.name || n.outputs[0]!, "Constant", "needs exactly one value attribute");
    switch (a.name) {
      case "value":
        if (!a.t) throw new OnnxError(`${what}: value has no tensor`);
        return constTensor({ ...a.t, name: n.outputs[0]! }, what);
      case "value_float":
        return { name: n.outputs[0]!, dataType: DataType.FLOAT, dims: [], data: Float32Array.of(a.f) };
      case "value_floats":
        return { name: n.outputs[0]!, dataType: DataType.FLOAT, dims: [a.floats.length], data: Float32Array.from(a.floats) };
      case "value_int":
        return { name: n.outputs[0]!, dataType: DataType.INT64, dims: [], data: Float64Array.of(a.i) };
      case "value_ints":
        return { name: n.outputs[0]!, dataType: DataType.INT64, dims: [a.ints.length], data: Float64Array.from(a.ints) };
      default:
        throw new UnsupportedOpError(n.name || n.outputs[0]!, "Constant", `attribute ${a.name} is not supported`);
    }
  }

  private inputSpec(vi: ValueInfoProto): ValueSpec {
    const override = this.options.inputShapes?.[vi.name];
    if (vi.elemType === undefined) throw new OnnxError(`graph input "${vi.name}" is not a tensor`);
    const q = qdtypeOf(vi.elemType);
    if (!q && vi.elemType !== DataType.FLOAT) {
      throw new OnnxError(`graph input "${vi.name}" is ${dtypeName(vi.elemType)}; dwpw takes float32 (then QuantizeLinear), int8 or uint8 inputs`);
    }
    let shape: number[];
    if (override) {
      shape = override.slice();
    } else {
      if (!vi.shape) throw new OnnxError(`graph input "${vi.name}" has no shape; pass options.inputShapes`);
      shape = vi.shape.map((d, i) => {
        if (typeof d === "number" && d > 0) return d;
        if (i === 0) return 1; // symbolic batch
        throw new OnnxError(
          `graph input "${vi.name}" has a symbolic or unknown dimension ${d === null ? "?" : JSON.stringify(d)} at axis ${i}; dwpw needs static shapes (pass options.inputShapes)`,
        );
      });
    }
    if (shape.length >= 1 && shape[0] !== 1) throw new OnnxError(`graph input "${vi.name}" has batch ${shape[0]}; dwpw runs batch 1`);
    // The input's quantization (a quantized input) is learned from its first consumer.
    return { name: vi.name, shape, quant: q ? { dtype: q, scale: NaN, zeroPoint: NaN } : null };
  }

  private isDefaultDomain(n: NodeProto): boolean {
    return n.domain === "" || n.domain === "ai.onnx";
  }

  private cons(name: string): NodeProto[] {
    return this.consumers.get(name) ?? [];
  }

  /** A constant input of `n` (`index`), or an error naming what it should be. */
  private constInput(n: NodeProto, index: number, what: string): ConstTensor {
    const name = n.inputs[index];
    if (!name) this.unsupported(n, `input ${index} (${what}) is missing`);
    const c = this.consts.get(name);
    if (!c) this.unsupported(n, `input ${index} (${what}, "${name}") must be a constant (an initializer)`);
    return c;
  }

  private optionalConst(n: NodeProto, index: number): ConstTensor | null {
    const name = n.inputs[index];
    if (!name) return null;
    const c = this.consts.get(name);
    if (!c) this.unsupported(n, `input ${index} ("${name}") must be a constant`);
    return c;
  }

  /** A scalar (or one-element) float32 scale. */
  private scaleOf(n: NodeProto, index: number, what: string): number {
    const c = this.constInput(n, index, what);
    if (c.dataType !== DataType.FLOAT) this.unsupported(n, `${what} must be float32, got ${dtypeName(c.dataType)}`);
    if (c.data.length !== 1) this.unsupported(n, `${what} must be a single value (per-tensor), got ${c.data.length} values`);
    const s = c.data[0] as number;
    if (!(s > 0) || !Number.isFinite(s)) this.unsupported(n, `${what} must be a positive finite number, got ${s}`);
    return s;
  }

  /** Per-tensor quantization from a (scale, zero point) input pair; `zpIndex` may be absent (uint8 0). */
  private qparams(n: NodeProto, scaleIndex: number, zpIndex: number, what: string): QParams {
    const scale = this.scaleOf(n, scaleIndex, `${what} scale`);
    const zpName = n.inputs[zpIndex];
    if (!zpName) return { dtype: "uint8", scale, zeroPoint: 0 };
    const zp = this.constInput(n, zpIndex, `${what} zero point`);
    const dtype = qdtypeOf(zp.dataType);
    if (!dtype) this.unsupported(n, `${what} zero point is ${dtypeName(zp.dataType)}; only int8 and uint8 are supported`);
    if (zp.data.length !== 1) this.unsupported(n, `${what} zero point must be a single value, got ${zp.data.length}`);
    return { dtype, scale, zeroPoint: zp.data[0] as number };
  }

  /** A runtime quantized input of `n`; sets the graph input's quantization the first time it is read. */
  private qInput(n: NodeProto, index: number, q: QParams, what: string): ValueSpec {
    const name = n.inputs[index];
    if (!name) this.unsupported(n, `input ${index} (${what}) is missing`);
    if (this.consts.has(name)) this.unsupported(n, `input ${index} (${what}, "${name}") is a constant; dwpw needs it computed from the graph input`);
    const v = this.values.get(name);
    if (!v) {
      if (this.dqAct.has(name)) this.unsupported(n, `input "${name}" is a float tensor (a DequantizeLinear output); this op needs a quantized ${q.dtype} tensor`);
      this.unsupported(n, `input "${name}" is not produced by any node before it`);
    }
    if (!v.quant) this.unsupported(n, `input "${name}" is a float32 tensor; this op needs a quantized ${q.dtype} tensor`);
    if (Number.isNaN(v.quant.scale)) v.quant = { ...q, dtype: v.quant.dtype };
    if (v.quant.dtype !== q.dtype) this.unsupported(n, `input "${name}" is ${v.quant.dtype} but its zero point says ${q.dtype}`);
    if (v.quant.zeroPoint !== q.zeroPoint || v.quant.scale !== q.scale) {
      // The op reads the bytes with its own parameters; ORT does the same. Record the node's view.
      return { ...v, quant: q };
    }
    return v;
  }

  private addValue(name: string, shape: number[], quant: QParams | null, n: NodeProto): ValueSpec {
    if (this.values.has(name)) this.unsupported(n, `output "${name}" is produced twice`);
    if (shape.some((d) => !Number.isInteger(d) || d < 1)) this.unsupported(n, `output "${name}" would have shape [${shape.join(", ")}]`);
    const v: ValueSpec = { name, shape, quant };
    this.values.set(name, v);
    return v;
  }

  /** Turns a pending DequantizeLinear of a runtime tensor into a dequantize layer (a float value). */
  private materialize(name: string): void {
    const d = this.dqAct.get(name)!;
    if (d.materialized) return;
    d.materialized = true;
    const src = this.values.get(d.source)!;
    this.addValue(name, src.shape.slice(), null, { name: d.node, opType: "DequantizeLinear" } as NodeProto);
    this.layers.push({ kind: "dequantize", name: d.node, nodes: [d.node], opType: "DequantizeLinear", inputs: [d.source], output: name, quant: d.quant });
  }

  // ---------------------------------------------------------------------------------------------
  // Nodes

  private node(n: NodeProto): void {
    const op = n.opType;
    if (this.isDefaultDomain(n)) {
      switch (op) {
        case "QuantizeLinear": return this.quantizeLinear(n);
        case "DequantizeLinear": return this.dequantizeLinear(n);
        case "QLinearConv": return this.qlinearConv(n);
        case "QLinearMatMul": return this.qlinearMatMul(n);
        case "Reshape":
        case "Flatten":
        case "Squeeze":
        case "Unsqueeze":
        case "Identity": return this.shapeOp(n);
        case "Conv":
        case "Add":
        case "GlobalAveragePool":
        case "MatMul":
        case "Gemm": return this.qdqGroup(n);
        case "Relu":
        case "Clip":
          this.unsupported(n, `stands alone (not between a quantized op and a QuantizeLinear that ONNX Runtime folds it into); dwpw runs only integer ops`);
          break;
        default:
          this.unsupported(n, "unsupported op");
      }
    }
    if (n.domain === MS) {
      switch (op) {
        case "QLinearAdd": return this.qlinearAdd(n);
        case "QLinearGlobalAveragePool": return this.qlinearGap(n);
        case "QGemm": return this.qgemm(n);
        default:
          this.unsupported(n, `unsupported op of domain ${MS}`);
      }
    }
    this.unsupported(n, `unsupported op domain "${n.domain}"`);
  }

  private quantizeLinear(n: NodeProto): void {
    const x = n.inputs[0]!;
    const q = this.qparams(n, 1, 2, "y");
    if (attr(n, "axis") && this.constInput(n, 1, "scale").data.length !== 1) this.unsupported(n, "per-axis quantization of an activation");
    const c = this.consts.get(x);
    if (c) {
      // Quantize a constant (e.g. float weights followed by Q -> DQ): fold it.
      if (c.dataType !== DataType.FLOAT) this.unsupported(n, `input "${x}" is ${dtypeName(c.dataType)}, expected float32`);
      const data = quantize(c.data as Float32Array, q);
      this.consts.set(n.outputs[0]!, { name: n.outputs[0]!, dataType: q.dtype === "int8" ? DataType.INT8 : DataType.UINT8, dims: c.dims.slice(), data });
      return;
    }
    if (this.dqAct.has(x)) this.materialize(x);
    const v = this.values.get(x);
    if (!v) this.unsupported(n, `input "${x}" is not produced by any node before it`);
    if (v.quant) this.unsupported(n, `input "${x}" is already quantized`);
    const name = this.nodeName(n);
    this.addValue(n.outputs[0]!, v.shape.slice(), q, n);
    this.layers.push({ kind: "quantize", name, nodes: [name], opType: "QuantizeLinear", inputs: [x], output: n.outputs[0]!, quant: q });
  }

  private dequantizeLinear(n: NodeProto): void {
    const x = n.inputs[0]!;
    const out = n.outputs[0]!;
    const c = this.consts.get(x);
    if (c) {
      const sc = this.constInput(n, 1, "x_scale");
      if (sc.dataType !== DataType.FLOAT) this.unsupported(n, "x_scale must be float32");
      const zp = this.optionalConst(n, 2);
      let axis = attrInt(n, "axis", 1);
      if (axis < 0) axis += c.dims.length;
      this.dqConst.set(out, { node: this.nodeName(n), q: c, scale: sc.data as Float32Array, zeroPoint: zp ? zp.data : null, axis });
      return;
    }
    const v = this.values.get(x);
    if (!v) this.unsupported(n, `input "${x}" is not produced by any node before it`);
    if (!v.quant) this.unsupported(n, `input "${x}" is float32, not quantized`);
    const q = this.qparams(n, 1, 2, "x");
    if (Number.isNaN(v.quant.scale)) v.quant = { ...q };
    if (q.dtype !== v.quant.dtype) this.unsupported(n, `input "${x}" is ${v.quant.dtype} but the zero point is ${q.dtype}`);
    this.dqAct.set(out, { node: this.nodeName(n), source: x, quant: q, materialized: false });
    if (this.graphOutputs.has(out)) this.materialize(out);
  }

  // ---------------------------------------------------------------------------------------------
  // Convolution (QLinearConv and folded DQ -> Conv -> Q)

  private convGeometry(n: NodeProto, xShape: number[], wDims: number[]) {
    if (xShape.length !== 4) this.unsupported(n, `input has shape [${xShape.join(", ")}]; only 2-D convolutions (NCHW) are supported`);
    if (wDims.length !== 4) this.unsupported(n, `weights have shape [${wDims.join(", ")}]; only 2-D convolutions are supported`);
    const [, C, H, W] = xShape as [number, number, number, number];
    const [M, cg, kh, kw] = wDims as [number, number, number, number];
    const group = attrInt(n, "group", 1);
    if (group < 1 || C % group !== 0 || M % group !== 0 || cg !== C / group) {
      this.unsupported(n, `group ${group} does not fit ${C} input channels and weights [${wDims.join(", ")}]`);
    }
    const ks = attrInts(n, "kernel_shape");
    if (ks && (ks[0] !== kh || ks[1] !== kw)) this.unsupported(n, `kernel_shape [${ks}] differs from the weights' [${kh}, ${kw}]`);
    const strides = attrInts(n, "strides") ?? [1, 1];
    const dil = attrInts(n, "dilations") ?? [1, 1];
    if (strides.length !== 2 || dil.length !== 2 || strides.some((s) => s < 1) || dil.some((d) => d < 1)) {
      this.unsupported(n, `strides [${strides}] / dilations [${dil}] are not valid 2-D values`);
    }
    const autoPad = attrString(n, "auto_pad", "NOTSET");
    let pad = { top: 0, left: 0, bottom: 0, right: 0 };
    const dims = [H, W];
    if (autoPad === "NOTSET") {
      const p = attrInts(n, "pads") ?? [0, 0, 0, 0];
      if (p.length !== 4 || p.some((v) => v < 0)) this.unsupported(n, `pads [${p}] are not 4 non-negative values`);
      pad = { top: p[0]!, left: p[1]!, bottom: p[2]!, right: p[3]! };
    } else if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
      const pp = [0, 1].map((i) => {
        const k = (i === 0 ? kh : kw) - 1;
        const eff = k * dil[i]! + 1;
        const out = Math.ceil(dims[i]! / strides[i]!);
        const total = Math.max(0, (out - 1) * strides[i]! + eff - dims[i]!);
        const small = Math.floor(total / 2);
        return autoPad === "SAME_UPPER" ? [small, total - small] : [total - small, small];
      });
      pad = { top: pp[0]![0]!, bottom: pp[0]![1]!, left: pp[1]![0]!, right: pp[1]![1]! };
    } else if (autoPad !== "VALID") {
      this.unsupported(n, `auto_pad ${autoPad} is not supported`);
    }
    const effH = (kh - 1) * dil[0]! + 1;
    const effW = (kw - 1) * dil[1]! + 1;
    const Ho = Math.floor((H + pad.top + pad.bottom - effH) / strides[0]!) + 1;
    const Wo = Math.floor((W + pad.left + pad.right - effW) / strides[1]!) + 1;
    if (Ho < 1 || Wo < 1) this.unsupported(n, `the output would be empty (${Ho}x${Wo})`);
    return { C, H, W, M, kh, kw, group, stride: [strides[0]!, strides[1]!] as [number, number], dilation: [dil[0]!, dil[1]!] as [number, number], pad, Ho, Wo };
  }

  /** int8 weights with the zero point(s) subtracted; error if that leaves int8. */
  private shiftedWeights(n: NodeProto, w: ConstTensor, zp: ArrayLike<number> | null, perRow: number): Int8Array {
    const q = qdtypeOf(w.dataType);
    if (!q) this.unsupported(n, `weights are ${dtypeName(w.dataType)}; int8 or uint8 expected`);
    const out = new Int8Array(w.data.length);
    const rows = w.data.length / perRow;
    if (zp && zp.length !== 1 && zp.length !== rows) this.unsupported(n, `weight zero point has ${zp.length} values for ${rows} output channels`);
    for (let r = 0; r < rows; r++) {
      const z = zp ? (zp.length === 1 ? zp[0]! : zp[r]!) : 0;
      for (let i = 0; i < perRow; i++) {
        const v = (w.data[r * perRow + i] as number) - z;
        if (v < -128 || v > 127) this.unsupported(n, `weight ${v + z} minus zero point ${z} does not fit int8 (dwpw's weights are symmetric int8)`);
        out[r * perRow + i] = v;
      }
    }
    return out;
  }

  private perChannelScales(n: NodeProto, sx: number, ws: ArrayLike<number>, sy: number, count: number, alpha = 1): Float32Array {
    if (ws.length !== 1 && ws.length !== count) this.unsupported(n, `weight scale has ${ws.length} values for ${count} output channels`);
    const out = new Float32Array(count);
    const base = alpha === 1 ? sx : f32(alpha * sx);
    for (let c = 0; c < count; c++) {
      const w = ws.length === 1 ? ws[0]! : ws[c]!;
      if (!(w >= 0) || !Number.isFinite(w)) this.unsupported(n, `weight scale ${w} is not a finite non-negative number`);
      out[c] = f32(f32(base * w) / sy);
    }
    return out;
  }

  /** The scales and zero points the file stores for a weighted layer (read, never changed). */
  private fileScales(
    w: ConstTensor, sx: number, ws: ArrayLike<number>, wz: ArrayLike<number> | null, sy: number, alpha: number, relu: boolean, act: NodeProto | null,
  ): FileScales {
    return {
      inputScale: sx,
      weightScale: Float32Array.from(ws),
      weightZeroPoint: wz ? Int32Array.from(wz) : new Int32Array(1),
      weightDtype: qdtypeOf(w.dataType)!,
      outputScale: sy,
      alpha,
      activation: this.foldedActivation(act, relu),
    };
  }

  /** What a folded Relu / Clip stood for; a Clip whose bounds match no fused activation clamps at the output's range only. */
  private foldedActivation(act: NodeProto | null, relu: boolean): FileScales["activation"] {
    if (act && act.opType === "Clip") {
      const [min, max] = this.clipBounds(act);
      if (min === 0 && max === 6) return "relu6";
      if (min === -1 && max === 1) return "reluN1To1";
    }
    return act?.opType === "Relu" || relu ? "relu" : "none";
  }

  private biasOf(n: NodeProto, b: ConstTensor | null, count: number): Int32Array | null {
    if (!b) return null;
    if (b.dataType !== DataType.INT32) this.unsupported(n, `bias is ${dtypeName(b.dataType)}; int32 expected`);
    if (b.data.length !== count) this.unsupported(n, `bias has ${b.data.length} values for ${count} output channels`);
    return Int32Array.from(b.data as Int32Array);
  }

  /** Emits the layer of a quantized convolution, whatever form it came from. */
  private emitConv(
    n: NodeProto,
    nodes: string[],
    opType: string,
    x: ValueSpec,
    xq: QParams,
    w: ConstTensor,
    wScale: ArrayLike<number>,
    wZero: ArrayLike<number> | null,
    bias: ConstTensor | null,
    yq: QParams,
    output: string,
    relu: boolean,
    act: NodeProto | null = null,
  ): void {
    const geo = this.convGeometry(n, x.shape, w.dims);
    if (xq.dtype !== yq.dtype) this.unsupported(n, `input is ${xq.dtype} but output is ${yq.dtype}; ONNX Runtime's QLinearConv needs both the same`);
    const perRow = w.data.length / geo.M;
    const weights = this.shiftedWeights(n, w, wZero, perRow);
    const scale = this.perChannelScales(n, xq.scale, wScale, yq.scale, geo.M);
    const b = this.biasOf(n, bias, geo.M);
    const fileScales = this.fileScales(w, xq.scale, wScale, wZero, yq.scale, 1, relu, act);
    const [min, max] = yq.dtype === "int8" ? [-128, 127] : [0, 255];
    const requant: OnnxRequant = { scheme: "onnx", scale, outputZeroPoint: yq.zeroPoint, min, max };
    const name = this.nodeName(n);
    const base = { name, nodes, opType, inputs: [x.name], output };
    const unit = geo.dilation[0] === 1 && geo.dilation[1] === 1;
    const noPad = geo.pad.top === 0 && geo.pad.left === 0 && geo.pad.bottom === 0 && geo.pad.right === 0;
    if (geo.group === geo.C && geo.M === geo.C && unit && geo.C > 1) {
      const op: DepthwiseOp = { kind: "depthwise", kernel: [geo.kh, geo.kw], stride: geo.stride, pad: geo.pad, weights, bias: b, requant };
      this.layers.push({ ...base, kind: "depthwise", op, relu, inZeroPoint: xq.zeroPoint, out: yq, fileScales });
    } else if (geo.group === 1 && geo.kh === 1 && geo.kw === 1 && geo.stride[0] === 1 && geo.stride[1] === 1 && noPad) {
      const op: PointwiseOp = { kind: "pointwise", outChannels: geo.M, weights, bias: b, requant };
      this.layers.push({ ...base, kind: "pointwise", op, relu, inZeroPoint: xq.zeroPoint, out: yq, fileScales });
    } else {
      const layer: ConvLayer = {
        ...base, kind: "conv", inChannels: geo.C, outChannels: geo.M, group: geo.group, kernel: [geo.kh, geo.kw],
        stride: geo.stride, dilation: geo.dilation, pad: geo.pad, weights, bias: b, inZeroPoint: xq.zeroPoint, scale, out: yq, relu, fileScales,
      };
      this.layers.push(layer);
    }
    this.addValue(output, [1, geo.M, geo.Ho, geo.Wo], yq, n);
  }

  private qlinearConv(n: NodeProto): void {
    const xq = this.qparams(n, 1, 2, "x");
    const x = this.qInput(n, 0, xq, "x");
    const w = this.constInput(n, 3, "w");
    const ws = this.constInput(n, 4, "w_scale");
    if (ws.dataType !== DataType.FLOAT) this.unsupported(n, "w_scale must be float32");
    const wz = this.constInput(n, 5, "w_zero_point");
    const yq = this.qparams(n, 6, 7, "y");
    const b = this.optionalConst(n, 8);
    const name = this.nodeName(n);
    this.emitConv(n, [name], "QLinearConv", x, xq, w, ws.data, wz.data, b, yq, n.outputs[0]!, yq.zeroPoint === (yq.dtype === "int8" ? -128 : 0));
  }

  // ---------------------------------------------------------------------------------------------
  // QLinear ops

  private qlinearAdd(n: NodeProto): void {
    const aq = this.qparams(n, 1, 2, "A");
    const bq = this.qparams(n, 4, 5, "B");
    const cq = this.qparams(n, 6, 7, "C");
    if (aq.dtype !== cq.dtype || bq.dtype !== cq.dtype) this.unsupported(n, "A, B and C must have the same type");
    const a = this.addOperand(n, 0, aq);
    const b = this.addOperand(n, 3, bq);
    this.emitAdd(n, [this.nodeName(n)], "QLinearAdd", a, aq, b, bq, cq, n.outputs[0]!);
  }

  /** An Add operand: a runtime tensor, or a quantized constant (becomes a constant value). */
  private addOperand(n: NodeProto, index: number, q: QParams): ValueSpec {
    const name = n.inputs[index]!;
    const c = this.consts.get(name);
    if (!c) return this.qInput(n, index, q, index === 0 ? "A" : "B");
    if (qdtypeOf(c.dataType) !== q.dtype) this.unsupported(n, `constant input "${name}" is ${dtypeName(c.dataType)}, expected ${q.dtype}`);
    if (!this.values.has(name)) {
      this.values.set(name, { name, shape: c.dims.length ? c.dims.slice() : [1], quant: q });
      this.constValues.set(name, c.data as Int8Array | Uint8Array);
    }
    return this.values.get(name)!;
  }

  private emitAdd(n: NodeProto, nodes: string[], opType: string, a: ValueSpec, aq: QParams, b: ValueSpec, bq: QParams, cq: QParams, output: string): void {
    let shape: number[];
    try {
      shape = broadcastShape(a.shape, b.shape, `node "${this.nodeName(n)}" (${n.opType})`);
    } catch (e) {
      // Shapes that do not broadcast make the model invalid, not just unsupported.
      if (e instanceof RangeError) throw new OnnxError(e.message);
      throw e;
    }
    const layer: AddLayer = { kind: "add", name: this.nodeName(n), nodes, opType, inputs: [a.name, b.name], output, a: aq, b: bq, out: cq };
    this.layers.push(layer);
    this.addValue(output, shape, cq, n);
  }

  private qlinearGap(n: NodeProto): void {
    if (attrInt(n, "channels_last", 0) !== 0) this.unsupported(n, "channels_last = 1 is not supported (use NCHW)");
    const xq = this.qparams(n, 1, 2, "x");
    const yq = this.qparams(n, 3, 4, "y");
    const x = this.qInput(n, 0, xq, "x");
    this.emitGap(n, [this.nodeName(n)], "QLinearGlobalAveragePool", x, xq, yq, n.outputs[0]!);
  }

  private emitGap(n: NodeProto, nodes: string[], opType: string, x: ValueSpec, xq: QParams, yq: QParams, output: string): void {
    if (x.shape.length < 3) this.unsupported(n, `input has shape [${x.shape.join(", ")}]; expected N x C x spatial`);
    if (xq.dtype !== yq.dtype) this.unsupported(n, "input and output must have the same type");
    const layer: GlobalAveragePoolLayer = { kind: "globalAveragePool", name: this.nodeName(n), nodes, opType, inputs: [x.name], output, in: xq, out: yq };
    this.layers.push(layer);
    this.addValue(output, [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)], yq, n);
  }

  private qlinearMatMul(n: NodeProto): void {
    const aq = this.qparams(n, 1, 2, "a");
    const a = this.qInput(n, 0, aq, "a");
    const b = this.constInput(n, 3, "b");
    const bs = this.constInput(n, 4, "b_scale");
    const bz = this.constInput(n, 5, "b_zero_point");
    const yq = this.qparams(n, 6, 7, "y");
    this.emitFc(n, [this.nodeName(n)], "QLinearMatMul", a, aq, b, false, bs.data, bz.data, null, yq, n.outputs[0]!, 1);
  }

  private qgemm(n: NodeProto): void {
    if (attrInt(n, "transA", 0) !== 0) this.unsupported(n, "transA = 1 is not supported");
    const aq = this.qparams(n, 1, 2, "a");
    const a = this.qInput(n, 0, aq, "a");
    const b = this.constInput(n, 3, "b");
    const bs = this.constInput(n, 4, "b_scale");
    const bz = this.constInput(n, 5, "b_zero_point");
    const c = this.optionalConst(n, 6);
    if (!n.inputs[7]) this.unsupported(n, "a float output (no y_scale) is not supported");
    const yq = this.qparams(n, 7, 8, "y");
    if (c && attrFloat(n, "beta", 1) !== 1) this.unsupported(n, "beta != 1 is not supported");
    this.emitFc(n, [this.nodeName(n)], "QGemm", a, aq, b, attrInt(n, "transB", 0) === 1, bs.data, bz.data, c, yq, n.outputs[0]!, attrFloat(n, "alpha", 1));
  }

  private emitFc(
    n: NodeProto, nodes: string[], opType: string, a: ValueSpec, aq: QParams, b: ConstTensor, transB: boolean,
    bScale: ArrayLike<number>, bZero: ArrayLike<number> | null, c: ConstTensor | null, yq: QParams, output: string, alpha: number,
    act: NodeProto | null = null,
  ): void {
    if (b.dims.length !== 2) this.unsupported(n, `B has shape [${b.dims.join(", ")}]; a 2-D constant matrix is expected`);
    if (aq.dtype !== yq.dtype) this.unsupported(n, "a and y must have the same type");
    const aDims = a.shape;
    if (aDims.length < 2 || aDims.slice(0, -2).some((d) => d !== 1)) this.unsupported(n, `A has shape [${aDims.join(", ")}]; expected [M, K] (leading dims 1)`);
    const M = aDims[aDims.length - 2]!;
    const K = aDims[aDims.length - 1]!;
    const [bK, N] = transB ? [b.dims[1]!, b.dims[0]!] : [b.dims[0]!, b.dims[1]!];
    if (bK !== K) this.unsupported(n, `A's K = ${K} but B has ${bK} rows`);
    const q = qdtypeOf(b.dataType);
    if (!q) this.unsupported(n, `B is ${dtypeName(b.dataType)}; int8 or uint8 expected`);
    // Weights as [N][K], zero point (per column n) subtracted.
    if (bZero && bZero.length !== 1 && bZero.length !== N) this.unsupported(n, `b_zero_point has ${bZero.length} values for ${N} columns`);
    const weights = new Int8Array(N * K);
    for (let nn = 0; nn < N; nn++) {
      const z = bZero ? (bZero.length === 1 ? bZero[0]! : bZero[nn]!) : 0;
      for (let k = 0; k < K; k++) {
        const v = (b.data[transB ? nn * K + k : k * N + nn] as number) - z;
        if (v < -128 || v > 127) this.unsupported(n, `weight ${v + z} minus zero point ${z} does not fit int8`);
        weights[nn * K + k] = v;
      }
    }
    const scale = this.perChannelScales(n, aq.scale, bScale, yq.scale, N, alpha);
    let bias: Int32Array | null = null;
    if (c) {
      if (c.dataType !== DataType.INT32) this.unsupported(n, `C is ${dtypeName(c.dataType)}; int32 expected`);
      if (c.data.length !== N) this.unsupported(n, `C has ${c.data.length} values; one per output column (${N}) is supported`);
      bias = Int32Array.from(c.data as Int32Array);
    }
    const layer: FullyConnectedLayer = {
      kind: "fullyConnected", name: this.nodeName(n), nodes, opType, inputs: [a.name], output,
      rows: M, inFeatures: K, outFeatures: N, weights, bias, inZeroPoint: aq.zeroPoint, scale, out: yq,
      fileScales: this.fileScales(b, aq.scale, bScale, bZero, yq.scale, alpha, false, act),
    };
    this.layers.push(layer);
    this.addValue(output, [...aDims.slice(0, -1), N], yq, n);
  }

  // ---------------------------------------------------------------------------------------------
  // Shape ops

  private reshapeTarget(n: NodeProto, inShape: number[]): number[] {
    const rank = inShape.length;
    switch (n.opType) {
      case "Identity":
        return inShape.slice();
      case "Flatten": {
        let axis = attrInt(n, "axis", 1);
        if (axis < 0) axis += rank;
        if (axis < 0 || axis > rank) this.unsupported(n, `axis ${axis} out of range`);
        return [prod(inShape.slice(0, axis)), prod(inShape.slice(axis))];
      }
      case "Reshape": {
        const s = this.constInput(n, 1, "shape");
        const allowZero = attrInt(n, "allowzero", 0) === 1;
        const out = Array.from(s.data as ArrayLike<number>, (d, i) => (d === 0 && !allowZero ? inShape[i]! : d));
        const minus = out.indexOf(-1);
        if (minus >= 0) {
          const known = prod(out.filter((_, i) => i !== minus));
          out[minus] = known === 0 ? 0 : prod(inShape) / known;
        }
        if (prod(out) !== prod(inShape) || out.some((d) => !Number.isInteger(d) || d < 0)) {
          this.unsupported(n, `cannot reshape [${inShape.join(", ")}] to [${Array.from(s.data as ArrayLike<number>).join(", ")}]`);
        }
        return out;
      }
      case "Squeeze":
      case "Unsqueeze": {
        let axes = attrInts(n, "axes");
        if (!axes && n.inputs[1]) axes = Array.from(this.constInput(n, 1, "axes").data as ArrayLike<number>);
        if (n.opType === "Squeeze") {
          const ax = (axes ?? inShape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => (a < 0 ? a + rank : a));
          for (const a of ax) if (inShape[a] !== 1) this.unsupported(n, `cannot squeeze axis ${a} of size ${inShape[a]}`);
          return inShape.filter((_, i) => !ax.includes(i));
        }
        if (!axes) this.unsupported(n, "axes are missing");
        const outRank = rank + axes.length;
        const ax = axes.map((a) => (a < 0 ? a + outRank : a));
        const out: number[] = [];
        let j = 0;
        for (let i = 0; i < outRank; i++) out.push(ax.includes(i) ? 1 : inShape[j++]!);
        return out;
      }
      default:
        this.unsupported(n, "unsupported op");
    }
  }

  private shapeOp(n: NodeProto): void {
    const x = n.inputs[0]!;
    const out = n.outputs[0]!;
    const name = this.nodeName(n);
    const pending = this.dqAct.get(x);
    if (pending && !pending.materialized) {
      // QDQ form: DQ -> Reshape -> Q. With equal parameters, ORT drops the pair (DropQDQNodes).
      const src = this.values.get(pending.source)!;
      const next = this.cons(out);
      const qn = next.length === 1 && !this.graphOutputs.has(out) && next[0]!.opType === "QuantizeLinear" ? next[0]! : null;
      if (qn) {
        const qq = this.qparams(qn, 1, 2, "y");
        if (qq.dtype === pending.quant.dtype && qq.scale === pending.quant.scale && qq.zeroPoint === pending.quant.zeroPoint) {
          const shape = this.reshapeTarget(n, src.shape);
          this.layers.push({ kind: "reshape", name, nodes: [pending.node, name, this.nodeName(qn)], opType: n.opType, inputs: [src.name], output: qn.outputs[0]! });
          this.addValue(qn.outputs[0]!, shape, qq, n);
          this.done.add(qn);
          return;
        }
      }
      this.materialize(x);
    }
    const v = this.values.get(x);
    if (!v) this.unsupported(n, `input "${x}" is not produced by any node before it`);
    const shape = this.reshapeTarget(n, v.shape);
    this.layers.push({ kind: "reshape", name, nodes: [name], opType: n.opType, inputs: [x], output: out });
    this.addValue(out, shape, v.quant, n);
  }

  // ---------------------------------------------------------------------------------------------
  // QDQ groups

  /** The QuantizeLinear after a float op (through a Relu/Clip ONNX Runtime folds), or an error. */
  private quantizedOutput(n: NodeProto): { q: NodeProto; act: NodeProto | null; quant: QParams; output: string } {
    const notQuantized = (why: string): never =>
      this.unsupported(n, `its output is not quantized (${why}); ONNX Runtime runs such a node in float, which dwpw does not emulate`);
    let t = n.outputs[0]!;
    if (this.graphOutputs.has(t)) notQuantized("it is a graph output");
    let next = this.cons(t);
    let act: NodeProto | null = null;
    if (next.length === 1 && (next[0]!.opType === "Relu" || next[0]!.opType === "Clip") && this.isDefaultDomain(next[0]!)) {
      act = next[0]!;
      t = act.outputs[0]!;
      if (this.graphOutputs.has(t)) notQuantized(`its ${act.opType} output is a graph output`);
      next = this.cons(t);
    }
    if (next.length !== 1 || next[0]!.opType !== "QuantizeLinear") {
      notQuantized(next.length === 0 ? "nothing reads it" : `it feeds ${next.map((m) => `"${this.nodeName(m)}" (${m.opType})`).join(", ")}, not one QuantizeLinear`);
    }
    const q = next[0]!;
    const quant = this.qparams(q, 1, 2, "y");
    if (act) this.checkActivationFold(act, quant);
    return { q, act, quant, output: q.outputs[0]! };
  }

  /** ORT's ReluQuantFusion / ClipQuantFusion: the activation disappears only when Q's range is inside it. */
  private checkActivationFold(act: NodeProto, q: QParams): void {
    const [qmin, qmax] = q.dtype === "int8" ? [-128, 127] : [0, 255];
    if (act.opType === "Relu") {
      if (q.zeroPoint !== qmin) {
        this.unsupported(act, `ONNX Runtime folds a Relu into the following QuantizeLinear only when its zero point is ${qmin} (here ${q.zeroPoint}); otherwise it runs the producer in float`);
      }
      return;
    }
    const [min, max] = this.clipBounds(act);
    const lower = f32(q.scale * (qmin - q.zeroPoint));
    const upper = f32(q.scale * (qmax - q.zeroPoint));
    const eps = 2 ** -23;
    if (eps < f32(min - lower) || eps < f32(upper - max)) {
      this.unsupported(
        act,
        `Clip [${min}, ${max}] is narrower than the following QuantizeLinear's range [${lower}, ${upper}], so ONNX Runtime does not fold it and runs the producer in float`,
      );
    }
  }

  /** A Clip's bounds: from its inputs (opset >= 11) or attributes (opset 6). */
  private clipBounds(act: NodeProto): [number, number] {
    let min = -Infinity;
    let max = Infinity;
    if (act.inputs.length > 1 || attr(act, "min") || attr(act, "max")) {
      if (act.inputs[1]) min = this.constInput(act, 1, "min").data[0] as number;
      else if (attr(act, "min")) min = attrFloat(act, "min", -Infinity);
      if (act.inputs[2]) max = this.constInput(act, 2, "max").data[0] as number;
      else if (attr(act, "max")) max = attrFloat(act, "max", Infinity);
    }
    return [min, max];
  }

  /** A DequantizeLinear'd runtime input of a QDQ group. */
  private dqActInput(n: NodeProto, index: number): { v: ValueSpec; q: QParams; node: string } {
    const name = n.inputs[index];
    if (!name) this.unsupported(n, `input ${index} is missing`);
    const d = this.dqAct.get(name);
    if (!d) {
      const v = this.values.get(name);
      if (v && !v.quant) this.unsupported(n, `input "${name}" is a float tensor, not the output of a DequantizeLinear; dwpw runs quantized graphs only`);
      if (this.dqConst.has(name) || this.consts.has(name)) this.unsupported(n, `input ${index} ("${name}") is a constant; a runtime tensor is expected there`);
      this.unsupported(n, `input "${name}" is not the output of a DequantizeLinear`);
    }
    return { v: this.values.get(d.source)!, q: d.quant, node: d.node };
  }

  private dqConstInput(n: NodeProto, index: number, what: string, optional = false): DqConst | null {
    const name = n.inputs[index];
    if (!name) {
      if (optional) return null;
      this.unsupported(n, `input ${index} (${what}) is missing`);
    }
    const d = this.dqConst.get(name);
    if (!d) {
      if (this.consts.has(name)) this.unsupported(n, `${what} "${name}" is a float constant; the QDQ form needs it quantized (DequantizeLinear of an integer initializer)`);
      this.unsupported(n, `${what} "${name}" must be a DequantizeLinear of a constant`);
    }
    return d;
  }

  private qdqGroup(n: NodeProto): void {
    const { q, act, quant, output } = this.quantizedOutput(n);
    const nodes = [this.nodeName(n)];
    if (act) nodes.push(this.nodeName(act));
    nodes.push(this.nodeName(q));
    const consumed = [q, ...(act ? [act] : [])];
    const relu = act !== null || quant.zeroPoint === (quant.dtype === "int8" ? -128 : 0);
    switch (n.opType) {
      case "Conv": {
        const x = this.dqActInput(n, 0);
        const w = this.dqConstInput(n, 1, "weight")!;
        const b = this.dqConstInput(n, 2, "bias", true);
        if (w.axis !== 0 && w.scale.length !== 1) this.unsupported(n, `weight DequantizeLinear quantizes axis ${w.axis}; per output channel (axis 0) is expected`);
        if (b && b.q.dataType !== DataType.INT32) this.unsupported(n, `bias DequantizeLinear input is ${dtypeName(b.q.dataType)}; int32 expected`);
        if (b && b.zeroPoint && Array.from(b.zeroPoint).some((z) => z !== 0)) this.unsupported(n, "bias zero point must be 0");
        nodes.unshift(x.node, w.node, ...(b ? [b.node] : []));
        this.emitConv(n, nodes, "Conv", x.v, x.q, w.q, w.scale, w.zeroPoint, b ? b.q : null, quant, output, relu, act);
        break;
      }
      case "Add": {
        const a = this.addDq(n, 0);
        const b = this.addDq(n, 1);
        if (a.q.dtype !== quant.dtype || b.q.dtype !== quant.dtype) this.unsupported(n, "inputs and output must have the same type");
        nodes.unshift(a.node, b.node);
        this.emitAdd(n, nodes, "Add", a.v, a.q, b.v, b.q, quant, output);
        break;
      }
      case "GlobalAveragePool": {
        const x = this.dqActInput(n, 0);
        nodes.unshift(x.node);
        this.emitGap(n, nodes, "GlobalAveragePool", x.v, x.q, quant, output);
        break;
      }
      case "MatMul":
      case "Gemm": {
        const a = this.dqActInput(n, 0);
        const b = this.dqConstInput(n, 1, "weight")!;
        const c = n.opType === "Gemm" ? this.dqConstInput(n, 2, "bias", true) : null;
        const transB = n.opType === "Gemm" && attrInt(n, "transB", 0) === 1;
        if (n.opType === "Gemm" && attrInt(n, "transA", 0) !== 0) this.unsupported(n, "transA = 1 is not supported");
        if (c && attrFloat(n, "beta", 1) !== 1) this.unsupported(n, "beta != 1 is not supported");
        const colAxis = transB ? 0 : 1;
        if (b.scale.length !== 1 && b.axis !== colAxis) this.unsupported(n, `weight DequantizeLinear quantizes axis ${b.axis}; per output column (axis ${colAxis}) is expected`);
        if (c && c.q.dataType !== DataType.INT32) this.unsupported(n, `bias DequantizeLinear input is ${dtypeName(c.q.dataType)}; int32 expected`);
        nodes.unshift(a.node, b.node, ...(c ? [c.node] : []));
        const alpha = n.opType === "Gemm" ? attrFloat(n, "alpha", 1) : 1;
        this.emitFc(n, nodes, n.opType, a.v, a.q, b.q, transB, b.scale, b.zeroPoint, c ? c.q : null, quant, output, alpha, act);
        break;
      }
      default:
        this.unsupported(n, "unsupported op");
    }
    for (const m of consumed) this.done.add(m);
  }

  /** An Add input in QDQ form: a DequantizeLinear of a runtime tensor or of a constant. */
  private addDq(n: NodeProto, index: number): { v: ValueSpec; q: QParams; node: string } {
    const name = n.inputs[index]!;
    const dc = this.dqConst.get(name);
    if (dc) {
      const q = qdtypeOf(dc.q.dataType);
      if (!q || dc.scale.length !== 1) this.unsupported(n, `constant input "${name}" must be a per-tensor int8/uint8 DequantizeLinear`);
      const quant: QParams = { dtype: q, scale: dc.scale[0]!, zeroPoint: dc.zeroPoint ? dc.zeroPoint[0]! : 0 };
      const key = dc.q.name || name;
      if (!this.values.has(key)) {
        this.values.set(key, { name: key, shape: dc.q.dims.length ? dc.q.dims.slice() : [1], quant });
        this.constValues.set(key, dc.q.data as Int8Array | Uint8Array);
      }
      return { v: this.values.get(key)!, q: quant, node: dc.node };
    }
    return this.dqActInput(n, index);
  }
}
