// Loader for the test-vector JSON format of ../shared/vectors/FORMAT.md (also used by fixtures/).
// `parseVectorFile` is pure (atob-based base64, no Node APIs) so it can run in a browser too; only
// the file listing and reading below use node:fs.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ConvOp, Layout, Requant, Tensor } from "../../src/types.js";
import type { Scales } from "../../src/quant.js";

/** One op of a case, decoded: the op as the API takes it, its scales, and the bytes it must produce. */
export interface VectorOp {
  op: ConvOp;
  /** The float32 scales the requant parameters were derived from (tflite and onnx files), or null. */
  scales: Scales | null;
  expected: Tensor;
}

/** One case: an input tensor and a chain of ops, all in `layout`. */
export interface VectorCase {
  name: string;
  layout: Layout;
  input: Tensor;
  /** Applied in order; op k+1 consumes op k's `expected`. */
  ops: VectorOp[];
}

/** A decoded vector file; `source` names the implementation that computed the expected bytes. */
export interface VectorFile {
  source: string;
  scheme: string;
  cases: VectorCase[];
}

interface JsonTensor {
  height: number;
  width: number;
  channels: number;
  dtype: "int8" | "uint8";
  zeroPoint: number;
  data: string;
}

interface JsonOp {
  kind: "depthwise" | "pointwise";
  kernel: [number, number];
  stride: [number, number];
  pad: { top: number; left: number; bottom: number; right: number };
  outChannels: number;
  weights: string;
  bias: string | null;
  scales: Scales | null;
  requant: Requant;
  expected: JsonTensor;
}

interface JsonCase {
  name: string;
  layout: Layout;
  input: JsonTensor;
  ops: JsonOp[];
}

/** Base64 to bytes with `atob`, which Node (16+) and browsers both have. */
export function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function decodeInt32LE(b64: string): Int32Array {
  const bytes = decodeBase64(b64);
  if (bytes.length % 4 !== 0) throw new Error(`int32 data of ${bytes.length} bytes is not a multiple of 4`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Int32Array.from({ length: bytes.length / 4 }, (_, i) => view.getInt32(4 * i, true));
}

function decodeTensor(t: JsonTensor, layout: Layout): Tensor {
  const bytes = decodeBase64(t.data);
  return {
    data: t.dtype === "int8" ? new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length) : bytes,
    height: t.height,
    width: t.width,
    channels: t.channels,
    layout,
    zeroPoint: t.zeroPoint,
  };
}

function decodeOp(o: JsonOp): ConvOp {
  const weights = new Int8Array(decodeBase64(o.weights).buffer);
  const bias = o.bias === null ? null : decodeInt32LE(o.bias);
  if (o.kind === "depthwise") {
    return { kind: "depthwise", kernel: o.kernel, stride: o.stride, pad: o.pad, weights, bias, requant: o.requant };
  }
  return { kind: "pointwise", outChannels: o.outChannels, weights, bias, requant: o.requant };
}

/** Decodes the parsed JSON of one vector file. */
export function parseVectorFile(json: unknown): VectorFile {
  const j = json as { source: string; scheme: string; cases: JsonCase[] };
  return {
    source: j.source,
    scheme: j.scheme,
    cases: j.cases.map((c) => ({
      name: c.name,
      layout: c.layout,
      input: decodeTensor(c.input, c.layout),
      ops: c.ops.map((o) => ({ op: decodeOp(o), scales: o.scales ?? null, expected: decodeTensor(o.expected, c.layout) })),
    })),
  };
}

/** Reads and decodes one vector file. */
export function loadVectorFile(path: string | URL): VectorFile {
  return parseVectorFile(JSON.parse(readFileSync(path, "utf8")));
}

function jsonFilesIn(dir: URL): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith(".json")).sort().map((n) => fileURLToPath(new URL(n, dir)));
}

export { skipMeta } from "./skip.js";

// DWPW_TEST_SHARED: see test/helpers/shared.ts. (`process` is absent where the parser runs in a browser.)
const sharedOverride = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.DWPW_TEST_SHARED;
const VECTORS = sharedOverride
  ? pathToFileURL(`${sharedOverride.replace(/\/+$/, "")}/vectors/`)
  : new URL("../../../shared/vectors/", import.meta.url);
let told = false;

/**
 * Null when `../shared/vectors` (the shared data folder beside the clone) is here; otherwise the
 * reason the suites reading it skip, printed once per test file. (test/helpers/shared.ts does the
 * same for the rest of ../shared; this file stays free of it because its parser runs in browsers.)
 */
export function vectorsMissing(): string | null {
  if (existsSync(VECTORS)) return null;
  const reason = "../shared/vectors (the shared data folder beside the clone) is absent";
  if (!told) {
    told = true;
    console.warn(`skipping the tests that read ../shared: ${reason}`);
  }
  return reason;
}

/**
 * Absolute paths of `../shared/vectors/*.json` (shared sits beside the project root); none when
 * the folder is absent (see `vectorsMissing`), an error when it is there but empty.
 */
export function vectorFiles(): string[] {
  if (vectorsMissing() !== null) return [];
  const files = jsonFilesIn(VECTORS);
  if (files.length === 0) throw new Error("no test vectors found in ../shared/vectors/ (beside the project root)");
  return files;
}

/** Absolute paths of the project's `fixtures/*.json` (may be none). */
export function fixtureFiles(): string[] {
  return jsonFilesIn(new URL("../../fixtures/", import.meta.url));
}
