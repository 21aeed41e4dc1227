// The `tflite-micro` target: TensorFlow Lite Micro's reference kernels, bit for bit. Every tensor
// keeps the file's quantization; the files in ./ops hold each kernel family's arithmetic.
import type { Graph } from "../../graph/types.js";
import { lowerOps, type OpTable } from "../lowering.js";
import type { Lowered, TensorFormat } from "../types.js";
import { TFLITE_MICRO_ARITHMETIC } from "./arithmetic.js";
import { TENSOR_OPS } from "./ops/tensor-ops.js";
import { WEIGHTED_OPS } from "./ops/weighted.js";

/** The op table of TFLite Micro's reference kernels. */
export const TFLITE_MICRO_OPS: OpTable = { ...WEIGHTED_OPS, ...TENSOR_OPS };

/** Each tensor as stored in the file (per-tensor quantization of activations). */
export function fileFormats(graph: Graph): TensorFormat[] {
  return graph.tensors.map((t) => {
    const f: TensorFormat = { dtype: t.dtype, shape: t.shape.slice() };
    if (t.quant && t.quant.scale.length === 1) {
      f.scale = t.quant.scale[0]!;
      f.zeroPoint = t.quant.zeroPoint[0]!;
    }
    return f;
  });
}

export function lowerTfliteMicro(graph: Graph): Lowered {
  return { target: "tflite-micro", graph, formats: fileFormats(graph), layers: lowerOps(graph, TFLITE_MICRO_OPS, "tflite-micro", TFLITE_MICRO_ARITHMETIC) };
}
