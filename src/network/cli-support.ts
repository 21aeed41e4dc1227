// Shared parts of the `dwpw run`, `dwpw plan` and `dwpw check` commands: describing a model's
// inputs, a random input, writing and describing outputs, and printing the deployment check's
// findings.
import { writeFileSync } from "node:fs";
import type { Finding } from "../check/index.js";
import type { Network, NetworkInput, NetworkValue } from "./network.js";
import type { ValueSpec } from "./types.js";

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

export function bytesPerElement(v: ValueSpec): number {
  return v.quant ? 1 : 4;
}

export function dtypeLabel(v: ValueSpec): string {
  return v.quant ? v.quant.dtype : "float32";
}

/** Describes the inputs a model takes, e.g. `input float32 [1, 3, 224, 224] (602112 bytes)`. */
export function describeInputs(net: Network): string {
  return net.inputs.map((i) => `${i.name} ${dtypeLabel(i)} [${i.shape.join(", ")}] (${numel(i.shape) * bytesPerElement(i)} bytes)`).join(", ");
}

/** A deterministic pseudo-random input (floats in [-1, 1], or bytes) for every graph input. */
export function randomInput(net: Network, seed: number): NetworkInput {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: Record<string, Float32Array | Int8Array | Uint8Array> = {};
  for (const i of net.inputs) {
    const n = numel(i.shape);
    if (!i.quant) out[i.name] = Float32Array.from({ length: n }, () => Math.fround(next() * 2 - 1));
    else if (i.quant.dtype === "int8") out[i.name] = Int8Array.from({ length: n }, () => Math.floor(next() * 256) - 128);
    else out[i.name] = Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
  }
  return out;
}

/** Writes the graph outputs' raw bytes (NCHW, little-endian), concatenated in graph order. */
export function writeOutputFile(path: string, outputs: NetworkValue[]): number {
  const parts = outputs.map((o) => Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength));
  const all = Buffer.concat(parts);
  try {
    writeFileSync(path, all);
  } catch (e) {
    throw new RangeError(`cannot write --output ${path}: ${(e as Error).message}`);
  }
  return all.length;
}

/** A short text view of an output: shape, the first values, and the top entries of a vector. */
export function describeOutput(o: NetworkValue): string[] {
  const n = o.data.length;
  const head = Array.from(o.data.subarray(0, Math.min(n, 12)), (v) => (o.dtype === "float32" ? Number(v).toPrecision(4) : String(v)));
  const q = o.dtype === "float32" ? "" : ` (scale ${o.scale}, zero point ${o.zeroPoint})`;
  const lines = [`${o.name}: ${o.dtype} [${o.shape.join(", ")}]${q}`, `  first values: ${head.join(" ")}${n > 12 ? " ..." : ""}`];
  if (n >= 10 && o.shape.filter((d) => d > 1).length === 1) {
    const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => Number(o.data[b]) - Number(o.data[a]) || a - b).slice(0, 5);
    lines.push(`  top 5: ${idx.map((i) => `#${i} ${o.dtype === "float32" ? Number(o.data[i]).toPrecision(4) : o.data[i]}`).join(", ")}`);
  }
  return lines;
}

/** Findings as text lines (severity, layer, rule, message, fix). */
export function formatFindings(findings: Finding[]): string[] {
  return findings.map((f) => {
    const where = `${f.layer}${f.opIndex !== undefined ? ` (op ${f.opIndex})` : ""}`;
    return `${f.severity.padEnd(7)} ${where}: [${f.rule}] ${f.message} Fix: ${f.fix}`;
  });
}

/**
 * Findings for reading: errors and warnings one per line, info findings grouped by rule (one line
 * per rule with the layers it concerns).
 */
export function summarizeFindings(findings: Finding[]): string[] {
  const lines = formatFindings(findings.filter((f) => f.severity !== "info"));
  const info = new Map<string, Finding[]>();
  for (const f of findings) if (f.severity === "info") (info.get(f.rule) ?? info.set(f.rule, []).get(f.rule)!).push(f);
  for (const [rule, fs] of info) {
    const layers = [...new Set(fs.map((f) => String(f.layer)))];
    const shown = layers.length > 6 ? `${layers.slice(0, 6).join(", ")}, ... (${layers.length} layers)` : layers.join(", ");
    lines.push(`${"info".padEnd(7)} ${shown}: [${rule}] ${fs[0]!.message} Fix: ${fs[0]!.fix}`);
  }
  return lines;
}

/** The warnings `run` and `plan` print: errors and warnings only, at most `max` lines. */
export function warningLines(findings: Finding[], target: string, file: string, max = 5): string[] {
  const shown = findings.filter((f) => f.severity !== "info");
  if (shown.length === 0) return [];
  const lines = [`warning: on ${target}, ${shown.length} finding${shown.length === 1 ? "" : "s"} where the deployed kernels would not give these bytes:`];
  for (const l of formatFindings(shown.slice(0, max))) lines.push(`  ${l}`);
  if (shown.length > max) lines.push(`  ... and ${shown.length - max} more: dwpw check ${file} --target ${target}`);
  return lines;
}
