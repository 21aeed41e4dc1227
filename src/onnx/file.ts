// Loading a model file for the CLI: clear one-line errors for a missing, unreadable or huge file.
import { readFileSync, statSync } from "node:fs";
import { loadOnnx, type LoadOptions } from "./index.js";
import type { Network } from "../network/network.js";
import { OnnxError } from "./protobuf.js";

/** Largest model file read (ONNX's own protobuf limit is 2 GiB). */
const MAX_FILE = 2 ** 31;

/** Reads and imports `path`. Errors are RangeErrors (OnnxError) with one readable line. */
export function loadOnnxFile(path: string, options: LoadOptions = {}): Network {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new OnnxError(`${path} is a directory, not an .onnx file`);
    size = st.size;
  } catch (e) {
    if (e instanceof OnnxError) throw e;
    const code = (e as { code?: string }).code;
    throw new OnnxError(`cannot read ${path}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e as Error).message}`);
  }
  if (size > MAX_FILE) throw new OnnxError(`${path} is ${size} bytes; ONNX files are at most 2 GiB`);
  const buf = readFileSync(path);
  try {
    return loadOnnx(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), options);
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) {
      const err = new OnnxError(`${path}: ${e.message}`);
      throw err;
    }
    throw e;
  }
}
