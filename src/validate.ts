// Argument checking shared by the WebAssembly kernels and the reference: every public entry point
// turns its (tensor, op) into a `CheckedLayer` here first, so bad input is rejected once, in one
// place, with an error naming the field, before any byte reaches WebAssembly.
import { DMA_PRESETS } from "./scratchpad/memory.js";
import { LIST_FIELDS, SCALAR_FIELDS, SCHEME_NAMES, schemeNamed, type CheckedRequant } from "./schemes/index.js";
import { checkInt, dtypeRange, isObject } from "./schemes/scheme.js";
import type { ConvOp, DepthwiseOp, Dtype, Layout, Padding, PointwiseOp, Tensor } from "./types.js";

/** Largest height, width, channel count, kernel edge, stride or pad accepted. */
export const MAX_DIM = 1 << 16;
/** Largest tensor accepted, in elements (input, output or weights). */
export const MAX_ELEMENTS = 1 << 28;

/** A requantization with its per-channel arrays expanded to one entry per output channel. */
export type { CheckedRequant };

/** A validated convolution: geometry, dtypes and normalized parameters. Pointwise is 1x1/stride 1/no pad. */
export interface CheckedLayer {
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

// The typed arrays' own accessors, read from %TypedArray%.prototype: a subclass or a Proxy can
// override `length`, `buffer`, `byteOffset` and `byteLength`, these cannot be fooled.
const TYPED_ARRAY_PROTO = Object.getPrototypeOf(Int8Array.prototype) as object;
const intrinsic = (name: string) => Object.getOwnPropertyDescriptor(TYPED_ARRAY_PROTO, name)?.get as (this: unknown) => unknown;
const TA_LENGTH = intrinsic("length");
const TA_BUFFER = intrinsic("buffer");
const TA_OFFSET = intrinsic("byteOffset");
const TA_BYTES = intrinsic("byteLength");

const TA_TAG = Object.getOwnPropertyDescriptor(TYPED_ARRAY_PROTO, Symbol.toStringTag)?.get as (this: unknown) => string | undefined;

/**
 * The element count of a genuine typed array whose public accessors agree with its internal
 * state, or a TypeError naming `field`. The kernels copy `byteLength` bytes from `buffer` at
 * `byteOffset`: an array that lies about any of them (a Proxy, an imitation, a subclass with a
 * `length` getter) would otherwise make WebAssembly read bytes the previous call left behind.
 */
function honestLength(v: unknown, field: string): number {
  try {
    if (dishonest.has(v as object)) throw new TypeError();
    const a = v as Int8Array;
    const n = TA_LENGTH.call(v) as number;
    if (a.length === n && a.byteLength === TA_BYTES.call(v) && a.byteOffset === TA_OFFSET.call(v) && a.buffer === TA_BUFFER.call(v)) return n;
  } catch {
    // not a typed array at all: fall through
  }
  throw new TypeError(`${field} must be a plain typed array (not a Proxy, an imitation, or one whose length, buffer or offset accessors are overridden)`);
}

// ---- Snapshots ---------------------------------------------------------------------------------
// Every public entry reads what it was given exactly once, into plain frozen objects, before it
// validates anything; validation and computation then see only the snapshot. A getter or a Proxy
// that answers one value when checked and another when computed from can then no longer slip an
// unchecked size, layout, zero point or array past the checks. Activations and weights are not
// copied: a typed array is captured as a fresh view of the same memory (same buffer, offset and
// length, read once from the array's internal state), so its length cannot change afterwards even
// if its buffer is resizable or growable. Per-channel parameter arrays are small and are copied.

/** The typed array constructors, taken once at load (a later change to the globals is not seen). */
const TYPED_CTORS: Record<string, new (buffer: ArrayBufferLike, byteOffset?: number, length?: number) => ArrayLike<unknown>> = {};
for (const name of ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array", "Float16Array"]) {
  const c = (globalThis as Record<string, unknown>)[name];
  if (typeof c === "function") TYPED_CTORS[name] = c as (typeof TYPED_CTORS)[string];
}

/** Snapshots made here: taking a snapshot of one gives it back unchanged. */
const snapshots = new WeakSet<object>();
/** Empty stand-ins for typed arrays that lie about their length, buffer or offset, or are Proxies: validation rejects them. */
const dishonest = new WeakSet<object>();
/** What a value that is not a list (or not a typed array) becomes: an object validation rejects by type. */
const NOT_A_LIST: object = Object.freeze({});

/** Largest list a generic snapshot copies (longer ones are a TypeError; no valid argument is that long). */
export const MAX_SNAPSHOT_LIST = 1 << 24;
/** Deepest nesting of objects a generic snapshot copies (option objects are at most 4 deep). */
export const MAX_SNAPSHOT_DEPTH = 16;
/** Most keys of one object a generic snapshot copies. */
export const MAX_SNAPSHOT_KEYS = 1 << 16;

const typedName = (v: unknown): string | undefined => (typeof v === "object" && v !== null ? TA_TAG.call(v) : undefined);

/** A stand-in for an array validation must refuse, with the dtype it claimed (so size errors still come first). */
function refused(ctor: (typeof TYPED_CTORS)[string]): object {
  const r = new ctor(new ArrayBuffer(0)) as object;
  dishonest.add(r);
  return r;
}

/**
 * A typed array, captured: a new fixed-length view of the same bytes, or a stand-in validation
 * refuses (a Proxy or imitation claiming to be a typed array, one whose accessors are overridden).
 * Anything else that is an object becomes NOT_A_LIST; primitives stay as they are.
 */
export function snapshotView(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (snapshots.has(v)) return v;
  const tag = typedName(v);
  if (tag === undefined) {
    // Not a typed array; if it claims to be one (instanceof), keep the claimed type so that the
    // size checks, which come first, still apply, and validation refuses it afterwards.
    for (const ctor of Object.values(TYPED_CTORS)) if (v instanceof ctor) return refused(ctor);
    return NOT_A_LIST;
  }
  const ctor = TYPED_CTORS[tag];
  if (!ctor) return NOT_A_LIST;
  try {
    const a = v as unknown as Int8Array;
    // The public accessors (which a subclass can override) are read before the internal state,
    // so that a getter cannot change the state after it was read.
    const pub = [a.length, a.byteLength, a.byteOffset, a.buffer];
    const n = TA_LENGTH.call(v) as number;
    const buf = TA_BUFFER.call(v) as ArrayBufferLike;
    const off = TA_OFFSET.call(v) as number;
    if (pub[0] !== n || pub[1] !== TA_BYTES.call(v) || pub[2] !== off || pub[3] !== buf) return refused(ctor);
    const view = new ctor(buf, off, n) as object;
    snapshots.add(view);
    return view;
  } catch {
    // A detached buffer (its views have length 0): so has the stand-in, and the length check refuses it.
    return new ctor(new ArrayBuffer(0));
  }
}

/** A per-channel list (typed or plain), copied; over-long plain lists keep only their length. */
function snapshotList(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) {
    const n = v.length;
    if (n > MAX_DIM) return Object.freeze(new Array(n)); // refused on its length, never read
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = v[i];
    return Object.freeze(out);
  }
  const view = snapshotView(v);
  if (dishonest.has(view as object) || view === NOT_A_LIST) return NOT_A_LIST;
  const tag = typedName(view) as string;
  const n = TA_LENGTH.call(view) as number;
  if (n > MAX_DIM) return Object.freeze(new Array(n));
  const copy = new TYPED_CTORS[tag]!(new ArrayBuffer((view as Int8Array).byteLength)) as Int8Array;
  copy.set(view as Int8Array);
  return copy;
}

function freezeSnapshot<T extends object>(o: T): T {
  Object.freeze(o);
  snapshots.add(o);
  return o;
}

/** A [h, w] pair, copied; anything else becomes a value the pair check refuses. */
function snapshotPair(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (!Array.isArray(v) || v.length !== 2) return NOT_A_LIST;
  return Object.freeze([v[0], v[1]]);
}

/** An activation tensor, read once: its numbers and strings, and its data captured as a view. */
export function snapshotTensor<T>(t: T): T {
  if (!isObject(t) || snapshots.has(t)) return t;
  const data = snapshotView(t.data);
  return freezeSnapshot({ data, height: t.height, width: t.width, channels: t.channels, layout: t.layout, zeroPoint: t.zeroPoint }) as T;
}

/** A requantization, read once: every field any scheme has, its per-channel arrays copied. */
function snapshotRequant(r: unknown): unknown {
  if (!isObject(r) || snapshots.has(r)) return r;
  const out: Record<string, unknown> = { scheme: r.scheme };
  for (const f of SCALAR_FIELDS) out[f] = r[f];
  for (const f of LIST_FIELDS) out[f] = snapshotList(r[f]);
  return freezeSnapshot(out);
}

/** A depthwise or pointwise op, read once: geometry, weights and bias as views, requant copied. */
export function snapshotOp<T>(op: T): T {
  if (!isObject(op) || snapshots.has(op)) return op;
  const kind = op.kind;
  const kernel = snapshotPair(op.kernel);
  const stride = snapshotPair(op.stride);
  const p = op.pad;
  const pad = isObject(p) ? freezeSnapshot({ top: p.top, left: p.left, bottom: p.bottom, right: p.right }) : p;
  const outChannels = op.outChannels;
  const weights = snapshotView(op.weights);
  const bias = snapshotView(op.bias);
  const requant = snapshotRequant(op.requant);
  return freezeSnapshot({ kind, kernel, stride, pad, outChannels, weights, bias, requant }) as T;
}

/** A byte array (a model file), captured as a view; a TypeError naming `field` for anything else. */
export function snapshotBytes(v: unknown, field: string, what: string): Uint8Array {
  const s = snapshotView(v);
  if (!(s instanceof Uint8Array) || dishonest.has(s)) throw new TypeError(`${field} must be a Uint8Array ${what}`);
  return s;
}

/** Library constants an option may name by identity (a DMA preset object keeps its name). */
const keptByIdentity = new WeakSet<object>();
export function keepByIdentity(...objects: object[]): void {
  for (const o of objects) keptByIdentity.add(o);
}

// The DMA presets are the library's own objects: `memory.dma: DMA_PRESETS["gap8-fit"]` keeps the name.
keepByIdentity(...Object.values(DMA_PRESETS));

/**
 * The arguments of `block` and `plan`, read once: the input tensor, the pair of ops (a list that
 * is not a pair becomes an empty one, which the block check refuses), and the options.
 */
export function snapshotBlockArgs<I, O, P>(input: I, ops: O, options: P): { input: I; ops: O; options: P } {
  const t = snapshotTensor(input);
  let pair: unknown = ops;
  if (Array.isArray(ops)) pair = freezeSnapshot(ops.length === 2 ? [snapshotOp(ops[0]), snapshotOp(ops[1])] : []);
  else if (isObject(ops)) pair = NOT_A_LIST;
  return { input: t, ops: pair as O, options: snapshotValue(options, "options") };
}

/**
 * Any argument made of plain data (an option object, a check subject, a network input or a record
 * of them), read once and copied into frozen plain objects and arrays: own enumerable properties
 * and list entries are read once each, typed arrays captured as views (`snapshotView`), functions
 * kept. Cycles, nesting past MAX_SNAPSHOT_DEPTH and lists or objects past their limits are a
 * TypeError naming `field`.
 */
export function snapshotValue<T>(v: T, field: string, depth = 0): T {
  if (typeof v !== "object" || v === null) return v;
  if (snapshots.has(v) || keptByIdentity.has(v)) return v;
  if (depth > MAX_SNAPSHOT_DEPTH) throw new TypeError(`${field} is nested more than ${MAX_SNAPSHOT_DEPTH} levels deep (or refers to itself)`);
  if (typedName(v) !== undefined) return snapshotView(v) as T;
  if (Array.isArray(v)) {
    const n = v.length;
    if (n > MAX_SNAPSHOT_LIST) throw new TypeError(`${field} has ${n} entries; at most ${MAX_SNAPSHOT_LIST} are accepted`);
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = snapshotValue(v[i], `${field}[${i}]`, depth + 1);
    return freezeSnapshot(out) as T;
  }
  for (const ctor of Object.values(TYPED_CTORS)) if (v instanceof ctor) return refused(ctor) as T;
  const keys = Object.keys(v);
  if (keys.length > MAX_SNAPSHOT_KEYS) throw new TypeError(`${field} has ${keys.length} keys; at most ${MAX_SNAPSHOT_KEYS} are accepted`);
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = snapshotValue((v as Record<string, unknown>)[k], `${field}.${k}`, depth + 1);
  return freezeSnapshot(out) as T;
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

function checkRequant(
  v: unknown,
  field: string,
  n: number,
  inDtype: Dtype,
  inZeroPoint: number,
  inField: string,
): { requant: CheckedRequant; outDtype: Dtype; outZeroPoint: number } {
  if (!isObject(v)) throw new TypeError(`${field} must be a requantization object`);
  const scheme = schemeNamed(v.scheme);
  if (!scheme) throw new RangeError(`${field}.scheme must be one of ${SCHEME_NAMES.join(", ")}, got ${String(v.scheme)}`);
  const name = scheme.name;
  if (!scheme.inputs.includes(inDtype)) {
    const want = scheme.inputs[0] as Dtype;
    throw new TypeError(`${inField}.data must be ${want === "uint8" ? "a Uint8Array" : "an Int8Array"}: scheme ${name} takes ${want} activations`);
  }
  if (scheme.zeroPointFree && inZeroPoint !== 0) throw new RangeError(`${inField}.zeroPoint must be 0 for scheme ${name}, got ${inZeroPoint}`);
  return scheme.check(v, field, n);
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
export function layerOf(s: TensorShape, rawOp: ConvOp, f = "op", inField = "input"): CheckedLayer {
  const op = snapshotOp(rawOp);
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
    return sealLayer({
      kind: "depthwise", inDtype: s.dtype, layout: s.layout, height: h, width: w, channels: c, inZeroPoint: s.zeroPoint,
      kh, kw, sh, sw, pad, outHeight, outWidth, outChannels: c,
      outDtype: rq.outDtype, outZeroPoint: rq.outZeroPoint, ...wb, requant: rq.requant,
    });
  }
  if (op.kind === "pointwise") {
    const cout = checkInt(op.outChannels, `${f}.outChannels`, 1, MAX_DIM);
    if (cout * c > MAX_ELEMENTS) throw new RangeError(`${f}.weights of ${cout}x${c} is too large`);
    if (h * w * cout > MAX_ELEMENTS) throw new RangeError(`${f}: output of ${h}x${w}x${cout} is too large`);
    const wb = checkWeightsAndBias(o, f, cout * c, cout);
    const rq = checkRequant(op.requant, `${f}.requant`, cout, s.dtype, s.zeroPoint, inField);
    return sealLayer({
      kind: "pointwise", inDtype: s.dtype, layout: s.layout, height: h, width: w, channels: c, inZeroPoint: s.zeroPoint,
      kh: 1, kw: 1, sh: 1, sw: 1, pad: { top: 0, left: 0, bottom: 0, right: 0 },
      outHeight: h, outWidth: w, outChannels: cout,
      outDtype: rq.outDtype, outZeroPoint: rq.outZeroPoint, ...wb, requant: rq.requant,
    });
  }
  throw new RangeError(`${f}.kind must be "depthwise" or "pointwise", got ${String(o.kind)}`);
}

/** The shape of a layer's output. */
export function outputShape(layer: CheckedLayer): TensorShape {
  return {
    height: layer.outHeight, width: layer.outWidth, channels: layer.outChannels,
    layout: layer.layout, zeroPoint: layer.outZeroPoint, dtype: layer.outDtype,
  };
}

function checkKind(op: unknown, kind: string): void {
  if (!isObject(op) || op.kind !== kind) throw new TypeError(`op.kind must be "${kind}"`);
}

/** Layers made by the checks here (frozen): `Engine.prepare` takes no other. */
const validatedLayers = new WeakSet<CheckedLayer>();

function sealLayer(l: CheckedLayer): CheckedLayer {
  Object.freeze(l.pad);
  Object.freeze(l.requant);
  validatedLayers.add(Object.freeze(l));
  return l;
}

/** Whether `l` is a layer these checks made. */
export function isValidatedLayer(l: unknown): l is CheckedLayer {
  return isObject(l) && validatedLayers.has(l as unknown as CheckedLayer);
}

/**
 * One layer's call, checked: the input and op are snapshot first (`snapshotTensor`,
 * `snapshotOp`), validated, and what is returned is all the computation may read: the input's
 * bytes (a view captured by the snapshot) and the frozen layer. `kind` restricts the op's kind.
 */
export function checkCall(input: unknown, op: unknown, kind?: "depthwise" | "pointwise"): { data: Int8Array | Uint8Array; layer: CheckedLayer } {
  const t = snapshotTensor(input);
  const o = snapshotOp(op);
  const dtype = checkTensor(t);
  if (kind) checkKind(o, kind);
  const tensor = t as Tensor;
  return { data: tensor.data, layer: layerOf(shapeOf(tensor, dtype), o as ConvOp) };
}

/** Validates a depthwise convolution and derives its output geometry. */
export function checkDepthwise(input: Tensor, op: DepthwiseOp): CheckedLayer {
  return checkCall(input, op, "depthwise").layer;
}

/** Validates a pointwise convolution and derives its output geometry. */
export function checkPointwise(input: Tensor, op: PointwiseOp): CheckedLayer {
  return checkCall(input, op, "pointwise").layer;
}

/** Validates either kind of op. */
export function checkConv(input: Tensor, op: ConvOp): CheckedLayer {
  return checkCall(input, op).layer;
}

/**
 * The input of `prepare`d layer, checked against it: a snapshot of `input` whose geometry, dtype,
 * zero point and data length are the layer's, and whose weights and bias still have their lengths
 * (a resizable buffer may have shrunk since the layer was checked).
 */
export function checkPrepared(input: unknown, layer: unknown): Int8Array | Uint8Array {
  if (!isValidatedLayer(layer)) throw new TypeError("layer must be a layer returned by checkConv, checkDepthwise or checkPointwise");
  const t = snapshotTensor(input);
  const dtype = checkTensor(t);
  const s = t as Tensor;
  if (dtype !== layer.inDtype || s.height !== layer.height || s.width !== layer.width || s.channels !== layer.channels || s.layout !== layer.layout || s.zeroPoint !== layer.inZeroPoint) {
    throw new RangeError(
      `input (${s.height}x${s.width}x${s.channels} ${s.layout} ${dtype}, zero point ${s.zeroPoint}) is not the input the layer was checked with ` +
        `(${layer.height}x${layer.width}x${layer.channels} ${layer.layout} ${layer.inDtype}, zero point ${layer.inZeroPoint})`,
    );
  }
  const n = layer.kind === "depthwise" ? layer.channels * layer.kh * layer.kw : layer.outChannels * layer.channels;
  if ((TA_LENGTH.call(layer.weights) as number) !== n) throw new RangeError(`layer.weights no longer has ${n} entries (its buffer was resized or detached)`);
  if (layer.bias && (TA_LENGTH.call(layer.bias) as number) !== layer.outChannels) {
    throw new RangeError(`layer.bias no longer has ${layer.outChannels} entries (its buffer was resized or detached)`);
  }
  return s.data;
}

/** An empty output tensor of a validated layer, in the input's layout. */
export function outputTensor(layer: CheckedLayer): Tensor {
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
