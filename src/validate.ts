// Argument checking shared by the WebAssembly kernels and the reference: every public entry point
// turns its (tensor, op) into a `Layer` here first, so bad input is rejected once, in one place,
// with an error naming the field, before any byte reaches WebAssembly.
import type { ConvOp, DepthwiseOp, Dtype, Layout, Padding, PointwiseOp, Requant, Tensor } from "./types.js";

/** Largest height, width, channel count, kernel edge, stride or pad accepted. */
export const MAX_DIM = 1 << 16;
/** Largest tensor accepted, in elements (input, output or weights). */
export const MAX_ELEMENTS = 1 << 28;

/** A requantization with its per-channel arrays expanded to one entry per output channel. */
export type CheckedRequant =
  | { scheme: "tflite"; single: boolean; multiplier: Int32Array; shift: Int32Array; outputZeroPoint: number; min: number; max: number }
  | { scheme: "onnx"; scale: Float32Array; outputZeroPoint: number; min: number; max: number }
  | { scheme: "pulp-bn"; k: Int32Array; lambda: Int32Array; shift: number }
  | { scheme: "pulp-quant"; mult: number; shift: number }
  | { scheme: "pulp-shift"; shift: number }
  | { scheme: "gap-sq8"; scale: Uint8Array; norm: Uint8Array; relu: boolean; biasNorm: number; actScale: number; actNorm: number };

/** A validated convolution: geometry, dtypes and normalized parameters. Pointwise is 1x1/stride 1/no pad. */
export interface Layer {
  kind: "depthwise" | "pointwise";
  inDtype: Dtype;
  layout: Layout;
  height: number;
  width: number;
  channels: number;
  inZeroPoint: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pad: Padding;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  outDtype: Dtype;
  outZeroPoint: number;
  weights: Int8Array;
  /** One int32 per output channel, or null for none. */
  bias: Int32Array | null;
  requant: CheckedRequant;
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function checkInt(v: unknown, field: string, lo: number, hi: number): number {
  if (typeof v !== "number") throw new TypeError(`${field} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(`${field} must be an integer in [${lo}, ${hi}], got ${v}`);
  }
  return v;
}

function dtypeRange(dtype: Dtype): [number, number] {
  return dtype === "int8" ? [-128, 127] : [0, 255];
}

// The typed arrays' own accessors, read from %TypedArray%.prototype: a subclass or a Proxy can
// override `length`, `buffer`, `byteOffset` and `byteLength`, these cannot be fooled.
const TYPED_ARRAY_PROTO = Object.getPrototypeOf(Int8Array.prototype) as object;
const intrinsic = (name: string) => Object.getOwnPropertyDescriptor(TYPED_ARRAY_PROTO, name)?.get as (this: unknown) => unknown;
const TA_LENGTH = intrinsic("length");
const TA_BUFFER = intrinsic("buffer");
const TA_OFFSET = intrinsic("byteOffset");
const TA_BYTES = intrinsic("byteLength");

/**
 * The element count of a genuine typed array whose public accessors agree with its internal
 * state, or a TypeError naming `field`. The kernels copy `byteLength` bytes from `buffer` at
 * `byteOffset`: an array that lies about any of them (a Proxy, an imitation, a subclass with a
 * `length` getter) would otherwise make WebAssembly read bytes the previous call left behind.
 */
function honestLength(v: unknown, field: string): number {
  try {
    const a = v as Int8Array;
    const n = TA_LENGTH.call(v) as number;
    if (a.length === n && a.byteLength === TA_BYTES.call(v) && a.byteOffset === TA_OFFSET.call(v) && a.buffer === TA_BUFFER.call(v)) return n;
  } catch {
    // not a typed array at all: fall through
  }
  throw new TypeError(`${field} must be a plain typed array (not a Proxy, an imitation, or one whose length, buffer or offset accessors are overridden)`);
}

/** The dtype of a tensor's data, or a TypeError naming `field`. */
export function dtypeOf(data: unknown, field: string): Dtype {
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Uint8Array && !(data instanceof Uint8ClampedArray)) return "uint8";
  throw new TypeError(`${field} must be an Int8Array (int8) or a Uint8Array (uint8)`);
}

/** Checks an activation tensor and returns its dtype. */
export function checkTensor(t: unknown, field = "input"): Dtype {
  if (!isObject(t)) throw new TypeError(`${field} must be a tensor object`);
  const dtype = dtypeOf(t.data, `${field}.data`);
  const h = checkInt(t.height, `${field}.height`, 1, MAX_DIM);
  const w = checkInt(t.width, `${field}.width`, 1, MAX_DIM);
  const c = checkInt(t.channels, `${field}.channels`, 1, MAX_DIM);
  if (t.layout !== "HWC" && t.layout !== "CHW") {
    throw new RangeError(`${field}.layout must be "HWC" or "CHW", got ${String(t.layout)}`);
  }
  const [lo, hi] = dtypeRange(dtype);
  checkInt(t.zeroPoint, `${field}.zeroPoint`, lo, hi);
  const n = h * w * c;
  if (n > MAX_ELEMENTS) throw new RangeError(`${field} has ${n} elements; at most ${MAX_ELEMENTS} are supported`);
  const len = honestLength(t.data, `${field}.data`);
  if (len !== n) {
    throw new RangeError(`${field}.data has ${len} bytes but height*width*channels = ${h}*${w}*${c} = ${n}`);
  }
  return dtype;
}

function checkPair(v: unknown, field: string, lo: number): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) throw new TypeError(`${field} must be a [height, width] pair`);
  return [checkInt(v[0], `${field}[0]`, lo, MAX_DIM), checkInt(v[1], `${field}[1]`, lo, MAX_DIM)];
}

function checkPadding(v: unknown, field: string): Padding {
  if (!isObject(v)) throw new TypeError(`${field} must be { top, left, bottom, right }`);
  return {
    top: checkInt(v.top, `${field}.top`, 0, MAX_DIM),
    left: checkInt(v.left, `${field}.left`, 0, MAX_DIM),
    bottom: checkInt(v.bottom, `${field}.bottom`, 0, MAX_DIM),
    right: checkInt(v.right, `${field}.right`, 0, MAX_DIM),
  };
}

/** Reads a per-channel integer array (typed or plain); length 1 is broadcast (per-tensor). */
function perChannelInts(v: unknown, field: string, n: number, lo: number, hi: number): number[] {
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
function rangedOutput(r: Record<string, unknown>, field: string): { outDtype: Dtype; outputZeroPoint: number; min: number; max: number } {
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

const SCHEMES = ["tflite", "onnx", "pulp-bn", "pulp-quant", "pulp-shift", "gap-sq8"];

function checkRequant(
  v: unknown,
  field: string,
  n: number,
  inDtype: Dtype,
  inZeroPoint: number,
  inField: string,
): { requant: CheckedRequant; outDtype: Dtype; outZeroPoint: number } {
  if (!isObject(v)) throw new TypeError(`${field} must be a requantization object`);
  const scheme = v.scheme as Requant["scheme"];
  if (!SCHEMES.includes(scheme as string)) {
    throw new RangeError(`${field}.scheme must be one of ${SCHEMES.join(", ")}, got ${String(scheme)}`);
  }
  if (scheme.startsWith("pulp-")) {
    if (inDtype !== "uint8") throw new TypeError(`${inField}.data must be a Uint8Array: scheme ${scheme} takes uint8 activations`);
    if (inZeroPoint !== 0) throw new RangeError(`${inField}.zeroPoint must be 0 for scheme ${scheme}, got ${inZeroPoint}`);
  }
  if (scheme === "gap-sq8") {
    if (inDtype !== "int8") throw new TypeError(`${inField}.data must be an Int8Array: scheme gap-sq8 takes int8 activations`);
    if (inZeroPoint !== 0) throw new RangeError(`${inField}.zeroPoint must be 0 for scheme gap-sq8, got ${inZeroPoint}`);
  }
  switch (scheme) {
    case "tflite": {
      const rounding = v.rounding ?? "double";
      if (rounding !== "double" && rounding !== "single") {
        throw new RangeError(`${field}.rounding must be "double" or "single", got ${String(rounding)}`);
      }
      const mult = perChannelInts(v.multiplier, `${field}.multiplier`, n, 0, INT32_MAX);
      mult.forEach((m, i) => {
        if (m !== 0 && m < 0x40000000) {
          throw new RangeError(`${field}.multiplier[${i}] must be 0 or in [2^30, 2^31), got ${m}`);
        }
      });
      const shift = perChannelInts(v.shift, `${field}.shift`, n, -31, 30);
      const o = rangedOutput(v, field);
      return {
        requant: { scheme, single: rounding === "single", multiplier: Int32Array.from(mult), shift: Int32Array.from(shift), outputZeroPoint: o.outputZeroPoint, min: o.min, max: o.max },
        outDtype: o.outDtype,
        outZeroPoint: o.outputZeroPoint,
      };
    }
    case "onnx": {
      const s = v.scale;
      if (!(s instanceof Float32Array || Array.isArray(s))) throw new TypeError(`${field}.scale must be a Float32Array or number[]`);
      if (s.length !== n && s.length !== 1) {
        throw new RangeError(`${field}.scale has ${s.length} entries; expected ${n} (one per output channel) or 1`);
      }
      const scale = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const x = s[s.length === 1 ? 0 : i];
        if (typeof x !== "number") throw new TypeError(`${field}.scale[${i}] must be a number`);
        const f = Math.fround(x);
        if (!Number.isFinite(f)) throw new RangeError(`${field}.scale[${i}] must be a finite float32, got ${x}`);
        scale[i] = f;
      }
      const o = rangedOutput(v, field);
      return {
        requant: { scheme, scale, outputZeroPoint: o.outputZeroPoint, min: o.min, max: o.max },
        outDtype: o.outDtype,
        outZeroPoint: o.outputZeroPoint,
      };
    }
    case "pulp-bn": {
      const k = perChannelInts(v.k, `${field}.k`, n, INT32_MIN, INT32_MAX);
      const lambda = perChannelInts(v.lambda, `${field}.lambda`, n, INT32_MIN, INT32_MAX);
      const shift = checkInt(v.shift, `${field}.shift`, 0, 31);
      return { requant: { scheme, k: Int32Array.from(k), lambda: Int32Array.from(lambda), shift }, outDtype: "uint8", outZeroPoint: 0 };
    }
    case "pulp-quant": {
      const mult = checkInt(v.mult, `${field}.mult`, -32768, 32767);
      const shift = checkInt(v.shift, `${field}.shift`, 0, 31);
      return { requant: { scheme, mult, shift }, outDtype: "uint8", outZeroPoint: 0 };
    }
    case "pulp-shift": {
      const shift = checkInt(v.shift, `${field}.shift`, 0, 31);
      return { requant: { scheme, shift }, outDtype: "uint8", outZeroPoint: 0 };
    }
    case "gap-sq8": {
      const scale = perChannelInts(v.scale, `${field}.scale`, n, 0, 255);
      const norm = perChannelInts(v.norm, `${field}.norm`, n, 0, 31);
      if (v.relu !== undefined && typeof v.relu !== "boolean") throw new TypeError(`${field}.relu must be a boolean`);
      const biasNorm = v.biasNorm === undefined ? 0 : checkInt(v.biasNorm, `${field}.biasNorm`, 0, 31);
      const actScale = v.actScale === undefined ? 1 : checkInt(v.actScale, `${field}.actScale`, 0, 255);
      const actNorm = v.actNorm === undefined ? 0 : checkInt(v.actNorm, `${field}.actNorm`, 0, 31);
      return {
        requant: { scheme, scale: Uint8Array.from(scale), norm: Uint8Array.from(norm), relu: v.relu === true, biasNorm, actScale, actNorm },
        outDtype: "int8",
        outZeroPoint: 0,
      };
    }
  }
}

function checkWeightsAndBias(op: Record<string, unknown>, f: string, wLen: number, n: number): { weights: Int8Array; bias: Int32Array | null } {
  if (!(op.weights instanceof Int8Array)) throw new TypeError(`${f}.weights must be an Int8Array`);
  if (wLen > MAX_ELEMENTS) throw new RangeError(`${f}.weights would have ${wLen} entries; at most ${MAX_ELEMENTS} are supported`);
  const wl = honestLength(op.weights, `${f}.weights`);
  if (wl !== wLen) throw new RangeError(`${f}.weights has ${wl} entries; expected ${wLen}`);
  const b = op.bias;
  if (b === undefined || b === null) return { weights: op.weights, bias: null };
  if (!(b instanceof Int32Array)) throw new TypeError(`${f}.bias must be an Int32Array or null`);
  const bl = honestLength(b, `${f}.bias`);
  if (bl !== n) throw new RangeError(`${f}.bias has ${bl} entries; expected ${n} (one per output channel)`);
  return { weights: op.weights, bias: b };
}

/** The geometry and dtype of an activation tensor, without its bytes. */
export interface TensorShape {
  height: number;
  width: number;
  channels: number;
  layout: Layout;
  zeroPoint: number;
  dtype: Dtype;
}

/** The shape of a tensor already checked with `checkTensor`. */
export function shapeOf(t: Tensor, dtype: Dtype): TensorShape {
  return { height: t.height, width: t.width, channels: t.channels, layout: t.layout, zeroPoint: t.zeroPoint, dtype };
}

/**
 * Validates `op` applied to an input of shape `s` (already valid) and derives the layer.
 * `f` names the op and `inField` the input in error messages (e.g. "ops[1]", "ops[0] output").
 */
export function layerOf(s: TensorShape, op: ConvOp, f = "op", inField = "input"): Layer {
  if (!isObject(op)) throw new TypeError(`${f} must be a convolution object`);
  const { height: h, width: w, channels: c } = s;
  const o = op as unknown as Record<string, unknown>;
  if (op.kind === "depthwise") {
    const [kh, kw] = checkPair(op.kernel, `${f}.kernel`, 1);
    const [sh, sw] = checkPair(op.stride, `${f}.stride`, 1);
    const pad = checkPadding(op.pad, `${f}.pad`);
    const ph = h + pad.top + pad.bottom;
    const pw = w + pad.left + pad.right;
    if (kh > ph) throw new RangeError(`${f}.kernel[0] (${kh}) exceeds the padded input height (${ph}): the output would be empty`);
    if (kw > pw) throw new RangeError(`${f}.kernel[1] (${kw}) exceeds the padded input width (${pw}): the output would be empty`);
    // The kernels widen the padded rows to int16 with the channels rounded up to 8 lanes; bounding
    // that keeps their working memory (and its 32-bit size arithmetic) in range.
    const lanes = ph * pw * (Math.ceil(c / 8) * 8);
    if (lanes > MAX_ELEMENTS) {
      throw new RangeError(`${f}.pad: the padded input ${ph}x${pw}x${c} is too large (at most ${MAX_ELEMENTS} elements, channels counted in multiples of 8)`);
    }
    const outHeight = Math.floor((ph - kh) / sh) + 1;
    const outWidth = Math.floor((pw - kw) / sw) + 1;
    if (outHeight * outWidth * c > MAX_ELEMENTS) throw new RangeError(`${f}: output of ${outHeight}x${outWidth}x${c} is too large`);
    const wb = checkWeightsAndBias(o, f, c * kh * kw, c);
    const rq = checkRequant(op.requant, `${f}.requant`, c, s.dtype, s.zeroPoint, inField);
    return {
      kind: "depthwise", inDtype: s.dtype, layout: s.layout, height: h, width: w, channels: c, inZeroPoint: s.zeroPoint,
      kh, kw, sh, sw, pad, outHeight, outWidth, outChannels: c,
      outDtype: rq.outDtype, outZeroPoint: rq.outZeroPoint, ...wb, requant: rq.requant,
    };
  }
  if (op.kind === "pointwise") {
    const cout = checkInt(op.outChannels, `${f}.outChannels`, 1, MAX_DIM);
    if (cout * c > MAX_ELEMENTS) throw new RangeError(`${f}.weights of ${cout}x${c} is too large`);
    if (h * w * cout > MAX_ELEMENTS) throw new RangeError(`${f}: output of ${h}x${w}x${cout} is too large`);
    const wb = checkWeightsAndBias(o, f, cout * c, cout);
    const rq = checkRequant(op.requant, `${f}.requant`, cout, s.dtype, s.zeroPoint, inField);
    return {
      kind: "pointwise", inDtype: s.dtype, layout: s.layout, height: h, width: w, channels: c, inZeroPoint: s.zeroPoint,
      kh: 1, kw: 1, sh: 1, sw: 1, pad: { top: 0, left: 0, bottom: 0, right: 0 },
      outHeight: h, outWidth: w, outChannels: cout,
      outDtype: rq.outDtype, outZeroPoint: rq.outZeroPoint, ...wb, requant: rq.requant,
    };
  }
  throw new RangeError(`${f}.kind must be "depthwise" or "pointwise", got ${String(o.kind)}`);
}

/** The shape of a layer's output. */
export function outputShape(layer: Layer): TensorShape {
  return {
    height: layer.outHeight, width: layer.outWidth, channels: layer.outChannels,
    layout: layer.layout, zeroPoint: layer.outZeroPoint, dtype: layer.outDtype,
  };
}

function checkKind(op: unknown, kind: string): void {
  if (!isObject(op) || op.kind !== kind) throw new TypeError(`op.kind must be "${kind}"`);
}

/** Validates a depthwise convolution and derives its output geometry. */
export function checkDepthwise(input: Tensor, op: DepthwiseOp): Layer {
  const dtype = checkTensor(input);
  checkKind(op, "depthwise");
  return layerOf(shapeOf(input, dtype), op);
}

/** Validates a pointwise convolution and derives its output geometry. */
export function checkPointwise(input: Tensor, op: PointwiseOp): Layer {
  const dtype = checkTensor(input);
  checkKind(op, "pointwise");
  return layerOf(shapeOf(input, dtype), op);
}

/** Validates either kind of op. */
export function checkConv(input: Tensor, op: ConvOp): Layer {
  const dtype = checkTensor(input);
  return layerOf(shapeOf(input, dtype), op);
}

/** An empty output tensor of a validated layer, in the input's layout. */
export function outputTensor(layer: Layer): Tensor {
  const n = layer.outHeight * layer.outWidth * layer.outChannels;
  return {
    data: layer.outDtype === "int8" ? new Int8Array(n) : new Uint8Array(n),
    height: layer.outHeight,
    width: layer.outWidth,
    channels: layer.outChannels,
    layout: layer.layout,
    zeroPoint: layer.outZeroPoint,
  };
}
