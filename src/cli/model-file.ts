// The CLI's one way to load a model file: bounded read (files.ts), then the library's loader, with
// one-line errors that name the file, and a float model told how to quantize it.
//
// The loader tells ONNX from TFLite by content (TFLite's "TFL3" identifier), whatever the file's
// extension. To fall back to ONNX only, this import becomes
// `import { loadOnnx as loadModel, ... } from "../index.js";`.
import { loadModel, type LoadOptions } from "../index.js";
import { decodeModel } from "../onnx/model.js";
import { readModelFile } from "./files.js";
import { ValueError } from "./errors.js";

export type LoadedModel = ReturnType<typeof loadModel>;

/** True when the bytes carry the TFLite file identifier ("TFL3" at byte 4). */
export function isTfliteBytes(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[4] === 0x54 && bytes[5] === 0x46 && bytes[6] === 0x4c && bytes[7] === 0x33;
}

const HOW_TO_QUANTIZE = {
  onnx:
    "quantize it to int8 first, e.g. with ONNX Runtime: onnxruntime.quantization.quantize_static(model_in, model_out, " +
    "calibration_data_reader, quant_format=QuantFormat.QDQ, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)",
  tflite:
    "convert it with full-integer quantization first, e.g. tf.lite.TFLiteConverter with optimizations = [tf.lite.Optimize.DEFAULT], " +
    "a representative_dataset and target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]",
} as const;

/** ONNX ops that only a quantized model has. */
const QUANTIZED_ONNX_OPS = new Set([
  "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul", "QLinearAdd", "QLinearMul",
  "QLinearAveragePool", "QLinearGlobalAveragePool", "QLinearConcat", "QLinearLeakyRelu", "QLinearSigmoid", "QLinearSoftmax",
  "ConvInteger", "MatMulInteger", "QGemm",
]);

/** Whether ONNX bytes decode to a graph with no quantized op at all (a float model). */
function isFloatOnnx(bytes: Uint8Array): boolean {
  try {
    const nodes = decodeModel(bytes).graph?.nodes ?? [];
    return nodes.length > 0 && !nodes.some((n) => QUANTIZED_ONNX_OPS.has(n.opType));
  } catch {
    return false;
  }
}

/** Whether a loaded TFLite graph has no integer activation or weight at all (a float model). */
function isFloatGraph(net: LoadedModel): boolean {
  if (!("graph" in net) || !("tensors" in net.graph)) return false;
  return !net.graph.tensors.some((t) => t.dtype === "int8" || t.dtype === "uint8" || t.dtype === "int16");
}

function floatModel(path: string, format: "onnx" | "tflite"): ValueError {
  return new ValueError(`${path} is a float model: dwpw runs int8-quantized models; ${HOW_TO_QUANTIZE[format]}`);
}

/** Reads and imports a model file (ONNX or TFLite, by content). Errors are one-line ValueErrors. */
export function loadModelFile(path: string, options: LoadOptions = {}): LoadedModel {
  const bytes = readModelFile(path);
  const format = isTfliteBytes(bytes) ? "tflite" : "onnx";
  let net: LoadedModel;
  try {
    net = loadModel(bytes, options);
  } catch (e) {
    if (format === "onnx" && isFloatOnnx(bytes)) throw floatModel(path, format);
    if (e instanceof Error) throw new ValueError(`${path}: ${e.message.split("\n")[0]}`);
    throw e;
  }
  if (format === "tflite" && isFloatGraph(net)) throw floatModel(path, format);
  return net;
}
