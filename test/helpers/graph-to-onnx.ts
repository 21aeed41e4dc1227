// A format-neutral graph (from a .tflite) written as the equivalent QLinear ONNX model, so that ONNX
// Runtime itself can run "the same quantized graph converted to ONNX": the same integer weights,
// biases, scales and zero points; each tensor keeps its NHWC layout in the ONNX model, and the
// ops ONNX defines on NCHW (QLinearConv, QLinearAdd on 4-D tensors, QLinearGlobalAveragePool,
// MaxPool) are wrapped in Transposes, which only move bytes. A fused activation becomes a Clip of
// the int8 output at the bounds QuantizeLinear gives for its real bounds (computed here on their own).
//
// Only ops that ONNX Runtime runs with its quantized kernels (or byte ops) are written: the model is
// the prefix of the graph up to the first other op, and `covered` says which tensors it holds.
import { DataType, attrInt, attrInts, graph as graphProto, model as modelProto, node, tensor, valueInfo } from "../../scripts/onnx/proto.mjs";
import type { Graph, GraphOp, GraphTensor } from "../../src/graph/types.js";

const f32 = Math.fround;

function rhe(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

const ELEM: Record<string, number> = { float32: DataType.FLOAT, int8: DataType.INT8, uint8: DataType.UINT8, int32: DataType.INT32, int64: DataType.INT64 };

export interface OnnxOfGraph {
  bytes: Uint8Array;
  /** Graph tensor indices the ONNX model computes (as outputs named `t<index>`, NHWC). */
  covered: number[];
  /** The first op left out (the model stops before it), or null when every op is in. */
  stoppedAt: GraphOp | null;
}

/** Bytes of a graph constant, as a typed array of its dtype. */
function constOf(t: GraphTensor): Int8Array | Uint8Array | Int32Array | Float32Array {
  const d = t.data!.slice();
  switch (t.dtype) {
    case "int8":
      return new Int8Array(d.buffer);
    case "uint8":
      return d;
    case "int32":
      return new Int32Array(d.buffer);
    case "float32":
      return new Float32Array(d.buffer);
    default:
      throw new Error(`constant of dtype ${t.dtype}`);
  }
}

export function graphToOnnx(g: Graph): OnnxOfGraph {
  const nodes: Uint8Array[] = [];
  const inits: Uint8Array[] = [];
  const covered: number[] = [];
  let uid = 0;
  const fresh = (p: string) => `${p}_${uid++}`;
  const name = (i: number) => `t${i}`;
  const declared = new Set<number>();
  const T = (i: number) => g.tensors[i]!;

  const init = (prefix: string, type: number, dims: number[], values: ArrayBufferView) => {
    const n = fresh(prefix);
    inits.push(tensor(n, type, dims, values));
    return n;
  };
  const scalarF = (v: number) => init("s", DataType.FLOAT, [], Float32Array.of(v));
  const zp = (dtype: string, v: number) => init("zp", ELEM[dtype]!, [], dtype === "int8" ? Int8Array.of(v) : Uint8Array.of(v));
  const i64 = (vals: number[]) => init("i64", DataType.INT64, [vals.length], BigInt64Array.from(vals.map(BigInt)));
  const q = (t: GraphTensor) => ({ s: t.quant!.scale[0]!, z: t.quant!.zeroPoint[0]! });
  /** A tensor as an ONNX value: graph constants become initializers (once). */
  const value = (i: number): string => {
    const t = T(i);
    if (t.data && !declared.has(i)) {
      declared.add(i);
      inits.push(tensor(name(i), ELEM[t.dtype]!, t.shape, constOf(t)));
    }
    return name(i);
  };
  const transpose = (x: string, perm: number[]) => {
    const y = fresh("tr");
    nodes.push(node("Transpose", [x], [y], [attrInts("perm", perm)]));
    return y;
  };
  const toNchw = (x: string) => transpose(x, [0, 3, 1, 2]);
  const toNhwc = (x: string) => transpose(x, [0, 2, 3, 1]);
  /** The fused activation's bounds as QuantizeLinear would give them. */
  const bounds = (act: string, y: GraphTensor): [number, number] => {
    const [qmin, qmax] = y.dtype === "int8" ? [-128, 127] : [0, 255];
    const { s, z } = q(y);
    const qz = (r: number) => Math.min(qmax, Math.max(qmin, rhe(f32(r / s)) + z));
    return act === "relu" ? [qz(0), qmax] : act === "relu6" ? [qz(0), qz(6)] : act === "reluN1To1" ? [qz(-1), qz(1)] : [qmin, qmax];
  };
  const clip = (x: string, act: string, y: GraphTensor) => {
    if (act === "none") return x;
    const [lo, hi] = bounds(act, y);
    const out = fresh("clip");
    nodes.push(node("Clip", [x, zp(y.dtype, lo), zp(y.dtype, hi)], [out]));
    return out;
  };
  const same = (a: GraphTensor, b: GraphTensor) => a.dtype === b.dtype && a.quant?.scale[0] === b.quant?.scale[0] && a.quant?.zeroPoint[0] === b.quant?.zeroPoint[0];
  const identity = (x: string, out: string) => nodes.push(node("Identity", [x], [out]));

  let stoppedAt: GraphOp | null = null;
  for (const op of g.ops) {
    const x = T(op.inputs[0]!);
    const y = T(op.outputs[0]!);
    const yName = name(op.outputs[0]!);
    let ok = true;
    switch (op.kind) {
      case "conv2d":
      case "depthwiseConv2d": {
        const w = T(op.inputs[1]!);
        const [O, kh, kw] = op.kind === "conv2d" ? (w.shape as [number, number, number]) : [w.shape[3]!, w.shape[1]!, w.shape[2]!];
        const Ig = op.kind === "conv2d" ? w.shape[3]! : 1;
        const group = op.kind === "conv2d" ? x.shape[3]! / Ig : x.shape[3]!;
        const src = constOf(w) as Int8Array;
        // ONNX weights: [O][I/group][kh][kw].
        const wt = new Int8Array(src.length);
        for (let o = 0; o < O; o++)
          for (let i = 0; i < Ig; i++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++)
                wt[((o * Ig + i) * kh + ky) * kw + kx] = op.kind === "conv2d" ? src[((o * kh + ky) * kw + kx) * Ig + i]! : src[(ky * kw + kx) * O + o]!;
        const ws = w.quant!.scale;
        const perChannel = ws.length > 1;
        const wName = init("w", DataType.INT8, [O, Ig, kh, kw], wt);
        const wsName = perChannel ? init("ws", DataType.FLOAT, [O], Float32Array.from(ws)) : scalarF(ws[0]!);
        const wzName = perChannel ? init("wz", DataType.INT8, [O], new Int8Array(O)) : zp("int8", 0);
        const bi = op.inputs[2];
        const bName = bi !== undefined && bi >= 0 ? value(bi) : "";
        const xq = q(x);
        const yq = q(y);
        const yc = fresh("conv");
        nodes.push(
          node(
            "QLinearConv",
            [toNchw(value(op.inputs[0]!)), scalarF(xq.s), zp(x.dtype, xq.z), wName, wsName, wzName, scalarF(yq.s), zp(y.dtype, yq.z), ...(bName ? [bName] : [])],
            [yc],
            [
              attrInts("kernel_shape", [kh, kw]),
              attrInts("strides", op.stride),
              attrInts("dilations", op.dilation),
              attrInts("pads", [op.pad.top, op.pad.left, op.pad.bottom, op.pad.right]),
              attrInt("group", group),
            ],
          ),
        );
        identity(toNhwc(clip(yc, op.activation, y)), yName);
        break;
      }
      case "fullyConnected": {
        const w = T(op.inputs[1]!);
        const [O, I] = w.shape as [number, number];
        const rows = x.shape.reduce((a, b) => a * b, 1) / I;
        const a2 = fresh("rows");
        nodes.push(node("Reshape", [value(op.inputs[0]!), i64([rows, I])], [a2]));
        const ws = w.quant!.scale;
        const perChannel = ws.length > 1;
        const xq = q(x);
        const yq = q(y);
        const bi = op.inputs[2];
        const y2 = fresh("gemm");
        nodes.push(
          node(
            "QGemm",
            [
              a2, scalarF(xq.s), zp(x.dtype, xq.z), value(op.inputs[1]!),
              perChannel ? init("ws", DataType.FLOAT, [O], Float32Array.from(ws)) : scalarF(ws[0]!),
              perChannel ? init("wz", DataType.INT8, [O], new Int8Array(O)) : zp("int8", w.quant!.zeroPoint[0]!),
              bi !== undefined && bi >= 0 ? value(bi) : "",
              scalarF(yq.s), zp(y.dtype, yq.z),
            ],
            [y2],
            [attrInt("transB", 1)],
            "",
            "com.microsoft",
          ),
        );
        nodes.push(node("Reshape", [clip(y2, op.activation, y), i64(y.shape)], [yName]));
        break;
      }
      case "add": {
        const a = x;
        const b = T(op.inputs[1]!);
        if (![a, b, y].every((t) => t.dtype === "int8" && t.quant)) {
          ok = false;
          break;
        }
        const aq = q(a);
        const bq = q(b);
        const yq = q(y);
        const yc = fresh("add");
        nodes.push(
          node(
            "QLinearAdd",
            [value(op.inputs[0]!), scalarF(aq.s), zp(a.dtype, aq.z), value(op.inputs[1]!), scalarF(bq.s), zp(b.dtype, bq.z), scalarF(yq.s), zp(y.dtype, yq.z)],
            [yc],
            [],
            "",
            "com.microsoft",
          ),
        );
        identity(clip(yc, op.activation, y), yName);
        break;
      }
      case "averagePool2d": {
        const [, H, W] = x.shape;
        if (op.filter[0] !== H || op.filter[1] !== W || y.shape[1] !== 1 || y.shape[2] !== 1) {
          ok = false;
          break;
        }
        const xq = q(x);
        const yq = q(y);
        const yc = fresh("gap");
        nodes.push(
          node("QLinearGlobalAveragePool", [toNchw(value(op.inputs[0]!)), scalarF(xq.s), zp(x.dtype, xq.z), scalarF(yq.s), zp(y.dtype, yq.z)], [yc], [attrInt("channels_last", 0)], "", "com.microsoft"),
        );
        identity(toNhwc(clip(yc, op.activation, y)), yName);
        break;
      }
      case "maxPool2d": {
        if (!same(x, y)) {
          ok = false;
          break;
        }
        const yc = fresh("maxpool");
        nodes.push(
          node("MaxPool", [toNchw(value(op.inputs[0]!))], [yc], [
            attrInts("kernel_shape", op.filter),
            attrInts("strides", op.stride),
            attrInts("pads", [op.pad.top, op.pad.left, op.pad.bottom, op.pad.right]),
          ]),
        );
        identity(toNhwc(clip(yc, op.activation, y)), yName);
        break;
      }
      case "reshape":
        nodes.push(node("Reshape", [value(op.inputs[0]!), i64(y.shape)], [yName]));
        break;
      case "transpose":
        nodes.push(node("Transpose", [value(op.inputs[0]!)], [yName], [attrInts("perm", op.perm)]));
        break;
      case "pad": {
        if (!same(x, y) || !x.quant) {
          ok = false;
          break;
        }
        const pads = [...op.paddings.map((p) => p[0]), ...op.paddings.map((p) => p[1])];
        const ci = op.inputs[2];
        const v = ci !== undefined && ci >= 0 ? (constOf(T(ci)) as Int8Array)[0]! : q(x).z;
        nodes.push(node("Pad", [value(op.inputs[0]!), i64(pads), zp(x.dtype, v)], [yName], []));
        break;
      }
      case "concatenation": {
        if (op.activation !== "none" || !op.inputs.every((i) => same(T(i), y))) {
          ok = false;
          break;
        }
        nodes.push(node("Concat", op.inputs.map(value), [yName], [attrInt("axis", op.axis)]));
        break;
      }
      case "quantize":
      case "dequantize": {
        let v = value(op.inputs[0]!);
        if (x.dtype !== "float32") {
          const xq = q(x);
          const d = y.dtype === "float32" ? yName : fresh("dq");
          nodes.push(node("DequantizeLinear", [v, scalarF(xq.s), zp(x.dtype, xq.z)], [d]));
          v = d;
        }
        if (y.dtype !== "float32") {
          const yq = q(y);
          nodes.push(node("QuantizeLinear", [v, scalarF(yq.s), zp(y.dtype, yq.z)], [yName]));
        }
        break;
      }
      default:
        ok = false;
    }
    if (!ok) {
      stoppedAt = op;
      break;
    }
    covered.push(op.outputs[0]!);
  }
  const spec = (i: number) => valueInfo(name(i), ELEM[T(i).dtype]!, T(i).shape);
  const bytes = modelProto({
    graph: graphProto({ name: g.name || "graph", nodes, initializers: inits, inputs: g.inputs.map(spec), outputs: covered.map(spec) }),
    opset: 13,
    extraOpsets: [{ domain: "com.microsoft", version: 1 }],
  });
  return { bytes, covered, stoppedAt };
}
