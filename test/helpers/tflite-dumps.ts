// Reads the TFLite tensor dumps in ../shared/tflite (FORMAT.md there): what the real runtimes
// computed for every non-constant tensor of a model, case by case. Tests compare every tensor of a
// dwpw run with them, byte for byte (by `data`, or by sha256 where the dump only has the hash).
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type { GraphRunResult } from "../../src/runner/run.js";
import { SHARED } from "./shared.js";

export { describeShared, sharedMissing, skipMeta } from "./shared.js";

/** `../shared/tflite/`. Suites reading it skip without it: see ./shared.ts. */
export const SHARED_TFLITE = `${SHARED}tflite/`;

export interface DumpTensor {
  index: number;
  name: string;
  dtype: string;
  shape: number[];
  quantization: { scale: number[]; zeroPoint: number[]; quantizedDimension: number } | null;
  isVariable: boolean;
  producedBy: { opIndex: number; opcode: string } | null;
  bytes: number | null;
  sha256: string | null;
  data?: string;
}

export interface DumpCase {
  name: string;
  inputs: Array<{ tensor: number; name: string; dtype: string; shape: number[]; data: string }>;
  tensors: DumpTensor[];
  outputs: number[];
}

export interface DumpFile {
  /** Path of the dump. */
  path: string;
  /** Path of the model it was made from. */
  modelPath: string;
  source: string;
  cases: DumpCase[];
}

/** The dump folders: `kind` is ref (TFLM reference), cmsis-nn or litert; real models and generated ones. */
export function dumpFiles(kind: "ref" | "cmsis-nn" | "litert"): DumpFile[] {
  const out: DumpFile[] = [];
  for (const [dir, models] of [
    [`${SHARED_TFLITE}${kind}/`, `${SHARED_TFLITE}models/`],
    [`${SHARED_TFLITE}generated/${kind}/`, `${SHARED_TFLITE}generated/models/`],
  ] as const) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
      const j = JSON.parse(readFileSync(dir + f, "utf8"));
      out.push({ path: dir + f, modelPath: models + j.model, source: j.source, cases: j.cases });
    }
  }
  return out;
}

/** The input bytes of a case as the typed array of the input's dtype, by input name. */
export function caseInputs(c: DumpCase): Record<string, Int8Array | Uint8Array | Int16Array | Float32Array> {
  const out: Record<string, Int8Array | Uint8Array | Int16Array | Float32Array> = {};
  for (const i of c.inputs) {
    const b = Uint8Array.from(Buffer.from(i.data, "base64"));
    out[i.name] =
      i.dtype === "int8" ? new Int8Array(b.buffer) : i.dtype === "int16" ? new Int16Array(b.buffer) : i.dtype === "float32" ? new Float32Array(b.buffer) : b;
  }
  return out;
}

/** Raw little-endian bytes of a typed array. */
export function rawBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export interface TensorMismatch {
  index: number;
  name: string;
  producedBy: string;
  detail: string;
}

/**
 * Compares every tensor of the dump case with the run's (`layers: true`): each must be there,
 * with the same dtype, shape and bytes. Returns the mismatches (empty when all agree).
 */
export function compareCase(c: DumpCase, run: GraphRunResult, inputs: Record<string, ArrayBufferView>): TensorMismatch[] {
  const got = new Map<number, { dtype: string; shape: number[]; data: ArrayBufferView }>();
  for (const l of run.layers ?? []) got.set(l.output.index, l.output);
  for (const i of c.inputs) got.set(i.tensor, { dtype: i.dtype, shape: i.shape, data: inputs[i.name]! });
  const bad: TensorMismatch[] = [];
  for (const t of c.tensors) {
    const where = { index: t.index, name: t.name, producedBy: t.producedBy ? `op ${t.producedBy.opIndex} ${t.producedBy.opcode}` : "input/state" };
    const v = got.get(t.index);
    if (!v) {
      bad.push({ ...where, detail: "not produced by the run" });
      continue;
    }
    if (v.dtype !== t.dtype || v.shape.join() !== t.shape.join()) {
      bad.push({ ...where, detail: `got ${v.dtype} [${v.shape}], expected ${t.dtype} [${t.shape}]` });
      continue;
    }
    const bytes = rawBytes(v.data);
    if (t.data !== undefined) {
      const want = Buffer.from(t.data, "base64");
      let first = -1;
      let count = 0;
      for (let k = 0; k < Math.max(want.length, bytes.length); k++) {
        if (want[k] !== bytes[k]) {
          if (first < 0) first = k;
          count++;
        }
      }
      if (count > 0) bad.push({ ...where, detail: `${count} of ${want.length} bytes differ, first at byte ${first} (got ${bytes[first]}, expected ${want[first]})` });
    } else if (createHash("sha256").update(bytes).digest("hex") !== t.sha256) {
      bad.push({ ...where, detail: "sha256 differs" });
    }
  }
  return bad;
}
