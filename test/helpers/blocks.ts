// Random depthwise-separable blocks for the scratchpad tests: a seeded generator of an input tensor
// and a [first, second] pair of ops under one requantization scheme, with parameters scaled so the
// outputs spread over the output range instead of saturating. Pure: same spec, same bytes.
import type { ConvOp, DepthwiseOp, Dtype, Layout, Padding, PointwiseOp, Requant, Tensor } from "../../src/types.js";
import { SPREAD_VARIANTS, type AnyScheme } from "../../src/schemes/index.js";
import type { Spread } from "../../src/schemes/scheme.js";
import { Rng } from "./kernels.js";

/** The schemes the block tests cover (tflite and onnx in two flavours each): each scheme's `spread`. */
export const BLOCK_SCHEMES: readonly string[] = SPREAD_VARIANTS.map((v) => v.name);
export type BlockScheme = string;

function variant(name: BlockScheme): { scheme: AnyScheme; spread: Spread<Requant> } {
  const v = SPREAD_VARIANTS.find((s) => s.name === name);
  if (!v) throw new RangeError(`no block scheme ${name}`);
  return { scheme: v.scheme, spread: v.scheme.spread[name] as Spread<Requant> };
}

export type Order = "dw-pw" | "pw-dw";

/** Everything that determines a random block. */
export interface BlockCase {
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
  return () => g.float();
}

/** Integer in [lo, hi] from a PRNG. */
export const randInt = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** Bits of magnitude of an accumulator summing `taps` products of int8 weights and activations. */
const accBitsOf = (taps: number): number => Math.ceil(Math.log2(Math.sqrt(taps) * 128 * 74));

/** The block a spec describes: input tensor and the ops in run order. */
export function makeBlock(spec: BlockCase): { input: Tensor; ops: [ConvOp, ConvOp] } {
  const g = new Rng(spec.seed);
  const r = () => g.float();
  const ri = (lo: number, hi: number) => randInt(r, lo, hi);
  const { height: H, width: W, channels: C, outChannels: Co, kernel, stride, pad } = spec;
  const { scheme, spread } = variant(spec.scheme);
  // The scheme's input dtype, or either (drawn) where it takes both.
  const dtype: Dtype = spread.input ?? (r() < 0.5 ? "int8" : "uint8");
  const zpFixed = scheme.zeroPointFree;
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
    requant: spread.draw(dwChannels, accBitsOf(kh * kw), g),
  };
  const pw: PointwiseOp = {
    kind: "pointwise", outChannels: Co, weights: weights(Co * C), bias: bias(Co),
    requant: spread.draw(Co, accBitsOf(C), g),
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
