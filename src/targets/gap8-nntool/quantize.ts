// NNTool's re-quantization of a whole TFLite model for the GAP8 SQ8 kernels (README rules Q1-Q9 of
// shared/gap8-nntool, gap_sdk @a23026507efe tools/nntool): which quantization every tensor ends up
// with, and the integer constants every layer carries. Nothing here runs a layer; ./kernels.ts does.
//
// NNTool quantizes in execution order and lets a consumer force the quantization of the tensor it
// reads (a padded convolution needs zero point 0, an add or a global pool a symmetric input, a
// softmax a power-of-two scale); the producer is then re-quantized to match. Here the same happens
// on "slots": a tensor and the tensors that must share its quantization (a reshape's output, a
// pool's output) form one slot, the slot starts with its producer's own choice and consumers force
// it in execution order. The layer constants are computed once every slot is final.
import { UnsupportedOpError } from "../../graph/errors.js";
import { numel, type Activation, type Graph, type GraphOp, type GraphTensor, type Pool2dOp } from "../../graph/types.js";
import { constData } from "../tensors.js";
import { asymmetricQ, computeScale, f32, f64, forceSymmetric, infosBytes, int, roundHalfEven, scaleRatio, symmetricQ, type NQ } from "./numerics.js";

/** Why NNTool changed a tensor's quantization (for the deployment check). */
export type ForcedReason =
  | "padded-conv" // Q2: the input of a convolution with zero padding must have zero point 0
  | "add" // residual adds take symmetric inputs
  | "global-pool" // global average pools take a symmetric input
  | "softmax" // Q6: softmax input at a power-of-two scale
  | "softmax-output" // Q6: int16 Q15 output
  | "relu-range" // Q5: a fused ReLU6 output is quantized over [0, 6]
  | "symmetric-output"; // add / global pool outputs are symmetric

/** One tensor's quantization under NNTool, with what forced it. */
export interface SlotQ {
  q: NQ;
  /** The first reason NNTool moved it away from its producer's own choice, if any. */
  forced: ForcedReason | null;
  /** The tensors sharing it (a reshape or pool output holds its input's quantization). */
  tensors: number[];
}

/** The fused activation as the AutoTiler runs it (README Q7). */
export interface ActQ {
  kop: "KOP_NONE" | "KOP_RELU" | "KOP_RELUM";
  /** Lower clamp (real 0 in the output quantization); meaningful unless KOP_NONE. */
  lower: number;
  /** The upper bound quantized (ReLU6), kept in Infos B0 but not applied: int8 saturation does it. */
  upper: number;
}

/** What NNTool made of a CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED. */
export interface FilterQ {
  type: "filter";
  kind: "conv" | "depthwise" | "linear";
  inQ: NQ;
  outQ: NQ;
  /** Weights as NNTool holds and writes them: conv/depthwise `[out, in, fh, fw]`, linear `[out, in]` (input in CHW order). */
  weights: Int8Array;
  weightsShape: number[];
  weightsScale: number[];
  /** int32 biases with the zero-point corrections folded in (README Q4). */
  biases: Int32Array;
  biasesScale: number[];
  /** `Mul_scale` / `Mul_shift` (README Q8). */
  scale: Uint8Array;
  scaleN: Int8Array;
  scaleFloat: number[];
  act: ActQ;
  infos: Int8Array;
  /** Linear only: column j of the NNTool weights reads element `nhwcOfChw[j]` of the NHWC input. */
  nhwcOfChw?: Int32Array;
}

export interface PoolQ {
  type: "pool";
  inQ: NQ;
  outQ: NQ;
  filter: [number, number];
  infos: Int8Array;
}

export interface GlobalPoolQ {
  type: "globalpool";
  inQ: NQ;
  outQ: NQ;
  /** SCALE / SCALEN applied to the `(sum << 7) / count` average. */
  scale: number;
  scaleN: number;
  scaleFloat: number;
  act: ActQ;
  infos: Int8Array;
}

export interface AddQ {
  type: "add";
  inQ: [NQ, NQ];
  outQ: NQ;
  /** The input NNTool rescales to the other's scale (the one with the larger scale). */
  scaledInput: 0 | 1;
  in1Scale: number;
  in1ScaleN: number;
  in1ScaleFloat: number;
  outScale: number;
  outScaleN: number;
  outScaleFloat: number;
  /** Added after the output rescale: the zero points (0 when everything is symmetric). */
  biasOffset: number;
  act: ActQ;
  infos: Int8Array;
}

export interface SoftmaxQ {
  type: "softmax";
  inQ: NQ;
  outQ: NQ;
  /** BIASL_SM: the Q15 shift of the input differences, 15 + log2(input scale). */
  norm: number;
  infos: Int8Array;
}

export interface ReshapeQ {
  type: "reshape";
  inQ: NQ;
  outQ: NQ;
}

export type LayerQ = FilterQ | PoolQ | GlobalPoolQ | AddQ | SoftmaxQ | ReshapeQ;

/** The whole model under NNTool: every tensor's quantization and every op's constants. */
export interface ModelQ {
  /** Per tensor index: its slot (activations only). */
  slotOf: Map<number, SlotQ>;
  /** Per op (same order as graph.ops). */
  layers: LayerQ[];
}

const Q15: NQ = { dtype: "int16", scale: 2 ** -15, scaleT: "f64", zeroPoint: 0, asymmetric: false, min: int(-1), max: int(1) };

/** How NNTool maps an op: the node it becomes. */
type NodeKind = "conv" | "depthwise" | "linear" | "pool" | "globalpool" | "add" | "softmax" | "reshape";

function fail(op: GraphOp, detail: string): never {
  throw new UnsupportedOpError(op.index, op.opcode, `target gap8-nntool: ${detail}`);
}

function tensorOf(graph: Graph, i: number): GraphTensor {
  const t = graph.tensors[i];
  if (!t) throw new Error(`internal: no tensor ${i}`);
  return t;
}

/** The activation tensors NNTool reads as int8 with one scale. */
function checkActivation(graph: Graph, op: GraphOp, i: number, what: string): GraphTensor {
  const t = tensorOf(graph, i);
  if (t.dtype !== "int8" || !t.quant || t.quant.scale.length !== 1) fail(op, `${what} (tensor ${i}) must be int8 with one scale (SQ8 deploys int8 models)`);
  return t;
}

function checkFusedActivation(op: GraphOp, a: Activation): void {
  if (a !== "none" && a !== "relu" && a !== "relu6") fail(op, `fused activation ${a} is not supported (SQ8 fuses ReLU and ReLU6)`);
}

/** Which NNTool node an op becomes, refusing what the SQ8 flow of these models does not cover. */
function classify(graph: Graph, op: GraphOp): NodeKind {
  switch (op.kind) {
    case "conv2d": {
      checkFusedActivation(op, op.activation);
      if (op.dilation[0] !== 1 || op.dilation[1] !== 1) fail(op, "dilated convolutions are not supported");
      const w = tensorOf(graph, op.inputs[1]!);
      const x = tensorOf(graph, op.inputs[0]!);
      if (w.shape[3] !== x.shape[3]) fail(op, "grouped convolutions are not supported");
      if (x.shape[0] !== 1) fail(op, "batch sizes other than 1 are not supported");
      return "conv";
    }
    case "depthwiseConv2d": {
      checkFusedActivation(op, op.activation);
      if (op.dilation[0] !== 1 || op.dilation[1] !== 1) fail(op, "dilated convolutions are not supported");
      const x = tensorOf(graph, op.inputs[0]!);
      if (x.shape[0] !== 1) fail(op, "batch sizes other than 1 are not supported");
      // One input channel: NNTool makes it an ordinary convolution (README "Layout").
      if (x.shape[3] === 1) return "conv";
      if (op.depthMultiplier !== 1) fail(op, `depth multiplier ${op.depthMultiplier} with ${x.shape[3]} input channels is not supported`);
      return "depthwise";
    }
    case "fullyConnected": {
      checkFusedActivation(op, op.activation);
      const x = tensorOf(graph, op.inputs[0]!);
      const w = tensorOf(graph, op.inputs[1]!);
      if (numel(x.shape) !== w.shape[1]) fail(op, "batched fully-connected layers are not supported");
      return "linear";
    }
    case "averagePool2d": {
      const x = tensorOf(graph, op.inputs[0]!);
      if (x.shape[0] !== 1) fail(op, "batch sizes other than 1 are not supported");
      // NNTool's importer makes a pool covering its whole input with stride 1 a global pool.
      if (op.filter[0] === x.shape[1] && op.filter[1] === x.shape[2] && op.stride[0] === 1 && op.stride[1] === 1) {
        checkFusedActivation(op, op.activation);
        return "globalpool";
      }
      if (op.activation !== "none") fail(op, `fused activation ${op.activation} on an average pool is not supported`);
      return "pool";
    }
    case "mean": {
      const x = tensorOf(graph, op.inputs[0]!);
      if (x.shape.length !== 4 || op.axes.join(",") !== "1,2" || x.shape[0] !== 1) fail(op, "only a mean over height and width of one NHWC feature map is supported");
      return "globalpool";
    }
    case "add": {
      checkFusedActivation(op, op.activation);
      const a = tensorOf(graph, op.inputs[0]!);
      const b = tensorOf(graph, op.inputs[1]!);
      if (a.data || b.data) fail(op, "adding a constant is not supported");
      if (a.shape.join(",") !== b.shape.join(",")) fail(op, "broadcasting adds are not supported");
      return "add";
    }
    case "softmax":
      if (op.beta !== 1) fail(op, `beta ${op.beta} is not supported (the SQ8 softmax computes beta = 1)`);
      return "softmax";
    case "reshape":
      return "reshape";
    default:
      return fail(op, "this op has no SQ8 lowering here");
  }
}

/** Q1: a tensor's real range, from the file's recorded min/max or else from its scale and zero point (float32). */
function statsRange(t: GraphTensor): { min: number; max: number } {
  const q = t.quant!;
  if (q.min && q.max) return { min: q.min[0]!, max: q.max[0]! };
  const s = q.scale[0]!;
  const z = q.zeroPoint[0]!;
  return { min: Math.fround((-128 - z) * s), max: Math.fround((127 - z) * s) };
}

function hasPadding(op: { pad: { top: number; left: number; bottom: number; right: number } }): boolean {
  return op.pad.top + op.pad.left + op.pad.bottom + op.pad.right > 0;
}

function fusedActivation(op: GraphOp): Activation {
  return "activation" in op ? op.activation : "none";
}

/** Quantizes `x` in `q` as NNTool does (`floor(x/s + 0.5) + z`), clamped to int8. */
function quantizeInt8(x: number, q: NQ): number {
  const v = Math.floor(x / q.scale + 0.5) + q.zeroPoint;
  return v < -128 ? -128 : v > 127 ? 127 : v;
}

function actOf(a: Activation, out: NQ): ActQ {
  if (a === "none") return { kop: "KOP_NONE", lower: 0, upper: 0 };
  const lower = quantizeInt8(0, out);
  return { kop: out.zeroPoint === 0 ? "KOP_RELU" : "KOP_RELUM", lower, upper: a === "relu6" ? quantizeInt8(6, out) : 0 };
}

/** The whole-model decisions. Throws UnsupportedOpError for an op the SQ8 flow here cannot deploy. */
export function quantizeModel(graph: Graph): ModelQ {
  const kinds = graph.ops.map((op) => classify(graph, op));
  const producer = new Map<number, number>();
  graph.ops.forEach((op, i) => op.outputs.forEach((o) => producer.set(o, i)));

  // Slots: reshape and pool outputs share their input's quantization (the AutoTiler's pools cannot rescale).
  const slotOf = new Map<number, SlotQ>();
  const newSlot = (t: number, q: NQ, forced: ForcedReason | null = null): SlotQ => {
    const s: SlotQ = { q, forced, tensors: [t] };
    slotOf.set(t, s);
    return s;
  };
  const slot = (t: number): SlotQ => {
    const s = slotOf.get(t);
    if (!s) throw new Error(`internal: tensor ${t} has no quantization yet`);
    return s;
  };
  const share = (from: number, to: number) => {
    const s = slot(from);
    s.tensors.push(to);
    slotOf.set(to, s);
  };
  const force = (s: SlotQ, q: NQ, why: ForcedReason) => {
    s.q = q;
    s.forced ??= why;
  };

  for (const i of graph.inputs) {
    const t = tensorOf(graph, i);
    if (t.dtype !== "int8" || !t.quant || t.quant.scale.length !== 1) throw new UnsupportedOpError(-1, "INPUT", `target gap8-nntool: input tensor ${i} must be int8 with one scale`);
    const r = statsRange(t);
    newSlot(i, asymmetricQ(f32(r.min), f32(r.max)));
  }

  // A filter's own output quantization (from its range, before any fused activation or consumer).
  const ownQ = new Map<number, NQ>();
  graph.ops.forEach((op, k) => {
    const kind = kinds[k]!;
    const x = op.inputs[0]!;
    const y = op.outputs[0]!;
    switch (kind) {
      case "conv":
      case "depthwise":
      case "linear": {
        const xt = checkActivation(graph, op, x, "the input");
        const yt = checkActivation(graph, op, y, "the output");
        const sx = slot(x);
        if (kind !== "linear" && sx.q.asymmetric && hasPadding(op as { pad: { top: number; left: number; bottom: number; right: number } })) {
          const r = statsRange(xt);
          force(sx, symmetricQ(f32(r.min), f32(r.max)), "padded-conv");
        }
        const r = statsRange(yt);
        const natural = asymmetricQ(f32(r.min), f32(r.max));
        const act = fusedActivation(op);
        ownQ.set(k, natural);
        if (act === "none") newSlot(y, natural);
        else {
          // A fused ReLU quantizes [0, upper bound] (6 for ReLU6, the tensor's range for ReLU), as float64.
          const upper = act === "relu6" ? f64(6) : f64(r.max);
          const q = natural.zeroPoint !== 0 ? asymmetricQ(int(0), upper) : symmetricQ(int(0), upper);
          newSlot(y, q, act === "relu6" && Math.abs(q.scale - yt.quant!.scale[0]!) > 1e-6 * q.scale ? "relu-range" : null);
        }
        break;
      }
      case "pool": {
        checkActivation(graph, op, x, "the input");
        const sx = slot(x);
        if (sx.q.asymmetric && hasPadding(op as { pad: { top: number; left: number; bottom: number; right: number } })) force(sx, forceSymmetric(sx.q), "padded-conv");
        share(x, y);
        break;
      }
      case "globalpool": {
        checkActivation(graph, op, x, "the input");
        const yt = checkActivation(graph, op, y, "the output");
        const sx = slot(x);
        if (sx.q.asymmetric) force(sx, forceSymmetric(sx.q), "global-pool");
        if (globalPoolActivation(graph, op, producer) !== "none") share(x, y);
        else {
          const r = statsRange(yt);
          newSlot(y, symmetricQ(f32(r.min), f32(r.max)), "symmetric-output");
        }
        break;
      }
      case "add": {
        for (const i of op.inputs) {
          checkActivation(graph, op, i, "an input");
          const s = slot(i);
          if (s.q.asymmetric) force(s, forceSymmetric(s.q), "add");
        }
        const r = statsRange(checkActivation(graph, op, y, "the output"));
        const own = symmetricQ(f32(r.min), f32(r.max));
        ownQ.set(k, own);
        const act = fusedActivation(op);
        // A fused ReLU is quantized as after a filter (Q5); the add rescales to it only if it differs.
        if (act === "none") newSlot(y, own, "symmetric-output");
        else newSlot(y, symmetricQ(int(0), act === "relu6" ? f64(6) : f64(r.max)), "symmetric-output");
        break;
      }
      case "softmax": {
        checkActivation(graph, op, x, "the input");
        const yt = tensorOf(graph, y);
        if (yt.dtype !== "int8" && yt.dtype !== "int16") fail(op, "the output must be int8 or int16");
        const sx = slot(x);
        const sym = forceSymmetric(sx.q);
        const pow2 = 2 ** Math.ceil(Math.log2(sym.scale));
        if (pow2 !== sx.q.scale || sx.q.zeroPoint !== 0) force(sx, { ...sym, scale: pow2, scaleT: "f64" }, "softmax");
        else sx.forced ??= "softmax";
        newSlot(y, Q15, "softmax-output");
        break;
      }
      case "reshape":
        share(x, y);
        break;
    }
  });

  const layers = graph.ops.map((op, k): LayerQ => {
    const kind = kinds[k]!;
    const x = op.inputs[0]!;
    const y = op.outputs[0]!;
    const inQ = slot(x).q;
    const outQ = slot(y).q;
    switch (kind) {
      case "conv":
      case "depthwise":
      case "linear":
        return filterQ(graph, op, kind, inQ, outQ, requantTarget(slot(y), ownQ.get(k)!), producer);
      case "pool": {
        const p = op as Pool2dOp;
        return { type: "pool", inQ, outQ, filter: [p.filter[0], p.filter[1]], infos: infosBytes({ actScale: 1 }) };
      }
      case "globalpool": {
        const r = scaleRatio(inQ, outQ, 2 ** 7);
        const { S, N } = computeScale(r);
        const act = actOf(globalPoolActivation(graph, op, producer), outQ);
        const infos = infosBytes({ actScale: act.kop === "KOP_NONE" ? 0 : 1, a0: act.lower * (act.kop === "KOP_NONE" ? 0 : 1), b0: act.upper, byte8: S, byte9: N });
        return { type: "globalpool", inQ, outQ, scale: S, scaleN: N, scaleFloat: r, act, infos };
      }
      case "add": {
        const q0 = slot(op.inputs[0]!).q;
        const q1 = slot(op.inputs[1]!).q;
        const scaledInput: 0 | 1 = q1.scale > q0.scale ? 1 : 0;
        const qs = scaledInput ? q1 : q0;
        const qn = scaledInput ? q0 : q1;
        const target = requantTarget(slot(y), ownQ.get(k)!);
        const outFloat = scaleRatio(qn, target);
        const inFloat = scaleRatio(qs, qn);
        const o = computeScale(outFloat);
        const i1 = computeScale(inFloat);
        let biasOffset = 0;
        if (q0.zeroPoint || q1.zeroPoint || target.zeroPoint) biasOffset = roundHalfEven(target.zeroPoint - outFloat * (qn.zeroPoint + inFloat * qs.zeroPoint));
        const act = actOf(fusedActivation(op), outQ);
        const on = act.kop === "KOP_NONE" ? 0 : 1;
        const infos = infosBytes({ actScale: on, a0: act.lower * on, b0: act.upper, byte8: i1.S, byte9: i1.N, byte10: o.S, byte11: o.N });
        return { type: "add", inQ: [q0, q1], outQ, scaledInput, in1Scale: i1.S, in1ScaleN: i1.N, in1ScaleFloat: inFloat, outScale: o.S, outScaleN: o.N, outScaleFloat: outFloat, biasOffset, act, infos };
      }
      case "softmax": {
        const norm = 15 + Math.log2(inQ.scale);
        if (!Number.isInteger(norm) || norm < 0 || norm > 31) fail(op, `input scale ${inQ.scale} gives a softmax shift ${norm} outside 0..31`);
        return { type: "softmax", inQ, outQ, norm, infos: infosBytes({ actScale: norm }) };
      }
      case "reshape":
        return { type: "reshape", inQ, outQ };
    }
  });
  return { slotOf, layers };
}

/** Consumer forcings (as opposed to a producer's own choice). */
const CONSUMER_FORCED: ReadonlySet<ForcedReason> = new Set(["padded-conv", "add", "global-pool", "softmax"]);

function allClose(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-8 + 1e-5 * Math.abs(b);
}

/**
 * The output quantization a filter's multiplier and zero-point correction are computed against.
 * NNTool quantizes the convolution inside a fusion from its own range, then the fused ReLU; it
 * re-quantizes the convolution to the activation's quantization only when the two differ (NumPy
 * `allclose`), as they do when ReLU6 widens the range to [0, 6]. A consumer's forcing always wins.
 */
function requantTarget(s: SlotQ, own: NQ): NQ {
  if (s.forced && CONSUMER_FORCED.has(s.forced)) return s.q;
  if (own.zeroPoint === s.q.zeroPoint && allClose(own.scale, s.q.scale)) return own;
  return s.q;
}

/**
 * A global average pool takes the fused activation of the filter feeding it when it has none of its
 * own (NNTool moves the activation past the pool and keeps it on the filter too; the public files
 * show it for AVERAGE_POOL_2D, not for MEAN).
 */
function globalPoolActivation(graph: Graph, op: GraphOp, producer: Map<number, number>): Activation {
  if (op.kind !== "averagePool2d") return "none";
  if (op.activation !== "none") return op.activation;
  const p = producer.get(op.inputs[0]!);
  if (p === undefined) return "none";
  const prev = graph.ops[p]!;
  if (prev.kind === "conv2d" || prev.kind === "depthwiseConv2d" || prev.kind === "fullyConnected") return prev.activation;
  return "none";
}

/** The NHWC shape feeding a fully-connected layer, looking through reshapes to the producer's feature map. */
function featureMapShape(graph: Graph, x: number, producer: Map<number, number>): number[] {
  let t = x;
  for (;;) {
    const p = producer.get(t);
    if (p === undefined) break;
    const op = graph.ops[p]!;
    if (op.kind !== "reshape") break;
    t = op.inputs[0]!;
  }
  return tensorOf(graph, t).shape;
}

/** README Q3/Q4/Q8: weights per channel at max|w|/127, biases with zero points folded in, multiplier and shift. */
function filterQ(graph: Graph, op: GraphOp, kind: "conv" | "depthwise" | "linear", inQ: NQ, outQ: NQ, mulQ: NQ, producer: Map<number, number>): FilterQ {
  const wt = tensorOf(graph, op.inputs[1]!);
  const w = constData(wt) as Int8Array;
  if (wt.dtype !== "int8" || !wt.quant) fail(op, "weights must be int8 with a quantization");
  const wq = wt.quant;
  let outC: number;
  let inC: number;
  let fh = 1;
  let fw = 1;
  // index(o, i, y, x) in the TFLite weights, and the TFLite quantization channel of output o.
  let tflIndex: (o: number, i: number, y: number, x: number) => number;
  let nhwcOfChw: Int32Array | undefined;
  if (op.kind === "conv2d") {
    [outC, fh, fw, inC] = wt.shape as [number, number, number, number];
    tflIndex = (o, i, y, xx) => ((o * fh + y) * fw + xx) * inC + i;
  } else if (op.kind === "depthwiseConv2d") {
    const [, kh, kw, cm] = wt.shape as [number, number, number, number];
    fh = kh;
    fw = kw;
    outC = cm;
    inC = 1;
    tflIndex = (o, _i, y, xx) => (y * fw + xx) * cm + o;
  } else {
    [outC, inC] = wt.shape as [number, number];
    const s = featureMapShape(graph, op.inputs[0]!, producer);
    const [H, W, C] = s.length === 4 ? [s[1]!, s[2]!, s[3]!] : [1, 1, inC];
    // NNTool moved the layer to CHW: its weight column c*H*W + h*W + w is TFLite's (h*W + w)*C + c.
    nhwcOfChw = new Int32Array(inC);
    if (H * W * C === inC && H * W > 1 && C > 1) {
      for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let ww = 0; ww < W; ww++) nhwcOfChw[(c * H + h) * W + ww] = (h * W + ww) * C + c;
    } else for (let j = 0; j < inC; j++) nhwcOfChw[j] = j;
    const cols = nhwcOfChw;
    tflIndex = (o, i) => o * inC + cols[i]!;
  }
  const perChannel = wq.scale.length > 1;
  const sw = (o: number) => wq.scale[perChannel ? o : 0]!;
  const zw = (o: number) => wq.zeroPoint[perChannel ? o : 0]!;
  const per = inC * fh * fw;

  // Q3: dequantize (float64 products of the float32 scales), then per output channel max|w|/127
  // (float64 throughout: the weights' range is an int64-by-float32 product in NumPy).
  const weights = new Int8Array(outC * per);
  const weightsScale: number[] = [];
  const real = new Float64Array(per);
  for (let o = 0; o < outC; o++) {
    let lo = 0;
    let hi = 0;
    let n = 0;
    for (let i = 0; i < inC; i++)
      for (let y = 0; y < fh; y++)
        for (let xx = 0; xx < fw; xx++) {
          const v = (w[tflIndex(o, i, y, xx)]! - zw(o)) * sw(o);
          real[n++] = v;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
    if (Math.abs(lo) < 1e-8) lo = 0;
    if (Math.abs(hi) < 1e-8) hi = 0;
    if (lo === 0 && hi === 0) hi = 1; // NNTool widens an all-zero channel to [0, 1]
    let s = Math.max(hi, -lo) / 127;
    if (s === 0) s = 1;
    weightsScale.push(s);
    for (let j = 0; j < per; j++) {
      const q = Math.floor(real[j]! / s + 0.5);
      weights[o * per + j] = q < -127 ? -127 : q > 127 ? 127 : q;
    }
  }

  // Q4: biases at in_scale * w_scale[c], then the zero-point corrections.
  const bt = op.inputs[2] !== undefined && op.inputs[2]! >= 0 ? tensorOf(graph, op.inputs[2]!) : null;
  const b = bt ? (constData(bt) as Int32Array) : null;
  const bq = bt?.quant ?? null;
  const biases = new Int32Array(outC);
  const biasesScale: number[] = [];
  const scale = new Uint8Array(outC);
  const scaleN = new Int8Array(outC);
  const scaleFloat: number[] = [];
  const accBits = Math.ceil(Math.log2(per)) + 14;
  for (let o = 0; o < outC; o++) {
    const sb = inQ.scale * weightsScale[o]!;
    biasesScale.push(sb);
    const bReal = b && bq ? bq.scale[bq.scale.length > 1 ? o : 0]! * (b[o]! - bq.zeroPoint[bq.zeroPoint.length > 1 ? o : 0]!) : 0;
    const b0 = Math.floor(bReal / sb + 0.5);
    let corr = 0;
    if (inQ.zeroPoint !== 0) {
      let sum = 0;
      for (let j = 0; j < per; j++) sum += weights[o * per + j]!;
      corr -= inQ.zeroPoint * sum;
    }
    if (mulQ.zeroPoint !== 0) corr += Math.floor(mulQ.zeroPoint * (mulQ.scale / sb) + 0.5);
    biases[o] = (b0 + corr) | 0;
    // Q8: the bit budget leaves room for the accumulator and the bias.
    const biasBits = b0 === 0 ? -Infinity : Math.ceil(Math.log2(Math.abs(b0)));
    const available = 31 - Math.max(accBits, biasBits);
    const r = (inQ.scale * weightsScale[o]!) / mulQ.scale;
    scaleFloat.push(r);
    const m = computeScale(r, available);
    scale[o] = m.S;
    scaleN[o] = m.N;
  }

  const act = actOf(fusedActivation(op), outQ);
  const on = act.kop === "KOP_NONE" ? 0 : 1;
  const infos = infosBytes({ actScale: on, a0: act.lower * on, b0: act.upper });
  const weightsShape = kind === "linear" ? [outC, inC] : [outC, inC, fh, fw];
  const res: FilterQ = { type: "filter", kind, inQ, outQ, weights, weightsShape, weightsScale, biases, biasesScale, scale, scaleN, scaleFloat, act, infos };
  if (nhwcOfChw) res.nhwcOfChw = nhwcOfChw;
  return res;
}

/** NNTool's input quantizer on the file's bytes (FORMAT.md `input`): real value, then the deployed quantization. */
export function convertInputBytes(t: GraphTensor, q: NQ, data: Int8Array): Int8Array {
  const s = t.quant!.scale[0]!;
  const z = t.quant!.zeroPoint[0]!;
  const out = new Int8Array(data.length);
  // One value per possible input byte, so the loop below is a table look-up.
  const table = new Int8Array(256);
  for (let v = -128; v < 128; v++) {
    const r = Math.floor((s * (v - z)) / q.scale + 0.5) + q.zeroPoint;
    table[v + 128] = r < -128 ? -128 : r > 127 ? 127 : r;
  }
  for (let i = 0; i < data.length; i++) out[i] = table[data[i]! + 128]!;
  return out;
}
