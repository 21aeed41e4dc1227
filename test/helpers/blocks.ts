// Random depthwise-separable blocks for the scratchpad tests: a seeded generator of an input tensor
// and a [first, second] pair of ops under one requantization scheme, with parameters scaled so the
// outputs spread over the output range instead of saturating. Pure: same spec, same bytes.
import type { ConvOp, DepthwiseOp, Dtype, Layout, Padding, PointwiseOp, Requant, Tensor } from "../../src/types.js";
import { Rng } from "./kernels.js";

/** The schemes the block tests cover (tflite and onnx in two flavours each). */
export const BLOCK_SCHEMES = ["tflite-double", "tflite-single", "onnx-int8", "onnx-uint8", "pulp-bn", "pulp-quant", "pulp-shift", "gap-sq8"] as const;
export type BlockScheme = (typeof BLOCK_SCHEMES)[number];

export type Order = "dw-pw" | "pw-dw";

/** Everything that determines a random block. */
export interface BlockSpec {
  order: Order;
  layout: Layout;
  scheme: BlockScheme;
  height: number;
  width: number;
  /** Block input channels. */
  channels: number;
  /** The pointwise layer's output channels. */
  outChannels: number;
  kernel: [number, number];
  stride: [number, number];
  pad: Padding;
  seed: number;
}

/** The suites' seeded generator (`Rng`, mulberry32) as floats in [0, 1). */
export function rng(seed: number): () => number {
  const g = new Rng(seed);
  return () => g.u32() / 4294967296;
}

/** Integer in [lo, hi] from a PRNG. */
export const randInt = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** The block input's dtype under a scheme. */
function inputDtype(scheme: BlockScheme, r: () => number): Dtype {
  if (scheme.startsWith("pulp-") || scheme === "onnx-uint8") return "uint8";
  if (scheme === "gap-sq8" || scheme === "onnx-int8") return "int8";
  return r() < 0.5 ? "int8" : "uint8"; // tflite takes either
}

/**
 * A requantization for `n` output channels whose accumulators have about `accBits` bits of
 * magnitude, so that most outputs land inside the output range.
 */
function randomRequant(scheme: BlockScheme, n: number, accBits: number, r: () => number): Requant {
  const ri = (lo: number, hi: number) => randInt(r, lo, hi);
  const perCh = <T>(f: () => T): T[] => (r() < 0.15 ? [f()] : Array.from({ length: n }, f)); // length 1 broadcasts
  switch (scheme) {
    case "tflite-double":
    case "tflite-single": {
      const u8 = r() < 0.4;
      const min = u8 ? ri(0, 20) : r() < 0.3 ? ri(-128, -100) : -128;
      const max = u8 ? ri(200, 255) : ri(100, 127);
      return {
        scheme: "tflite",
        ...(scheme === "tflite-single" ? { rounding: "single" as const } : r() < 0.5 ? { rounding: "double" as const } : {}),
        multiplier: perCh(() => (r() < 0.03 ? 0 : ri(2 ** 30, 2 ** 31 - 1))),
        shift: perCh(() => -(accBits - 7) + ri(-2, 1)),
        outputZeroPoint: u8 ? ri(0, 60) : ri(-30, 30),
        min,
        max,
      };
    }
    case "onnx-int8":
    case "onnx-uint8": {
      const u8 = scheme === "onnx-uint8";
      return {
        scheme: "onnx",
        scale: perCh(() => Math.fround((0.25 + r()) * 2 ** -(accBits - 7))),
        outputZeroPoint: u8 ? ri(0, 80) : ri(-40, 40),
        min: u8 ? 0 : -128,
        max: u8 ? 255 : 127,
      };
    }
    case "pulp-bn":
      return {
        scheme: "pulp-bn",
        k: perCh(() => ri(-8, 64)),
        lambda: perCh(() => ri(-(2 ** (accBits + 4)), 2 ** (accBits + 5))),
        shift: Math.min(31, Math.max(0, accBits - 2 + ri(-1, 1))),
      };
    case "pulp-quant":
      return { scheme: "pulp-quant", mult: ri(-200, 2000), shift: Math.min(31, Math.max(0, accBits + 2 + ri(-1, 1))) };
    case "pulp-shift":
      return { scheme: "pulp-shift", shift: Math.min(31, Math.max(0, accBits - 8 + ri(-1, 1))) };
    case "gap-sq8": {
      const relu = r() < 0.5;
      return {
        scheme: "gap-sq8",
        scale: perCh(() => ri(0, 255)),
        norm: perCh(() => Math.min(31, Math.max(0, accBits + ri(-1, 1)))),
        ...(r() < 0.5 ? { relu } : {}),
        ...(r() < 0.5 ? { biasNorm: ri(0, 3) } : {}),
        ...(relu && r() < 0.7 ? { actScale: ri(0, 255), actNorm: ri(0, 9) } : {}),
      };
    }
  }
}

/** Bits of magnitude of an accumulator summing `taps` products of int8 weights and activations. */
const accBitsOf = (taps: number): number => Math.ceil(Math.log2(Math.sqrt(taps) * 128 * 74));

/** The block a spec describes: input tensor and the ops in run order. */
export function makeBlock(spec: BlockSpec): { input: Tensor; ops: [ConvOp, ConvOp] } {
  const r = rng(spec.seed);
  const ri = (lo: number, hi: number) => randInt(r, lo, hi);
  const { height: H, width: W, channels: C, outChannels: Co, kernel, stride, pad } = spec;
  const dtype = inputDtype(spec.scheme, r);
  const zpFixed = spec.scheme.startsWith("pulp-") || spec.scheme === "gap-sq8";
  const zeroPoint = zpFixed ? 0 : dtype === "int8" ? ri(-20, 20) : ri(0, 200);
  const n = H * W * C;
  const data = dtype === "int8" ? Int8Array.from({ length: n }, () => ri(-128, 127)) : Uint8Array.from({ length: n }, () => ri(0, 255));
  const input: Tensor = { data, height: H, width: W, channels: C, layout: spec.layout, zeroPoint };
  const weights = (m: number) => Int8Array.from({ length: m }, () => ri(-128, 127));
  const bias = (m: number) => (r() < 0.2 ? (r() < 0.5 ? null : undefined) : Int32Array.from({ length: m }, () => ri(-40000, 40000)));
  const dwChannels = spec.order === "dw-pw" ? C : Co;
  const [kh, kw] = kernel;
  const dw: DepthwiseOp = {
    kind: "depthwise", kernel: [kh, kw], stride: [...stride], pad: { ...pad },
    weights: weights(dwChannels * kh * kw), bias: bias(dwChannels),
    requant: randomRequant(spec.scheme, dwChannels, accBitsOf(kh * kw), r),
  };
  const pw: PointwiseOp = {
    kind: "pointwise", outChannels: Co, weights: weights(Co * C), bias: bias(Co),
    requant: randomRequant(spec.scheme, Co, accBitsOf(C), r),
  };
  if (dw.bias === undefined) delete dw.bias;
  if (pw.bias === undefined) delete pw.bias;
  return { input, ops: spec.order === "dw-pw" ? [dw, pw] : [pw, dw] };
}

/** Per-channel parameter bytes by hand (SPEC §5 / the brief): int32 bias + the scheme's arrays. */
export function paramBytesPerChannelByHand(op: ConvOp): number {
  const bias = op.bias ? 4 : 0;
  switch (op.requant.scheme) {
    case "tflite":
      return bias + 8; // int32 multiplier + int32 shift
    case "onnx":
      return bias + 4; // float32 scale
    case "pulp-bn":
      return bias + 8; // int32 k + int32 lambda
    case "gap-sq8":
      return bias + 2; // u8 scale + u8 norm
    default:
      return bias; // pulp-quant, pulp-shift: per-layer scalars only
  }
}
