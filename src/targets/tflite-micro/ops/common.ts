// Helpers shared by the weight-free TFLite Micro kernels: operand lookup and the checks TFLM's
// Prepare functions make (refused as UnsupportedOpError).
import { UnsupportedOpError } from "../../../graph/errors.js";
import type { DType, Graph, GraphOp, GraphTensor } from "../../../graph/types.js";
import { tensorAt } from "../../tensors.js";

/** Refuses the op, naming it and what TFLite Micro does not take. */
export function unsupported(op: GraphOp, detail: string): never {
  throw new UnsupportedOpError(op.index, op.opcode, detail);
}

/** Input tensor `k` of the op, or null for an absent optional input. */
export function optionalInput(graph: Graph, op: GraphOp, k: number): GraphTensor | null {
  const i = op.inputs[k];
  return i === undefined || i < 0 ? null : tensorAt(graph, i);
}

/** Input tensor `k` of the op (which must be present); `what` names it in the error. */
export function inputOf(graph: Graph, op: GraphOp, k: number, what = `input ${k}`): GraphTensor {
  return optionalInput(graph, op, k) ?? unsupported(op, `${what} (input ${k}) is missing`);
}

export function outputOf(graph: Graph, op: GraphOp): GraphTensor {
  return tensorAt(graph, op.outputs[0]!);
}

/** Refuses a dtype the kernel has no path for. */
export function requireDtype(op: GraphOp, t: GraphTensor, allowed: readonly DType[], what: string): void {
  if (!allowed.includes(t.dtype)) unsupported(op, `${t.dtype} ${what} (tensor ${t.index}) is not supported; ${allowed.join(" or ")} expected`);
}

/** The per-tensor float32 scale and zero point; per-channel or missing quantization is refused. */
export function quantOf(op: GraphOp, t: GraphTensor, what: string): { scale: number; zeroPoint: number } {
  if (!t.quant || t.quant.scale.length === 0) unsupported(op, `the ${what} (tensor ${t.index}) has no quantization`);
  if (t.quant.scale.length !== 1) unsupported(op, `the ${what} (tensor ${t.index}) is quantized per channel; TFLite Micro expects one scale`);
  return { scale: t.quant.scale[0]!, zeroPoint: t.quant.zeroPoint[0]! };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** C's integer division (truncates toward zero). */
export function cdiv(a: number, b: number): number {
  return Math.trunc(a / b);
}
