// A filter layer (KOP_CONV, KOP_CONV_DW, KOP_LINEAR) as it runs: on dwpw's general kernels
// (src/general.ts) with the `gap-sq8` scheme, prepared once per runner (the WebAssembly engine or
// the reference), whatever its geometry or activation; the TypeScript loops of ./kernels.ts for a
// run without a general runner and for a layer the kernels cannot take.
//
// The AutoTiler's reduction is `clip8(max(rnd(acc * S, N), lower))`; the scheme's is
// `clip8(rnd(acc * S, N))`, with its ReLU clamping at 0. Since clip8 is monotone,
// `clip8(max(t, lower)) == max(clip8(t), clip8(lower))`: a lower bound other than 0 (KOP_RELUM on
// asymmetric outputs, as ReLU6 is) runs the kernels without ReLU and raises the output bytes below
// it afterwards; a lower bound of 0 is the scheme's ReLU, and -128 needs no clamp at all.
import type { FullyConnectedOp, GeneralConvOp } from "../../general.js";
import type { GapSq8Requant } from "../../types.js";
import { generalCall, runBatches, type GeneralCall } from "../tflite/general-op.js";
import type { RunContext } from "../types.js";
import * as K from "./kernels.js";
import type { FilterQ } from "./quantize.js";

/** What running a filter needs of NNTool's layer. */
export type FilterSpec = Pick<FilterQ, "kind" | "weights" | "weightsShape" | "biases" | "scale" | "scaleN" | "act" | "nhwcOfChw">;

/** A convolution's geometry with the padding on all four sides (the kernels check the output size from it). */
export interface FilterGeometry extends K.ConvGeometry {
  padBottom: number;
  padRight: number;
}

export interface FilterRun {
  /** Where the layer runs when the context has a general runner: "gap-sq8 pointwise" / "general" / "depthwise" / "linear", or "typescript". */
  engine: string;
  /** The byte clamp applied after the kernels (a lower bound other than -128 and 0), or null. */
  clampBelow: number | null;
  /** The layer's output for input `x`, into `out` (of the output's length) when the kernels run it. */
  run(x: Int8Array, ctx: RunContext, out: Int8Array): Int8Array;
}

function clip8(x: number): number {
  return x < -128 ? -128 : x > 127 ? 127 : x;
}

/**
 * `out[i] = max(out[i], lower)` in place (`lower` in int8), four bytes per int32 word where the
 * array is 4-byte aligned: about 15x faster than a byte loop, whose branch on random-signed
 * outputs mispredicts. Each byte is biased to unsigned (x ^ 0x80, which keeps the order) and
 * compared without borrows crossing bytes: its high bits decide unless they are equal, then its
 * low 7 bits, whose difference `(u7 | 0x80) - l7` stays within the byte. Lane j of a word is the
 * same byte of memory whatever the platform's byte order.
 */
export function raiseBelow(out: Int8Array, lower: number): void {
  let i = 0;
  for (; i < out.length && (out.byteOffset + i) % 4 !== 0; i++) if (out[i]! < lower) out[i] = lower;
  const words = (out.length - i) >> 2;
  const w = new Int32Array(out.buffer, out.byteOffset + i, words);
  const HIGH = 0x80808080 | 0;
  const LOW7 = 0x7f7f7f7f;
  const l = ((lower ^ 0x80) & 0xff) * 0x01010101;
  for (let k = 0; k < words; k++) {
    const u = w[k]! ^ HIGH;
    const lowGe = ((u & LOW7) | HIGH) - (l & LOW7);
    const ge = ((u & ~l) | (~(u ^ l) & lowGe)) & HIGH; // the high bit of each byte where u >= l
    const keep = (ge >>> 7) * 0xff;
    w[k] = ((u & keep) | (l & ~keep)) ^ HIGH;
  }
  for (i += words << 2; i < out.length; i++) if (out[i]! < lower) out[i] = lower;
}

/**
 * The filter of `f` on an input of geometry `g` (a linear layer: `g` null, the input is the
 * weights' inner size). Weights are reordered once from NNTool's to the kernels' layouts.
 */
export function filterRun(f: FilterSpec, g: FilterGeometry | null): FilterRun {
  const outC = f.biases.length;
  const lower = f.act.kop === "KOP_NONE" ? -128 : clip8(f.act.lower);
  const consts: K.FilterConsts = { outC, bias: f.biases, scale: f.scale, scaleN: f.scaleN, lower };
  // A norm <= 0 leaves the product as it is (numerics.ts `atNorm`), as the scheme's norm 0 does.
  const norm = Uint8Array.from(f.scaleN, (n) => (n > 0 ? n : 0));
  const requant: GapSq8Requant = { scheme: "gap-sq8", scale: f.scale, norm, relu: lower === 0 };
  const clampBelow = lower === 0 || lower === -128 ? null : lower;

  let general: GeneralCall | null;
  let label: string;
  let loops: (x: Int8Array) => Int8Array;
  let inSize: number;
  if (f.kind === "linear") {
    const inC = f.weightsShape[1]!;
    // Columns reordered once from NNTool's CHW order to the NHWC bytes the runner holds.
    const w = new Int8Array(f.weights.length);
    const cols = f.nhwcOfChw!;
    for (let o = 0; o < outC; o++) for (let j = 0; j < inC; j++) w[o * inC + cols[j]!] = f.weights[o * inC + j]!;
    const op: FullyConnectedOp = { kind: "fullyConnected", outFeatures: outC, weights: w, bias: f.biases, requant };
    general = generalCall({ height: 1, width: 1, channels: inC, layout: "HWC", zeroPoint: 0, dtype: "int8" }, op, outC);
    label = "gap-sq8 linear";
    loops = (x) => K.linear(x, w, consts);
    inSize = inC;
  } else {
    const geo = g!;
    const { H, W, C, Ho, Wo, fh, fw, sy, sx } = geo;
    const pad = { top: geo.padTop, left: geo.padLeft, bottom: geo.padBottom, right: geo.padRight };
    // Zero points are folded into the biases (README Q4): the kernels see raw bytes.
    const shape = { height: H, width: W, channels: C, layout: "HWC" as const, zeroPoint: 0, dtype: "int8" as const };
    if (f.kind === "depthwise") {
      // NNTool's [C][1][fh][fw] is the kernels' [C][fh][fw][1] as it is.
      const op: GeneralConvOp = { kind: "conv", outChannels: outC, kernel: [fh, fw], stride: [sy, sx], pad, groups: C, weights: f.weights, bias: f.biases, requant };
      general = generalCall(shape, op, Ho * Wo * outC);
      label = "gap-sq8 depthwise";
      loops = (x) => K.depthwise(x, geo, f.weights, consts);
    } else {
      // [out][in][fh][fw] -> [out][fh][fw][in], once: the kernels' layout and the loops' inner walk.
      const w = new Int8Array(f.weights.length);
      for (let o = 0; o < outC; o++) for (let i = 0; i < C; i++) for (let ky = 0; ky < fh; ky++) for (let kx = 0; kx < fw; kx++) w[((o * fh + ky) * fw + kx) * C + i] = f.weights[((o * C + i) * fh + ky) * fw + kx]!;
      const op: GeneralConvOp = { kind: "conv", outChannels: outC, kernel: [fh, fw], stride: [sy, sx], pad, weights: w, bias: f.biases, requant };
      general = generalCall(shape, op, Ho * Wo * outC);
      const pointwise = fh === 1 && fw === 1 && sy === 1 && sx === 1 && pad.top + pad.left + pad.bottom + pad.right === 0;
      label = pointwise ? "gap-sq8 pointwise" : "gap-sq8 general";
      loops = (x) => K.conv2d(x, geo, w, consts);
    }
    inSize = H * W * C;
  }
  return {
    engine: general ? label : "typescript",
    clampBelow,
    run(x, ctx, out) {
      if (!runBatches(general, ctx, x, 1, inSize, out, out.length)) return loops(x);
      if (clampBelow !== null) raiseBelow(out, clampBelow);
      return out;
    },
  };
}
