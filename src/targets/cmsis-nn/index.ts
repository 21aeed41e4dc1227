// The `cmsis-nn` target: TensorFlow Lite Micro built with the CMSIS-NN kernels
// (OPTIMIZED_KERNEL_DIR=cmsis_nn). Measured against the reference build on every tensor of the
// shared dumps, the two agree everywhere except the SVDF activation state, which CMSIS-NN stores
// without its zero point (see ../tflite-micro/ops/svdf.ts); so this is the reference op table with
// CMSIS-NN's SVDF.
import type { Graph } from "../../graph/types.js";
import { lowerOps, type ArithmeticTable, type OpTable } from "../lowering.js";
import { TFLITE_MICRO_ARITHMETIC } from "../tflite-micro/arithmetic.js";
import { TFLITE_MICRO_OPS } from "../tflite-micro/index.js";
import { fileFormats } from "../tensors.js";
import { svdfLowering } from "../tflite-micro/ops/svdf.js";
import type { Lowered } from "../types.js";

/** TFLite Micro's op table with the kernels where the CMSIS-NN build computes other bytes. */
export const CMSIS_NN_OPS: OpTable = { ...TFLITE_MICRO_OPS, svdf: svdfLowering("cmsis-nn") };

/** CMSIS-NN's arithmetic: TFLite Micro's, but for the SVDF state. */
const CMSIS_NN_ARITHMETIC: ArithmeticTable = {
  ...TFLITE_MICRO_ARITHMETIC,
  svdf: "CMSIS-NN arm_svdf_s8: feature and time dot products, the state stored without its zero point (clamped to int16, then narrowed)",
};

export function lowerCmsisNn(graph: Graph): Lowered {
  return { target: "cmsis-nn", graph, formats: fileFormats(graph), layers: lowerOps(graph, CMSIS_NN_OPS, "cmsis-nn", CMSIS_NN_ARITHMETIC) };
}
