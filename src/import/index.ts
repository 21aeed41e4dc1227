// Model files into networks: `loadTflite`, and `loadModel`, which tells the format by content.
import { loadOnnx, type LoadOptions } from "../onnx/index.js";
import type { Network } from "../network/index.js";
import { GraphNetwork } from "../runner/network.js";
import { TARGETS, type TargetName } from "../targets/index.js";
import { importTflite, isTflite } from "./tflite/import.js";

export { TfliteError } from "./tflite/flatbuffer.js";
export { TFLITE_LIMITS } from "./tflite/limits.js";

/** Options of `loadTflite`. */
export interface TfliteLoadOptions {
  /** The target `run` uses when it is not given one (default `tflite-micro`, the model's own runtime). */
  target?: TargetName;
}

/** Imports a `.tflite` flatbuffer (subgraph 0). Throws `TfliteError` or `UnsupportedOpError`. */
export function loadTflite(bytes: Uint8Array, options: TfliteLoadOptions = {}): GraphNetwork {
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  const target = options.target;
  if (target !== undefined && !TARGETS.includes(target)) throw new RangeError(`options.target must be one of ${TARGETS.join(", ")}; got ${String(target)}`);
  return new GraphNetwork(importTflite(bytes), target);
}

/** Imports an ONNX or TFLite model, recognised by its content (TFLite's "TFL3" identifier). */
export function loadModel(bytes: Uint8Array, options?: LoadOptions & TfliteLoadOptions): GraphNetwork | Network {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("the model must be a Uint8Array of the file's bytes");
  if (isTflite(bytes)) return loadTflite(bytes, { target: options?.target });
  const { target: _ignored, ...onnx } = options ?? {};
  return loadOnnx(bytes, onnx);
}
