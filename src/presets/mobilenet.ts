// MobileNetV1 and MobileNetV2 as lists of depthwise and pointwise layers (the layers dwpw runs),
// and a deterministic builder of random quantized ops for them under every requantization scheme.
//
// Layer geometry follows the two papers:
// - MobileNetV1 (Howard et al. 2017, Table 1): a 3x3/2 standard convolution (the stem, not listed
//   here: dwpw runs only depthwise and pointwise layers) to 32 channels, then 13 depthwise-separable
//   blocks. Channel counts are scaled by the width multiplier alpha as Keras does (`int(c * alpha)`).
// - MobileNetV2 (Sandler et al. 2018, Table 2): a 3x3/2 stem to 32 channels, then 17 inverted
//   residual bottlenecks given by the (t, c, n, s) table; the first layer of each group has stride s,
//   the others stride 1; the first block (t = 1) has no expansion. Channels as Keras:
//   `makeDivisible(c * alpha, 8)`.
//
// The random ops are built so that outputs spread over the output range instead of saturating: for
// each output channel the accumulator's mean and standard deviation over a uniformly random input
// are known from the weights exactly (sum w, sum w^2), the bias cancels the mean, and each scheme's
// multiplier maps the standard deviation to about 36 output steps.
import { Rng, hashSeed } from "../rng.js";
import { toLayout } from "../layout.js";
import { padding as padHelpers } from "../quant.js";
import { PRESET_VARIANTS, type AnyScheme, type PresetName } from "../schemes/index.js";
import type { Preset } from "../schemes/scheme.js";
import type { ConvOp, Dtype, Layout, Padding, Requant, Tensor } from "../types.js";

// ---------------------------------------------------------------------------------------------
// Layer specifications

/** How 3x3 layers are padded: `symmetric` = 1 pixel on every side (PyTorch, DORY); `tf-same` =
 * TensorFlow `SAME` / ONNX `SAME_UPPER` (at stride 2 on an even size: 0 before, 1 after). */
export type PaddingMode = "symmetric" | "tf-same";

/** What a layer does inside its block. */
export type LayerRole = "depthwise" | "pointwise" | "expand" | "project";

/** One depthwise or pointwise convolution of a network, with its input and output shapes. */
export interface LayerSpec {
  /** Unique within the network, e.g. `b3.dw`, `b3.pw` (V1) or `b5.expand`, `b5.dw`, `b5.project` (V2). */
  name: string;
  kind: "depthwise" | "pointwise";
  role: LayerRole;
  /** 1-based block index. */
  block: number;
  height: number;
  width: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  /** [1, 1] for pointwise. */
  kernel: [number, number];
  /** [1, 1] for pointwise. */
  stride: [number, number];
  /** All zero for pointwise. */
  pad: Padding;
  /** Multiply-accumulates: outH*outW*C*kh*kw (depthwise) or H*W*Cin*Cout (pointwise). */
  macs: number;
}

/** One depthwise-separable block (V1) or inverted-residual bottleneck (V2). */
export interface MobilenetBlock {
  /** 1-based. */
  index: number;
  /** The block's layers in execution order. */
  layers: LayerSpec[];
  /** Stride of the block's depthwise layer. */
  stride: number;
  /** Expansion factor t (1 for V1 blocks and for V2's first block). */
  expansion: number;
  /** V2: the block adds its input to its output (stride 1 and same channel count). Always false in V1. */
  residual: boolean;
  input: { height: number; width: number; channels: number };
  output: { height: number; width: number; channels: number };
}

/** A network as the list of its blocks (the stem and classifier are described, not listed as layers). */
export interface NetworkSpec {
  /** e.g. `mobilenet_v1_1.0_224`. */
  name: string;
  version: 1 | 2;
  alpha: number;
  resolution: number;
  padding: PaddingMode;
  /** The standard 3x3/2 convolution in front of the blocks (not a depthwise/pointwise layer). */
  stem: { inChannels: 3; outChannels: number; outHeight: number; outWidth: number; macs: number };
  blocks: MobilenetBlock[];
  /** Every layer of every block, in order. */
  layers: LayerSpec[];
}

export interface NetworkOptions {
  /** Width multiplier: 1.0, 0.75, 0.5 or 0.25 (V2 also accepts others). Default 1.0. */
  alpha?: number;
  /** Input resolution (square): 224, 192, 160 or 128 are the published ones. Default 224. */
  resolution?: number;
  /** Default `symmetric`. */
  padding?: PaddingMode;
}

/** MobileNetV1's 13 blocks: pointwise output channels (before alpha) and depthwise stride. */
export const MOBILENET_V1_TABLE: ReadonlyArray<{ readonly c: number; readonly s: number }> = [
  { c: 64, s: 1 },
  { c: 128, s: 2 },
  { c: 128, s: 1 },
  { c: 256, s: 2 },
  { c: 256, s: 1 },
  { c: 512, s: 2 },
  { c: 512, s: 1 },
  { c: 512, s: 1 },
  { c: 512, s: 1 },
  { c: 512, s: 1 },
  { c: 512, s: 1 },
  { c: 1024, s: 2 },
  { c: 1024, s: 1 },
];

/** MobileNetV2's bottleneck groups (paper Table 2): expansion t, output channels c, repeats n, first stride s. */
export const MOBILENET_V2_TABLE: ReadonlyArray<{ readonly t: number; readonly c: number; readonly n: number; readonly s: number }> = [
  { t: 1, c: 16, n: 1, s: 1 },
  { t: 6, c: 24, n: 2, s: 2 },
  { t: 6, c: 32, n: 3, s: 2 },
  { t: 6, c: 64, n: 4, s: 2 },
  { t: 6, c: 96, n: 3, s: 1 },
  { t: 6, c: 160, n: 3, s: 2 },
  { t: 6, c: 320, n: 1, s: 1 },
];

/** Keras' `_make_divisible`: round to the nearest multiple of `divisor`, never more than 10% down. */
export function makeDivisible(v: number, divisor = 8, minValue = divisor): number {
  let n = Math.max(minValue, Math.floor(v + divisor / 2) - (Math.floor(v + divisor / 2) % divisor));
  if (n < 0.9 * v) n += divisor;
  return n;
}

function checkOptions(o: NetworkOptions, v1: boolean): Required<NetworkOptions> {
  const alpha = o.alpha ?? 1.0;
  const resolution = o.resolution ?? 224;
  const pad = o.padding ?? "symmetric";
  if (typeof alpha !== "number" || !(alpha > 0) || !Number.isFinite(alpha)) {
    throw new RangeError(`options.alpha must be a positive number, got ${String(alpha)}`);
  }
  if (v1 && ![1.0, 0.75, 0.5, 0.25].includes(alpha)) {
    throw new RangeError(`options.alpha must be 1.0, 0.75, 0.5 or 0.25 for MobileNetV1, got ${alpha}`);
  }
  if (!Number.isInteger(resolution) || resolution < 32 || resolution > 4096) {
    throw new RangeError(`options.resolution must be an integer in [32, 4096], got ${String(resolution)}`);
  }
  if (pad !== "symmetric" && pad !== "tf-same") {
    throw new RangeError(`options.padding must be "symmetric" or "tf-same", got ${String(pad)}`);
  }
  return { alpha, resolution, padding: pad };
}

function alphaName(alpha: number): string {
  return Number.isInteger(alpha) ? alpha.toFixed(1) : String(alpha);
}

/** Padding of a 3x3 layer with this stride on an `h x w` input. */
function pad3x3(mode: PaddingMode, h: number, w: number, s: number): Padding {
  return mode === "symmetric" ? padHelpers.symmetric(1) : padHelpers.same([h, w], [3, 3], [s, s]);
}

function outSize(n: number, before: number, after: number, k: number, s: number): number {
  return Math.floor((n + before + after - k) / s) + 1;
}

const NO_PAD: Padding = { top: 0, left: 0, bottom: 0, right: 0 };

function dwLayer(name: string, block: number, mode: PaddingMode, h: number, w: number, c: number, s: number): LayerSpec {
  const pad = pad3x3(mode, h, w, s);
  const oh = outSize(h, pad.top, pad.bottom, 3, s);
  const ow = outSize(w, pad.left, pad.right, 3, s);
  return {
    name, kind: "depthwise", role: "depthwise", block, height: h, width: w, channels: c,
    outHeight: oh, outWidth: ow, outChannels: c, kernel: [3, 3], stride: [s, s], pad, macs: oh * ow * c * 9,
  };
}

function pwLayer(name: string, role: LayerRole, block: number, h: number, w: number, cin: number, cout: number): LayerSpec {
  return {
    name, kind: "pointwise", role, block, height: h, width: w, channels: cin,
    outHeight: h, outWidth: w, outChannels: cout, kernel: [1, 1], stride: [1, 1], pad: { ...NO_PAD }, macs: h * w * cin * cout,
  };
}

function stemFor(mode: PaddingMode, res: number, outChannels: number): NetworkSpec["stem"] {
  const p = pad3x3(mode, res, res, 2);
  const oh = outSize(res, p.top, p.bottom, 3, 2);
  const ow = outSize(res, p.left, p.right, 3, 2);
  return { inChannels: 3, outChannels, outHeight: oh, outWidth: ow, macs: oh * ow * 3 * 9 * outChannels };
}

/** MobileNetV1: 13 blocks, each a 3x3 depthwise (stride 1 or 2) and a pointwise layer. */
export function mobilenetV1(options: NetworkOptions = {}): NetworkSpec {
  const { alpha, resolution, padding } = checkOptions(options, true);
  const stem = stemFor(padding, resolution, Math.floor(32 * alpha));
  let h = stem.outHeight;
  let w = stem.outWidth;
  let c = stem.outChannels;
  const blocks: MobilenetBlock[] = MOBILENET_V1_TABLE.map(({ c: c0, s }, i) => {
    const b = i + 1;
    const cout = Math.floor(c0 * alpha);
    const dw = dwLayer(`b${b}.dw`, b, padding, h, w, c, s);
    const pw = pwLayer(`b${b}.pw`, "pointwise", b, dw.outHeight, dw.outWidth, c, cout);
    const block: MobilenetBlock = {
      index: b, layers: [dw, pw], stride: s, expansion: 1, residual: false,
      input: { height: h, width: w, channels: c }, output: { height: pw.outHeight, width: pw.outWidth, channels: cout },
    };
    [h, w, c] = [pw.outHeight, pw.outWidth, cout];
    return block;
  });
  return {
    name: `mobilenet_v1_${alphaName(alpha)}_${resolution}`,
    version: 1, alpha, resolution, padding, stem, blocks, layers: blocks.flatMap((b) => b.layers),
  };
}

/** MobileNetV2: 17 inverted-residual blocks, expansion pointwise (absent when t = 1) -> 3x3 depthwise -> projection pointwise. */
export function mobilenetV2(options: NetworkOptions = {}): NetworkSpec {
  const { alpha, resolution, padding } = checkOptions(options, false);
  const stem = stemFor(padding, resolution, makeDivisible(32 * alpha, 8));
  let h = stem.outHeight;
  let w = stem.outWidth;
  let c = stem.outChannels;
  const blocks: MobilenetBlock[] = [];
  for (const { t, c: c0, n, s: s0 } of MOBILENET_V2_TABLE) {
    const cout = makeDivisible(Math.floor(c0 * alpha), 8);
    for (let r = 0; r < n; r++) {
      const b = blocks.length + 1;
      const s = r === 0 ? s0 : 1;
      const layers: LayerSpec[] = [];
      const mid = c * t;
      if (t !== 1) layers.push(pwLayer(`b${b}.expand`, "expand", b, h, w, c, mid));
      const dw = dwLayer(`b${b}.dw`, b, padding, h, w, mid, s);
      layers.push(dw);
      layers.push(pwLayer(`b${b}.project`, "project", b, dw.outHeight, dw.outWidth, mid, cout));
      blocks.push({
        index: b, layers, stride: s, expansion: t, residual: s === 1 && c === cout,
        input: { height: h, width: w, channels: c }, output: { height: dw.outHeight, width: dw.outWidth, channels: cout },
      });
      [h, w, c] = [dw.outHeight, dw.outWidth, cout];
    }
  }
  return {
    name: `mobilenet_v2_${alphaName(alpha)}_${resolution}`,
    version: 2, alpha, resolution, padding, stem, blocks, layers: blocks.flatMap((b) => b.layers),
  };
}

// ---------------------------------------------------------------------------------------------
// Random quantized ops

/** The requantization variants the random builder knows (tflite split by rounding): each scheme's presets. */
export type QuantScheme = PresetName;

export const QUANT_SCHEMES: readonly QuantScheme[] = PRESET_VARIANTS.map((v) => v.name);

function presetOf(name: unknown): { scheme: AnyScheme; preset: Preset<Requant> } {
  const v = PRESET_VARIANTS.find((p) => p.name === name);
  if (!v) throw new RangeError(`options.scheme must be one of ${QUANT_SCHEMES.join(", ")}, got ${String(name)}`);
  return { scheme: v.scheme, preset: v.scheme.presets[v.name] as Preset<Requant> };
}

export interface RandomLayerOptions {
  scheme: QuantScheme;
  /** Layout of the input tensor. Default `HWC`. */
  layout?: Layout;
  /** Default 1. Same seed, layer name, scheme and dtype → same bytes. */
  seed?: number;
  /** Activation dtype: only `onnx` offers a choice (int8, the default, or uint8). */
  dtype?: Dtype;
  /** gap-sq8 only: apply the scheme's ReLU (with actScale/actNorm). Default false. */
  relu?: boolean;
}

/** The activation dtype a scheme runs on (SPEC §3): int8 for tflite/onnx/gap-sq8, uint8 for pulp-*; onnx may use uint8. */
export function activationDtype(scheme: QuantScheme, dtype?: Dtype): Dtype {
  const { preset } = presetOf(scheme);
  const fixed = preset.dtypes[0] as Dtype;
  if (dtype === undefined) return fixed;
  if (dtype !== "int8" && dtype !== "uint8") throw new RangeError(`options.dtype must be "int8" or "uint8", got ${String(dtype)}`);
  if (!preset.dtypes.includes(dtype)) {
    throw new RangeError(`options.dtype: scheme ${scheme} runs on ${fixed} activations, not ${dtype}`);
  }
  return dtype;
}

/** How many output steps one standard deviation of the accumulator should span. */
const TARGET_STD = 36;
/** Variance of a uniform random byte (256 equally likely values). */
const BYTE_VAR = (256 * 256 - 1) / 12;

interface InputParams {
  dtype: Dtype;
  zeroPoint: number;
}

function inputParams(layer: LayerSpec, o: RandomLayerOptions): InputParams {
  const dtype = activationDtype(o.scheme, o.dtype);
  // Only schemes with an input zero point get one (pulp-* and gap-sq8 require 0).
  let zeroPoint = 0;
  if (!presetOf(o.scheme).scheme.zeroPointFree) {
    const rng = new Rng(hashSeed(o.seed ?? 1, layer.name, o.scheme, dtype, "input-zp"));
    zeroPoint = dtype === "int8" ? rng.int(-128, 127) : rng.int(0, 255);
  }
  return { dtype, zeroPoint };
}

/** A random input tensor for `layer`: uniform bytes over the whole dtype range, in `options.layout`.
 * The logical content (element (y, x, c)) does not depend on the layout. */
export function randomInput(layer: LayerSpec, options: RandomLayerOptions): Tensor {
  const { dtype, zeroPoint } = inputParams(layer, options);
  const n = layer.height * layer.width * layer.channels;
  const bytes = new Uint8Array(n);
  const rng = new Rng(hashSeed(options.seed ?? 1, layer.name, options.scheme, dtype, "input-data"));
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = rng.u32();
    bytes[i] = v;
    bytes[i + 1] = v >>> 8;
    bytes[i + 2] = v >>> 16;
    bytes[i + 3] = v >>> 24;
  }
  for (; i < n; i++) bytes[i] = rng.u32();
  const data = dtype === "int8" ? new Int8Array(bytes.buffer) : bytes;
  const hwc: Tensor = { data, height: layer.height, width: layer.width, channels: layer.channels, layout: "HWC", zeroPoint };
  return toLayout(hwc, options.layout ?? "HWC");
}

/** A random op for `layer` under `options.scheme`, consistent with `randomInput(layer, options)`
 * (it depends on the input's zero point, not on its bytes or layout). */
export function randomOp(layer: LayerSpec, options: RandomLayerOptions): ConvOp {
  const { dtype, zeroPoint } = inputParams(layer, options);
  const scheme = options.scheme;
  const rng = new Rng(hashSeed(options.seed ?? 1, layer.name, scheme, dtype, "op"));
  const cout = layer.outChannels;
  const taps = layer.kind === "depthwise" ? layer.kernel[0] * layer.kernel[1] : layer.channels;

  // Weights: per channel a random amplitude, then uniform in [-amp, amp]. Depthwise [C][kh][kw],
  // pointwise [Cout][Cin]: both are `taps` consecutive weights per output channel.
  const weights = new Int8Array(cout * taps);
  const sumW = new Float64Array(cout);
  const std = new Float64Array(cout);
  for (let c = 0; c < cout; c++) {
    const amp = rng.int(24, 127);
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < taps; i++) {
      const w = rng.int(-amp, amp);
      weights[c * taps + i] = w;
      s += w;
      s2 += w * w;
    }
    sumW[c] = s;
    std[c] = Math.sqrt(BYTE_VAR * Math.max(s2, 1));
  }
  // Mean of (x - zeroPoint) over a uniform random byte of the dtype.
  const meanX = (dtype === "int8" ? -0.5 : 127.5) - zeroPoint;
  /** Accumulator mean (without bias) of channel c. */
  const meanAcc = (c: number) => meanX * sumW[c];
  /** A small random offset, so biases are not exactly the centring value. */
  const jitter = (c: number) => (rng.float() - 0.5) * 0.2 * std[c];

  const bias = new Int32Array(cout);
  const requant = presetOf(scheme).preset.make({
    rng, cout, dtype, std, meanStd: std.reduce((a, b) => a + b, 0) / cout, meanAcc, jitter, bias, relu: options.relu === true, targetStd: TARGET_STD,
  });

  return layer.kind === "depthwise"
    ? { kind: "depthwise", kernel: [...layer.kernel], stride: [...layer.stride], pad: { ...layer.pad }, weights, bias, requant }
    : { kind: "pointwise", outChannels: cout, weights, bias, requant };
}

/** The input and op of `randomInput` and `randomOp` together. */
export function randomLayer(layer: LayerSpec, options: RandomLayerOptions): { input: Tensor; op: ConvOp } {
  return { input: randomInput(layer, options), op: randomOp(layer, options) };
}

export { Rng, hashSeed };
