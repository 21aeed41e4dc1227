// Reading the ONNX model fixtures written by scripts/make-models.mjs.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";

export const MODELS_DIR = join(import.meta.dirname, "..", "..", "fixtures", "models");
export const FULL_DIR = join(MODELS_DIR, "full");

export interface FixtureTensor {
  dtype: string;
  shape: number[];
  deflate: string;
}

export interface ModelFixture {
  network: string;
  dtype: "int8" | "uint8";
  forms: { qlinear: string; qdq: string };
  levels: { qlinear: string[]; qdq: string[] };
  input?: { name: string } & FixtureTensor;
  outputs: Record<string, FixtureTensor>;
  ortWeb: { differing?: Record<string, string>; output?: FixtureTensor; differingValues?: number };
  params?: unknown[];
  /** The u8 x s8 arithmetic ONNX Runtime used on the host that made the fixture, when not exact. */
  u8s8?: "ort-x86-u8s8-saturation";
}

export type Typed = Int8Array | Uint8Array | Float32Array | Int32Array;

export function inflate(b64: string): Uint8Array {
  const buf = inflateRawSync(Buffer.from(b64, "base64"));
  const out = new Uint8Array(buf.length);
  out.set(buf);
  return out;
}

export function typed(dtype: string, bytes: Uint8Array): Typed {
  const b = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  switch (dtype) {
    case "int8":
      return new Int8Array(b);
    case "uint8":
      return new Uint8Array(b);
    case "float32":
      return new Float32Array(b);
    case "int32":
      return new Int32Array(b);
    default:
      throw new Error(`dtype ${dtype}`);
  }
}

export function decodeTensor(t: FixtureTensor): Typed {
  return typed(t.dtype, inflate(t.deflate));
}

export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Index of the first differing byte, or -1. */
export function firstDiff(a: ArrayBufferView, b: ArrayBufferView): number {
  const x = bytesOf(a);
  const y = bytesOf(b);
  if (x.length !== y.length) return Math.min(x.length, y.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

export function smallFixtures(): Array<{ name: string; fixture: ModelFixture }> {
  return readdirSync(MODELS_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ name: f.slice(0, -5), fixture: JSON.parse(readFileSync(join(MODELS_DIR, f), "utf8")) as ModelFixture }));
}

export function fullFixtures(): Array<{ name: string; fixture: ModelFixture }> {
  if (!existsSync(FULL_DIR)) return [];
  return readdirSync(FULL_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ name: f.slice(0, -5), fixture: JSON.parse(readFileSync(join(FULL_DIR, f), "utf8")) as ModelFixture }));
}

export function modelBytes(dir: string, file: string): Uint8Array {
  const b = readFileSync(join(dir, file));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The add-stress models' inputs: every (a, b) byte pair once. */
export function addStressInputs(dtype: "int8" | "uint8"): { a: Int8Array | Uint8Array; b: Int8Array | Uint8Array } {
  const n = 16 * 64 * 64;
  const lo = dtype === "int8" ? -128 : 0;
  const A = dtype === "int8" ? Int8Array : Uint8Array;
  const a = new A(n);
  const b = new A(n);
  for (let i = 0; i < n; i++) {
    a[i] = lo + (i >> 8);
    b[i] = lo + (i & 255);
  }
  return { a, b };
}
