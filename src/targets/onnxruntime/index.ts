// The `onnxruntime` and `onnxruntime-wasm` targets for the format-neutral graph: what ONNX Runtime
// CPU (x86-64) and its WebAssembly build compute for the same quantized graph converted to ONNX
// with the file's scales and zero points. Convolutions, fully connected layers, additions, global
// average pools and quantize / dequantize are ONNX Runtime's quantized kernels (QLinearConv, QGemm,
// QLinearAdd, QLinearGlobalAveragePool, QuantizeLinear, DequantizeLinear), emulated exactly with
// src/network/arith.ts; ops that only move bytes are exact; every other op takes the QDQ float
// path. The two targets differ only in QLinearAdd's rounding. docs/targets/onnxruntime.md lists
// each op's path and what is and is not verified against ONNX Runtime.
import type { Graph, GraphOp, OpKind } from "../../graph/types.js";
import { lowerOps, type ArithmeticTable, type OpLowering, type OpTable } from "../lowering.js";
import { fileFormats } from "../tensors.js";
import type { Lowered, TargetName } from "../types.js";
import { addLowering, type AddRounding } from "./add.js";
import { lowerConcatenation, lowerMaxPool2d, lowerPad, lowerReshape, lowerTranspose } from "./bytes.js";
import { refuseInt16, unsupported } from "./common.js";
import { lowerConv2d, lowerDepthwiseConv2d } from "./conv.js";
import { lowerFloatPath } from "./float-path.js";
import { lowerFullyConnected } from "./gemm.js";
import { lowerAveragePool2d } from "./pool.js";

/** Every op kind's lowering, with the given QLinearAdd rounding. */
export function onnxruntimeOps(rounding: AddRounding): OpTable {
  const table: OpTable = {
    conv2d: lowerConv2d,
    depthwiseConv2d: lowerDepthwiseConv2d,
    fullyConnected: lowerFullyConnected,
    add: addLowering(rounding),
    averagePool2d: lowerAveragePool2d,
    maxPool2d: lowerMaxPool2d,
    reshape: lowerReshape,
    transpose: lowerTranspose,
    pad: lowerPad,
    concatenation: lowerConcatenation,
    quantize: lowerFloatPath,
    dequantize: lowerFloatPath,
    sub: lowerFloatPath,
    mul: lowerFloatPath,
    mean: lowerFloatPath,
    softmax: lowerFloatPath,
    logistic: lowerFloatPath,
    tanh: lowerFloatPath,
    hardSwish: lowerFloatPath,
    leakyRelu: lowerFloatPath,
    relu: lowerFloatPath,
    relu6: lowerFloatPath,
    reluN1To1: lowerFloatPath,
    svdf: (op) => {
      throw unsupported(op, "SVDF (a stateful op with int16 or int8 state) has no ONNX Runtime equivalent here; run it under tflite-micro or cmsis-nn");
    },
  };
  // Every lowering first refuses 16-bit tensors, which the onnxruntime targets do not emulate.
  const guarded: OpTable = {};
  for (const [kind, f] of Object.entries(table) as Array<[OpKind, OpLowering<OpKind>]>) {
    (guarded as Record<string, unknown>)[kind] = (op: GraphOp, graph: Graph) => {
      if (op.kind !== "svdf") refuseInt16(op, graph);
      return f(op as never, graph);
    };
  }
  return guarded;
}

/** The op table of ONNX Runtime CPU (x86-64). */
export const ONNXRUNTIME_OPS: OpTable = onnxruntimeOps("x86");
/** The op table of ONNX Runtime's WebAssembly build. */
export const ONNXRUNTIME_WASM_OPS: OpTable = onnxruntimeOps("wasm");

const MLAS_ROUNDING = "rounded half to even (MLAS)";
const QDQ = "QDQ float path: dequantized, the float32 op, then QuantizeLinear (rounded half to even)";

/** ONNX Runtime's arithmetic per op kind, in a phrase (for drift reports). */
function arithmetic(rounding: AddRounding): ArithmeticTable {
  const table: ArithmeticTable = {
    conv2d: `QLinearConv: int32 accumulation, f32(acc) x f32 per-channel scale, ${MLAS_ROUNDING}`,
    depthwiseConv2d: `QLinearConv: int32 accumulation, f32(acc) x f32 per-channel scale, ${MLAS_ROUNDING}`,
    fullyConnected: `QGemm: int32 accumulation, f32(acc) x f32 scale, ${MLAS_ROUNDING}`,
    add: rounding === "x86"
      ? "QLinearAdd, x86-64 MLAS: fused multiply-adds of the inputs by the scale ratios, rounded half to even"
      : "QLinearAdd, WebAssembly MLAS: float32 sum of the dequantized inputs divided by the output scale, rounded half to even",
    averagePool2d: `global: QLinearGlobalAveragePool (int32 sum x f32 scale, ${MLAS_ROUNDING}); otherwise the ${QDQ}`,
    maxPool2d: "the window's largest byte",
    reshape: "bytes unchanged",
    transpose: "bytes moved",
    pad: "bytes copied, the padding filled with the zero point",
    concatenation: "bytes copied (equal quantization); otherwise the QDQ float path",
    quantize: "QuantizeLinear: x / scale in float32, rounded half to even, saturated",
    dequantize: "DequantizeLinear: (q - zero point) x scale in float32",
  };
  for (const k of ["sub", "mul", "mean", "softmax", "logistic", "tanh", "hardSwish", "leakyRelu", "relu", "relu6", "reluN1To1"] as const) table[k] = QDQ;
  return table;
}

function lower(graph: Graph, target: TargetName, table: OpTable, rounding: AddRounding): Lowered {
  return { target, graph, formats: fileFormats(graph), layers: lowerOps(graph, table, target, arithmetic(rounding)) };
}

export function lowerOnnxruntime(graph: Graph): Lowered {
  return lower(graph, "onnxruntime", ONNXRUNTIME_OPS, "x86");
}

export function lowerOnnxruntimeWasm(graph: Graph): Lowered {
  return lower(graph, "onnxruntime-wasm", ONNXRUNTIME_WASM_OPS, "wasm");
}
