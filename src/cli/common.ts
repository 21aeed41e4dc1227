// Flags and helpers that several dwpw commands share: the memory of the GAP8 model, and the input a
// model runs on (a raw file or a seeded random input), for ONNX and TFLite models alike.
import { Network } from "../network/network.js";
import { describeInputs, randomInput } from "../network/cli-support.js";
import { DMA_PRESETS, type MemoryConfig } from "../scratchpad/memory.js";
import type { Args, Flag } from "./args.js";
import { inputFolder, readExactly } from "./files.js";
import type { LoadedModel } from "./model-file.js";

export const DMA_NAMES = Object.keys(DMA_PRESETS) as Array<keyof typeof DMA_PRESETS>;

/** Largest memory size a flag takes (the library's limit for L1 and L2 sizes). */
const MAX_BYTES = 2 ** 31;

export const MEMORY_FLAGS: readonly Flag[] = [
  { name: "l1", value: "B", help: "L1 bytes (default 64000)" },
  { name: "l1-usable", value: "B", help: "L1 bytes usable by tiles (default 36700, or --l1 minus 27300)" },
  { name: "l2", value: "B", help: "L2 bytes (default 512000)" },
  { name: "dma", value: "NAME", help: `${DMA_NAMES.join(" | ")} (default dory-gap8; gap8-fit: fitted to\nmeasured GAP8 layers)` },
  { name: "double-buffer", help: "double the tile buffers" },
];

/** The memory options the flags give (only those given; the library fills in GAP8's defaults). */
export function memoryOptions(args: Args): Partial<MemoryConfig> {
  const m: Partial<MemoryConfig> = {};
  const l1 = args.int("l1", 1, MAX_BYTES);
  const l1Usable = args.int("l1-usable", 1, MAX_BYTES);
  const l2 = args.int("l2", 1, MAX_BYTES);
  const dma = args.choice("dma", DMA_NAMES);
  if (l1 !== undefined) m.l1 = l1;
  if (l1Usable !== undefined) m.l1Usable = l1Usable;
  if (l2 !== undefined) m.l2 = l2;
  if (dma !== undefined) m.dma = dma;
  if (args.has("double-buffer")) m.doubleBuffer = true;
  return m;
}

const BYTES: Record<string, number> = { float32: 4, int8: 1, uint8: 1, int16: 2, int32: 4, int64: 8, bool: 1 };

/** A model's inputs as (name, dtype, shape), in the layout the model itself declares. */
function inputSpecs(net: LoadedModel): Array<{ name: string; dtype: string; shape: number[] }> {
  if (net instanceof Network) return net.inputs.map((i) => ({ name: i.name, dtype: i.quant ? i.quant.dtype : "float32", shape: i.shape }));
  return net.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.shape }));
}

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** E.g. `input float32 [1, 3, 224, 224] (602112 bytes)`. */
export function describeModelInputs(net: LoadedModel): string {
  if (net instanceof Network) return describeInputs(net);
  return inputSpecs(net).map((i) => `${i.name || "input"} ${i.dtype} [${i.shape.join(", ")}] (${numel(i.shape) * (BYTES[i.dtype] ?? 1)} bytes)`).join(", ");
}

type InputData = Float32Array | Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array;

function typed(dtype: string, bytes: Uint8Array): InputData {
  const b = bytes.buffer as ArrayBuffer;
  switch (dtype) {
    case "float32": return new Float32Array(b);
    case "int8": return new Int8Array(b);
    case "int16": return new Int16Array(b);
    case "int32": return new Int32Array(b);
    case "int64": return new BigInt64Array(b);
    default: return bytes;
  }
}

/** The bytes one input of the model takes (every graph input, concatenated). */
export function inputBytes(net: LoadedModel): number {
  return inputSpecs(net).reduce((n, s) => n + numel(s.shape) * (BYTES[s.dtype] ?? 1), 0);
}

/**
 * The input of a run: the raw file at `path` (each graph input's bytes in the model's layout, NCHW
 * for ONNX, NHWC for TFLite, little-endian, concatenated in graph order), read up to its expected
 * size plus one byte; or a seeded random input. `flag` names the option the path came from.
 */
export function modelInput(net: LoadedModel, path: string | undefined, seed: number, flag = "--input"): Record<string, InputData> {
  const specs = inputSpecs(net);
  if (path === undefined) {
    if (net instanceof Network) return randomInput(net, seed) as Record<string, InputData>;
    return randomGraphInput(specs, seed);
  }
  const sizes = specs.map((s) => numel(s.shape) * (BYTES[s.dtype] ?? 1));
  const buf = readExactly(path, sizes.reduce((a, b) => a + b, 0), flag, describeModelInputs(net));
  const out: Record<string, InputData> = {};
  let at = 0;
  specs.forEach((s, k) => {
    // A copy per input, so each typed array starts aligned on its own buffer.
    const bytes = new Uint8Array(sizes[k]!);
    bytes.set(buf.subarray(at, at + bytes.length));
    at += bytes.length;
    out[s.name] = typed(s.dtype, bytes);
  });
  return out;
}

/** Most input bytes a command holds at once (the inputs of a comparison are all read before it runs). */
export const MAX_INPUTS_BYTES = 256 * 2 ** 20;

/** How many inputs of `net` fit in MAX_INPUTS_BYTES, and the sentence saying so. */
export function inputsLimit(net: LoadedModel): { max: number; text: string } {
  const per = inputBytes(net);
  const max = Math.max(1, Math.floor(MAX_INPUTS_BYTES / per));
  return { max, text: `inputs are held in memory, at most ${MAX_INPUTS_BYTES / 2 ** 20} MiB: ${max} inputs of ${per} bytes` };
}

/** The inputs in a folder of raw files (each one input, exactly as --input takes it), by file name. */
export function folderInputs(net: LoadedModel, dir: string, flag: string): Array<{ name: string; input: Record<string, InputData> }> {
  const limit = inputsLimit(net);
  return inputFolder(dir, flag, limit.max, limit.text).map((p) => ({ name: p.slice(p.lastIndexOf("/") + 1), input: modelInput(net, p, 0, flag) }));
}

/** A deterministic pseudo-random input for a TFLite model (floats in [-1, 1], integers over their range). */
function randomGraphInput(specs: Array<{ name: string; dtype: string; shape: number[] }>, seed: number): Record<string, InputData> {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: Record<string, InputData> = {};
  for (const i of specs) {
    const n = numel(i.shape);
    const bytes = new Uint8Array(n * (BYTES[i.dtype] ?? 1));
    if (i.dtype === "float32") {
      const f = new Float32Array(bytes.buffer);
      for (let k = 0; k < n; k++) f[k] = Math.fround(next() * 2 - 1);
    } else {
      for (let k = 0; k < bytes.length; k++) bytes[k] = Math.floor(next() * 256);
    }
    out[i.name] = typed(i.dtype, bytes);
  }
  return out;
}

export const OBJECTIVES = ["bytes", "cycles"] as const;

/** The planner's objective, as `plan`, `check` and `report` take it (the library's default: bytes). */
export const OBJECTIVE_FLAG: Flag = {
  name: "objective",
  value: "O",
  help: "bytes | cycles: what each block's plan minimises, L2<->L1 activation bytes\nor estimated GAP8 cycles (default bytes)",
};
