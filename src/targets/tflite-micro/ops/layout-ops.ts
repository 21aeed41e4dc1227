// Ops that only move bytes: RESHAPE (also SQUEEZE / EXPAND_DIMS), PAD / PADV2, TRANSPOSE and
// CONCATENATION, as TFLM's reference kernels do them (no requantization anywhere).
import type { ConcatenationOp, Graph, PadOp, SimpleOp, TransposeOp } from "../../../graph/types.js";
import { numel } from "../../../graph/types.js";
import { allocFor, constData, stridesOf, valueOf } from "../../tensors.js";
import type { LoweredLayer, TensorData } from "../../types.js";
import { inputOf, outputOf, quantOf, unsupported } from "./common.js";

type Plain = Exclude<TensorData, BigInt64Array>;

/** RESHAPE: the same bytes under a new shape; the input's array is shared (values are never mutated). */
export function lowerReshape(op: SimpleOp, graph: Graph): LoweredLayer {
  const x = inputOf(graph, op, 0);
  const out = outputOf(graph, op);
  if (x.dtype !== out.dtype) unsupported(op, `a ${x.dtype} input with a ${out.dtype} output`);
  return {
    op,
    params: { shape: out.shape.slice() },
    run(values) {
      values[out.index] = valueOf(values, x.index);
    },
  };
}

/** PAD / PADV2 (pad.cc): the pad value is PADV2's constant, else the output zero point (int8) or 0. */
export function lowerPad(op: PadOp, graph: Graph): LoweredLayer {
  const x = inputOf(graph, op, 0);
  const out = outputOf(graph, op);
  if (!["int8", "int16", "int32", "float32"].includes(x.dtype)) unsupported(op, `${x.dtype} tensors`);
  if (out.dtype !== x.dtype) unsupported(op, `a ${x.dtype} input with a ${out.dtype} output`);
  if (x.shape.length > 5) unsupported(op, `a ${x.shape.length}-D input (TFLite Micro pads up to 5 dimensions)`);
  const constIndex = op.inputs.length >= 3 ? op.inputs[2]! : -1;
  let padValue = 0;
  if (constIndex >= 0) {
    const c = inputOf(graph, op, 2);
    if (x.dtype === "int8") {
      // Prepare requires the constant to be quantized like the output.
      const qc = quantOf(op, c, "constant value");
      const qo = quantOf(op, out, "output");
      if (qc.scale !== qo.scale || qc.zeroPoint !== qo.zeroPoint) unsupported(op, "a constant value quantized differently from the output");
    }
    padValue = Number(constData(c)[0]);
  } else if (x.dtype === "int8") {
    padValue = quantOf(op, out, "output").zeroPoint;
  }
  const rank = x.shape.length;
  const inStrides = stridesOf(x.shape);
  const outStrides = stridesOf(out.shape);
  const inner = rank === 0 ? 1 : x.shape[rank - 1]!;
  const rows = inner === 0 ? 0 : numel(x.shape) / inner;
  // Where each input row (last dimension) lands in the output.
  const rowTarget = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let o = 0;
    let rem = r * inner;
    for (let d = 0; d < rank; d++) {
      const i = Math.floor(rem / inStrides[d]!);
      rem -= i * inStrides[d]!;
      o += (i + op.paddings[d]![0]) * outStrides[d]!;
    }
    rowTarget[r] = o;
  }
  return {
    op,
    params: { paddings: op.paddings.map((p) => p.slice()), padValue },
    run(values) {
      const input = valueOf(values, x.index) as Plain;
      const o = allocFor(out) as Plain;
      if (padValue !== 0) o.fill(padValue);
      for (let r = 0; r < rows; r++) o.set(input.subarray(r * inner, (r + 1) * inner) as never, rowTarget[r]!);
      values[out.index] = o;
    },
  };
}

/** TRANSPOSE (reference_ops::Transpose), up to 6 dimensions. */
export function lowerTranspose(op: TransposeOp, graph: Graph): LoweredLayer {
  const x = inputOf(graph, op, 0);
  const out = outputOf(graph, op);
  if (x.dtype === "int64") unsupported(op, "int64 tensors");
  if (out.dtype !== x.dtype) unsupported(op, `a ${x.dtype} input with a ${out.dtype} output`);
  const rank = x.shape.length;
  if (rank > 6) unsupported(op, `a ${rank}-D input (TFLite Micro transposes up to 6 dimensions)`);
  const inStrides = stridesOf(x.shape);
  // Walking the output in order, the input index advances by the stride of the permuted axis.
  const step = op.perm.map((p) => inStrides[p]!);
  const outShape = out.shape;
  const n = numel(outShape);
  return {
    op,
    params: { perm: op.perm.slice() },
    run(values) {
      const input = valueOf(values, x.index) as Plain;
      const o = allocFor(out) as Plain;
      if (rank === 0 || n === 0) {
        o.set(input as never);
        values[out.index] = o;
        return;
      }
      const idx = new Array<number>(rank).fill(0);
      const last = rank - 1;
      const lastDim = outShape[last]!;
      const lastStep = step[last]!;
      let src = 0;
      for (let k = 0; k < n; ) {
        for (let c = 0, s = src; c < lastDim; c++, s += lastStep) o[k++] = input[s]!;
        // Advance the outer output indices like an odometer.
        for (let d = last - 1; d >= 0; d--) {
          src += step[d]!;
          if (++idx[d]! < outShape[d]!) break;
          src -= step[d]! * outShape[d]!;
          idx[d] = 0;
        }
      }
      values[out.index] = o;
    },
  };
}

/** CONCATENATION (concatenation.cc): copies; int8 inputs must already share the output's quantization. */
export function lowerConcatenation(op: ConcatenationOp, graph: Graph): LoweredLayer {
  const out = outputOf(graph, op);
  const ins = op.inputs.map((_, k) => inputOf(graph, op, k));
  if (op.activation !== "none") unsupported(op, `fused activation ${op.activation}; TFLite Micro concatenates without one`);
  if (!["int8", "int16", "int32", "int64", "float32"].includes(out.dtype)) unsupported(op, `${out.dtype} tensors`);
  if (ins.length > 10) unsupported(op, `${ins.length} inputs (TFLite Micro concatenates at most 10)`);
  for (const t of ins) {
    if (t.dtype !== out.dtype) unsupported(op, `a ${t.dtype} input (tensor ${t.index}) with a ${out.dtype} output`);
    if (t.shape.length > 4) unsupported(op, `a ${t.shape.length}-D input (TFLite Micro concatenates up to 4 dimensions)`);
  }
  if (out.dtype === "int8") {
    const qo = quantOf(op, out, "output");
    for (const t of ins) {
      const q = quantOf(op, t, `input (tensor ${t.index})`);
      if (q.scale !== qo.scale || q.zeroPoint !== qo.zeroPoint) {
        unsupported(op, `int8 input tensor ${t.index} is quantized (scale ${q.scale}, zero point ${q.zeroPoint}) unlike the output (scale ${qo.scale}, zero point ${qo.zeroPoint}); TFLite Micro requires the same parameters (the converter inserts a QUANTIZE)`);
      }
    }
  }
  const axis = op.axis;
  const outer = numel(out.shape.slice(0, axis));
  // Per input: how many contiguous elements it contributes to each outer slice.
  const chunks = ins.map((t) => numel(t.shape.slice(axis)));
  const outChunk = numel(out.shape.slice(axis));
  return {
    op,
    params: { axis },
    run(values) {
      const o = allocFor(out) as TensorData;
      let base = 0;
      ins.forEach((t, k) => {
        const input = valueOf(values, t.index);
        const chunk = chunks[k]!;
        for (let i = 0; i < outer; i++) (o as Int8Array).set((input as Int8Array).subarray(i * chunk, (i + 1) * chunk), i * outChunk + base);
        base += chunk;
      });
      values[out.index] = o;
    },
  };
}
