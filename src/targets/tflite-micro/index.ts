// The `tflite-micro` target: TensorFlow Lite Micro's reference kernels, bit for bit. Every tensor
// keeps the file's quantization; the files in ./ops hold each kernel family's arithmetic.
import type { Graph } from "../../graph/types.js";
import { lowerOps, type OpTable } from "../lowering.js";
import { fileFormats } from "../tensors.js";
import type { Lowered } from "../types.js";
import { TFLITE_MICRO_ARITHMETIC } from "./arithmetic.js";
import { TENSOR_OPS } from "./ops/tensor-ops.js";
import { WEIGHTED_OPS } from "./ops/weighted.js";

/** The op table of TFLite Micro's reference kernels. */
export const TFLITE_MICRO_OPS: OpTable = { ...WEIGHTED_OPS, ...TENSOR_OPS };

export function lowerTfliteMicro(graph: Graph): Lowered {
  return { target: "tflite-micro", graph, formats: fileFormats(graph), layers: lowerOps(graph, TFLITE_MICRO_OPS, "tflite-micro", TFLITE_MICRO_ARITHMETIC) };
}

