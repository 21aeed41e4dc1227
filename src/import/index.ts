// Model files into networks: `loadTflite`, and `loadModel`, which tells the format by content.
import { loadOnnx, type LoadOptions } from "../onnx/index.js";
import type { Network } from "../network/index.js";
import { GraphNetwork } from "../runner/network.js";
import { importTflite, isTflite } from "./tflite/import.js";

export { TfliteError } from "./tflite/flatbuffer.js";
export { TFLITE_LIMITS } from "./tflite/limits.js";

/** Imports a `.tflite` flatbuffer (subgraph 0). Throws `TfliteError` or `UnsupportedOpError`. */
export function loadTflite(bytes: Uint8Array): GraphNetwork {
  return new GraphNetwork(importTflite(bytes));
}

/** Imports an ONNX or TFLite model, recognised by its content (TFLite's "TFL3" identifier). */
export function loadModel(bytes: Uint8Array, options?: LoadOptions): GraphNetwork | Network {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("the model must be a Uint8Array of the file's bytes");
  return isTflite(bytes) ? loadTflite(bytes) : loadOnnx(bytes, options);
}
