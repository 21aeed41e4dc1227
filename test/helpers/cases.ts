// Random convolution cases for the kernel suites: a fast-check arbitrary draws the geometry and every
// scalar parameter (so a counterexample shows them), plus a seed from which `buildCase` derives the
// bytes and the per-channel arrays deterministically. The draws lean on the edges: channel counts
// around the SIMD widths, pads wider than the kernel, zero points and weights at their extremes,
// int32 biases that wrap, and per scheme the parameters that tie, saturate, truncate or wrap.
import fc from "fast-check";
import type { ConvOp, Dtype, Layout, Padding, Requant, Tensor } from "../../src/types.js";
import { EDGE_VARIANTS, type AnyScheme } from "../../src/schemes/index.js";
import { Rng, randomActivations, randomInt8 } from "./kernels.js";

/** The requantizations of SPEC §3 as the kernel suites draw them (tflite split by rounding): each scheme's `edges`. */
export const SCHEMES: readonly string[] = EDGE_VARIANTS.map((v) => v.name);
export type SchemeName = string;

const I32_MIN = -0x80000000;
const I32_MAX = 0x7fffffff;

function schemeOf(variant: SchemeName): AnyScheme {
  const v = EDGE_VARIANTS.find((e) => e.name === variant);
  if (!v) throw new RangeError(`no scheme variant ${variant}`);
  return v.scheme;
}

/** Everything about one case except its bytes and per-channel arrays (those come from `seed`). */
export interface CaseSpec {
  scheme: SchemeName;
  kind: "depthwise" | "pointwise";
  layout: Layout;
  height: number;
  width: number;
  channels: number;
  /** Pointwise output channels (depthwise: equal to `channels`). */
  outChannels: number;
  kernel: [number, number];
  stride: [number, number];
  pad: Padding;
  inDtype: Dtype;
  inZeroPoint: number;
  /** tflite/onnx only: output dtype, zero point and clamp range. */
  outDtype: Dtype;
  outZeroPoint: number;
  min: number;
  max: number;
  /** Per-channel parameters given as one broadcast value. */
  perTensor: boolean;
  /** Per-channel parameters as typed arrays (else number[]). */
  typed: boolean;
  bias: "none" | "small" | "full" | "edges";
  /** pulp-*: the right shift; pulp-quant: the int16 multiplier. */
  shift: number;
  mult: number;
  /** gap-sq8 layer parameters (undefined: left to the default). */
  relu: boolean;
  biasNorm: number | undefined;
  actScale: number | undefined;
  actNorm: number | undefined;
  seed: number;
}

/** Channel counts 1..max, with the counts around multiples of 4 and 8 (the SIMD tiles) favoured. */
export function channelsArb(max: number): fc.Arbitrary<number> {
  const edges = [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 63, 64, 65, 67].filter((c) => c <= max);
  return fc.oneof({ arbitrary: fc.integer({ min: 1, max }), weight: 3 }, { arbitrary: fc.constantFrom(...edges), weight: 2 });
}

/** An integer in [min, max] with the listed values favoured. */
function edgyInt(min: number, max: number, edges: number[]): fc.Arbitrary<number> {
  return fc.oneof({ arbitrary: fc.integer({ min, max }), weight: 2 }, { arbitrary: fc.constantFrom(...edges.filter((e) => e >= min && e <= max)), weight: 1 });
}

/** A raw 0..255 draw with the ends and the middle favoured, mapped into a dtype's range. */
const rawByte = edgyInt(0, 255, [0, 1, 127, 128, 254, 255]);
const inDtypeRange = (d: Dtype, raw: number) => (d === "int8" ? raw - 128 : raw);

interface Geometry {
  height: number;
  width: number;
  channels: number;
  outChannels: number;
  kernel: [number, number];
  stride: [number, number];
  pad: Padding;
}

/** Depthwise geometry: H, W 1..12, kernels 1..7 each way, strides 1..3, pads 0..k+1 per side, output non-empty. */
export function depthwiseGeometry(maxHW = 12, maxC = 67, maxK = 7): fc.Arbitrary<Geometry> {
  return fc
    .record({ kh: fc.integer({ min: 1, max: maxK }), kw: fc.integer({ min: 1, max: maxK }) })
    .chain(({ kh, kw }) =>
      fc.record({
        height: fc.integer({ min: 1, max: maxHW }),
        width: fc.integer({ min: 1, max: maxHW }),
        channels: channelsArb(maxC),
        kernel: fc.constant<[number, number]>([kh, kw]),
        stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
        pad: fc.record({
          top: fc.integer({ min: 0, max: kh + 1 }),
          left: fc.integer({ min: 0, max: kw + 1 }),
          bottom: fc.integer({ min: 0, max: kh + 1 }),
          right: fc.integer({ min: 0, max: kw + 1 }),
        }),
      }),
    )
    .filter((g) => g.kernel[0] <= g.height + g.pad.top + g.pad.bottom && g.kernel[1] <= g.width + g.pad.left + g.pad.right)
    .map((g) => ({ ...g, outChannels: g.channels }));
}

/** Pointwise geometry: H, W 1..maxHW, Cin and Cout from `channels`. */
export function pointwiseGeometry(maxHW = 12, channels: fc.Arbitrary<number> = channelsArb(67)): fc.Arbitrary<Geometry> {
  return fc.record({
    height: fc.integer({ min: 1, max: maxHW }),
    width: fc.integer({ min: 1, max: maxHW }),
    channels,
    outChannels: channels,
    kernel: fc.constant<[number, number]>([1, 1]),
    stride: fc.constant<[number, number]>([1, 1]),
    pad: fc.constant({ top: 0, left: 0, bottom: 0, right: 0 }),
  });
}

/** The input dtypes a scheme accepts (pulp-*: uint8, gap-sq8: int8, others: both). */
export function inputDtypes(scheme: SchemeName): Dtype[] {
  return [...schemeOf(scheme).inputs];
}

/** Cases of one scheme and op kind over the given geometry. */
export function caseArb(scheme: SchemeName, kind: "depthwise" | "pointwise", geometry?: fc.Arbitrary<Geometry>): fc.Arbitrary<CaseSpec> {
  const geo = geometry ?? (kind === "depthwise" ? depthwiseGeometry() : pointwiseGeometry());
  const def = schemeOf(scheme);
  const zeroPointFree = def.zeroPointFree;
  return fc
    .record({
      geo,
      layout: fc.constantFrom<Layout>("HWC", "CHW"),
      inDtype: fc.constantFrom(...inputDtypes(scheme)),
      inZpRaw: rawByte,
      outDtype: fc.constantFrom<Dtype>("int8", "uint8"),
      outZpRaw: rawByte,
      clamp: fc.option(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })), { freq: 2 }),
      perTensor: fc.boolean(),
      typed: fc.boolean(),
      bias: fc.constantFrom("none", "small", "full", "edges"),
      // Mostly where uint8 outputs vary (|acc| is ~2^13..2^16), else anywhere with the ends favoured.
      shift: fc.oneof({ arbitrary: fc.integer({ min: 6, max: 16 }), weight: 3 }, { arbitrary: edgyInt(0, 31, [0, 1, 30, 31]), weight: 2 }),
      mult: edgyInt(-32768, 32767, [-32768, -32767, 32767, 0, 1, -1, 256]),
      relu: fc.boolean(),
      biasNorm: fc.option(edgyInt(0, 31, [0, 1, 31])),
      actScale: fc.option(edgyInt(0, 255, [0, 1, 255])),
      actNorm: fc.option(edgyInt(0, 31, [0, 1, 31])),
      seed: fc.integer(),
    })
    .map((r): CaseSpec => {
      const inZeroPoint = zeroPointFree ? 0 : inDtypeRange(r.inDtype, r.inZpRaw);
      const outDtype = def.output ?? r.outDtype;
      // The clamp range: the full dtype, or a random sub-range (uint8 needs max > 127 to stay uint8).
      let min = outDtype === "int8" ? -128 : 0;
      let max = outDtype === "int8" ? 127 : 255;
      if (r.clamp) {
        const [a, b] = r.clamp;
        if (outDtype === "int8") [min, max] = [Math.min(a, b) - 128, Math.max(a, b) - 128];
        else [min, max] = [Math.min(a, b), 128 + (Math.max(a, b) % 128)];
        min = Math.min(min, max);
      }
      return {
        scheme, kind, layout: r.layout, ...r.geo,
        inDtype: r.inDtype, inZeroPoint,
        outDtype, outZeroPoint: inDtypeRange(outDtype, r.outZpRaw), min, max,
        perTensor: r.perTensor, typed: r.typed, bias: r.bias,
        shift: r.shift, mult: r.mult,
        relu: r.relu, biasNorm: r.biasNorm ?? undefined, actScale: r.actScale ?? undefined, actNorm: r.actNorm ?? undefined,
        seed: r.seed,
      };
    });
}

/** Cases of every scheme and both kinds (for mixed call sequences). */
export function anyCaseArb(): fc.Arbitrary<CaseSpec> {
  return fc.oneof(...SCHEMES.flatMap((s) => [caseArb(s, "depthwise"), caseArb(s, "pointwise")]));
}

/** The requant of a case, drawn by its scheme; per-channel arrays come from `rng` (one entry when `perTensor`). */
function requantOf(s: CaseSpec, rng: Rng): Requant {
  return schemeOf(s.scheme).edges[s.scheme]!(s, rng);
}

/** The bias of a case; without one, sometimes `null` and sometimes absent (`undefined`). */
function biasOf(style: CaseSpec["bias"], n: number, rng: Rng): Int32Array | null | undefined {
  if (style === "none") return rng.chance(0.5) ? null : undefined;
  const b = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (style === "small") b[i] = rng.int(-(2 ** 16), 2 ** 16);
    else if (style === "full") b[i] = rng.i32();
    else if (style === "edges") b[i] = rng.chance(0.5) ? rng.pick([I32_MIN, I32_MAX, I32_MIN + 1, I32_MAX - 1, -1, 0]) : rng.i32();
  }
  return b;
}

/** The input tensor (in the case's layout) and the op of a case, all derived from its fields. */
export function buildCase(s: CaseSpec): { input: Tensor; op: ConvOp } {
  const rng = new Rng(s.seed);
  const input: Tensor = {
    data: randomActivations(rng, s.height * s.width * s.channels, s.inDtype, s.inZeroPoint),
    height: s.height, width: s.width, channels: s.channels, layout: s.layout, zeroPoint: s.inZeroPoint,
  };
  const wLen = s.kind === "depthwise" ? s.channels * s.kernel[0] * s.kernel[1] : s.outChannels * s.channels;
  const weights = randomInt8(rng, wLen);
  const bias = biasOf(s.bias, s.outChannels, rng);
  const requant = requantOf(s, rng);
  const op: ConvOp =
    s.kind === "depthwise"
      ? { kind: "depthwise", kernel: s.kernel, stride: s.stride, pad: s.pad, weights, requant }
      : { kind: "pointwise", outChannels: s.outChannels, weights, requant };
  if (bias !== undefined) op.bias = bias;
  return { input, op };
}
