// The `gap8-nntool` target: what a GAP8 board computes after GreenWaves NNTool's SQ8 deployment of a
// TFLite model (gap_sdk @a23026507efe): NNTool's re-quantization of the whole model (./quantize.ts,
// rules Q1-Q9 of shared/gap8-nntool/README.md) and the AutoTiler C kernels' arithmetic
// (./kernels.ts). Layer values keep the model's NHWC layout and tensor indices; their scale and zero
// point are NNTool's (zero points moved to 0, logits at a power-of-two scale, softmax int16 Q15).
// Filters run on dwpw's general kernels with the `gap-sq8` scheme (./filter-op.ts), adds as a table
// of byte pairs, pools and softmax in TypeScript.
import { numel, type Conv2dOp, type DepthwiseConv2dOp, type Graph, type GraphOp, type GraphTensor, type Pool2dOp } from "../../graph/types.js";
import { applyPairTable, broadcastPlan, pairTable } from "../../pair-table.js";
import { outputFor, tensorAt, valueOf } from "../tensors.js";
import type { Lowered, LoweredLayer, TensorData, TensorFormat } from "../types.js";
import { filterRun, type FilterGeometry } from "./filter-op.js";
import * as K from "./kernels.js";
import type { NQ } from "./numerics.js";
import { convertInputBytes, quantizeModel, type AddQ, type FilterQ, type GlobalPoolQ, type LayerQ, type ModelQ, type SlotQ, type SoftmaxQ } from "./quantize.js";

export { expFp1715, expNNTool } from "./kernels.js";
export { quantizeModel } from "./quantize.js";

/** How a tensor's quantization is reported in `params`: NNTool's, the file's, and why they differ. */
function quantInfo(t: GraphTensor, s: SlotQ | undefined): Record<string, unknown> {
  const file = t.quant ? { scale: t.quant.scale[0]!, zeroPoint: t.quant.zeroPoint[0]! } : null;
  if (!s) return { tensor: t.index, dtype: t.dtype, ...file };
  return { tensor: t.index, dtype: s.q.dtype, scale: s.q.scale, zeroPoint: s.q.zeroPoint, forced: s.forced, file };
}

function geometry(op: Conv2dOp | DepthwiseConv2dOp | Pool2dOp, x: GraphTensor, y: GraphTensor, fh: number, fw: number): FilterGeometry {
  const { top, left, bottom, right } = op.pad;
  return { H: x.shape[1]!, W: x.shape[2]!, C: x.shape[3]!, Ho: y.shape[1]!, Wo: y.shape[2]!, fh, fw, sy: op.stride[0], sx: op.stride[1], padTop: top, padLeft: left, padBottom: bottom, padRight: right };
}

function lowerFilter(graph: Graph, op: GraphOp, q: FilterQ, model: ModelQ): LoweredLayer {
  const x = tensorAt(graph, op.inputs[0]!);
  const y = tensorAt(graph, op.outputs[0]!);
  const [fh, fw] = q.kind === "linear" ? [1, 1] : [q.weightsShape[2]!, q.weightsShape[3]!];
  const kops = [q.kind === "linear" ? "KOP_LINEAR" : q.kind === "depthwise" ? "KOP_CONV_DW" : "KOP_CONV", ...(q.kind === "linear" ? [] : ["KOP_NONE"]), q.act.kop];
  const yIndex = op.outputs[0]!;
  const xIndex = op.inputs[0]!;
  const filter = filterRun(q, q.kind === "linear" ? null : geometry(op as Extract<GraphOp, { kind: "conv2d" | "depthwiseConv2d" }>, x, y, fh, fw));
  const run: LoweredLayer["run"] = (values, ctx) => {
    values[yIndex] = filter.run(valueOf(values, xIndex) as Int8Array, ctx, outputFor(ctx, y) as Int8Array);
  };
  const params = {
    node: q.kind,
    kops,
    weights: q.weights,
    weightsShape: q.weightsShape,
    weightsOrder: q.kind === "linear" ? ["out", "in (CHW order)"] : ["out_c", "in_c", "h", "w"],
    biases: q.biases,
    scale: q.scale,
    scaleN: q.scaleN,
    infos: q.infos,
    weightsScale: q.weightsScale,
    biasesScale: q.biasesScale,
    scaleFloat: q.scaleFloat,
    activation: { kop: q.act.kop, lower: q.act.lower, upper: q.act.upper },
    input: quantInfo(x, model.slotOf.get(xIndex)),
    output: quantInfo(y, model.slotOf.get(yIndex)),
    engine: filter.engine,
    clampBelow: filter.clampBelow,
  };
  return { op, params, run };
}

/** Where the C exp wraps (README): input differences (max - x, in input steps) whose C result is not NNTool's. */
export function softmaxOverflow(norm: number, inScale: number): { steps: [number, number]; real: [number, number] } | null {
  let lo = -1;
  let hi = -1;
  for (let d = 1; d <= 255; d++) {
    const X = -(d << norm) | 0;
    if (K.expFp1715(X) !== K.expNNTool(X)) {
      if (lo < 0) lo = d;
      hi = d;
    }
  }
  return lo < 0 ? null : { steps: [lo, hi], real: [lo * inScale, hi * inScale] };
}

function lowerLayer(graph: Graph, op: GraphOp, q: LayerQ, model: ModelQ): LoweredLayer {
  const xIndex = op.inputs[0]!;
  const yIndex = op.outputs[0]!;
  const x = tensorAt(graph, xIndex);
  const y = tensorAt(graph, yIndex);
  const io = { input: quantInfo(x, model.slotOf.get(xIndex)), output: quantInfo(y, model.slotOf.get(yIndex)) };
  switch (q.type) {
    case "filter":
      return lowerFilter(graph, op, q, model);
    case "reshape":
      return {
        op,
        params: { node: "reshape", ...io },
        run: (values) => {
          values[yIndex] = valueOf(values, xIndex);
        },
      };
    case "pool": {
      const p = op as Pool2dOp;
      const g = geometry(p, x, y, q.filter[0], q.filter[1]);
      return {
        op,
        params: { node: "pool", kops: ["KOP_AVGPOOL", "KOP_NONE"], infos: q.infos, filter: q.filter, stride: p.stride, pad: p.pad, ...io },
        run: (values) => {
          values[yIndex] = K.avgPool(valueOf(values, xIndex) as Int8Array, g);
        },
      };
    }
    case "globalpool":
      return lowerGlobalPool(op, q, x, io);
    case "add":
      return lowerAdd(graph, op, q, model, io);
    case "softmax":
      return lowerSoftmax(op, q, x, io);
  }
}

function lowerGlobalPool(op: GraphOp, q: GlobalPoolQ, x: GraphTensor, io: Record<string, unknown>): LoweredLayer {
  const C = x.shape[3]!;
  const HW = x.shape[1]! * x.shape[2]!;
  const lower = q.act.kop === "KOP_NONE" ? null : q.act.lower;
  const xIndex = op.inputs[0]!;
  const yIndex = op.outputs[0]!;
  return {
    op,
    params: { node: "globalpool", kops: ["KOP_GLOBAL_AVGPOOL", q.act.kop], infos: q.infos, scale: q.scale, scaleN: q.scaleN, scaleFloat: q.scaleFloat, activation: { ...q.act }, ...io },
    run: (values) => {
      values[yIndex] = K.globalAvgPool(valueOf(values, xIndex) as Int8Array, HW, C, q.scale, q.scaleN, lower);
    },
  };
}

function lowerAdd(graph: Graph, op: GraphOp, q: AddQ, model: ModelQ, io: Record<string, unknown>): LoweredLayer {
  const [a, b] = [op.inputs[0]!, op.inputs[1]!];
  const yIndex = op.outputs[0]!;
  const consts: K.AddConsts = { scaledInput: q.scaledInput, S1: q.in1Scale, N1: q.in1ScaleN, S: q.outScale, N: q.outScaleN, offset: q.biasOffset, lower: q.act.kop === "KOP_NONE" ? null : q.act.lower };
  const y = tensorAt(graph, yIndex);
  const plan = broadcastPlan(tensorAt(graph, a).shape, tensorAt(graph, b).shape, y.shape);
  const table = pairTable((p, r) => K.addValue(p, r, consts));
  return {
    op,
    params: {
      node: "add",
      kops: ["KOP_MATADD", q.act.kop],
      infos: q.infos,
      scaledInput: q.scaledInput,
      in1Scale: q.in1Scale,
      in1ScaleN: q.in1ScaleN,
      in1ScaleFloat: q.in1ScaleFloat,
      outScale: q.outScale,
      outScaleN: q.outScaleN,
      outScaleFloat: q.outScaleFloat,
      biasOffset: q.biasOffset,
      activation: { ...q.act },
      inputs: [quantInfo(tensorAt(graph, a), model.slotOf.get(a)), quantInfo(tensorAt(graph, b), model.slotOf.get(b))],
      output: io.output,
    },
    run: (values, ctx) => {
      const out = outputFor(ctx, y) as Int8Array;
      applyPairTable(table(), plan, valueOf(values, a) as Int8Array, valueOf(values, b) as Int8Array, out);
      values[yIndex] = out;
    },
  };
}

function lowerSoftmax(op: GraphOp, q: SoftmaxQ, x: GraphTensor, io: Record<string, unknown>): LoweredLayer {
  const n = x.shape[x.shape.length - 1]!;
  const xIndex = op.inputs[0]!;
  const yIndex = op.outputs[0]!;
  const overflow = softmaxOverflow(q.norm, q.inQ.scale);
  return {
    op,
    params: {
      node: "softmax",
      kops: ["KOP_SOFTMAX"],
      infos: q.infos,
      norm: q.norm,
      // The C kernel's exp wraps for these input differences (max - x); NNTool's emulator returns 0 there.
      cExpOverflow: overflow,
      ...io,
    },
    run: (values) => {
      values[yIndex] = K.softmax(valueOf(values, xIndex) as Int8Array, n, q.norm);
    },
  };
}

function formatOf(t: GraphTensor, s: SlotQ | undefined): TensorFormat {
  const f: TensorFormat = { dtype: t.dtype, shape: t.shape.slice() };
  const q: NQ | undefined = s?.q;
  if (q) {
    f.dtype = q.dtype;
    f.scale = q.scale;
    f.zeroPoint = q.zeroPoint;
  } else if (t.quant && t.quant.scale.length === 1) {
    f.scale = t.quant.scale[0]!;
    f.zeroPoint = t.quant.zeroPoint[0]!;
  }
  return f;
}

/** The AutoTiler kernels' arithmetic per NNTool node type, in a phrase (for drift reports). */
const ARITHMETIC: Record<LayerQ["type"], string> = {
  filter: "NNTool SQ8: weights re-quantized per channel, zero points folded into the bias; acc x S >> N per channel, rounding half up (AutoTiler), ReLU as a max with the quantized 0",
  reshape: "bytes unchanged",
  pool: "AutoTiler average pool: int sum scaled by a fixed-point reciprocal of the window, rounding half up",
  globalpool: "AutoTiler global pool: int sum rescaled by an 8-bit scale and norm, rounding half up",
  add: "AutoTiler MatAdd: one input rescaled onto the other by a scale and norm, the sum rescaled to the output, rounding half up",
  softmax: "AutoTiler SoftMax_SQ8: fixed-point exp (Exp_fp_17_15) on a power-of-two input scale, int16 Q15 output; the exp wraps for logits 11 to 11.5 below the largest",
};

/** Lowers a TFLite graph to NNTool's SQ8 deployment; an op it cannot deploy is an UnsupportedOpError. */
export function lowerGap8Nntool(graph: Graph): Lowered {
  const model = quantizeModel(graph);
  const layers = graph.ops.map((op, k) => {
    const q = model.layers[k]!;
    return { ...lowerLayer(graph, op, q, model), arithmetic: ARITHMETIC[q.type] };
  });
  const formats = graph.tensors.map((t) => formatOf(t, model.slotOf.get(t.index)));
  return {
    target: "gap8-nntool",
    graph,
    formats,
    layers,
    convertInput(k: number, data: TensorData): TensorData {
      const i = graph.inputs[k]!;
      const t = tensorAt(graph, i);
      if (!(data instanceof Int8Array) || data.length !== numel(t.shape)) throw new TypeError(`input ${k} must be an Int8Array of ${numel(t.shape)} values`);
      return convertInputBytes(t, model.slotOf.get(i)!.q, data);
    },
  };
}
