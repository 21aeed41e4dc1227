// The reference against the independent test vectors (both layouts), the parameter derivations
// against the stored parameters, hand-computed edge cases of every scheme, and input validation.
import { basename } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toLayout } from "../src/layout.js";
import { frexp, onnxScales, padding, quantizeMultiplier, tfliteMultipliers } from "../src/quant.js";
import { reference } from "../src/reference/index.js";
import { accumulatorBias, rdbpot, requantize, srdhm } from "../src/reference/requant.js";
import type { DepthwiseOp, Layout, PointwiseOp, Requant, Tensor } from "../src/types.js";
import type { CheckedRequant } from "../src/validate.js";
import { fixtureFiles, loadVectorFile, skipMeta, vectorFiles, vectorsMissing } from "./helpers/vectors.js";

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;
const P30 = 2 ** 30;

function expectTensorEqual(actual: Tensor, expected: Tensor): void {
  const shape = (t: Tensor) => ({ ...t, data: `${t.data.constructor.name}(${t.data.length})` });
  expect(shape(actual)).toEqual(shape(expected));
  const mismatch = actual.data.findIndex((v, i) => v !== expected.data[i]);
  expect(mismatch, `first differing byte at ${mismatch}: ${actual.data[mismatch]} vs ${expected.data[mismatch]}`).toBe(-1);
}

// (a) Every case, op by op, in its own layout and in the other one. Without ../shared/vectors
// only the project's own fixtures run (see test/helpers/shared.ts).
const vectorsAbsent = vectorsMissing();
describe.skipIf(vectorsAbsent)("vectors of ../shared/vectors", skipMeta(vectorsAbsent), () => {
  it("are there", () => expect(vectorFiles().length).toBeGreaterThan(0));
});
for (const path of [...vectorFiles(), ...fixtureFiles()]) {
  const file = loadVectorFile(path);
  describe(`vectors ${basename(path)}`, () => {
    it("has cases", () => expect(file.cases.length).toBeGreaterThan(0));
    for (const c of file.cases) {
      const other: Layout = c.layout === "HWC" ? "CHW" : "HWC";
      for (const layout of [c.layout, other]) {
        it(`${c.name} [run in ${layout}]`, () => {
          let input = c.input;
          for (const { op, expected } of c.ops) {
            const out = reference.conv(toLayout(input, layout), op);
            expect(out.layout).toBe(layout);
            expectTensorEqual(toLayout(out, c.layout), expected);
            input = expected; // op k+1 consumes op k's expected output
          }
        });
      }
    }

    // (b) Our derivation of the parameters from the stored float32 scales.
    const withScales = file.cases.flatMap((c) => c.ops.map((o, k) => ({ name: `${c.name} op ${k}`, ...o }))).filter((o) => o.scales);
    for (const { name, op, scales } of withScales) {
      it(`${name}: requant parameters derive from the scales`, () => {
        const rq = op.requant;
        if (rq.scheme === "tflite") {
          const { multiplier, shift } = tfliteMultipliers(scales!, rq.rounding ?? "double");
          expect(Array.from(multiplier)).toEqual(Array.from(rq.multiplier));
          expect(Array.from(shift)).toEqual(Array.from(rq.shift));
        } else if (rq.scheme === "onnx") {
          expect(Array.from(onnxScales(scales!))).toEqual(Array.from(Float32Array.from(rq.scale)));
        } else {
          throw new Error(`scales given for scheme ${rq.scheme}`);
        }
      });
    }
  });
}

// (c) Hand-computed edges. Each expected value is worked out from the SPEC §3 formula in the comment.
type Tfl = Extract<CheckedRequant, { scheme: "tflite" }>;
function tfl(m: number, s: number, single: boolean, o: Partial<Pick<Tfl, "outputZeroPoint" | "min" | "max">> = {}): Tfl {
  return { scheme: "tflite", single, multiplier: Int32Array.of(m), shift: Int32Array.of(s), outputZeroPoint: 0, min: -128, max: 127, ...o };
}
function onnx(scale: number, outputZeroPoint = 0, min = -128, max = 127): CheckedRequant {
  return { scheme: "onnx", scale: Float32Array.of(scale), outputZeroPoint, min, max };
}
function pulpBn(k: number, lambda: number, shift: number): CheckedRequant {
  return { scheme: "pulp-bn", k: Int32Array.of(k), lambda: Int32Array.of(lambda), shift };
}
type Gap = Extract<CheckedRequant, { scheme: "gap-sq8" }>;
function gap(scale: number, norm: number, act?: { actScale: number; actNorm: number }): Gap {
  return {
    scheme: "gap-sq8", scale: Uint8Array.of(scale), norm: Uint8Array.of(norm),
    relu: act !== undefined, biasNorm: 0, actScale: act?.actScale ?? 1, actNorm: act?.actNorm ?? 0,
  };
}

describe("srdhm", () => {
  it.each([
    [I32_MIN, I32_MIN, I32_MAX, "the one overflow saturates"],
    [I32_MIN, I32_MAX, -2147483647, "floor((-2^62 + 2^31 + 2^30) / 2^31) = floor(-2^31 + 1.5)"],
    [P30, P30, 2 ** 29, "floor((2^60 + 2^30) / 2^31) = floor(2^29 + 0.5)"],
    [1, P30, 1, "floor((2^30 + 2^30) / 2^31): +0.5 rounds up"],
    [-1, P30, 0, "floor((-2^30 + 2^30) / 2^31): -0.5 rounds up too"],
    [-3, P30, -1, "floor((-3*2^30 + 2^30) / 2^31) = floor(-1): -1.5 -> -1"],
  ])("srdhm(%i, %i) = %i (%s)", (a, b, r) => expect(srdhm(a, b)).toBe(r));
});

describe("rdbpot", () => {
  it.each([
    [3, 1, 2, "1.5: q=1, rem=1 > threshold 0"],
    [-3, 1, -2, "-1.5: q=-2, rem=1, threshold 0+1 -> not above: away from zero"],
    [5, 2, 1, "1.25: q=1, rem=1, threshold 1"],
    [-5, 2, -1, "-1.25: q=-2, rem=3 > threshold 1+1"],
    [6, 2, 2, "1.5: q=1, rem=2 > threshold 1"],
    [-6, 2, -2, "-1.5: q=-2, rem=2, threshold 2"],
    [7, 0, 7, "e=0: mask 0, identity"],
    [-7, 0, -7, "e=0, negative: rem 0 is never above threshold 1"],
    [P30, 31, 1, "0.5: q=0, rem=2^30 > threshold 2^30-1"],
    [P30 - 1, 31, 0, "just below 0.5"],
    [-P30, 31, -1, "-0.5: q=-1, rem=2^31-2^30=2^30, threshold 2^30-1+1: not above"],
    [-P30 + 1, 31, 0, "just above -0.5: q=-1, rem=2^30+1 > 2^30"],
    [I32_MIN, 31, -1, "-1 exactly: q=-1, rem=0"],
    [I32_MAX, 31, 1, "~1: q=0, rem=2^31-1 > 2^30-1"],
  ])("rdbpot(%i, %i) = %i (%s)", (x, e, r) => expect(rdbpot(x, e)).toBe(r));
});

describe("tflite double rounding", () => {
  it.each([
    [6, P30, -1, {}, 2, "6/4 = 1.5: srdhm = floor(3.5) = 3, rdbpot(3,1) = 2"],
    [-6, P30, -1, {}, -2, "-1.5: srdhm = floor(-2.5) = -3, rdbpot(-3,1) = -2 (away from zero)"],
    [5, P30, -1, {}, 2, "1.25 rounds twice: srdhm = floor(3) = 3, rdbpot(3,1) = 2"],
    [3, P30, 0, {}, 2, "shift 0 (rdbpot exponent 0): srdhm(3, 2^30) = floor(2) = 2"],
    [-3, P30, 0, {}, -1, "srdhm(-3, 2^30) = floor(-1) = -1"],
    [I32_MAX, I32_MAX, -31, {}, 1, "srdhm = floor((2^62-2^32+1+2^30)/2^31) = 2^31-2; rdbpot(.., 31) = 1"],
    [I32_MAX, P30, -31, {}, 1, "0.49999999977 rounds to 1 twice: srdhm = 2^30, rdbpot(2^30, 31) = 1"],
    [I32_MIN, P30, -31, {}, -1, "-0.5: srdhm = floor(-2^30 + 0.5) = -2^30, rdbpot(-2^30, 31) = -1"],
    [3, P30, 30, {}, -128, "acc*2^30 wraps: 3*2^30 -> -2^30; srdhm(-2^30, 2^30) = -2^29; clamp"],
    [1, P30, 30, {}, 127, "2^30 (no wrap); srdhm = 2^29; clamp"],
    [I32_MAX, P30, 1, { outputZeroPoint: 1 }, 0, "acc*2 wraps to -2; srdhm(-2, 2^30) = floor(-0.5) = -1; -1 + 1"],
    [I32_MAX, I32_MAX, 0, { outputZeroPoint: 2 }, -128, "r = 2^31-2; r + 2 wraps to -2^31; clamp"],
    [12345, 0, 0, { outputZeroPoint: -7 }, -7, "M = 0: r = 0"],
    [1000, P30, 0, { outputZeroPoint: 10, min: 10, max: 60 }, 60, "500 + 10 clamped to max"],
    [-1000, P30, 0, { outputZeroPoint: 10, min: 10, max: 60 }, 10, "-500 + 10 clamped to min"],
  ] as const)("acc %i, M %i, shift %i, %o -> %i (%s)", (acc, m, s, o, r, _why) => {
    expect(requantize(acc, 0, tfl(m, s, false, o))).toBe(r);
  });
});

describe("tflite single rounding", () => {
  it.each([
    [6, P30, -1, {}, 2, "floor((6*2^30 + 2^31) / 2^32) = floor(2)"],
    [-6, P30, -1, {}, -1, "floor((-6*2^30 + 2^31) / 2^32) = floor(-1): -1.5 -> -1 (double: -2)"],
    [5, P30, -1, {}, 1, "floor((5*2^30 + 2^31) / 2^32) = floor(1.75) (double: 2)"],
    [I32_MAX, P30, -31, {}, 0, "floor(((2^31-1)*2^30 + 2^61) / 2^62) = floor(0.99999999977) (double: 1)"],
    [I32_MIN, P30, -31, {}, 0, "floor((-2^61 + 2^61) / 2^62) = 0: -0.5 -> 0 (double: -1)"],
    [3, P30, 30, {}, 127, "floor((3*2^30 + 1) / 2) = 1610612736, clamped (double wraps to -128)"],
    [I32_MIN, I32_MAX, 30, {}, 127, "floor((-2^62 + 2^31 + 1) / 2) = -2^61 + 2^30; low 32 bits = 2^30 > 0"],
    [I32_MAX, P30, 1, { outputZeroPoint: 1 }, -128, "floor(((2^31-1)*2^30 + 2^29) / 2^30) = 2^31-1; +1 wraps to -2^31"],
    // M = acc^-1 mod 2^33, so acc*M + 1 = 2 (mod 2^33) and r = (acc*M + 1) / 2 = 1 (mod 2^32). r is about
    // 1.6e18 (61 bits): a double would have lost the low bit, so this needs exact 64-bit arithmetic.
    [2147483629, 1469330917, 30, {}, 1, "low 32 bits of r = 1577682044920528897 are 1"],
  ] as const)("acc %i, M %i, shift %i, %o -> %i (%s)", (acc, m, s, o, r, _why) => {
    expect(requantize(acc, 0, tfl(m, s, true, o))).toBe(r);
  });
});

describe("onnx", () => {
  it.each([
    [5, 0.5, 0, 2, "2.5 -> 2 (ties to even, down)"],
    [7, 0.5, 0, 4, "3.5 -> 4 (ties to even, up)"],
    [3, 0.5, 0, 2, "1.5 -> 2"],
    [-5, 0.5, 0, -2, "-2.5 -> -2"],
    [-7, 0.5, 0, -4, "-3.5 -> -4"],
    [-3, 0.5, 0, -2, "-1.5 -> -2"],
    [5, 0.5, 3, 5, "2.5 -> 2, + zero point 3"],
    [-1, 0.25, 0, 0, "-0.25 -> -0 -> +0"],
    [16777217, 2 ** -25, 0, 0, "f32(2^24+1) = 2^24 (tie to even); 2^24 * 2^-25 = 0.5 -> 0 (exact: 0.50000003 -> 1)"],
    [16777215, 2 ** -25 + 2 ** -48, 0, 0, "exact 0.5 + 2^-25 - 2^-48 rounds to f32 0.5 (ulp 2^-24) -> 0"],
    [1000, 1, 10, 127, "1000 clamped to 127 - 10, + 10"],
    [-1000, 1, 10, -128, "-1000 clamped to -128 - 10, + 10"],
  ])("acc %i * %d, zp %i -> %i (%s)", (acc, scale, zp, r) => {
    expect(requantize(acc, 0, onnx(scale, zp))).toBe(r);
  });
  it("clamps to the uint8 range around the zero point", () => {
    expect(requantize(100, 0, onnx(1, 200, 0, 255))).toBe(255); // 100 clamped to 255-200=55, +200
    expect(requantize(-300, 0, onnx(1, 200, 0, 255))).toBe(0); // -300 clamped to 0-200, +200
  });
});

describe("pulp-bn", () => {
  it.each([
    [100, 3, -44, 2, 64, "(300 - 44) >> 2"],
    [7, 1, 0, 1, 3, "7 >> 1 = 3: floor, no rounding"],
    [-5, 1, 0, 1, 0, "-5 >> 1 = -3 -> 0"],
    [32768, 65536, 0, 0, 0, "65536*32768 = 2^31 wraps to -2^31 -> 0"],
    [-32769, 65536, 0, 16, 255, "-(2^31 + 2^16) wraps to 2^31 - 2^16; >> 16 = 32767 -> 255"],
    [I32_MAX, 1, 1, 0, 0, "2^31-1 + 1 wraps to -2^31 -> 0"],
    [256, 1, 0, 0, 255, "clip at 255"],
    [254, 1, 0, 0, 254, "below the clip"],
    [-1, 1, 0, 31, 0, "-1 >> 31 = -1 -> 0"],
  ])("acc %i, k %i, lambda %i, shift %i -> %i (%s)", (acc, k, lambda, d, r) => {
    expect(requantize(acc, 0, pulpBn(k, lambda, d))).toBe(r);
  });
});

describe("pulp-quant", () => {
  it.each([
    [20000, 2, 0, 0, "t = 40000, as int16 -25536 -> 0"],
    [65735, 1, 0, 199, "t = 65735, as int16 65735 - 65536 = 199"],
    [-300, -1, 1, 150, "300 >> 1"],
    [11, 1, 2, 2, "11 >> 2 = 2 (floor)"],
    [-1, 1, 2, 0, "-1 >> 2 = -1 -> 0"],
    [-65540, 32767, 16, 255, "32767*-65540 = -2147549180 wraps to 2147418116; >> 16 = 32767 -> 255"],
  ])("acc %i, mult %i, shift %i -> %i (%s)", (acc, mult, shift, r) => {
    expect(requantize(acc, 0, { scheme: "pulp-quant", mult, shift })).toBe(r);
  });
});

describe("pulp-shift", () => {
  it.each([
    [300, 1, 150],
    [7, 1, 3], // floor
    [513, 1, 255], // 256 clipped
    [-1, 0, 0],
    [I32_MIN, 31, 0], // -1 -> 0
    [I32_MAX, 30, 1],
  ])("acc %i >> %i -> %i", (acc, shift, r) => {
    expect(requantize(acc, 0, { scheme: "pulp-shift", shift })).toBe(r);
  });
});

describe("gap-sq8", () => {
  it.each([
    [3, 1, 1, undefined, 2, "(3 + 1) >> 1: 1.5 rounds half up"],
    [-3, 1, 1, undefined, -1, "(-3 + 1) >> 1: -1.5 rounds half up"],
    [100, 1, 0, undefined, 100, "N = 0 adds no rounding term"],
    [2 ** 24, 128, 24, undefined, -128, "2^24*128 = 2^31 wraps to -2^31; (-2^31 + 2^23) >> 24 = -128 (exact: 128)"],
    [I32_MAX, 1, 1, undefined, -128, "(2^31-1) + 1 wraps to -2^31; >> 1 = -2^30 -> -128"],
    [-1000, 1, 0, undefined, -128, "no relu: clamp"],
    [-5, 1, 0, { actScale: 1, actNorm: 0 }, 0, "relu: max(-5, 0) = 0"],
    [100, 1, 0, { actScale: 3, actNorm: 2 }, 75, "(100*3 + 2) >> 2 = 75"],
    [2, 1, 0, { actScale: 3, actNorm: 2 }, 2, "(6 + 2) >> 2 = 2: 1.5 rounds half up"],
    [1000, 1, 0, { actScale: 1, actNorm: 0 }, 127, "relu then clamp"],
    [2 ** 24, 1, 0, { actScale: 128, actNorm: 0 }, -128, "2^24*128 wraps to -2^31 after the relu; the clamp is last"],
  ] as const)("acc %i, S %i, N %i, act %o -> %i (%s)", (acc, s, n, act, r, _why) => {
    expect(requantize(acc, 0, gap(s, n, act))).toBe(r);
  });
});

describe("accumulatorBias", () => {
  const withBiasNorm = (biasNorm: number): CheckedRequant => ({ ...gap(1, 0), biasNorm });
  it("is 0 without a bias and the bias otherwise", () => {
    expect(accumulatorBias(null, 0, tfl(P30, 0, false))).toBe(0);
    expect(accumulatorBias(Int32Array.of(5, -7), 1, tfl(P30, 0, false))).toBe(-7);
    expect(accumulatorBias(Int32Array.of(5, -7), 1, { scheme: "pulp-shift", shift: 3 })).toBe(-7);
  });
  it.each([
    [3, 4, 48, "3 << 4"],
    [P30, 2, 0, "2^32 wraps to 0"],
    [-1, 31, I32_MIN, "-1 << 31"],
    [3, 31, I32_MIN, "3*2^31 mod 2^32 = 2^31 -> -2^31"],
  ])("gap-sq8: bias %i << biasNorm %i = %i (%s)", (b, n, r) => {
    expect(accumulatorBias(Int32Array.of(b), 0, withBiasNorm(n))).toBe(r);
  });
});

// Whole convolutions small enough to check by hand: padding taps, zero points, accumulator wrap.
describe("reference convolutions by hand", () => {
  const unitOnnx: Requant = { scheme: "onnx", scale: [1], outputZeroPoint: 0, min: -128, max: 127 };
  it("depthwise: pad taps add nothing; every tap subtracts the input zero point", () => {
    const input: Tensor = { data: Int8Array.of(1, 2, 3, 4), height: 2, width: 2, channels: 1, layout: "HWC", zeroPoint: 1 };
    const op: DepthwiseOp = {
      kind: "depthwise", kernel: [3, 3], stride: [1, 1], pad: padding.symmetric(1),
      weights: new Int8Array(9).fill(1), bias: Int32Array.of(10), requant: unitOnnx,
    };
    // Each output's 3x3 window covers all 4 pixels: 10 + (0 + 1 + 2 + 3) = 16.
    expect(Array.from(reference.depthwise(input, op).data)).toEqual([16, 16, 16, 16]);
  });
  it("depthwise: stride and asymmetric padding pick the taps", () => {
    // 1x4 row [1 2 3 4], kernel 1x2 weights [1 10], stride 2, pad left 1: windows [pad,1] and [2,3].
    const input: Tensor = { data: Int8Array.of(1, 2, 3, 4), height: 1, width: 4, channels: 1, layout: "CHW", zeroPoint: 0 };
    const op: DepthwiseOp = {
      kind: "depthwise", kernel: [1, 2], stride: [1, 2], pad: { top: 0, left: 1, bottom: 0, right: 0 },
      weights: Int8Array.of(1, 10), requant: unitOnnx,
    };
    expect(Array.from(reference.conv(input, op).data)).toEqual([10, 2 + 30]);
  });
  it("pointwise: [Cout][Cin] weights, zero point", () => {
    const input: Tensor = { data: Int8Array.of(5, -6), height: 1, width: 1, channels: 2, layout: "HWC", zeroPoint: -1 };
    const op: PointwiseOp = { kind: "pointwise", outChannels: 2, weights: Int8Array.of(1, 2, 3, -4), requant: unitOnnx };
    // x - zp = [6, -5]: [1*6 + 2*-5, 3*6 + -4*-5] = [-4, 38]
    expect(Array.from(reference.pointwise(input, op).data)).toEqual([-4, 38]);
  });
  it("accumulation wraps at 32 bits", () => {
    const input: Tensor = { data: Uint8Array.of(1), height: 1, width: 1, channels: 1, layout: "HWC", zeroPoint: 0 };
    const op: PointwiseOp = {
      kind: "pointwise", outChannels: 1, weights: Int8Array.of(1), bias: Int32Array.of(I32_MAX),
      requant: { scheme: "pulp-shift", shift: 0 },
    };
    // 2^31-1 + 1 wraps to -2^31, which clips to 0 (unwrapped it would clip to 255).
    expect(Array.from(reference.conv(input, op).data)).toEqual([0]);
  });
});

describe("layout invariance (random)", () => {
  it("toLayout round-trips and the reference gives the same bytes in HWC and CHW", () => {
    const arb = fc
      .record({
        h: fc.integer({ min: 1, max: 6 }), w: fc.integer({ min: 1, max: 6 }), c: fc.integer({ min: 1, max: 5 }),
        kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 3 }),
        sh: fc.integer({ min: 1, max: 2 }), sw: fc.integer({ min: 1, max: 2 }),
        pad: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
        zp: fc.integer({ min: -128, max: 127 }), seed: fc.integer(),
      })
      .filter((g) => g.kh <= g.h + g.pad[0] + g.pad[2] && g.kw <= g.w + g.pad[1] + g.pad[3]);
    fc.assert(
      fc.property(arb, (g) => {
        const rand = (i: number) => ((Math.imul(g.seed ^ i, 2654435761) >>> 24) & 0xff) - 128;
        const input: Tensor = {
          data: Int8Array.from({ length: g.h * g.w * g.c }, (_, i) => rand(i)),
          height: g.h, width: g.w, channels: g.c, layout: "HWC", zeroPoint: g.zp,
        };
        const op: DepthwiseOp = {
          kind: "depthwise", kernel: [g.kh, g.kw], stride: [g.sh, g.sw],
          pad: { top: g.pad[0], left: g.pad[1], bottom: g.pad[2], right: g.pad[3] },
          weights: Int8Array.from({ length: g.c * g.kh * g.kw }, (_, i) => rand(1000 + i)),
          requant: { scheme: "tflite", multiplier: [P30 + 12345], shift: [-3], outputZeroPoint: 5, min: -128, max: 127 },
        };
        const chw = toLayout(input, "CHW");
        expect(toLayout(chw, "HWC")).toEqual(input);
        expectTensorEqual(toLayout(reference.depthwise(chw, op), "HWC"), reference.depthwise(input, op));
      }),
      { numRuns: 200 },
    );
  });
  it("toLayout returns the same tensor when nothing changes and keeps the array kind", () => {
    const t: Tensor = { data: Uint8Array.of(1, 2, 3, 4, 5, 6), height: 1, width: 2, channels: 3, layout: "HWC", zeroPoint: 0 };
    expect(toLayout(t, "HWC")).toBe(t);
    const c = toLayout(t, "CHW");
    expect(c.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(c.data)).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe("quantization helpers", () => {
  it.each([
    [1, 0.5, 1],
    [0.75, 0.75, 0],
    [-3, -0.75, 2],
    [Number.MAX_VALUE, 1 - 2 ** -53, 1024],
    [2 ** -1074, 0.5, -1073], // smallest subnormal
    [3 * 2 ** -1030, 0.75, -1028], // subnormal
    [2 ** -1022, 0.5, -1021], // smallest normal
  ])("frexp(%d) = [%d, %i]", (x, q, e) => expect(frexp(x)).toEqual([q, e]));

  it.each([
    [0, "double", 0, 0, "e = 0"],
    [0.5, "double", P30, 0, "q = 0.5, s = 0"],
    [1, "double", P30, 1, "q = 0.5, s = 1"],
    [0.5 + 2 ** -32, "double", P30 + 1, 0, "q*2^31 = 2^30 + 0.5 rounds away from zero"],
    [1 - 2 ** -40, "double", P30, 1, "q*2^31 = 2^31 - 2^-9 rounds to 2^31: fixup to 2^30, s + 1"],
    [2 ** -32, "double", P30, -31, "s = -31 is kept"],
    [2 ** -33, "double", 0, 0, "s = -32 < -31 -> 0, 0"],
    [(1 - 2 ** -40) * 2 ** -32, "double", P30, -31, "s = -32, but the fixup comes first and gives -31"],
    [2 ** 31, "double", P30, 32, "double rounding keeps s = 32 (validation rejects it later)"],
    [2 ** 31, "single", I32_MAX, 30, "single rounding clamps s > 30 to 30, M = 2^31 - 1"],
  ] as const)("quantizeMultiplier(%d, %s) = [%i, %i] (%s)", (e, rounding, m, s, _why) => {
    expect(quantizeMultiplier(e, rounding)).toEqual([m, s]);
  });

  it("rounds each scale to float32 before the double arithmetic", () => {
    // f32(0.1) = 13421773 * 2^-27 = 0.8000000119 * 2^-3: q*2^31 = 13421773 * 2^7 = 1717986944.
    // (The double 0.1 would give round(0.8 * 2^31) = 1717986918.)
    const { multiplier, shift } = tfliteMultipliers({ input: 0.1, weights: [1, 0], output: 1 });
    expect(Array.from(multiplier)).toEqual([1717986944, 0]);
    expect(Array.from(shift)).toEqual([-3, 0]);
  });

  it("computes onnx scales in float32, step by step", () => {
    expect(Array.from(onnxScales({ input: 0.5, weights: [0.25, 3], output: 2 }))).toEqual([0.0625, 0.75]);
    // f32(1/3) = 11184811 * 2^-25; *3 = 1 + 2^-25, which rounds to 1 in float32 (ulp 2^-23).
    expect(Array.from(onnxScales({ input: 1 / 3, weights: [3], output: 1 }))).toEqual([1]);
  });

  it("rejects scales that are not finite and non-negative", () => {
    expect(() => onnxScales({ input: 1, weights: [1], output: 0 })).toThrow(/scales\.output/);
    expect(() => tfliteMultipliers({ input: 1, weights: [-1], output: 1 })).toThrow(/scales\.weights\[0\]/);
    expect(() => tfliteMultipliers({ input: NaN, weights: [1], output: 1 })).toThrow(RangeError);
  });
});

// (d) TF SAME / ONNX SAME_UPPER: total = max((ceil(in/s) - 1)*s + k - in, 0), the odd pixel at the end.
describe("padding", () => {
  it.each([
    [224, 3, 2, 0, 1, "out 112: 111*2 + 3 - 224 = 1"],
    [112, 3, 1, 1, 1, "111 + 3 - 112 = 2"],
    [7, 3, 2, 1, 1, "out 4: 6 + 3 - 7 = 2"],
    [8, 3, 2, 0, 1, "out 4: 6 + 3 - 8 = 1"],
    [5, 1, 2, 0, 0, "out 3: 4 + 1 - 5 = 0"],
    [10, 5, 1, 2, 2, "9 + 5 - 10 = 4"],
    [2, 5, 3, 1, 2, "out 1: 0 + 5 - 2 = 3"],
    [4, 1, 3, 0, 0, "out 2: 3 + 1 - 4 = 0"],
    [6, 2, 4, 0, 0, "out 2: 4 + 2 - 6 = 0"],
  ])("in %i, k %i, s %i -> %i + %i (%s)", (size, k, s, before, after) => {
    expect(padding.same([size, 7], [k, 1], [s, 1])).toEqual({ top: before, left: 0, bottom: after, right: 0 });
    expect(padding.same([7, size], [1, k], [1, s])).toEqual({ top: 0, left: before, bottom: 0, right: after });
  });
  it("valid and symmetric", () => {
    expect(padding.valid()).toEqual({ top: 0, left: 0, bottom: 0, right: 0 });
    expect(padding.symmetric(2)).toEqual({ top: 2, left: 2, bottom: 2, right: 2 });
  });
});

// (e) Bad input throws a RangeError or TypeError naming the field.
describe("validation", () => {
  const tensor = (o: Partial<Tensor> = {}): Tensor => ({
    data: new Int8Array(2 * 3 * 4), height: 2, width: 3, channels: 4, layout: "HWC", zeroPoint: 0, ...o,
  });
  const tfliteRq: Requant = { scheme: "tflite", multiplier: [P30], shift: [0], outputZeroPoint: 0, min: -128, max: 127 };
  const dw = (o: Partial<DepthwiseOp> = {}): DepthwiseOp => ({
    kind: "depthwise", kernel: [3, 3], stride: [1, 1], pad: padding.symmetric(1),
    weights: new Int8Array(4 * 9), bias: null, requant: tfliteRq, ...o,
  });
  const pw = (o: Partial<PointwiseOp> = {}): PointwiseOp => ({
    kind: "pointwise", outChannels: 5, weights: new Int8Array(5 * 4), requant: tfliteRq, ...o,
  });
  const rq = (r: Record<string, unknown>) => r as unknown as Requant;

  function expectError(run: () => unknown, kind: typeof RangeError | typeof TypeError, field: string): void {
    expect(run).toThrow(kind);
    expect(run).toThrow(field);
  }

  it("accepts the base op", () => {
    expect(reference.conv(tensor(), dw()).data.length).toBe(24);
    expect(reference.conv(tensor(), pw()).data.length).toBe(30);
  });

  it.each<[string, () => unknown, typeof RangeError | typeof TypeError, string]>([
    ["wrong data length", () => reference.depthwise(tensor({ data: new Int8Array(23) }), dw()), RangeError, "input.data"],
    ["data of another type", () => reference.depthwise(tensor({ data: new Int16Array(24) as unknown as Int8Array }), dw()), TypeError, "input.data"],
    ["non-integer height", () => reference.depthwise(tensor({ height: 2.5 }), dw()), RangeError, "input.height"],
    ["zero width", () => reference.depthwise(tensor({ width: 0 }), dw()), RangeError, "input.width"],
    ["bad layout", () => reference.depthwise(tensor({ layout: "NHWC" as Layout }), dw()), RangeError, "input.layout"],
    ["zero point outside the dtype", () => reference.depthwise(tensor({ zeroPoint: 200 }), dw()), RangeError, "input.zeroPoint"],
    ["wrong weights type", () => reference.depthwise(tensor(), dw({ weights: new Uint8Array(36) as unknown as Int8Array })), TypeError, "op.weights"],
    ["wrong weights length", () => reference.depthwise(tensor(), dw({ weights: new Int8Array(35) })), RangeError, "op.weights"],
    ["pointwise weights length", () => reference.pointwise(tensor(), pw({ weights: new Int8Array(21) })), RangeError, "op.weights"],
    ["bias length", () => reference.depthwise(tensor(), dw({ bias: new Int32Array(3) })), RangeError, "op.bias"],
    ["bias type", () => reference.pointwise(tensor(), pw({ bias: [1, 2, 3, 4, 5] as unknown as Int32Array })), TypeError, "op.bias"],
    ["empty output", () => reference.depthwise(tensor(), dw({ kernel: [5, 3], pad: padding.valid() })), RangeError, "op.kernel"],
    ["zero stride", () => reference.depthwise(tensor(), dw({ stride: [0, 1] })), RangeError, "op.stride"],
    ["negative pad", () => reference.depthwise(tensor(), dw({ pad: { top: -1, left: 0, bottom: 0, right: 0 } })), RangeError, "op.pad.top"],
    ["bad kind", () => reference.conv(tensor(), { ...dw(), kind: "conv" } as unknown as DepthwiseOp), RangeError, "op.kind"],
    ["multiplier below 2^30", () => reference.depthwise(tensor(), dw({ requant: { ...tfliteRq, multiplier: [P30 - 1] } })), RangeError, "op.requant.multiplier"],
    ["multiplier of 2^31", () => reference.depthwise(tensor(), dw({ requant: { ...tfliteRq, multiplier: [2 ** 31] } })), RangeError, "op.requant.multiplier"],
    ["multiplier count", () => reference.depthwise(tensor(), dw({ requant: { ...tfliteRq, multiplier: [P30, P30] } })), RangeError, "op.requant.multiplier"],
    ["shift above 30", () => reference.depthwise(tensor(), dw({ requant: { ...tfliteRq, shift: [31] } })), RangeError, "op.requant.shift"],
    ["shift below -31", () => reference.depthwise(tensor(), dw({ requant: { ...tfliteRq, shift: [-32] } })), RangeError, "op.requant.shift"],
    ["min/max across dtypes", () => reference.depthwise(tensor(), dw({ requant: { ...tfliteRq, min: -1, max: 200 } })), RangeError, "op.requant.min"],
    ["rounding", () => reference.depthwise(tensor(), dw({ requant: rq({ ...tfliteRq, rounding: "triple" }) })), RangeError, "op.requant.rounding"],
    ["unknown scheme", () => reference.depthwise(tensor(), dw({ requant: rq({ scheme: "fp32" }) })), RangeError, "op.requant.scheme"],
    ["onnx scale not finite", () => reference.depthwise(tensor(), dw({ requant: { scheme: "onnx", scale: [Infinity], outputZeroPoint: 0, min: -128, max: 127 } })), RangeError, "op.requant.scale"],
    ["pulp scheme on int8 input", () => reference.depthwise(tensor(), dw({ requant: { scheme: "pulp-shift", shift: 1 } })), TypeError, "input.data"],
    ["pulp scheme with a zero point", () => reference.depthwise(tensor({ data: new Uint8Array(24), zeroPoint: 3 }), dw({ requant: { scheme: "pulp-shift", shift: 1 } })), RangeError, "input.zeroPoint"],
    ["gap-sq8 on uint8 input", () => reference.depthwise(tensor({ data: new Uint8Array(24) }), dw({ requant: { scheme: "gap-sq8", scale: [1], norm: [0] } })), TypeError, "input.data"],
    ["pulp shift of 32", () => reference.depthwise(tensor({ data: new Uint8Array(24) }), dw({ requant: { scheme: "pulp-shift", shift: 32 } })), RangeError, "op.requant.shift"],
    ["pulp-quant mult beyond int16", () => reference.depthwise(tensor({ data: new Uint8Array(24) }), dw({ requant: { scheme: "pulp-quant", mult: 40000, shift: 0 } })), RangeError, "op.requant.mult"],
    ["gap-sq8 norm of 32", () => reference.depthwise(tensor(), dw({ requant: { scheme: "gap-sq8", scale: [1], norm: [32] } })), RangeError, "op.requant.norm"],
  ])("%s", (_name, run, kind, field) => expectError(run, kind, field));
});
