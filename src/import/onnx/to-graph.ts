// An imported ONNX model (the layer list of src/onnx/import.ts, in ONNX Runtime's arithmetic) as the
// format-neutral graph every other target lowers: the same integer weights and biases with the real
// scales and zero points the file stores, so that a TFLite-family target derives its own arithmetic
// from them as the TFLite converter would have (docs/targets/cross-format.md).
//
// Layout: the graph holds 4-D tensors NHWC like a `.tflite` (targets and kernels assume it) and says
// `sourceLayout: "NCHW"`, so a run takes and returns the ONNX model's own NCHW bytes. Constants are
// transposed once, here, to TFLite's weight layouts. A Reshape / Flatten that reorders bytes (a 4-D
// tensor with channels and pixels both > 1 on either side) is preceded / followed by the transpose
// that turns NHWC into ONNX's NCHW order; it goes through a 3-D view so that no 4-D tensor of the
// graph is in NCHW order.
import { UnsupportedOpError } from "../../graph/errors.js";
import type { Activation, DType, Graph, GraphOp, GraphTensor, Quantization } from "../../graph/types.js";
import type { FileScales, NetworkLayer, NetworkGraph, QParams, ValueSpec } from "../../network/types.js";

/** How a global average pool is written (see `toGraph`). */
export type GlobalPoolAs = "mean" | "averagePool2d";

export interface ToGraphOptions {
  /**
   * `mean` (default): MEAN over H and W with keepDims, which is what the TFLite converter emits for a
   * global average pool and what the TFLite-family targets rescale with (TFLite Micro's
   * AVERAGE_POOL_2D does not rescale: it assumes the input's quantization for its output, which an
   * ONNX GlobalAveragePool does not keep). `averagePool2d`: a pool whose window is the whole input,
   * which the `onnxruntime` graph target runs as QLinearGlobalAveragePool (its `mean` is the QDQ
   * float path).
   */
  globalPool?: GlobalPoolAs;
}

/** The converted graph, and for each graph op the ONNX layer it comes from. */
export interface OnnxGraph {
  graph: Graph;
  /** Per op index: the layer of the network (several ops for a reordering reshape). */
  layerOfOp: NetworkLayer[];
}

const ACTIVATIONS: Record<FileScales["activation"], Activation> = { none: "none", relu: "relu", relu6: "relu6", reluN1To1: "reluN1To1" };

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

const nhwc = (s: readonly number[]) => [s[0]!, s[2]!, s[3]!, s[1]!];

function perTensor(q: QParams): Quantization {
  return { scale: Float32Array.of(q.scale), zeroPoint: Int32Array.of(q.zeroPoint), axis: 0 };
}

/** Whether NHWC and NCHW orders of a 4-D shape (either order) are the same bytes. */
function sameOrder(s: readonly number[]): boolean {
  // NCHW [N, C, H, W]: one channel, or one pixel.
  return s[1] === 1 || s[2]! * s[3]! === 1;
}

class Converter {
  readonly tensors: GraphTensor[] = [];
  readonly ops: GraphOp[] = [];
  readonly layerOfOp: NetworkLayer[] = [];
  private readonly byName = new Map<string, number>();
  private layer: NetworkLayer | null = null;

  constructor(
    private readonly net: NetworkGraph,
    private readonly options: Required<ToGraphOptions>,
  ) {}

  private refuse(detail: string): never {
    const l = this.layer;
    throw new UnsupportedOpError(l ? l.name : this.net.name, l ? l.opType : "graph", `cannot be written as a TFLite-style graph: ${detail}`);
  }

  private add(name: string, dtype: DType, shape: number[], quant: Quantization | null, data: Uint8Array | null = null): number {
    const index = this.tensors.length;
    this.tensors.push({ index, name, dtype, shape, quant, data, variable: false });
    return index;
  }

  /** The graph tensor of a network value (created on first use; 4-D shapes become NHWC). */
  value(spec: ValueSpec): number {
    const known = this.byName.get(spec.name);
    if (known !== undefined) return known;
    const q = spec.quant;
    if (q && (Number.isNaN(q.scale) || Number.isNaN(q.zeroPoint))) this.refuse(`the quantization of "${spec.name}" is unknown (no quantized op reads it)`);
    const shape = spec.shape.length === 4 ? nhwc(spec.shape) : spec.shape.slice();
    let data: Uint8Array | null = null;
    const c = this.net.constValues.get(spec.name);
    if (c) data = bytesOf(spec.shape.length === 4 ? nchwToNhwcBytes(c, spec.shape) : c);
    const i = this.add(spec.name, q ? q.dtype : "float32", shape, q ? perTensor(q) : null, data);
    this.byName.set(spec.name, i);
    return i;
  }

  private spec(name: string): ValueSpec {
    const v = this.net.values.get(name);
    if (!v) throw new Error(`internal: no value "${name}"`);
    return v;
  }

  /** The value a layer reads, checked to be read with the quantization its producer wrote. */
  private read(name: string, q: { scale: number; zeroPoint: number } | null, what: string): number {
    const v = this.spec(name);
    if (q && v.quant && (v.quant.scale !== q.scale || v.quant.zeroPoint !== q.zeroPoint) && !Number.isNaN(v.quant.scale)) {
      this.refuse(`it reads ${what} "${name}" with scale ${q.scale} and zero point ${q.zeroPoint}, but the tensor was written with scale ${v.quant.scale} and zero point ${v.quant.zeroPoint}; a graph gives each tensor one quantization`);
    }
    return this.value(v);
  }

  private push(op: Record<string, unknown> & { kind: GraphOp["kind"]; inputs: number[]; outputs: number[] }, opcode?: string): void {
    const index = this.ops.length;
    this.ops.push({ index, opcode: opcode ?? this.layer!.opType, ...op } as GraphOp);
    this.layerOfOp.push(this.layer!);
  }

  /** A constant tensor. */
  private constant(name: string, dtype: DType, shape: number[], data: ArrayBufferView, quant: Quantization | null): number {
    return this.add(name, dtype, shape, quant, bytesOf(data));
  }

  private weightQuant(fs: FileScales, channels: number, axis: number): Quantization {
    const n = fs.weightScale.length;
    if (n !== 1 && n !== channels) this.refuse(`${n} weight scales for ${channels} output channels`);
    // Gemm's alpha scales every product: it belongs to the weights' real scale.
    const scale = fs.alpha === 1 ? Float32Array.from(fs.weightScale) : Float32Array.from(fs.weightScale, (s) => Math.fround(fs.alpha * s));
    // The layer's weights have their zero points subtracted: the same real values, symmetric.
    return { scale, zeroPoint: new Int32Array(n), axis };
  }

  private bias(name: string, bias: Int32Array | null | undefined, fs: FileScales, wq: Quantization, channels: number): number {
    if (!bias) return -1;
    const scale = Float32Array.from({ length: wq.scale.length }, (_, c) => Math.fround(fs.inputScale * wq.scale[c]!));
    return this.constant(`${name}/bias`, "int32", [channels], bias, { scale, zeroPoint: new Int32Array(scale.length), axis: 0 });
  }

  private fileScales(l: NetworkLayer & { fileScales?: FileScales }): FileScales {
    if (!l.fileScales) this.refuse("the layer carries no file scales (it was not imported from a file)");
    return l.fileScales;
  }

  /** A convolution layer (depthwise, pointwise or general) as CONV_2D or DEPTHWISE_CONV_2D. */
  private conv(l: Extract<NetworkLayer, { kind: "depthwise" | "pointwise" | "conv" }>): void {
    const fs = this.fileScales(l);
    const xs = this.spec(l.inputs[0]!);
    const [, C] = xs.shape as [number, number, number, number];
    const x = this.read(xs.name, { scale: fs.inputScale, zeroPoint: l.inZeroPoint }, "its input");
    const y = this.value(this.spec(l.output));
    const activation = ACTIVATIONS[fs.activation];
    let kh: number, kw: number, O: number, group: number;
    let stride: [number, number], dilation: [number, number], pad: { top: number; left: number; bottom: number; right: number };
    let weights: Int8Array; // [O][C/group][kh][kw], ONNX's order
    let bias: Int32Array | null | undefined;
    if (l.kind === "depthwise") {
      [kh, kw] = l.op.kernel;
      O = C;
      group = C;
      stride = [...l.op.stride];
      dilation = [1, 1];
      pad = { ...l.op.pad };
      weights = l.op.weights; // [C][kh][kw] = [C][1][kh][kw]
      bias = l.op.bias;
    } else if (l.kind === "pointwise") {
      kh = kw = 1;
      O = l.op.outChannels;
      group = 1;
      stride = [1, 1];
      dilation = [1, 1];
      pad = { top: 0, left: 0, bottom: 0, right: 0 };
      weights = l.op.weights;
      bias = l.op.bias;
    } else {
      [kh, kw] = l.kernel;
      O = l.outChannels;
      group = l.group;
      stride = [...l.stride];
      dilation = [...l.dilation];
      pad = { ...l.pad };
      weights = l.weights;
      bias = l.bias;
    }
    const Ig = C / group;
    if (group === C && C > 1) {
      // One input channel per group: DEPTHWISE_CONV_2D with multiplier O / C; ONNX's output channel
      // g * m + j is TFLite's c * m + j, so the filter is [1][kh][kw][O] with o innermost.
      const w = new Int8Array(kh * kw * O);
      for (let o = 0; o < O; o++) for (let t = 0; t < kh * kw; t++) w[t * O + o] = weights[o * kh * kw + t]!;
      const wq = this.weightQuant(fs, O, 3);
      const wi = this.constant(`${l.name}/weights`, "int8", [1, kh, kw, O], w, wq);
      const bi = this.bias(l.name, bias, fs, wq, O);
      this.push({ kind: "depthwiseConv2d", inputs: [x, wi, bi], outputs: [y], stride, dilation, pad, depthMultiplier: O / C, activation });
      return;
    }
    // CONV_2D: [O][kh][kw][I/group].
    const w = new Int8Array(O * kh * kw * Ig);
    for (let o = 0; o < O; o++)
      for (let i = 0; i < Ig; i++) for (let t = 0; t < kh * kw; t++) w[(o * kh * kw + t) * Ig + i] = weights[(o * Ig + i) * kh * kw + t]!;
    const wq = this.weightQuant(fs, O, 0);
    const wi = this.constant(`${l.name}/weights`, "int8", [O, kh, kw, Ig], w, wq);
    const bi = this.bias(l.name, bias, fs, wq, O);
    this.push({ kind: "conv2d", inputs: [x, wi, bi], outputs: [y], stride, dilation, pad, activation });
  }

  private fullyConnected(l: Extract<NetworkLayer, { kind: "fullyConnected" }>): void {
    const fs = this.fileScales(l);
    const as = this.spec(l.inputs[0]!);
    if (as.shape.length === 4) this.refuse(`its input has the 4-D shape [${as.shape.join(", ")}]; flatten it first`);
    const x = this.read(as.name, { scale: fs.inputScale, zeroPoint: l.inZeroPoint }, "its input");
    const y = this.value(this.spec(l.output));
    const wq = this.weightQuant(fs, l.outFeatures, 0);
    const wi = this.constant(`${l.name}/weights`, "int8", [l.outFeatures, l.inFeatures], l.weights, wq);
    const bi = this.bias(l.name, l.bias, fs, wq, l.outFeatures);
    this.push({ kind: "fullyConnected", inputs: [x, wi, bi], outputs: [y], keepNumDims: as.shape.length > 2, activation: ACTIVATIONS[fs.activation] });
  }

  private addLayer(l: Extract<NetworkLayer, { kind: "add" }>): void {
    const out = this.spec(l.output);
    const operand = (name: string, q: QParams, what: string): number => {
      const v = this.spec(name);
      if (out.shape.length === 4 && v.shape.length !== 4) {
        // numpy broadcasting aligns from the right; a constant operand of lower rank is widened to
        // the output's rank and laid out NHWC with it.
        const c = this.net.constValues.get(name);
        if (!c) this.refuse(`${what} "${name}" has rank ${v.shape.length} and the output rank 4: only constants are widened`);
        if (this.byName.has(name)) return this.byName.get(name)!;
        const s4 = [...new Array<number>(4 - v.shape.length).fill(1), ...v.shape];
        const i = this.add(name, q.dtype, nhwc(s4), perTensor(v.quant!), bytesOf(nchwToNhwcBytes(c, s4)));
        this.byName.set(name, i);
        this.read(name, q, what);
        return i;
      }
      return this.read(name, q, what);
    };
    const a = operand(l.inputs[0]!, l.a, "input A");
    const b = operand(l.inputs[1]!, l.b, "input B");
    const y = this.value(out);
    this.push({ kind: "add", inputs: [a, b], outputs: [y], activation: "none" });
  }

  private globalPool(l: Extract<NetworkLayer, { kind: "globalAveragePool" }>): void {
    const xs = this.spec(l.inputs[0]!);
    if (xs.shape.length !== 4) this.refuse(`its input has shape [${xs.shape.join(", ")}]; only 2-D pools (N x C x H x W) are written`);
    const x = this.read(xs.name, l.in, "its input");
    const y = this.value(this.spec(l.output));
    const [, , H, W] = xs.shape as [number, number, number, number];
    if (this.options.globalPool === "mean") {
      const axes = this.constant(`${l.name}/axes`, "int32", [2], Int32Array.of(1, 2), null);
      this.push({ kind: "mean", inputs: [x, axes], outputs: [y], axes: [1, 2], keepDims: true });
    } else {
      this.push({ kind: "averagePool2d", inputs: [x], outputs: [y], filter: [H, W], stride: [1, 1], pad: { top: 0, left: 0, bottom: 0, right: 0 }, activation: "none" });
    }
  }

  /** A tensor of ONNX shape `shape` (row-major in ONNX's order) written as a reshape of `from`. */
  private reshapeTo(from: number, to: number): void {
    const shape = this.tensors[to]!.shape;
    const si = this.constant(`${this.tensors[to]!.name}/shape`, "int32", [shape.length], Int32Array.from(shape), null);
    this.push({ kind: "reshape", inputs: [from, si], outputs: [to] }, "RESHAPE");
  }

  private helper(like: GraphTensor, suffix: string, shape: number[]): number {
    return this.add(`${like.name}/${suffix}`, like.dtype, shape, like.quant);
  }

  /** Reshape / Flatten / Squeeze / Unsqueeze / Identity: ONNX's semantics are NCHW byte order. */
  private reshape(l: Extract<NetworkLayer, { kind: "reshape" }>): void {
    const xs = this.spec(l.inputs[0]!);
    const ys = this.spec(l.output);
    let x = this.read(xs.name, null, "its input");
    const xt = this.tensors[x]!;
    if (xs.shape.length === 4 && !sameOrder(xs.shape)) {
      // NHWC [N,H,W,C] -> [N,H*W,C] -> transpose -> [N,C,H*W]: NCHW order.
      const [N, C, H, W] = xs.shape as [number, number, number, number];
      const v = this.helper(xt, "pixels-by-channel", [N, H * W, C]);
      this.reshapeTo(x, v);
      const t = this.helper(xt, "nchw", [N, C, H * W]);
      const perm = this.constant(`${xt.name}/nchw/perm`, "int32", [3], Int32Array.of(0, 2, 1), null);
      this.push({ kind: "transpose", inputs: [v, perm], outputs: [t], perm: [0, 2, 1] }, "TRANSPOSE");
      x = t;
    }
    const y = this.value(ys);
    const yt = this.tensors[y]!;
    if (ys.shape.length === 4 && !sameOrder(ys.shape)) {
      // NCHW order -> [N,C,H*W] -> transpose -> [N,H*W,C] -> NHWC [N,H,W,C].
      const [N, C, H, W] = ys.shape as [number, number, number, number];
      const a = this.helper(yt, "channel-by-pixels", [N, C, H * W]);
      this.reshapeTo(x, a);
      const b = this.helper(yt, "pixels-by-channel", [N, H * W, C]);
      const perm = this.constant(`${yt.name}/nhwc/perm`, "int32", [3], Int32Array.of(0, 2, 1), null);
      this.push({ kind: "transpose", inputs: [a, perm], outputs: [b], perm: [0, 2, 1] }, "TRANSPOSE");
      this.reshapeTo(b, y);
      return;
    }
    this.reshapeTo(x, y);
  }

  run(): OnnxGraph {
    const g = this.net;
    const inputs = g.inputs.map((s) => this.value(s));
    for (const l of g.layers) {
      this.layer = l;
      switch (l.kind) {
        case "quantize":
        case "dequantize": {
          const x = this.read(l.inputs[0]!, l.kind === "dequantize" ? l.quant : null, "its input");
          const ys = this.spec(l.output);
          if (l.kind === "quantize" && ys.quant && (ys.quant.scale !== l.quant.scale || ys.quant.zeroPoint !== l.quant.zeroPoint)) this.refuse("its output's quantization differs from its own");
          this.push({ kind: l.kind, inputs: [x], outputs: [this.value(ys)] });
          break;
        }
        case "depthwise":
        case "pointwise":
        case "conv":
          this.conv(l);
          break;
        case "fullyConnected":
          this.fullyConnected(l);
          break;
        case "add":
          this.addLayer(l);
          break;
        case "globalAveragePool":
          this.globalPool(l);
          break;
        case "reshape":
          this.reshape(l);
          break;
      }
    }
    this.layer = null;
    const outputs = g.outputs.map((s) => {
      const i = this.byName.get(s.name);
      if (i === undefined) this.refuse(`graph output "${s.name}" is not computed`);
      return i;
    });
    const graph: Graph = { format: "onnx", name: g.name, tensors: this.tensors, ops: this.ops, inputs, outputs, sourceLayout: "NCHW" };
    return { graph, layerOfOp: this.layerOfOp };
  }
}

/** NCHW bytes of a 4-D constant (ONNX shape `s`) in NHWC order. */
function nchwToNhwcBytes(data: Int8Array | Uint8Array, s: readonly number[]): Int8Array | Uint8Array {
  const [N, C, H, W] = s as [number, number, number, number];
  const out = data instanceof Int8Array ? new Int8Array(data.length) : new Uint8Array(data.length);
  const HW = H * W;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let p = 0; p < HW; p++) out[(n * HW + p) * C + c] = data[(n * C + c) * HW + p]!;
  return out;
}

/**
 * The format-neutral graph of an imported ONNX network: the file's integer weights (zero points
 * subtracted, so symmetric int8 as TFLite holds them) and real scales, NHWC tensors presented as
 * NCHW. A layer the graph cannot express is an UnsupportedOpError naming it.
 */
export function toGraph(net: NetworkGraph, options: ToGraphOptions = {}): OnnxGraph {
  return new Converter(net, { globalPool: options.globalPool ?? "mean" }).run();
}
