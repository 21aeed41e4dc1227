// What every ONNX Runtime lowering shares: the checks on dtypes and quantization, and the clamp a
// fused activation becomes in the output's quantization.
//
// The premise of these targets for a graph that did not come from ONNX (a `.tflite`): the same
// quantized graph, converted to ONNX with the file's scales and zero points, run by ONNX Runtime.
// Activations are int8 or uint8 with per-tensor quantization; int16 tensors (int16 softmax
// outputs, SVDF state) have no lowering here.
import { UnsupportedOpError } from "../../graph/errors.js";
import type { Activation, Graph, GraphOp, GraphTensor } from "../../graph/types.js";
import { qRange, quantizeValue } from "../../network/arith.js";
import type { QDtype } from "../../network/types.js";
import { tensorAt } from "../tensors.js";

/** An UnsupportedOpError for `op`. */
export function unsupported(op: GraphOp, detail: string): UnsupportedOpError {
  return new UnsupportedOpError(op.index, op.opcode, detail);
}

/** Per-tensor quantization of an int8 / uint8 activation. */
export interface QInfo {
  dtype: QDtype;
  /** float32, as stored. */
  scale: number;
  zeroPoint: number;
}

/** Whether a tensor is a quantized 8-bit activation (int8 / uint8 with one scale and zero point). */
export function isQ8(t: GraphTensor): boolean {
  return (t.dtype === "int8" || t.dtype === "uint8") && t.quant !== null && t.quant.scale.length === 1;
}

/** The quantization of an 8-bit activation; anything else is an UnsupportedOpError naming the tensor. */
export function q8(op: GraphOp, t: GraphTensor, what: string): QInfo {
  if (t.dtype !== "int8" && t.dtype !== "uint8") throw unsupported(op, `${what} (tensor ${t.index}) is ${t.dtype}; the onnxruntime targets take int8 or uint8 here`);
  if (!t.quant || t.quant.scale.length !== 1) throw unsupported(op, `${what} (tensor ${t.index}) needs one per-tensor scale and zero point`);
  const scale = t.quant.scale[0]!;
  if (!(scale > 0) || !Number.isFinite(scale)) throw unsupported(op, `${what} (tensor ${t.index}) has scale ${scale}; a finite scale > 0 is needed`);
  const zeroPoint = t.quant.zeroPoint[0]!;
  const [lo, hi] = qRange(t.dtype);
  if (zeroPoint < lo || zeroPoint > hi) throw unsupported(op, `${what} (tensor ${t.index}) has zero point ${zeroPoint}, outside ${t.dtype}`);
  return { dtype: t.dtype, scale, zeroPoint };
}

/** Input `k` of `op`, which must be present. */
export function input(graph: Graph, op: GraphOp, k: number, what: string): GraphTensor {
  const i = op.inputs[k];
  if (i === undefined || i < 0) throw unsupported(op, `${what} (input ${k}) is missing`);
  return tensorAt(graph, i);
}

/** The optional input `k`, or null. */
export function optionalInput(graph: Graph, op: GraphOp, k: number): GraphTensor | null {
  const i = op.inputs[k];
  return i === undefined || i < 0 ? null : tensorAt(graph, i);
}

/** The op's (single) output tensor. */
export function output(graph: Graph, op: GraphOp): GraphTensor {
  return tensorAt(graph, op.outputs[0]!);
}

/** Refuses an op that reads or writes a 16-bit tensor: ONNX Runtime's int16 paths are not emulated. */
export function refuseInt16(op: GraphOp, graph: Graph): void {
  for (const i of [...op.inputs, ...op.outputs]) {
    if (i < 0) continue;
    const t = tensorAt(graph, i);
    if (t.dtype === "int16") throw unsupported(op, `tensor ${t.index} ("${t.name}") is int16; the onnxruntime targets lower int8 / uint8 graphs only`);
  }
}

/**
 * A fused activation as a clamp of the output bytes. A converted graph carries it as a Relu / Clip
 * between the op and its QuantizeLinear; here it is a clamp in the output's quantization at the
 * bounds QuantizeLinear gives for the real 0, 6, -1 and 1 (`zp + x / scale` rounded half to even,
 * as MLAS rounds, not half away from zero as TFLite's own range computation does). Clamping the
 * float value before rounding and clamping the rounded byte at these bounds give the same byte
 * (rounding is monotone and the bounds are whole numbers).
 */
export function activationBounds(act: Activation, out: QInfo): [number, number] {
  const [qmin, qmax] = qRange(out.dtype);
  const q = (real: number) => quantizeValue(real, out.scale, out.zeroPoint, qmin, qmax);
  switch (act) {
    case "none":
      return [qmin, qmax];
    case "relu":
      return [q(0), qmax];
    case "relu6":
      return [q(0), q(6)];
    case "reluN1To1":
      return [q(-1), q(1)];
  }
}

/** A new int8 / uint8 array. */
export function newQ8(dtype: QDtype, n: number): Int8Array | Uint8Array {
  return dtype === "int8" ? new Int8Array(n) : new Uint8Array(n);
}

/** Whether two quantized tensors hold the same real values for the same bytes. */
export function sameQuant(a: QInfo, b: QInfo): boolean {
  return a.dtype === b.dtype && a.scale === b.scale && a.zeroPoint === b.zeroPoint;
}
