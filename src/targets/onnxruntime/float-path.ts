// The QDQ float path: an op ONNX Runtime has no quantized kernel for here runs as
// DequantizeLinear -> the float32 op -> QuantizeLinear, as ONNX Runtime runs a QDQ group it does not
// fuse. Each quantized input is dequantized (`f32((q - zp) * scale)`), the op computed in float32,
// a fused activation applied as the float Relu / Clip that follows it in a converted graph, and
// the result quantized as MLAS does (`x / scale` in float32, clamped, rounded half to even). A
// float32 input or output skips its DequantizeLinear / QuantizeLinear.
//
// The float ops are computed in JavaScript doubles with every result rounded to float32 (correctly
// rounded +, -, *, /; sums accumulated one float32 add at a time in row-major order). ONNX Runtime's
// own float kernels may sum in another order (vectorized reductions) and use their own exp / tanh /
// logistic approximations, so a value near a rounding boundary can quantize one step apart: this
// path is not verified against ONNX Runtime (docs/targets/onnxruntime.md).
import type { Activation, Graph, GraphOp, GraphTensor } from "../../graph/types.js";
import { numel } from "../../graph/types.js";
import { dequantizeValue, qRange, quantizeValue } from "../../network/arith.js";
import { constData, tensorAt, valueOf } from "../tensors.js";
import type { LoweredLayer, TensorData } from "../types.js";
import { isQ8, newQ8, q8, unsupported, type QInfo } from "./common.js";

const f32 = Math.fround;

/** A float32 op on the dequantized inputs (in the file's layout and shapes). */
type FloatOp = (xs: Float32Array[]) => Float32Array;

/** The ONNX float op a graph op becomes, and how to compute it. */
export interface FloatOpDef {
  /** The ONNX op between the DequantizeLinear and the QuantizeLinear ("" for none). */
  onnxOp: string;
  /** Positions in `op.inputs` of the tensors that carry data (the rest are shapes, axes...). */
  dataInputs: number[];
  fn: FloatOp;
  params?: Record<string, unknown>;
}

function floatActivation(act: Activation): ((v: number) => number) | null {
  switch (act) {
    case "none":
      return null;
    case "relu":
      return (v) => (v < 0 ? 0 : v);
    case "relu6":
      return (v) => (v < 0 ? 0 : v > 6 ? 6 : v);
    case "reluN1To1":
      return (v) => (v < -1 ? -1 : v > 1 ? 1 : v);
  }
}

const ACTIVATION_OPS: Record<Activation, string | null> = { none: null, relu: "Relu", relu6: "Clip(0, 6)", reluN1To1: "Clip(-1, 1)" };

/** Dequantizes an 8-bit tensor's data, or passes float32 through. */
function toFloat(op: GraphOp, t: GraphTensor, q: QInfo | null, d: TensorData): Float32Array {
  if (!q) {
    if (!(d instanceof Float32Array)) throw unsupported(op, `tensor ${t.index} is ${t.dtype}; the float path takes 8-bit quantized or float32 tensors`);
    return d.slice(); // the op may write its result over it
  }
  const y = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) y[i] = dequantizeValue(d[i] as number, q.scale, q.zeroPoint);
  return y;
}

/** The quantization of a float-path tensor: 8-bit quantized, or null for float32. */
function floatPathQuant(op: GraphOp, t: GraphTensor, what: string): QInfo | null {
  if (t.dtype === "float32") return null;
  if (!isQ8(t)) throw unsupported(op, `${what} (tensor ${t.index}) is ${t.dtype}${t.quant ? "" : " without quantization"}; the onnxruntime targets take int8 / uint8 with per-tensor quantization, or float32`);
  return q8(op, t, what);
}

/** Lowers `op` as DequantizeLinear -> `def` -> QuantizeLinear. */
export function floatLayer(op: GraphOp, graph: Graph, def: FloatOpDef): LoweredLayer {
  const ins = def.dataInputs.map((k) => {
    const i = op.inputs[k];
    if (i === undefined || i < 0) throw unsupported(op, `input ${k} is missing`);
    return tensorAt(graph, i);
  });
  const yt = tensorAt(graph, op.outputs[0]!);
  const inQ = ins.map((t, k) => floatPathQuant(op, t, `input ${def.dataInputs[k]}`));
  const outQ = floatPathQuant(op, yt, "the output");
  const act = "activation" in op ? (op.activation as Activation) : "none";
  const clamp = floatActivation(act);
  const onnxOps = [
    ...(inQ.some((q) => q) ? ["DequantizeLinear"] : []),
    ...(def.onnxOp ? [def.onnxOp] : []),
    ...(ACTIVATION_OPS[act] ? [ACTIVATION_OPS[act]!] : []),
    ...(outQ ? ["QuantizeLinear"] : []),
  ];
  const xi = def.dataInputs.map((k) => op.inputs[k]!);
  const yi = op.outputs[0]!;
  return {
    op,
    params: {
      path: def.onnxOp ? "float" : "quantize",
      onnxOps,
      ...def.params,
      inputs: inQ.map((q) => (q ? { scale: q.scale, zeroPoint: q.zeroPoint } : null)),
      output: outQ ? { scale: outQ.scale, zeroPoint: outQ.zeroPoint } : null,
    },
    run(values: Array<TensorData | undefined>) {
      const xs = xi.map((i, k) => toFloat(op, ins[k]!, inQ[k]!, valueOf(values, i)));
      const r = def.fn(xs);
      if (clamp) for (let i = 0; i < r.length; i++) r[i] = clamp(r[i]!);
      if (!outQ) {
        values[yi] = r;
        return;
      }
      const [lo, hi] = qRange(outQ.dtype);
      const out = newQ8(outQ.dtype, r.length);
      for (let i = 0; i < r.length; i++) out[i] = quantizeValue(r[i]!, outQ.scale, outQ.zeroPoint, lo, hi);
      values[yi] = out;
    },
  };
}

// ---- the float ops ----

/** numpy-broadcast elementwise binary op over the two inputs, into `out`'s shape. */
function binary(aShape: number[], bShape: number[], outShape: number[], f: (a: number, b: number) => number): FloatOp {
  const rank = outShape.length;
  const strides = (s: number[]) => {
    const st = new Array<number>(rank).fill(0);
    let m = 1;
    for (let i = s.length - 1; i >= 0; i--) {
      st[rank - s.length + i] = s[i] === 1 ? 0 : m;
      m *= s[i]!;
    }
    return st;
  };
  const sa = strides(aShape);
  const sb = strides(bShape);
  const n = numel(outShape);
  return ([a, b]) => {
    const y = new Float32Array(n);
    const idx = new Array<number>(rank).fill(0);
    let ia = 0;
    let ib = 0;
    for (let i = 0; i < n; i++) {
      y[i] = f32(f(a![ia]!, b![ib]!));
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]!++;
        ia += sa[d]!;
        ib += sb[d]!;
        if (idx[d]! < outShape[d]!) break;
        ia -= sa[d]! * outShape[d]!;
        ib -= sb[d]! * outShape[d]!;
        idx[d] = 0;
      }
    }
    return y;
  };
}

function unary(f: (x: number) => number): FloatOp {
  return ([x]) => Float32Array.from(x!, (v) => f32(f(v)));
}

/** ReduceMean over `axes`: a float32 sum per output in row-major order, divided by the count. */
function reduceMean(shape: number[], axes: number[]): FloatOp {
  const rank = shape.length;
  const keptDims = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outN = numel(keptDims);
  const count = numel(axes.map((a) => shape[a]!));
  return ([x]) => {
    const sums = new Float32Array(outN);
    const idx = new Array<number>(rank).fill(0);
    for (let i = 0; i < x!.length; i++) {
      let o = 0;
      for (let d = 0; d < rank; d++) o = o * keptDims[d]! + (axes.includes(d) ? 0 : idx[d]!);
      sums[o] = f32(sums[o]! + x![i]!);
      for (let d = rank - 1; d >= 0; d--) {
        if (++idx[d]! < shape[d]!) break;
        idx[d] = 0;
      }
    }
    return Float32Array.from(sums, (s) => f32(s / count));
  };
}

/** Softmax over the last axis of `beta * x` (a converted graph scales by beta first when beta != 1). */
function softmax(shape: number[], beta: number): FloatOp {
  const inner = shape[shape.length - 1]!;
  const b = f32(beta);
  return ([x]) => {
    const y = new Float32Array(x!.length);
    for (let r = 0; r < x!.length; r += inner) {
      let m = -Infinity;
      for (let i = 0; i < inner; i++) {
        const v = b === 1 ? x![r + i]! : f32(b * x![r + i]!);
        y[r + i] = v;
        if (v > m) m = v;
      }
      let sum = 0;
      for (let i = 0; i < inner; i++) {
        const e = f32(Math.exp(f32(y[r + i]! - m)));
        y[r + i] = e;
        sum = f32(sum + e);
      }
      for (let i = 0; i < inner; i++) y[r + i] = f32(y[r + i]! / sum);
    }
    return y;
  };
}

/** NHWC pooling over windows clipped to the input (padding taps are not counted: count_include_pad 0). */
function pool2d(inShape: number[], outShape: number[], op: Extract<GraphOp, { kind: "averagePool2d" | "maxPool2d" }>): FloatOp {
  const [N, H, W, C] = inShape as [number, number, number, number];
  const [, Ho, Wo] = outShape as [number, number, number, number];
  const [kh, kw] = op.filter;
  const [sh, sw] = op.stride;
  const { top, left } = op.pad;
  const avg = op.kind === "averagePool2d";
  return ([x]) => {
    const y = new Float32Array(N * Ho * Wo * C);
    let at = 0;
    for (let b = 0; b < N; b++) {
      for (let oy = 0; oy < Ho; oy++) {
        const y0 = Math.max(oy * sh - top, 0);
        const y1 = Math.min(oy * sh - top + kh, H);
        for (let ox = 0; ox < Wo; ox++) {
          const x0 = Math.max(ox * sw - left, 0);
          const x1 = Math.min(ox * sw - left + kw, W);
          for (let c = 0; c < C; c++) {
            let acc = avg ? 0 : -Infinity;
            for (let iy = y0; iy < y1; iy++) {
              for (let ix = x0; ix < x1; ix++) {
                const v = x![((b * H + iy) * W + ix) * C + c]!;
                acc = avg ? f32(acc + v) : v > acc ? v : acc;
              }
            }
            y[at++] = avg ? f32(acc / ((y1 - y0) * (x1 - x0))) : acc;
          }
        }
      }
    }
    return y;
  };
}

/** Concatenation of same-rank tensors along `axis`. */
export function concat<T extends TensorData>(parts: T[], shapes: number[][], axis: number, out: T): T {
  const outer = numel(shapes[0]!.slice(0, axis));
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < parts.length; k++) {
      const span = numel(shapes[k]!.slice(axis));
      out.set(parts[k]!.subarray(o * span, (o + 1) * span) as never, at);
      at += span;
    }
  }
  return out;
}

/** Transpose of a row-major tensor: output dimension d is input dimension perm[d]. */
export function transpose<T extends TensorData>(x: T, shape: number[], perm: number[], out: T): T {
  const rank = shape.length;
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= shape[d]!;
  }
  const outShape = perm.map((p) => shape[p]!);
  const st = perm.map((p) => inStrides[p]!);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = x[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      src += st[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= st[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Constant padding of a row-major tensor (`paddings[d]` = [before, after]). */
export function pad<T extends TensorData>(x: T, shape: number[], paddings: Array<[number, number]>, value: number, out: T): T {
  const rank = shape.length;
  const outShape = shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
  (out as { fill(v: number): unknown }).fill(value);
  const outStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    outStrides[d] = s;
    s *= outShape[d]!;
  }
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < x.length; i++) {
    let o = 0;
    for (let d = 0; d < rank; d++) o += (idx[d]! + paddings[d]![0]) * outStrides[d]!;
    out[o] = x[i]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** The ONNX float op of a graph op on the float path. */
export function floatOpOf(op: GraphOp, graph: Graph): FloatOpDef {
  const shape = (k: number) => tensorAt(graph, op.inputs[k]!).shape;
  const outShape = tensorAt(graph, op.outputs[0]!).shape;
  const n = numel(outShape);
  switch (op.kind) {
    case "add":
    case "sub":
    case "mul": {
      const f = op.kind === "add" ? (a: number, b: number) => a + b : op.kind === "sub" ? (a: number, b: number) => a - b : (a: number, b: number) => a * b;
      return { onnxOp: op.kind === "add" ? "Add" : op.kind === "sub" ? "Sub" : "Mul", dataInputs: [0, 1], fn: binary(shape(0), shape(1), outShape, f) };
    }
    case "mean":
      return { onnxOp: "ReduceMean", dataInputs: [0], fn: reduceMean(shape(0), op.axes), params: { axes: op.axes, keepDims: op.keepDims } };
    case "softmax":
      return { onnxOp: op.beta === 1 ? "Softmax" : "Mul(beta), Softmax", dataInputs: [0], fn: softmax(shape(0), op.beta), params: { beta: op.beta, axis: -1 } };
    case "logistic":
      return { onnxOp: "Sigmoid", dataInputs: [0], fn: unary((v) => 1 / (1 + Math.exp(-v))) };
    case "tanh":
      return { onnxOp: "Tanh", dataInputs: [0], fn: unary(Math.tanh) };
    case "hardSwish": {
      // ONNX HardSwish: x * max(0, min(1, alpha * x + beta)), alpha = 1/6 and beta = 0.5 in float32.
      const alpha = f32(1 / 6);
      return {
        onnxOp: "HardSwish", dataInputs: [0], params: { alpha, beta: 0.5 },
        fn: unary((v) => {
          const t = f32(f32(alpha * v) + 0.5);
          return v * (t < 0 ? 0 : t > 1 ? 1 : t);
        }),
      };
    }
    case "leakyRelu": {
      const alpha = f32(op.alpha);
      return { onnxOp: "LeakyRelu", dataInputs: [0], params: { alpha }, fn: unary((v) => (v < 0 ? alpha * v : v)) };
    }
    case "relu":
      return { onnxOp: "Relu", dataInputs: [0], fn: unary((v) => (v < 0 ? 0 : v)) };
    case "relu6":
      return { onnxOp: "Clip(0, 6)", dataInputs: [0], fn: unary((v) => (v < 0 ? 0 : v > 6 ? 6 : v)) };
    case "reluN1To1":
      return { onnxOp: "Clip(-1, 1)", dataInputs: [0], fn: unary((v) => (v < -1 ? -1 : v > 1 ? 1 : v)) };
    case "averagePool2d":
    case "maxPool2d":
      return {
        onnxOp: op.kind === "averagePool2d" ? "AveragePool (count_include_pad 0)" : "MaxPool", dataInputs: [0], fn: pool2d(shape(0), outShape, op),
        params: { filter: op.filter, stride: op.stride, pad: op.pad },
      };
    case "concatenation": {
      const shapes = op.inputs.map((_, k) => shape(k));
      return { onnxOp: "Concat", dataInputs: op.inputs.map((_, k) => k), params: { axis: op.axis }, fn: (xs) => concat(xs, shapes, op.axis, new Float32Array(n)) };
    }
    case "pad": {
      const padTensor = op.inputs[2] !== undefined && op.inputs[2]! >= 0 ? tensorAt(graph, op.inputs[2]!) : null;
      const xt = tensorAt(graph, op.inputs[0]!);
      // PAD fills with the real 0; PADV2 with its constant, dequantized like the input.
      let value = 0;
      if (padTensor) {
        const c = (constData(padTensor) as ArrayLike<number>)[0]!;
        value = isQ8(xt) ? dequantizeValue(c, xt.quant!.scale[0]!, xt.quant!.zeroPoint[0]!) : c;
      }
      return { onnxOp: "Pad", dataInputs: [0], params: { paddings: op.paddings, value }, fn: ([x]) => pad(x!, shape(0), op.paddings, value, new Float32Array(n)) };
    }
    case "transpose":
      return { onnxOp: "Transpose", dataInputs: [0], params: { perm: op.perm }, fn: ([x]) => transpose(x!, shape(0), op.perm, new Float32Array(n)) };
    case "reshape":
      return { onnxOp: "Reshape", dataInputs: [0], fn: ([x]) => x! };
    case "quantize":
    case "dequantize":
      // QuantizeLinear, DequantizeLinear, or both (int8 -> int8 with another scale).
      return { onnxOp: "", dataInputs: [0], fn: ([x]) => x! };
    default:
      throw unsupported(op, `the onnxruntime targets have no float path for ${op.kind}`);
  }
}

/** Lowers any op as DequantizeLinear -> its float32 op -> QuantizeLinear. */
export function lowerFloatPath(op: GraphOp, graph: Graph): LoweredLayer {
  return floatLayer(op, graph, floatOpOf(op, graph));
}
