// What a requantization scheme is made of: one object per scheme (src/schemes/<name>.ts) holds
// everything the package knows about it, and src/schemes/index.ts lists them. Validation, the
// WebAssembly encoding, the reference arithmetic, the deployment check, the MobileNet presets and
// the test suites' generators all read these objects instead of naming schemes themselves.
import type { Dtype } from "../types.js";
import type { Rng } from "../rng.js";
import type { HeaderField, KernelName } from "../wasm/interface.generated.js";

/** A requant object checked and normalized: per-channel arrays expanded to one entry per channel. */
export interface Checked<C> {
  requant: C;
  outDtype: Dtype;
  outZeroPoint: number;
}

/** The per-channel arrays the kernels read, as raw little-endian bytes (`a`, `b`: scheme-specific). */
export interface ChannelArrays {
  a: Uint8Array | null;
  b: Uint8Array | null;
  /** Bytes per channel of `a` and of `b` (0 when absent). */
  aStride: number;
  bStride: number;
}

/** Fields of a kernel-suite case a scheme's edge sampler may read (test/helpers/cases.ts draws them). */
export interface SampleCase {
  /** Per-channel parameters given as one broadcast value. */
  perTensor: boolean;
  outChannels: number;
  /** Per-channel parameters as typed arrays (else number[]). */
  typed: boolean;
  outZeroPoint: number;
  min: number;
  max: number;
  /** A layer shift and an int16 multiplier, drawn for the schemes that have one. */
  shift: number;
  mult: number;
  relu: boolean;
  biasNorm: number | undefined;
  actScale: number | undefined;
  actNorm: number | undefined;
}

/** What a MobileNet preset layer knows when it picks a scheme's parameters (src/presets/mobilenet.ts). */
export interface PresetContext {
  rng: Rng;
  /** Output channels. */
  cout: number;
  /** The activation dtype of the layer's input. */
  dtype: Dtype;
  /** Standard deviation of each channel's accumulator over random inputs. */
  std: Float64Array;
  /** Their mean over the channels. */
  meanStd: number;
  /** Mean of channel c's accumulator without bias. */
  meanAcc(c: number): number;
  /** A small random offset for channel c's bias (draws from `rng`). */
  jitter(c: number): number;
  /** The bias to fill, one per output channel (zeros on entry). */
  bias: Int32Array;
  /** Whether the preset asked for the scheme's activation, where it has one. */
  relu: boolean;
  /** How many output steps one standard deviation of the accumulator should span. */
  targetStd: number;
}

/** A MobileNet preset variant: its activation dtypes (the first is the default) and its parameters. */
export interface Preset<R> {
  dtypes: readonly Dtype[];
  make(ctx: PresetContext): R;
}

/** A block-suite variant: its input dtype (undefined: either, drawn) and its parameters. */
export interface Spread<R> {
  input?: Dtype;
  /** A requant for `n` channels whose accumulators have about `accBits` bits of magnitude. */
  draw(n: number, accBits: number, rng: Rng): R;
}

export interface Scheme<R extends { scheme: string }, C extends { scheme: R["scheme"] }, P extends string = string> {
  readonly name: R["scheme"];
  /** The kernels this scheme runs on (assembly/requant.ts); the generator assigns their ids. */
  readonly kernels: readonly KernelName[];
  /** Scalar fields of the public object (read once by the argument snapshot). */
  readonly scalars: readonly string[];
  /** Per-channel fields of the public object (copied by the argument snapshot). */
  readonly lists: readonly string[];
  /** Activation dtypes the scheme takes. */
  readonly inputs: readonly Dtype[];
  /** Whether the input zero point must be 0. */
  readonly zeroPointFree: boolean;
  /** The output dtype when the scheme fixes it (else it follows min/max, SPEC §4). */
  readonly output?: Dtype;
  /** Checks `v` (its `scheme` already matched) for `n` output channels; errors name `field`. */
  check(v: Record<string, unknown>, field: string, n: number): Checked<C>;
  /** The integer fields the deployment check reads (src/check/index.ts). */
  readonly deploymentFields: readonly string[];

  /** SPEC §3: the output value of channel c for an int32 accumulator (inside the output range). */
  requantize(acc: number, c: number, rq: C): number;
  /** The int32 the accumulator starts from, given the bias of its channel (default: the bias). */
  accumulatorBias?(bias: number, rq: C): number;

  /** The kernel the WebAssembly build runs for `rq` (default: the first of `kernels`). */
  kernel?(rq: C): KernelName;
  /** The per-channel arrays the kernels read (default: none). */
  arrays?(rq: C): ChannelArrays;
  /** The header's scalar words: which field of the checked requant each holds (booleans as 0/1). */
  readonly header: Readonly<Partial<Record<HeaderField, keyof C & string>>>;

  /** Random parameters for the MobileNet presets, by variant name. */
  readonly presets: Readonly<Record<P, Preset<R>>>;
  /** Random parameters for the kernel suites, by variant name (drawn at their edges). */
  readonly edges: Readonly<Record<string, (s: SampleCase, rng: Rng) => R>>;
  /** Random parameters for the block suites, by variant name (spread over the output range). */
  readonly spread: Readonly<Record<string, Spread<R>>>;
}

/** Any scheme (the list's element type). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyScheme = Scheme<any, any, string>;

// ---- Shared field checks -----------------------------------------------------------------------

export const INT32_MIN = -0x80000000;
export const INT32_MAX = 0x7fffffff;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

export function checkInt(v: unknown, field: string, lo: number, hi: number): number {
  if (typeof v !== "number") throw new TypeError(`${field} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(`${field} must be an integer in [${lo}, ${hi}], got ${v}`);
  }
  return v;
}

export function dtypeRange(dtype: Dtype): [number, number] {
  return dtype === "int8" ? [-128, 127] : [0, 255];
}

/** Reads a per-channel integer array (typed or plain); length 1 is broadcast (per-tensor). */
export function perChannelInts(v: unknown, field: string, n: number, lo: number, hi: number): number[] {
  if (!(v instanceof Int32Array || v instanceof Uint8Array || Array.isArray(v))) {
    throw new TypeError(`${field} must be an array of numbers`);
  }
  const arr = v as ArrayLike<unknown>;
  if (arr.length !== n && arr.length !== 1) {
    throw new RangeError(`${field} has ${arr.length} entries; expected ${n} (one per output channel) or 1`);
  }
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = arr[arr.length === 1 ? 0 : i];
    // The field's name is only built for an error: this runs for every channel of every call.
    out[i] = typeof x === "number" && Number.isInteger(x) && x >= lo && x <= hi ? x : checkInt(x, `${field}[${i}]`, lo, hi);
  }
  return out;
}

/** The output dtype SPEC §4 derives from a requant and its activation range. */
export function rangedOutput(r: Record<string, unknown>, field: string): { outDtype: Dtype; outputZeroPoint: number; min: number; max: number } {
  const min = checkInt(r.min, `${field}.min`, -128, 255);
  const max = checkInt(r.max, `${field}.max`, -128, 255);
  const outDtype: Dtype = min >= 0 && max > 127 ? "uint8" : "int8";
  const [lo, hi] = dtypeRange(outDtype);
  if (min < lo || max > hi) {
    throw new RangeError(`${field}.min/max [${min}, ${max}] do not fit one output dtype (int8 [-128, 127] or uint8 with min >= 0)`);
  }
  if (min > max) throw new RangeError(`${field}.min (${min}) is greater than ${field}.max (${max})`);
  const outputZeroPoint = checkInt(r.outputZeroPoint, `${field}.outputZeroPoint`, lo, hi);
  return { outDtype, outputZeroPoint, min, max };
}

// ---- Shared arithmetic and encoding ------------------------------------------------------------

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** PULP-NN's `clip8` for unsigned outputs: everything at or below 0 is 0, at or above 255 is 255. */
export function clipU8(x: number): number {
  return x <= 0 ? 0 : x >= 255 ? 255 : x;
}

export const bytesOf = (v: Int32Array | Float32Array | Uint8Array): Uint8Array => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/** No per-channel arrays. */
export const NO_ARRAYS: ChannelArrays = Object.freeze({ a: null, b: null, aStride: 0, bStride: 0 });

/** A list of `n` draws, or one (broadcast) when `one`. */
export function draws<T>(n: number, one: boolean, f: () => T): T[] {
  return Array.from({ length: one ? 1 : n }, f);
}

export function clampI32(x: number): number {
  return Math.max(-0x80000000, Math.min(0x7fffffff, Math.round(x)));
}

/**
 * The preset draws of the schemes derived from real scales (tflite, onnx): input and output
 * scales per tensor and weight scales per channel chosen so that in*w[c]/out maps one accumulator
 * std to `ctx.targetStd` output steps, biases that centre each channel, and an output zero point.
 */
export function realScalesPreset(ctx: PresetContext, outDtype: Dtype) {
  const { rng } = ctx;
  const sIn = rng.range(0.01, 0.06);
  const sOut = rng.range(0.01, 0.06);
  const sW = Array.from(ctx.std, (sd) => (ctx.targetStd / sd) * (sOut / sIn));
  for (let c = 0; c < ctx.cout; c++) ctx.bias[c] = clampI32(-ctx.meanAcc(c) + ctx.jitter(c));
  const outZp = outDtype === "int8" ? rng.int(-24, 24) : rng.int(104, 152);
  const [min, max] = dtypeRange(outDtype);
  return { scales: { input: sIn, weights: sW, output: sOut }, outZp, min, max };
}
