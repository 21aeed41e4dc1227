// ONNX import: `loadOnnx(bytes)` turns a quantized ONNX model (QLinear or QDQ form) into a
// `Network` that runs on the dwpw kernels bit-exactly with ONNX Runtime's CPU arithmetic.
import { Network } from "../network/network.js";
import type { AddRounding, U8S8Mode } from "../network/types.js";
import { importModel, type ImportOptions } from "./import.js";
import { decodeModel } from "./model.js";
import { snapshotBytes, snapshotValue } from "../validate.js";

export { OnnxError } from "./protobuf.js";
export { ONNX_LIMITS } from "./limits.js";
export { UnsupportedOpError, importModel } from "./import.js";
export type { ImportOptions } from "./import.js";
export { decodeModel } from "./model.js";
export type { ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto, AttributeProto } from "./model.js";

export interface LoadOptions extends ImportOptions {
  /** QLinearAdd rounding: `ort-x86` (ONNX Runtime's x86-64 CPU build, default) or `ort-wasm`
   * (its WebAssembly build). */
  addRounding?: AddRounding;
  /** uint8 x int8 products: `exact` (default) or `ort-x86-u8s8-saturation` (ONNX Runtime's
   * x86-64 kernels without VNNI; see `RunOptions.u8s8`). */
  u8s8?: U8S8Mode;
}

/**
 * Loads a quantized ONNX model. Throws `OnnxError` for a corrupt, truncated or non-ONNX file and
 * `UnsupportedOpError` (naming the node and op type) for a graph dwpw cannot run.
 */
export function loadOnnx(rawBytes: Uint8Array, rawOptions: LoadOptions = {}): Network {
  // Read once: the bytes as a fixed view, the options as frozen plain data.
  const bytes = snapshotBytes(rawBytes, "bytes", "with the contents of an .onnx file");
  const options = snapshotValue(rawOptions, "options");
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  const model = decodeModel(bytes);
  return new Network(importModel(model, options), { addRounding: options.addRounding, u8s8: options.u8s8 });
}
