// The ops that only move bytes when their tensors share one quantization: RESHAPE (Reshape),
// TRANSPOSE (Transpose), PAD / PADV2 (Pad with the zero point, or PADV2's constant), CONCATENATION
// (Concat) and MAX_POOL_2D (MaxPool, which ONNX Runtime runs on int8 / uint8 directly). They are
// exact in any runtime. When the quantizations differ (a requantizing concatenation, say) the op
// takes the float path: DequantizeLinear -> the op -> QuantizeLinear.
import type { ConcatenationOp, Graph, GraphOp, GraphTensor, PadOp, Pool2dOp, TransposeOp } from "../../graph/types.js";
import { numel } from "../../graph/types.js";
import { allocFor, constData, tensorAt, valueOf } from "../tensors.js";
import type { LoweredLayer, TensorData } from "../types.js";
import { activationBounds, isQ8, output, q8, sameQuant } from "./common.js";
import { concat, lowerFloatPath, pad, transpose } from "./float-path.js";

/** Whether all these tensors hold the same real value for the same byte (same dtype and quantization). */
function sameBytes(op: GraphOp, ts: GraphTensor[]): boolean {
  const [first, ...rest] = ts;
  if (!first) return false;
  if (isQ8(first)) {
    const q = q8(op, first, `tensor ${first.index}`);
    return rest.every((t) => isQ8(t) && sameQuant(q, q8(op, t, `tensor ${t.index}`)));
  }
  // Float tensors move as they are; other dtypes (int32, int16) are left to the float path's checks.
  return first.dtype === "float32" && rest.every((t) => t.dtype === "float32");
}

function quantParams(t: GraphTensor): Record<string, unknown> {
  return t.quant ? { scale: t.quant.scale[0], zeroPoint: t.quant.zeroPoint[0] } : { dtype: t.dtype };
}

export function lowerReshape(op: GraphOp, graph: Graph): LoweredLayer {
  const x = tensorAt(graph, op.inputs[0]!);
  const y = output(graph, op);
  if (!sameBytes(op, [x, y])) return lowerFloatPath(op, graph);
  const xi = op.inputs[0]!;
  const yi = op.outputs[0]!;
  return {
    op,
    params: { onnxOp: "Reshape", shape: y.shape.slice(), ...quantParams(y) },
    run(values: Array<TensorData | undefined>) {
      // The same bytes under another shape (the runner copies what it hands out).
      values[yi] = valueOf(values, xi);
    },
  };
}

export function lowerTranspose(op: TransposeOp, graph: Graph): LoweredLayer {
  const x = tensorAt(graph, op.inputs[0]!);
  const y = output(graph, op);
  if (!sameBytes(op, [x, y])) return lowerFloatPath(op, graph);
  const xi = op.inputs[0]!;
  const yi = op.outputs[0]!;
  return {
    op,
    params: { onnxOp: "Transpose", perm: op.perm.slice(), ...quantParams(y) },
    run(values: Array<TensorData | undefined>) {
      values[yi] = transpose(valueOf(values, xi), x.shape, op.perm, allocFor(y));
    },
  };
}

export function lowerPad(op: PadOp, graph: Graph): LoweredLayer {
  const x = tensorAt(graph, op.inputs[0]!);
  const y = output(graph, op);
  if (!sameBytes(op, [x, y])) return lowerFloatPath(op, graph);
  // PAD fills with the zero point (the real 0); PADV2 with its constant, in the input's dtype.
  const c = op.inputs[2] !== undefined && op.inputs[2]! >= 0 ? tensorAt(graph, op.inputs[2]!) : null;
  const value = c ? (constData(c) as ArrayLike<number>)[0]! : isQ8(x) ? x.quant!.zeroPoint[0]! : 0;
  const xi = op.inputs[0]!;
  const yi = op.outputs[0]!;
  return {
    op,
    params: { onnxOp: "Pad", mode: "constant", paddings: op.paddings.map((p) => p.slice()), value, ...quantParams(y) },
    run(values: Array<TensorData | undefined>) {
      values[yi] = pad(valueOf(values, xi), x.shape, op.paddings, value, allocFor(y));
    },
  };
}

export function lowerConcatenation(op: ConcatenationOp, graph: Graph): LoweredLayer {
  const ins = op.inputs.map((i) => tensorAt(graph, i));
  const y = output(graph, op);
  if (op.activation !== "none" || !sameBytes(op, [...ins, y])) return lowerFloatPath(op, graph);
  const shapes = ins.map((t) => t.shape);
  const yi = op.outputs[0]!;
  return {
    op,
    params: { onnxOp: "Concat", axis: op.axis, ...quantParams(y) },
    run(values: Array<TensorData | undefined>) {
      values[yi] = concat(op.inputs.map((i) => valueOf(values, i)), shapes, op.axis, allocFor(y));
    },
  };
}

/** MAX_POOL_2D on the bytes (padding taps never win); a fused activation clamps the result. */
export function lowerMaxPool2d(op: Pool2dOp, graph: Graph): LoweredLayer {
  const x = tensorAt(graph, op.inputs[0]!);
  const y = output(graph, op);
  if (!isQ8(x) || !sameBytes(op, [x, y])) return lowerFloatPath(op, graph);
  const yq = q8(op, y, "the output");
  const [lo, hi] = activationBounds(op.activation, yq);
  const [N, H, W, C] = x.shape as [number, number, number, number];
  const [, Ho, Wo] = y.shape as [number, number, number, number];
  const [kh, kw] = op.filter;
  const [sh, sw] = op.stride;
  const { top, left } = op.pad;
  const xi = op.inputs[0]!;
  const yi = op.outputs[0]!;
  return {
    op,
    params: { onnxOp: "MaxPool", filter: op.filter.slice(), stride: op.stride.slice(), pad: { ...op.pad }, min: lo, max: hi, ...quantParams(y) },
    run(values: Array<TensorData | undefined>) {
      const xd = valueOf(values, xi) as Int8Array | Uint8Array;
      const out = allocFor(y) as Int8Array | Uint8Array;
      let at = 0;
      for (let b = 0; b < N; b++) {
        for (let oy = 0; oy < Ho; oy++) {
          const y0 = Math.max(oy * sh - top, 0);
          const y1 = Math.min(oy * sh - top + kh, H);
          for (let ox = 0; ox < Wo; ox++) {
            const x0 = Math.max(ox * sw - left, 0);
            const x1 = Math.min(ox * sw - left + kw, W);
            for (let c = 0; c < C; c++) {
              let m = -Infinity;
              for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) m = Math.max(m, xd[((b * H + iy) * W + ix) * C + c]!);
              out[at++] = m < lo ? lo : m > hi ? hi : m;
            }
          }
        }
      }
      if (at !== numel(y.shape)) throw new Error(`internal: op ${op.index} wrote ${at} of ${numel(y.shape)} values`);
      values[yi] = out;
    },
  };
}
