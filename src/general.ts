// General convolutions (any kernel, stride, dilation, explicit padding and groups; depthwise with a
// depth multiplier is groups = channels) and fully connected layers: their op types, the checks
// that turn a call into a `GeneralLayer`, and the WebAssembly side (assembly/conv.ts). The same
// requantization schemes as the depthwise and pointwise kernels; the reference computes them
// in src/reference/general.ts.
import type { Engine } from "./engine.js";
import type { KernelExports } from "./wasm/module.js";
import { HEADER_BYTES, channelParams, writeHeader, type ChannelParams } from "./wasm/params.js";
import type { Dtype, Layout, Padding, Requant, Tensor } from "./types.js";
import { MAX_DIM, MAX_ELEMENTS, checkTensor, layerOf, snapshotTensor, snapshotView, type CheckedRequant } from "./validate.js";

/**
 * A general convolution. Weights `[outChannels][kh][kw][channels / groups]` (TFLite's filter
 * layout): output channel `o` of group `g = floor(o / (outChannels / groups))` reads input
 * channels `g * channels/groups ..`. A depthwise convolution with depth multiplier M is
 * `groups = channels`, `outChannels = channels * M`, output channel `c * M + m` reading channel c.
 */
export interface GeneralConvOp {
  kind: "conv";
  outChannels: number;
  kernel: [number, number];
  stride: [number, number];
  /** Default [1, 1]. */
  dilation?: [number, number];
  pad: Padding;
  /** Default 1. */
  groups?: number;
  weights: Int8Array;
  bias?: Int32Array | null;
  requant: Requant;
}

/**
 * A fully connected layer over rows: row r, output o = requant(bias[o] + sum_i (w[o][i] -
 * weightZeroPoint) * (x[r][i] - zeroPoint)). Weights `[outFeatures][inFeatures]`.
 */
export interface FullyConnectedOp {
  kind: "fullyConnected";
  outFeatures: number;
  weights: Int8Array;
  /** Default 0 (per-channel weights are symmetric; TFLite's per-tensor path honours one). */
  weightZeroPoint?: number;
  bias?: Int32Array | null;
  requant: Requant;
}

/** Rows of features: row r's feature i at `data[r * features + i]`. */
export interface Rows {
  data: Int8Array | Uint8Array;
  rows: number;
  features: number;
  zeroPoint: number;
}

/** A validated general convolution or fully connected layer (fully connected: H = rows, W = 1). */
export interface GeneralLayer {
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
  dh: number;
  dw: number;
  pad: Padding;
  groups: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  outDtype: Dtype;
  outZeroPoint: number;
  weights: Int8Array;
  weightZeroPoint: number;
  bias: Int32Array | null;
  requant: CheckedRequant;
}

/** The geometry of an input, without its bytes (what `prepareGeneral` takes). */
export interface GeneralInputShape {
  height: number;
  width: number;
  channels: number;
  layout: Layout;
  zeroPoint: number;
  dtype: Dtype;
}

/** Most multiply-accumulates per output value (taps x channels per group) accepted. */
export const MAX_GENERAL_TAPS = 1 << 20;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function int(v: unknown, field: string, lo: number, hi: number): number {
  if (typeof v !== "number") throw new TypeError(`${field} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${field} must be an integer in [${lo}, ${hi}], got ${v}`);
  return v;
}

function pair(v: unknown, field: string, dflt?: [number, number]): [number, number] {
  if (v === undefined && dflt) return dflt;
  if (!Array.isArray(v) || v.length !== 2) throw new TypeError(`${field} must be a [height, width] pair`);
  const a = v[0] as unknown, b = v[1] as unknown;
  return [int(a, `${field}[0]`, 1, MAX_DIM), int(b, `${field}[1]`, 1, MAX_DIM)];
}

function padding(v: unknown, field: string): Padding {
  if (!isObject(v)) throw new TypeError(`${field} must be { top, left, bottom, right }`);
  const { top, left, bottom, right } = v;
  return { top: int(top, `${field}.top`, 0, MAX_DIM), left: int(left, `${field}.left`, 0, MAX_DIM), bottom: int(bottom, `${field}.bottom`, 0, MAX_DIM), right: int(right, `${field}.right`, 0, MAX_DIM) };
}

/** The weights, checked to be a plain Int8Array of `n` entries. */
function weightsOf(v: unknown, field: string, n: number): Int8Array {
  if (n > MAX_ELEMENTS) throw new RangeError(`${field} would have ${n} entries; at most ${MAX_ELEMENTS} are supported`);
  const w = snapshotView(v);
  if (!(w instanceof Int8Array)) throw new TypeError(`${field} must be an Int8Array`);
  if (w.length !== n) throw new RangeError(`${field} has ${w.length} entries; expected ${n}`);
  return w;
}

/**
 * The requantization and bias, checked by the same code as the depthwise and pointwise kernels'
 * (a pointwise layer of one pixel with `outChannels` outputs: the field names come out the same).
 */
function requantOf(
  s: GeneralInputShape, outChannels: number, bias: unknown, requant: unknown, f: string, inField: string,
): { requant: CheckedRequant; bias: Int32Array | null; outDtype: Dtype; outZeroPoint: number } {
  const probe = { ...s, height: 1, width: 1, channels: 1 };
  const l = layerOf(probe, { kind: "pointwise", outChannels, weights: new Int8Array(outChannels), bias: bias as Int32Array | null, requant: requant as Requant }, f, inField);
  return { requant: l.requant, bias: l.bias, outDtype: l.outDtype, outZeroPoint: l.outZeroPoint };
}

/** Validates a general convolution on an input of shape `s` (already valid). */
export function generalLayerOf(s: GeneralInputShape, rawOp: unknown, f = "op", inField = "input"): GeneralLayer {
  if (!isObject(rawOp)) throw new TypeError(`${f} must be a convolution object`);
  // Every field is read once, here; the rest of the call sees only these values.
  const o = { ...rawOp };
  if (o.kind !== "conv") throw new RangeError(`${f}.kind must be "conv", got ${String(o.kind)}`);
  const { height: H, width: W, channels: C } = s;
  const outChannels = int(o.outChannels, `${f}.outChannels`, 1, MAX_DIM);
  const groups = o.groups === undefined ? 1 : int(o.groups, `${f}.groups`, 1, MAX_DIM);
  if (C % groups !== 0) throw new RangeError(`${f}.groups (${groups}) must divide the input channels (${C})`);
  if (outChannels % groups !== 0) throw new RangeError(`${f}.groups (${groups}) must divide ${f}.outChannels (${outChannels})`);
  const [kh, kw] = pair(o.kernel, `${f}.kernel`);
  const [sh, sw] = pair(o.stride, `${f}.stride`);
  const [dh, dw] = pair(o.dilation, `${f}.dilation`, [1, 1]);
  const pad = padding(o.pad, `${f}.pad`);
  const ekh = (kh - 1) * dh + 1, ekw = (kw - 1) * dw + 1;
  const ph = H + pad.top + pad.bottom, pw = W + pad.left + pad.right;
  if (ekh > ph) throw new RangeError(`${f}.kernel[0] (${kh}, dilated to ${ekh}) exceeds the padded input height (${ph}): the output would be empty`);
  if (ekw > pw) throw new RangeError(`${f}.kernel[1] (${kw}, dilated to ${ekw}) exceeds the padded input width (${pw}): the output would be empty`);
  const outHeight = Math.floor((ph - ekh) / sh) + 1;
  const outWidth = Math.floor((pw - ekw) / sw) + 1;
  if (outHeight * outWidth * outChannels > MAX_ELEMENTS) throw new RangeError(`${f}: output of ${outHeight}x${outWidth}x${outChannels} is too large`);
  const taps = kh * kw * (C / groups);
  if (taps > MAX_GENERAL_TAPS) throw new RangeError(`${f}: ${kh}x${kw} taps of ${C / groups} channels are ${taps} products per output; at most ${MAX_GENERAL_TAPS} are supported`);
  const weights = weightsOf(o.weights, `${f}.weights`, outChannels * taps);
  const rq = requantOf(s, outChannels, o.bias ?? null, o.requant, f, inField);
  checkWorkingMemory(outChannels, taps, groups, f);
  if (isDepthwise({ groups, channels: C, dh, dw })) {
    // The depthwise kernel widens the padded input of all C*M channels, in multiples of 8 lanes.
    const lanes = ph * pw * Math.ceil(outChannels / 8) * 8;
    if (lanes > MAX_ELEMENTS) throw new RangeError(`${f}.pad: the padded input ${ph}x${pw}x${outChannels} (channels repeated for the depth multiplier) is too large (at most ${MAX_ELEMENTS} elements)`);
  }
  return Object.freeze({
    inDtype: s.dtype, layout: s.layout, height: H, width: W, channels: C, inZeroPoint: s.zeroPoint,
    kh, kw, sh, sw, dh, dw, pad: Object.freeze(pad), groups, outHeight, outWidth, outChannels,
    outDtype: rq.outDtype, outZeroPoint: rq.outZeroPoint, weights, weightZeroPoint: 0, bias: rq.bias, requant: rq.requant,
  });
}

/** Depthwise with a depth multiplier (or 1): what runs on the depthwise kernel. */
function isDepthwise(l: { groups: number; channels: number; dh: number; dw: number }): boolean {
  return l.groups === l.channels && l.dh === 1 && l.dw === 1;
}

/** The kernel's packed weights and scratch stay well inside 32-bit sizes. */
function checkWorkingMemory(outChannels: number, taps: number, groups: number, f: string): void {
  const Kp = Math.ceil(taps / 8) * 8;
  const packed = groups * Math.ceil(outChannels / groups / 16) * 16 * Kp * 2;
  const chunk = 256 * Kp * 2;
  if (packed + chunk > 2 ** 30) throw new RangeError(`${f}: the widened weights and working rows would take ${packed + chunk} bytes; at most ${2 ** 30} are supported`);
}

/** One general convolution call, checked: the input's bytes and the frozen layer. */
export function checkGeneralCall(input: unknown, op: unknown): { data: Int8Array | Uint8Array; layer: GeneralLayer } {
  const t = snapshotTensor(input);
  const dtype = checkTensor(t);
  const s = t as Tensor;
  return { data: s.data, layer: generalLayerOf({ height: s.height, width: s.width, channels: s.channels, layout: s.layout, zeroPoint: s.zeroPoint, dtype }, op) };
}

/** Validates a fully connected layer on rows of shape `s` (height = rows, width 1, channels = features). */
export function fullyConnectedLayerOf(s: GeneralInputShape, rawOp: unknown, f = "op", inField = "input"): GeneralLayer {
  if (!isObject(rawOp)) throw new TypeError(`${f} must be a fully connected op object`);
  const o = { ...rawOp };
  if (o.kind !== "fullyConnected") throw new RangeError(`${f}.kind must be "fullyConnected", got ${String(o.kind)}`);
  const I = s.channels;
  const O = int(o.outFeatures, `${f}.outFeatures`, 1, MAX_DIM);
  if (I > MAX_GENERAL_TAPS) throw new RangeError(`${f}: ${I} input features; at most ${MAX_GENERAL_TAPS} are supported`);
  const wzp = o.weightZeroPoint === undefined ? 0 : int(o.weightZeroPoint, `${f}.weightZeroPoint`, -128, 127);
  const weights = weightsOf(o.weights, `${f}.weights`, O * I);
  if (s.height * O > MAX_ELEMENTS) throw new RangeError(`${f}: output of ${s.height}x${O} is too large`);
  const rq = requantOf(s, O, o.bias ?? null, o.requant, f, inField);
  checkWorkingMemory(O, I, 1, f);
  return Object.freeze({
    inDtype: s.dtype, layout: "HWC" as Layout, height: s.height, width: 1, channels: I, inZeroPoint: s.zeroPoint,
    kh: 1, kw: 1, sh: 1, sw: 1, dh: 1, dw: 1, pad: Object.freeze({ top: 0, left: 0, bottom: 0, right: 0 }), groups: 1,
    outHeight: s.height, outWidth: 1, outChannels: O,
    outDtype: rq.outDtype, outZeroPoint: rq.outZeroPoint, weights, weightZeroPoint: wzp, bias: rq.bias, requant: rq.requant,
  });
}

/** One fully connected call, checked. */
export function checkFullyConnectedCall(input: unknown, op: unknown): { data: Int8Array | Uint8Array; layer: GeneralLayer } {
  if (!isObject(input)) throw new TypeError("input must be { data, rows, features, zeroPoint }");
  const i = { data: snapshotView(input.data), rows: input.rows, features: input.features, zeroPoint: input.zeroPoint };
  const data = i.data;
  if (!(data instanceof Int8Array) && !(data instanceof Uint8Array && !(data instanceof Uint8ClampedArray))) throw new TypeError("input.data must be an Int8Array (int8) or a Uint8Array (uint8)");
  const dtype: Dtype = data instanceof Int8Array ? "int8" : "uint8";
  const rows = int(i.rows, "input.rows", 1, MAX_ELEMENTS);
  const features = int(i.features, "input.features", 1, MAX_ELEMENTS);
  const zeroPoint = dtype === "int8" ? int(i.zeroPoint, "input.zeroPoint", -128, 127) : int(i.zeroPoint, "input.zeroPoint", 0, 255);
  if (rows * features > MAX_ELEMENTS) throw new RangeError(`input has ${rows * features} elements; at most ${MAX_ELEMENTS} are supported`);
  if (data.length !== rows * features) throw new RangeError(`input.data has ${data.length} bytes but rows*features = ${rows}*${features} = ${rows * features}`);
  return { data, layer: fullyConnectedLayerOf({ height: rows, width: 1, channels: features, layout: "HWC", zeroPoint, dtype }, op) };
}

/** An empty output of a validated layer (in the input's layout). */
export function generalOutput(layer: GeneralLayer): Tensor {
  const n = layer.outHeight * layer.outWidth * layer.outChannels;
  return {
    data: layer.outDtype === "int8" ? new Int8Array(n) : new Uint8Array(n),
    height: layer.outHeight, width: layer.outWidth, channels: layer.outChannels, layout: layer.layout, zeroPoint: layer.outZeroPoint,
  };
}

// ---- WebAssembly ---------------------------------------------------------------------------------

/** The kernel module's exports for general convolutions (assembly/conv.ts). */
export interface GeneralExports {
  convWeightBytes(Cout: number, K: number, groups: number): number;
  convPackWeights(weights: number, Cout: number, K: number, groups: number, wzp: number, dst: number): void;
  convScratchBytes(Cout: number, K: number, groups: number): number;
  repeatChannels(src: number, pixels: number, C: number, M: number, planar: number, dst: number): void;
  convGeneral(
    src: number, srcRow: number, srcPx: number, srcCh: number, H: number, W: number, Cin: number, signed: number, zp: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, padT: number, padL: number, Ho: number, Wo: number,
    groups: number, Cout: number, packed: number, wzp: number, hdr: number, dst: number, dstRow: number, dstPx: number, dstCh: number, scratch: number,
  ): void;
}

/** A layer prepared once: `run` computes one input's output bytes. */
export interface PreparedGeneral {
  readonly layer: GeneralLayer;
  /** Computes one input's output; into `out` (of the output's length and dtype) when given. */
  run(data: Int8Array | Uint8Array, out?: Int8Array | Uint8Array): Int8Array | Uint8Array;
}

/** Copies the `n` output bytes at `dst` into `out`, or into a new array of the layer's dtype. */
function outputBytes(bytes: Uint8Array, layer: GeneralLayer, out?: Int8Array | Uint8Array): Int8Array | Uint8Array {
  const n = bytes.length;
  if (out !== undefined) {
    if (out.length !== n || (out instanceof Int8Array) !== (layer.outDtype === "int8")) throw new RangeError(`out must be ${n} ${layer.outDtype} values, got ${out.length}`);
    new Uint8Array(out.buffer, out.byteOffset, n).set(bytes);
    return out;
  }
  const r = layer.outDtype === "int8" ? new Int8Array(n) : new Uint8Array(n);
  new Uint8Array(r.buffer).set(bytes);
  return r;
}

/**
 * A validated layer on an engine, its constants made once: the weights widened and packed as the
 * kernel reads them (kept here, copied into the engine's memory at each run), the bias and the
 * requantization parameters encoded.
 */
export function prepareGeneralOn(engine: Engine, layer: GeneralLayer, options: { gemmOnly?: boolean } = {}): PreparedGeneral {
  const wasm = engine.wasm as KernelExports & GeneralExports;
  const a = engine.arena;
  // (`gemmOnly`: the benchmark's comparison of the two ways.)
  if (isDepthwise(layer) && layer.weightZeroPoint === 0 && !options.gemmOnly) return prepareDepthwiseOn(wasm, engine, layer);
  const taps = layer.kh * layer.kw * (layer.channels / layer.groups);
  const Cout = layer.outChannels;
  // Pack the weights once.
  a.reset();
  const raw = a.alloc(layer.weights.length);
  const packedBytes = wasm.convWeightBytes(Cout, taps, layer.groups);
  const dstPacked = a.alloc(packedBytes);
  a.commit();
  a.write(raw, layer.weights);
  wasm.convPackWeights(raw, Cout, taps, layer.groups, layer.weightZeroPoint, dstPacked);
  const packed = a.bytes(dstPacked, packedBytes).slice();
  const p = channelParams(layer.requant, layer.bias);
  const scratchBytes = wasm.convScratchBytes(Cout, taps, layer.groups);
  const outN = layer.outHeight * layer.outWidth * Cout;
  const { height: H, width: W, channels: C } = layer;
  const hwc = layer.layout === "HWC";
  return {
    layer,
    run(data, out) {
      const { src, w, hdr, dst, scratch } = stageRun(engine, layer, data, packed, p, outN, scratchBytes);
      const Ho = layer.outHeight, Wo = layer.outWidth;
      wasm.convGeneral(
        src, hwc ? W * C : W, hwc ? C : 1, hwc ? 1 : H * W, H, W, C, layer.inDtype === "int8" ? 1 : 0, layer.inZeroPoint,
        layer.kh, layer.kw, layer.sh, layer.sw, layer.dh, layer.dw, layer.pad.top, layer.pad.left, Ho, Wo,
        layer.groups, Cout, w, layer.weightZeroPoint, hdr,
        dst, hwc ? Wo * Cout : Wo, hwc ? Cout : 1, hwc ? 1 : Ho * Wo, scratch,
      );
      return outputBytes(a.bytes(dst, outN), layer, out);
    },
  };
}

/**
 * One run of a prepared layer placed in the engine's memory, after checking its input: the input,
 * `extra` working bytes when asked for, the weights, the requantization parameters and their
 * header, the output and the kernel's scratch.
 */
function stageRun(
  engine: Engine, layer: GeneralLayer, data: Int8Array | Uint8Array, weights: Int8Array | Uint8Array, p: ChannelParams,
  outN: number, scratchBytes: number, extraBytes = 0,
): { src: number; extra: number; w: number; hdr: number; dst: number; scratch: number } {
  const inN = layer.height * layer.width * layer.channels;
  if (data.length !== inN || (data instanceof Int8Array) !== (layer.inDtype === "int8")) {
    throw new RangeError(`input must be ${inN} ${layer.inDtype} values (the prepared layer's ${layer.height}x${layer.width}x${layer.channels}), got ${data.length} ${data instanceof Int8Array ? "int8" : "uint8"}`);
  }
  const a = engine.arena;
  a.reset();
  const src = a.alloc(inN);
  const extra = extraBytes ? a.alloc(extraBytes) : 0;
  const w = a.alloc(weights.length);
  const bias = p.bias ? a.alloc(p.bias.length) : 0;
  const pa = p.a ? a.alloc(p.a.length) : 0;
  const pb = p.b ? a.alloc(p.b.length) : 0;
  const hdr = a.alloc(HEADER_BYTES);
  const dst = a.alloc(outN);
  const scratch = a.alloc(scratchBytes);
  a.commit();
  a.write(src, data);
  a.write(w, weights);
  if (p.bias) a.write(bias, p.bias);
  if (p.a) a.write(pa, p.a);
  if (p.b) a.write(pb, p.b);
  writeHeader(engine.wasm.memory, hdr, layer.requant, bias, pa, pb);
  return { src, extra, w, hdr, dst, scratch };
}

/** Checks a bare input shape (what `prepareGeneral` takes instead of a tensor). */
function checkShape(v: unknown, field: string): GeneralInputShape {
  if (!isObject(v)) throw new TypeError(`${field} must be { height, width, channels, layout, zeroPoint, dtype }`);
  const s = { ...v };
  const dtype = s.dtype;
  if (dtype !== "int8" && dtype !== "uint8") throw new RangeError(`${field}.dtype must be "int8" or "uint8", got ${String(dtype)}`);
  if (s.layout !== "HWC" && s.layout !== "CHW") throw new RangeError(`${field}.layout must be "HWC" or "CHW", got ${String(s.layout)}`);
  const height = int(s.height, `${field}.height`, 1, MAX_ELEMENTS);
  const width = int(s.width, `${field}.width`, 1, MAX_DIM);
  const channels = int(s.channels, `${field}.channels`, 1, MAX_ELEMENTS);
  const zeroPoint = dtype === "int8" ? int(s.zeroPoint, `${field}.zeroPoint`, -128, 127) : int(s.zeroPoint, `${field}.zeroPoint`, 0, 255);
  if (height * width * channels > MAX_ELEMENTS) throw new RangeError(`${field} has ${height * width * channels} elements; at most ${MAX_ELEMENTS} are supported`);
  return { height, width, channels, layout: s.layout, zeroPoint, dtype };
}

/**
 * The layer of `op` (a general convolution, or a fully connected layer whose rows are the shape's
 * height and features its channels, width 1) on inputs of shape `shape`.
 */
export function generalLayerFor(shape: GeneralInputShape, op: GeneralConvOp | FullyConnectedOp): GeneralLayer {
  const s = checkShape(shape, "shape");
  if (isObject(op) && op.kind === "fullyConnected") {
    if (s.width !== 1 || s.layout !== "HWC") throw new RangeError(`shape: a fully connected layer takes rows (width 1, layout "HWC"), got width ${s.width}, layout ${s.layout}`);
    return fullyConnectedLayerOf(s, op);
  }
  if (s.height > MAX_DIM || s.channels > MAX_DIM) throw new RangeError(`shape.height and shape.channels must be at most ${MAX_DIM}`);
  return generalLayerOf(s, op);
}

/**
 * Depthwise with a depth multiplier M (groups = channels, no dilation): a depthwise kernel call on
 * C*M channels over the input with each channel repeated M times (`repeatChannels`). Output
 * channel c*M + m reads channel c, the weights [C*M][kh][kw][1] are the depthwise kernel's
 * [C*M][kh][kw] as they are. The GEMM would waste most of its 16-channel blocks on groups of M.
 */
function prepareDepthwiseOn(wasm: KernelExports & GeneralExports, engine: Engine, layer: GeneralLayer): PreparedGeneral {
  const a = engine.arena;
  const { height: H, width: W, channels: C, outChannels: O, outHeight: Ho, outWidth: Wo, pad } = layer;
  const M = O / C;
  const p = channelParams(layer.requant, layer.bias);
  const weights = layer.weights.slice();
  const scratchBytes = wasm.depthwiseScratchBytes(H, W, O, pad.left, pad.right, layer.kh, layer.kw, layer.sw);
  const wideN = H * W * O, outN = Ho * Wo * O;
  const hwc = layer.layout === "HWC";
  return {
    layer,
    run(data, out) {
      const { src, extra, w, hdr, dst, scratch } = stageRun(engine, layer, data, weights, p, outN, scratchBytes, M === 1 ? 0 : wideN);
      const wide = M === 1 ? src : extra;
      if (M !== 1) wasm.repeatChannels(src, H * W, C, M, hwc ? 0 : 1, wide);
      wasm.depthwise(
        wide, hwc ? W * O : W, hwc ? O : 1, hwc ? 1 : H * W, H, W, O, layer.inDtype === "int8" ? 1 : 0, layer.inZeroPoint,
        pad.top, pad.left, pad.bottom, pad.right, layer.kh, layer.kw, layer.sh, layer.sw,
        w, hdr, dst, hwc ? Wo * O : Wo, hwc ? O : 1, hwc ? 1 : Ho * Wo, scratch,
      );
      return outputBytes(a.bytes(dst, outN), layer, out);
    },
  };
}
