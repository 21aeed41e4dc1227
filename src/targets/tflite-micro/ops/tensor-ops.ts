// TFLite Micro's ops without weights: elementwise arithmetic, pooling, reductions, activations,
// quantize/dequantize and the ops that only move bytes.
import type { OpTable } from "../../lowering.js";

export const TENSOR_OPS: OpTable = {};
