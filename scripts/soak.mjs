#!/usr/bin/env node
// `npm run soak`: a long run of mixed calls of every kernel and block schedule.
//
// Each input tried is a random valid layer or block (every requant scheme, both layouts, both
// dtypes, extreme weights, biases, shifts and multipliers), or a hostile variant of one that must
// be rejected. Every kernel result is compared byte for byte with the plain TypeScript reference,
// every block with the reference run layer by layer (and its counted report with `plan()`'s closed
// form), a fixed set of sentinel calls is repeated throughout and must give the bytes of its first
// run, and a valid call right after every rejected one must still be exact. WebAssembly memory of
// every engine must stay under a fixed bound. Prints the figures; exits 1 on any mismatch.
//
//   node scripts/soak.mjs [--calls N] [--seed S] [--json]     (after `npm run build`)
//
// The generators and `runSoak` are exported: test/robustness.soak.test.ts runs a bounded subset
// against the TypeScript sources.
import { pathToFileURL } from "node:url";

/** WebAssembly memory no engine may exceed during the soak (its shapes need far less). */
export const MEMORY_BOUND_BYTES = 8 * 1024 * 1024;

/** mulberry32: small, fast and reproducible from one 32-bit seed. */
export class Rng {
  constructor(seed) {
    this.s = seed | 0;
  }
  u32() {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform integer in [lo, hi]. */
  int(lo, hi) {
    return lo + Math.floor((this.u32() / 2 ** 32) * (hi - lo + 1));
  }
  chance(p) {
    return this.u32() / 2 ** 32 < p;
  }
  pick(xs) {
    return xs[this.int(0, xs.length - 1)];
  }
  /** An integer in [lo, hi]; one of `edges` (when in range) with probability `p`. */
  edgy(lo, hi, edges, p = 0.2) {
    if (this.chance(p)) {
      const e = this.pick(edges);
      if (e >= lo && e <= hi) return e;
    }
    return this.int(lo, hi);
  }
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

function int8s(rng, n) {
  const a = new Int8Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.edgy(-128, 127, [-128, 127, 0, 1, -1]);
  return a;
}

function activations(rng, n, dtype, zp) {
  const [lo, hi] = dtype === "int8" ? [-128, 127] : [0, 255];
  const a = dtype === "int8" ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.edgy(lo, hi, [lo, hi, zp, zp + 1, zp - 1]);
  return a;
}

function int32s(rng, n, lo, hi, edges) {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.edgy(lo, hi, edges, 0.25);
  return a;
}

/** Per-channel array of n entries, or a single broadcast entry; typed or plain. */
function perChannel(rng, n, make) {
  const len = rng.chance(0.2) ? 1 : n;
  const typed = make(len);
  return rng.chance(0.3) ? Array.from(typed) : typed;
}

/** An activation range [min, max] and zero point; `uint8` when min >= 0 and max > 127 (SPEC §4). */
function outRange(rng) {
  if (rng.chance(0.4)) {
    const min = rng.edgy(0, 100, [0]);
    const max = rng.edgy(128, 255, [255, 128]);
    return { outputZeroPoint: rng.edgy(0, 255, [0, 128, 255]), min, max };
  }
  const min = rng.edgy(-128, 0, [-128, 0]);
  const max = rng.edgy(Math.max(min, -10), 127, [127, 0, 6]);
  return { outputZeroPoint: rng.edgy(-128, 127, [0, -128, 127]), min, max };
}

const SCHEMES = ["tflite", "onnx", "pulp-bn", "pulp-quant", "pulp-shift", "gap-sq8"];

/** Schemes that accept activations of `dtype` with zero point `zp`. */
export function schemesFor(dtype, zp) {
  if (zp !== 0) return ["tflite", "onnx"];
  return dtype === "uint8" ? ["tflite", "onnx", "pulp-bn", "pulp-quant", "pulp-shift"] : ["tflite", "onnx", "gap-sq8"];
}

/** A random valid requant of `scheme` for `n` output channels, limits over-represented. */
export function randomRequant(rng, scheme, n) {
  switch (scheme) {
    case "tflite": {
      const wild = rng.chance(0.2);
      const r = {
        scheme,
        multiplier: perChannel(rng, n, (k) => int32s(rng, k, 2 ** 30, INT32_MAX, [0, 2 ** 30, INT32_MAX])),
        shift: perChannel(rng, n, (k) => int32s(rng, k, wild ? -31 : -14, wild ? 30 : 1, [-31, 30, 0, -1])),
        ...outRange(rng),
      };
      if (rng.chance(0.6)) r.rounding = rng.pick(["double", "single"]);
      return r;
    }
    case "onnx": {
      const scale = (k) => {
        const a = new Float32Array(k);
        for (let i = 0; i < k; i++) a[i] = rng.chance(0.05) ? rng.pick([0, 1e-38, 3e38, 1, 0.5]) : 2 ** (rng.int(-2000, 200) / 100);
        return a;
      };
      return { scheme, scale: perChannel(rng, n, scale), ...outRange(rng) };
    }
    case "pulp-bn":
      return {
        scheme,
        k: perChannel(rng, n, (c) => int32s(rng, c, -4096, 4096, [INT32_MIN, INT32_MAX, 0, 1])),
        lambda: perChannel(rng, n, (c) => int32s(rng, c, -100000, 100000, [INT32_MIN, INT32_MAX, 0])),
        shift: rng.edgy(0, 31, [0, 31, 16]),
      };
    case "pulp-quant":
      return { scheme, mult: rng.edgy(-32768, 32767, [-32768, 32767, 0, 1]), shift: rng.edgy(0, 31, [0, 31]) };
    case "pulp-shift":
      return { scheme, shift: rng.edgy(0, 31, [0, 31]) };
    case "gap-sq8": {
      const r = {
        scheme,
        scale: perChannel(rng, n, (c) => Uint8Array.from({ length: c }, () => rng.edgy(0, 255, [0, 255, 1]))),
        norm: perChannel(rng, n, (c) => Uint8Array.from({ length: c }, () => rng.edgy(0, 31, [0, 31, 7]))),
      };
      if (rng.chance(0.7)) r.relu = rng.chance(0.5);
      if (rng.chance(0.5)) r.biasNorm = rng.edgy(0, 31, [0, 31]);
      if (rng.chance(0.5)) r.actScale = rng.edgy(0, 255, [0, 255, 1]);
      if (rng.chance(0.5)) r.actNorm = rng.edgy(0, 31, [0, 31]);
      return r;
    }
  }
  throw new Error(`unknown scheme ${scheme}`);
}

/** The dtype and zero point a requant produces (SPEC §4). */
export function outputOf(rq) {
  if (rq.scheme === "tflite" || rq.scheme === "onnx") {
    return { dtype: rq.min >= 0 && rq.max > 127 ? "uint8" : "int8", zp: rq.outputZeroPoint };
  }
  return { dtype: rq.scheme === "gap-sq8" ? "int8" : "uint8", zp: 0 };
}

function bias(rng, n) {
  if (rng.chance(0.3)) return rng.chance(0.5) ? null : undefined;
  return int32s(rng, n, -50000, 50000, [INT32_MIN, INT32_MAX, 0]);
}

/** A random valid depthwise op on an H x W x C input. */
export function randomDepthwise(rng, H, W, C, scheme) {
  const pad = { top: rng.edgy(0, 3, [0]), left: rng.edgy(0, 3, [0]), bottom: rng.edgy(0, 3, [0]), right: rng.edgy(0, 3, [0]) };
  const kh = Math.min(rng.edgy(1, 5, [1, 3]), H + pad.top + pad.bottom);
  const kw = Math.min(rng.edgy(1, 5, [1, 3]), W + pad.left + pad.right);
  const op = {
    kind: "depthwise",
    kernel: [kh, kw],
    stride: [rng.edgy(1, 3, [1, 2]), rng.edgy(1, 3, [1, 2])],
    pad,
    weights: int8s(rng, C * kh * kw),
    requant: randomRequant(rng, scheme, C),
  };
  const b = bias(rng, C);
  if (b !== undefined) op.bias = b;
  return op;
}

/** A random valid pointwise op on an input with C channels. */
export function randomPointwise(rng, C, scheme, cout = rng.edgy(1, 24, [1, 8, 16])) {
  const op = { kind: "pointwise", outChannels: cout, weights: int8s(rng, cout * C), requant: randomRequant(rng, scheme, cout) };
  const b = bias(rng, cout);
  if (b !== undefined) op.bias = b;
  return op;
}

/** A random activation tensor; its dtype and zero point fit `scheme` when given. */
export function randomTensor(rng, H, W, C, scheme) {
  let dtype = rng.chance(0.5) ? "int8" : "uint8";
  let zp = dtype === "int8" ? rng.edgy(-128, 127, [0, -128, 127]) : rng.edgy(0, 255, [0, 128, 255]);
  if (scheme && scheme.startsWith("pulp-")) (dtype = "uint8"), (zp = 0);
  if (scheme === "gap-sq8") (dtype = "int8"), (zp = 0);
  return { data: activations(rng, H * W * C, dtype, zp), height: H, width: W, channels: C, layout: rng.chance(0.5) ? "HWC" : "CHW", zeroPoint: zp };
}

/** Output shape of a valid op on an H x W x C input. */
export function outShape(op, H, W, C) {
  if (op.kind === "pointwise") return [H, W, op.outChannels];
  const { kernel: [kh, kw], stride: [sh, sw], pad } = op;
  return [Math.floor((H + pad.top + pad.bottom - kh) / sh) + 1, Math.floor((W + pad.left + pad.right - kw) / sw) + 1, C];
}

/** A random valid single layer: `{ input, op }`, depthwise or pointwise, small enough for the reference. */
export function randomLayer(rng, kind = rng.pick(["depthwise", "pointwise"]), big = false) {
  const scheme = rng.pick(SCHEMES);
  const H = big ? rng.int(16, 40) : rng.edgy(1, 10, [1]);
  const W = big ? rng.int(16, 40) : rng.edgy(1, 10, [1]);
  const C = big ? rng.int(16, 64) : rng.edgy(1, 20, [1, 8, 16]);
  const input = randomTensor(rng, H, W, C, scheme);
  const op = kind === "depthwise" ? randomDepthwise(rng, H, W, C, scheme) : randomPointwise(rng, C, scheme);
  return { input, op };
}

/** A random valid block: `{ input, ops }`, dw-pw or pw-dw, the second op's scheme fitting the first's output. */
export function randomBlock(rng, big = false) {
  const order = rng.pick(["dw-pw", "pw-dw"]);
  const s0 = rng.pick(SCHEMES);
  const H = big ? rng.int(12, 32) : rng.edgy(1, 10, [1, 2]);
  const W = big ? rng.int(12, 32) : rng.edgy(1, 10, [1, 2]);
  const C = big ? rng.int(8, 48) : rng.edgy(1, 16, [1, 8]);
  const input = randomTensor(rng, H, W, C, s0);
  const first = order === "dw-pw" ? randomDepthwise(rng, H, W, C, s0) : randomPointwise(rng, C, s0, rng.edgy(1, 16, [1, 8]));
  const [h1, w1, c1] = outShape(first, H, W, C);
  const mid = outputOf(first.requant);
  const s1 = rng.pick(schemesFor(mid.dtype, mid.zp));
  const second = order === "dw-pw" ? randomPointwise(rng, c1, s1, rng.edgy(1, 16, [1, 8])) : randomDepthwise(rng, h1, w1, c1, s1);
  return { input, ops: [first, second] };
}

/** The layout of a block's output under `schedule` (fused: the name's second layout; unfused: the input's). */
export function blockOutputLayout(schedule, inputLayout) {
  if (schedule === "unfused") return inputLayout;
  return schedule.split("/")[1].split("-")[1];
}

/** Schedules that apply to a block (its order and input layout), plus `unfused`. */
export function applicableSchedules(SCHEDULES, order, layout) {
  return SCHEDULES.filter((s) => s === "unfused" || (s.startsWith(order) && s.split("/")[1].startsWith(layout)));
}

/** Empty when equal; otherwise what differs. */
export function tensorDiff(a, b) {
  if (!a || !b) return "missing tensor";
  if (a.data.constructor !== b.data.constructor) return `dtype ${a.data.constructor.name} vs ${b.data.constructor.name}`;
  for (const k of ["height", "width", "channels", "layout", "zeroPoint"]) if (a[k] !== b[k]) return `${k} ${a[k]} vs ${b[k]}`;
  if (a.data.length !== b.data.length) return `length ${a.data.length} vs ${b.data.length}`;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return `byte ${i}: ${a.data[i]} vs ${b.data[i]}`;
  return "";
}

/** A block's reference output: the reference run layer by layer, in `layout`. */
export function referenceBlock(lib, input, ops, layout) {
  return lib.toLayout(lib.reference.conv(lib.reference.conv(input, ops[0]), ops[1]), layout);
}

// ---- Hostile inputs ------------------------------------------------------------------------
// Each mutation takes a valid `{ input, op }` (fresh copies) and returns one that must be rejected
// with a RangeError or TypeError whose message names `field` (relative to "input" / "op").

const huge = [2 ** 31, 2 ** 53, 1e300, Infinity];
const notInts = [NaN, 1.5, -0.5, Infinity, -Infinity, "4", null, undefined, {}, [2], true, 4n];

/** Mutations of a layer; `field` is the name the error message must contain. */
export const LAYER_MUTATIONS = [
  { name: "height not an integer", field: "input.height", apply: (c, rng) => void (c.input.height = rng.pick(notInts)) },
  { name: "width <= 0", field: "input.width", apply: (c, rng) => void (c.input.width = rng.pick([0, -1, -65536])) },
  { name: "channels zero", field: "input.channels", apply: (c) => void (c.input.channels = 0) },
  { name: "height huge", field: "input", apply: (c, rng) => void (c.input.height = rng.pick([65537, ...huge])) },
  { name: "layout unknown", field: "input.layout", apply: (c, rng) => void (c.input.layout = rng.pick(["NHWC", "hwc", "", null, 0])) },
  { name: "zero point out of range", field: "input.zeroPoint", apply: (c, rng) => void (c.input.zeroPoint = rng.pick([256, -129, 1000, 0.5, NaN, "0", undefined])) },
  { name: "data too short", field: "input.data", apply: (c) => void (c.input.data = c.input.data.subarray(1)) },
  {
    name: "data too long", field: "input.data",
    apply: (c) => {
      const d = new c.input.data.constructor(c.input.data.length + 1);
      d.set(c.input.data);
      c.input.data = d;
    },
  },
  {
    name: "data of the wrong kind", field: "input.data",
    apply: (c, rng) => {
      const n = c.input.data.length;
      const make = rng.pick([
        () => new Uint8ClampedArray(n), () => new Int16Array(n), () => new Float32Array(n), () => Array.from(c.input.data),
        () => new DataView(new ArrayBuffer(n)), () => new Uint16Array(n), () => new BigInt64Array(n), () => null, () => "bytes",
      ]);
      c.input.data = make();
    },
  },
  {
    name: "data a Proxy", field: "input.data",
    apply: (c) => void (c.input.data = new Proxy(c.input.data, { get: (t, k) => (k === "length" ? t.length : Reflect.get(t, k)) })),
  },
  { name: "input not an object", field: "input", apply: (c, rng) => void (c.input = rng.pick([null, undefined, 5, "x"])) },
  { name: "op not an object", field: "op", apply: (c, rng) => void (c.op = rng.pick([null, 5, "depthwise"])) },
  { name: "kind unknown", field: "op.kind", apply: (c, rng) => void (c.op.kind = rng.pick(["conv", "Depthwise", "", undefined])) },
  { name: "weights wrong length", field: "op.weights", apply: (c, rng) => void (c.op.weights = new Int8Array(c.op.weights.length + rng.pick([-1, 1, 7]))) },
  {
    name: "weights wrong kind", field: "op.weights",
    apply: (c, rng) => void (c.op.weights = rng.pick([() => new Uint8Array(c.op.weights.length), () => Array.from(c.op.weights), () => new Int16Array(c.op.weights.length), () => null])()),
  },
  {
    name: "bias wrong length or kind", field: "op.bias",
    apply: (c, rng) => {
      const n = c.op.kind === "depthwise" ? c.input.channels : c.op.outChannels;
      c.op.bias = rng.pick([() => new Int32Array(n + 1), () => new Int32Array(Math.max(n - 1, 0)), () => new Float32Array(n), () => Array.from({ length: n }, () => 0), () => new Int8Array(n), () => 7])();
      if (c.op.bias instanceof Int32Array && c.op.bias.length === n) c.op.bias = new Int32Array(n + 2);
    },
  },
  { name: "requant missing", field: "op.requant", apply: (c, rng) => void (c.op.requant = rng.pick([null, undefined, "tflite", 3])) },
  { name: "scheme unknown", field: "op.requant.scheme", apply: (c, rng) => void (c.op.requant = { ...c.op.requant, scheme: rng.pick(["TFLite", "cmsis", "", undefined]) }) },
  // Depthwise geometry.
  { name: "kernel not a pair", field: "op.kernel", only: "depthwise", apply: (c, rng) => void (c.op.kernel = rng.pick([[3], [3, 3, 3], "3x3", 3, null])) },
  { name: "kernel zero/fractional", field: "op.kernel", only: "depthwise", apply: (c, rng) => void (c.op.kernel = [rng.pick([0, -1, 1.5, NaN]), 1]) },
  { name: "kernel beyond padded input", field: "op.kernel", only: "depthwise", apply: (c) => void (c.op.kernel = [1, c.input.width + c.op.pad.left + c.op.pad.right + 1]) },
  { name: "stride zero/negative/fractional", field: "op.stride", only: "depthwise", apply: (c, rng) => void (c.op.stride = [1, rng.pick([0, -1, -65536, 0.5, NaN, "1"])]) },
  { name: "stride huge", field: "op.stride", only: "depthwise", apply: (c, rng) => void (c.op.stride = [rng.pick([65537, ...huge]), 1]) },
  { name: "pad negative/fractional", field: "op.pad", only: "depthwise", apply: (c, rng) => void (c.op.pad = { ...c.op.pad, [rng.pick(["top", "left", "bottom", "right"])]: rng.pick([-1, 0.5, NaN, "1", undefined]) }) },
  { name: "pad huge", field: "op.pad", only: "depthwise", apply: (c, rng) => void (c.op.pad = { ...c.op.pad, [rng.pick(["top", "left", "bottom", "right"])]: rng.pick([65537, ...huge]) }) },
  { name: "pad not an object", field: "op.pad", only: "depthwise", apply: (c, rng) => void (c.op.pad = rng.pick([null, 1, [1, 1, 1, 1]])) },
  // Pointwise geometry.
  { name: "outChannels bad", field: "op.outChannels", only: "pointwise", apply: (c, rng) => void (c.op.outChannels = rng.pick([0, -1, 1.5, NaN, 65537, 2 ** 31, "8", null])) },
  // Requant parameters at and beyond their limits.
  { name: "tflite multiplier out of range", field: "op.requant.multiplier", scheme: "tflite", apply: (c, rng) => void (c.op.requant.multiplier = [rng.pick([2 ** 31, 2 ** 30 - 1, -1, 1, 1.5, NaN, -(2 ** 31)])]) },
  { name: "tflite shift out of range", field: "op.requant.shift", scheme: "tflite", apply: (c, rng) => void (c.op.requant.shift = [rng.pick([31, -32, 0.5, NaN, 1000])]) },
  { name: "tflite per-channel length", field: "op.requant.multiplier", scheme: "tflite", apply: (c) => void (c.op.requant.multiplier = new Int32Array(outChannelsOf(c) + 1).fill(2 ** 30)) },
  { name: "tflite rounding unknown", field: "op.requant.rounding", scheme: "tflite", apply: (c, rng) => void (c.op.requant.rounding = rng.pick(["up", "nearest", 1, true])) },
  { name: "tflite min > max", field: "op.requant.min", scheme: "tflite", apply: (c) => void Object.assign(c.op.requant, { min: 10, max: 5, outputZeroPoint: 0 }) },
  { name: "onnx min/max beyond dtype", field: "op.requant.m", scheme: "onnx", apply: (c, rng) => void Object.assign(c.op.requant, rng.pick([{ min: -129 }, { max: 256 }, { min: -1, max: 200 }, { min: 0.5 }])) },
  { name: "onnx zero point beyond dtype", field: "op.requant.outputZeroPoint", scheme: "onnx", apply: (c) => void Object.assign(c.op.requant, { min: -128, max: 127, outputZeroPoint: 200 }) },
  { name: "onnx scale not finite float32", field: "op.requant.scale", scheme: "onnx", apply: (c, rng) => void (c.op.requant.scale = [rng.pick([NaN, Infinity, -Infinity, 3.5e38, 1e300])]) },
  { name: "onnx scale wrong kind", field: "op.requant.scale", scheme: "onnx", apply: (c, rng) => void (c.op.requant.scale = rng.pick([new Float64Array(1), "1", 1, null, [null], ["1"]])) },
  { name: "pulp on int8 activations", field: "input.data", scheme: "tflite", apply: (c, rng) => void ((c.input.data = new Int8Array(c.input.data.length)), (c.input.zeroPoint = 0), (c.op.requant = { scheme: rng.pick(["pulp-shift", "pulp-quant", "pulp-bn"]), shift: 1, mult: 1, k: [1], lambda: [0] })) },
  { name: "pulp with a zero point", field: "input.zeroPoint", scheme: "pulp-shift", apply: (c) => void ((c.input.data = new Uint8Array(c.input.data.length)), (c.input.zeroPoint = 3)) },
  { name: "pulp shift out of range", field: "op.requant.shift", scheme: "pulp-shift", apply: (c, rng) => void (c.op.requant.shift = rng.pick([32, -1, 0.5, NaN, 2 ** 31])) },
  { name: "pulp-quant mult out of int16", field: "op.requant.mult", scheme: "pulp-quant", apply: (c, rng) => void (c.op.requant.mult = rng.pick([32768, -32769, 2 ** 31, 0.5])) },
  { name: "pulp-bn k beyond int32", field: "op.requant.k", scheme: "pulp-bn", apply: (c, rng) => void (c.op.requant.k = [rng.pick([2 ** 31, -(2 ** 31) - 1, 0.5, NaN])]) },
  { name: "gap-sq8 on uint8 activations", field: "input.data", scheme: "gap-sq8", apply: (c) => void (c.input.data = new Uint8Array(c.input.data.length)) },
  { name: "gap-sq8 norm/scale beyond limits", field: "op.requant", scheme: "gap-sq8", apply: (c, rng) => void Object.assign(c.op.requant, rng.pick([{ norm: [32] }, { scale: [256] }, { biasNorm: 32 }, { actScale: 256 }, { actNorm: -1 }, { relu: "yes" }])) },
];

function outChannelsOf(c) {
  return c.op.kind === "depthwise" ? c.input.channels : c.op.outChannels;
}

/** Mutations that apply to a case. */
export function mutationsFor(c) {
  return LAYER_MUTATIONS.filter((m) => (!m.only || m.only === c.op.kind) && (!m.scheme || m.scheme === c.op.requant.scheme));
}

/** A structural copy of a case (typed arrays copied), so a mutation never touches the original. */
export function cloneCase(c) {
  const copy = (v) => (ArrayBuffer.isView(v) ? v.slice() : Array.isArray(v) ? v.map(copy) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)])) : v);
  return copy(c);
}

/** Whether `e` is the clean rejection the contract promises: a RangeError or TypeError naming `field`. */
export function cleanRejection(e, field) {
  return (e instanceof RangeError || e instanceof TypeError) && typeof e.message === "string" && e.message.includes(field);
}

// ---- Digests (determinism across runs, builds, threads and processes) -----------------------

/** A 64-bit FNV-1a digest (two 32-bit lanes) of byte arrays and strings, as 16 hex digits. */
export class Digest {
  constructor() {
    this.a = 0x811c9dc5;
    this.b = 0xcbf29ce4;
    this.n = 0;
  }
  bytes(u8) {
    let { a, b } = this;
    for (let i = 0; i < u8.length; i++) {
      a = Math.imul(a ^ u8[i], 0x01000193);
      b = Math.imul(b ^ u8[i] ^ (a >>> 24), 0x01000193);
    }
    this.a = a;
    this.b = b;
    this.n += u8.length;
    return this;
  }
  tensor(t) {
    this.text(`${t.data.constructor.name} ${t.height}x${t.width}x${t.channels} ${t.layout} ${t.zeroPoint}|`);
    return this.bytes(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  text(s) {
    return this.bytes(new TextEncoder().encode(s));
  }
  hex() {
    return (this.a >>> 0).toString(16).padStart(8, "0") + (this.b >>> 0).toString(16).padStart(8, "0");
  }
}

/**
 * Digest of `count` random layers (seeded) computed by `mode`: "simd" or "scalar" (a fresh engine
 * of that build), "default" (the package's top-level functions) or "reference".
 */
export async function layerDigest(lib, { seed, count, mode }) {
  await lib.init();
  const engine = mode === "simd" || mode === "scalar" ? await lib.createEngine({ simd: mode === "simd" }) : null;
  const run = engine ? (i, o) => engine.conv(i, o) : mode === "reference" ? lib.reference.conv : lib.conv;
  const rng = new Rng(seed);
  const d = new Digest();
  for (let i = 0; i < count; i++) {
    const c = randomLayer(rng, undefined, i % 16 === 15);
    d.tensor(run(c.input, c.op));
  }
  return d.hex();
}

/** Digest of `count` random blocks (seeded) under every applicable schedule: outputs and reports. */
export async function blockDigest(lib, { seed, count }) {
  await lib.init();
  const rng = new Rng(seed);
  const d = new Digest();
  for (let i = 0; i < count; i++) {
    const c = randomBlock(rng);
    const order = c.ops[0].kind === "depthwise" ? "dw-pw" : "pw-dw";
    for (const schedule of [undefined, ...applicableSchedules(lib.SCHEDULES, order, c.input.layout)]) {
      try {
        const r = lib.block(c.input, c.ops, schedule ? { schedule } : {});
        d.tensor(r.output).text(JSON.stringify(r.report));
      } catch (e) {
        d.text(`${e.name}: ${e.message}`);
      }
    }
  }
  return d.hex();
}

// ---- The soak ------------------------------------------------------------------------------

/**
 * Runs `calls` mixed calls against `lib` (the package's module: `init`, `createEngine`,
 * `defaultEngine`, `reference`, `block`, `plan`, `toLayout`, `SCHEDULES`, `conv`). Returns the
 * figures; `failures` lists the first few problems (empty on success).
 */
export async function runSoak(lib, { calls = 100_000, seed = 1, progress = null } = {}) {
  const t0 = Date.now();
  await lib.init();
  const simd = await lib.createEngine({ simd: true }).catch(() => null);
  const scalar = await lib.createEngine({ simd: false });
  const engines = [["default", lib.defaultEngine()], ["scalar", scalar], ...(simd ? [["simd", simd]] : [])];
  const rng = new Rng(seed);
  const stats = { calls: 0, inputsTried: 0, kernelCalls: 0, blockCalls: 0, planCalls: 0, rejected: 0, l1Overflows: 0, sentinelRepeats: 0, mismatches: 0, unexpectedErrors: 0 };
  const schedulesSeen = new Set();
  const failures = [];
  const memoryHighWater = Object.fromEntries(engines.map(([n]) => [n, 0]));
  let rssHighWater = 0;
  const fail = (what) => {
    stats.mismatches++;
    if (failures.length < 20) failures.push(what);
  };
  const unexpected = (what, e) => {
    stats.unexpectedErrors++;
    if (failures.length < 20) failures.push(`${what}: unexpected ${e?.constructor?.name}: ${e?.message}`);
  };
  const sample = () => {
    for (const [n, e] of engines) memoryHighWater[n] = Math.max(memoryHighWater[n], e.arena.memoryBytes);
    rssHighWater = Math.max(rssHighWater, process.memoryUsage().rss);
  };

  // Sentinels: a few fixed layers and blocks whose first results every repeat must reproduce.
  const sentinelRng = new Rng(seed ^ 0x5eed);
  const sentinels = [];
  for (let i = 0; i < 4; i++) {
    const c = randomLayer(sentinelRng);
    sentinels.push({ kind: "layer", c, first: engines.map(([, e]) => e.conv(c.input, c.op)) });
  }
  for (let i = 0; i < 4; i++) {
    const c = randomBlock(sentinelRng);
    sentinels.push({ kind: "block", c, first: [lib.block(c.input, c.ops, { schedule: "unfused" }).output] });
  }
  const repeatSentinel = (s, why) => {
    stats.sentinelRepeats++;
    if (s.kind === "layer") {
      engines.forEach(([n, e], i) => {
        stats.calls++;
        const d = tensorDiff(e.conv(s.c.input, s.c.op), s.first[i]);
        if (d) fail(`sentinel layer on ${n} ${why} differs from its first run: ${d}`);
      });
    } else {
      stats.calls++;
      const d = tensorDiff(lib.block(s.c.input, s.c.ops, { schedule: "unfused" }).output, s.first[0]);
      if (d) fail(`sentinel block ${why} differs from its first run: ${d}`);
    }
  };

  let lastProgress = 0;
  while (stats.calls < calls) {
    const iter = stats.inputsTried++;
    const roll = rng.u32() % 100;
    try {
      if (roll < 45) {
        // A layer on every engine and through the top-level entry points.
        const c = randomLayer(rng, undefined, rng.chance(0.01));
        const want = lib.reference.conv(c.input, c.op);
        for (const [n, e] of engines) {
          stats.calls++, stats.kernelCalls++;
          const d = tensorDiff(e.conv(c.input, c.op), want);
          if (d) fail(`${c.op.kind} on ${n} (input ${iter}): ${d}`);
        }
        stats.calls++, stats.kernelCalls++;
        const top = c.op.kind === "depthwise" ? lib.depthwise(c.input, c.op) : lib.pointwise(c.input, c.op);
        const d = tensorDiff(top, want);
        if (d) fail(`top-level ${c.op.kind} (input ${iter}): ${d}`);
      } else if (roll < 85) {
        // A block under a random applicable schedule (or the planner's choice) and memory config.
        const c = randomBlock(rng, rng.chance(0.01));
        const order = c.ops[0].kind === "depthwise" ? "dw-pw" : "pw-dw";
        const options = {};
        if (rng.chance(0.8)) options.schedule = rng.pick(applicableSchedules(lib.SCHEDULES, order, c.input.layout));
        const mem = {};
        if (rng.chance(0.4)) mem.l1Usable = rng.int(600, 36700);
        if (rng.chance(0.3)) mem.doubleBuffer = true;
        if (rng.chance(0.3)) mem.dma = rng.pick(["dory-gap8", "match-gap9"]);
        if (Object.keys(mem).length) options.memory = mem;
        if (rng.chance(0.2)) options.maxRowsPerStep = rng.int(1, 6);
        let r;
        try {
          stats.calls++, stats.blockCalls++;
          r = lib.block(c.input, c.ops, options);
        } catch (e) {
          if (e instanceof RangeError && e.name === "L1OverflowError") {
            stats.l1Overflows++;
            continue;
          }
          throw e;
        }
        schedulesSeen.add(r.report.schedule);
        const want = referenceBlock(lib, c.input, c.ops, blockOutputLayout(r.report.schedule, c.input.layout));
        const d = tensorDiff(r.output, want);
        if (d) fail(`block ${r.report.schedule} (input ${iter}): ${d}`);
        if (rng.chance(0.5)) {
          stats.calls++, stats.planCalls++;
          const p = lib.plan(c.input, c.ops, options);
          for (const k of ["schedule", "activationBytes", "dmaCommands", "dmaCycles", "tiles", "peakL1Bytes", "l2Bytes"]) {
            if (JSON.stringify(p[k]) !== JSON.stringify(r.report[k])) fail(`plan vs block ${r.report.schedule} (input ${iter}): ${k} ${JSON.stringify(p[k])} vs ${JSON.stringify(r.report[k])}`);
          }
          for (const k of ["l2ToL1", "l1ToL2", "tiling"]) {
            if (JSON.stringify(p[k]) !== JSON.stringify(r.report[k])) fail(`plan vs block ${r.report.schedule} (input ${iter}): ${k} ${JSON.stringify(p[k])} vs ${JSON.stringify(r.report[k])}`);
          }
        }
      } else {
        // A hostile call, then a valid one that must still be exact.
        const c = randomLayer(rng);
        const muts = mutationsFor(c);
        const m = rng.pick(muts);
        const bad = cloneCase(c);
        m.apply(bad, rng);
        const [n, e] = rng.pick(engines);
        stats.calls++;
        let threw = null;
        try {
          e.conv(bad.input, bad.op);
        } catch (err) {
          threw = err;
        }
        if (threw === null) fail(`mutation "${m.name}" was accepted on ${n} (input ${iter})`);
        else if (!cleanRejection(threw, m.field)) fail(`mutation "${m.name}" on ${n}: ${threw?.constructor?.name}: ${threw?.message} (expected a RangeError/TypeError naming ${m.field})`);
        else stats.rejected++;
        repeatSentinel(rng.pick(sentinels), `after rejected "${m.name}"`);
      }
    } catch (e) {
      unexpected(`input ${iter}`, e);
    }
    if (iter % 256 === 0) {
      repeatSentinel(sentinels[(iter >> 8) % sentinels.length], `at input ${iter}`);
      sample();
    }
    if (progress && stats.calls - lastProgress >= 10_000) {
      lastProgress = stats.calls;
      progress(stats);
    }
  }
  for (const s of sentinels) repeatSentinel(s, "at the end");
  sample();
  const overBound = Object.entries(memoryHighWater).filter(([, b]) => b > MEMORY_BOUND_BYTES);
  for (const [n, b] of overBound) fail(`WebAssembly memory of the ${n} engine reached ${b} bytes, above the ${MEMORY_BOUND_BYTES} bound`);
  return {
    seed,
    ...stats,
    schedules: [...schedulesSeen].sort(),
    memoryHighWater,
    memoryBoundBytes: MEMORY_BOUND_BYTES,
    rssHighWater,
    elapsedMs: Date.now() - t0,
    failures,
  };
}

function formatFigures(r) {
  const n = (x) => x.toLocaleString("en-US");
  const mib = (b) => `${(b / 2 ** 20).toFixed(2)} MiB`;
  return [
    `dwpw soak (seed ${r.seed}, ${(r.elapsedMs / 1000).toFixed(1)} s)`,
    `  calls made:        ${n(r.calls)} (kernel ${n(r.kernelCalls)}, block ${n(r.blockCalls)}, plan ${n(r.planCalls)}, sentinel repeats ${n(r.sentinelRepeats)}, rejected as hostile ${n(r.rejected)}, L1 overflow ${n(r.l1Overflows)})`,
    `  inputs tried:      ${n(r.inputsTried)}`,
    `  schedules run:     ${r.schedules.length} (${r.schedules.join(", ")})`,
    `  memory high-water: WebAssembly ${Object.entries(r.memoryHighWater).map(([k, b]) => `${k} ${mib(b)}`).join(", ")} (bound ${mib(r.memoryBoundBytes)}); process RSS ${mib(r.rssHighWater)}`,
    `  unexpected errors: ${r.unexpectedErrors}`,
    `  mismatches = ${r.mismatches}`,
    ...r.failures.map((f) => `    ${f}`),
  ].join("\n");
}

async function main(argv) {
  const opt = (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : dflt;
  };
  const calls = Number(opt("calls", "100000"));
  const seed = Number(opt("seed", String(Date.now() % 1_000_000)));
  if (!Number.isInteger(calls) || calls < 1 || !Number.isInteger(seed)) {
    console.error("usage: node scripts/soak.mjs [--calls N] [--seed S] [--json]");
    return 2;
  }
  const lib = await import(new URL("../dist/index.js", import.meta.url).href);
  const r = await runSoak(lib, {
    calls,
    seed,
    progress: argv.includes("--json") ? null : (s) => console.error(`  ... ${s.calls.toLocaleString("en-US")} calls, ${s.mismatches} mismatches`),
  });
  console.log(argv.includes("--json") ? JSON.stringify(r, null, 2) : formatFigures(r));
  return r.mismatches === 0 && r.unexpectedErrors === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
