// Property tests: the WebAssembly kernels (SIMD and scalar builds) give the reference's bytes for
// every scheme x op kind x layout x dtype, over random non-square shapes, kernels, strides and
// padding, with parameters drawn at their edges (see helpers/cases.ts). fast-check prints the seed
// and the counterexample of a failure; FC_SEED=<seed> replays a run.
import fc from "fast-check";
import { expect, it } from "vitest";
import type { Engine } from "../src/engine.js";
import { toLayout } from "../src/layout.js";
import { reference } from "../src/reference/index.js";
import type { ConvOp, Dtype, Layout, Requant, Tensor } from "../src/types.js";
import { SCHEMES, buildCase, caseArb, inputDtypes, pointwiseGeometry, type CaseSpec } from "./helpers/cases.js";
import { describeEngines, expectSameTensor } from "./helpers/kernels.js";

// (`globalThis.process` is undefined when the suite runs in a browser.)
const replaySeed = globalThis.process?.env?.FC_SEED;
if (replaySeed) fc.configureGlobal({ seed: Number(replaySeed) });

/** Runs per scheme and op kind, per build. */
const RUNS = { depthwise: 300, pointwise: 250 } as const;

/** Runs `s` through `engine` in both layouts and compares with the reference; returns the reference output. */
function checkCase(engine: Engine, s: CaseSpec): Tensor {
  const { input, op } = buildCase(s);
  const expected = reference.conv(input, op);
  for (const layout of ["HWC", "CHW"] as Layout[]) {
    const out = engine.conv(toLayout(input, layout), op);
    expect(out.layout).toBe(layout);
    expectSameTensor(toLayout(out, s.layout), expected, `${s.scheme} ${s.kind} run in ${layout}`);
  }
  return expected;
}

// Requantization edges, exhaustively: every channel of a grid layer starts from one accumulator
// centre (its bias) and each of the 256 pixels adds x - zp (a 255-wide ramp of int8 or uint8
// values, weight 1), so the accumulators sweep across every centre; the channels cross the centres
// with the scheme's parameter edges (multipliers and shifts at their limits, tie-making scales,
// saturating and wrapping parameters).
const I32_MIN = -0x80000000;
const I32_MAX = 0x7fffffff;
const P30 = 2 ** 30;
const CENTRES = [0, 255, -256, 2 ** 24 - 100, -(2 ** 24), P30, -P30, I32_MAX - 127, I32_MAX, I32_MIN, I32_MIN + 127, 0x12345678];

/** Every combination of the lists, as columns: cross([a, b], [c, d]) = [[a, a, b, b], [c, d, c, d]]. */
function cross(...lists: number[][]): number[][] {
  let rows: number[][] = [[]];
  for (const l of lists) rows = rows.flatMap((r) => l.map((v) => [...r, v]));
  return lists.map((_, i) => rows.map((r) => r[i]));
}

interface GridLayer {
  name: string;
  input: Tensor;
  op: ConvOp;
  expected: Tensor;
}

/** A depthwise and a pointwise grid layer: channel c has bias `bias[c]` and the requant's entry c. */
function gridLayers(name: string, dtype: Dtype, zp: number, bias: number[], requant: Requant): GridLayer[] {
  const C = bias.length;
  const ramp = (p: number) => (dtype === "int8" ? p - 128 : p);
  const make = (channels: number) => {
    const n = 256 * channels;
    const data = dtype === "int8" ? new Int8Array(n) : new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = ramp(Math.floor(i / channels));
    return { data, height: 1, width: 256, channels, layout: "HWC" as Layout, zeroPoint: zp };
  };
  const b = Int32Array.from(bias);
  const ops: [Tensor, ConvOp][] = [
    [make(C), { kind: "depthwise", kernel: [1, 1], stride: [1, 1], pad: { top: 0, left: 0, bottom: 0, right: 0 }, weights: new Int8Array(C).fill(1), bias: b, requant }],
    [make(1), { kind: "pointwise", outChannels: C, weights: new Int8Array(C).fill(1), bias: b, requant }],
  ];
  return ops.map(([input, op]) => ({ name: `${name} ${op.kind}`, input, op, expected: reference.conv(input, op) }));
}

const F32_MAX = 3.4028234663852886e38;
const GRID: GridLayer[] = [
  // tflite: multipliers at 0, 2^30, 2^30 + 1, 1.5 * 2^30, 2^31 - 1; shifts across -31..30.
  ...(["double", "single"] as const).flatMap((rounding) => {
    const [m, sh, bias] = cross([0, P30, P30 + 1, 3 * 2 ** 29, I32_MAX], [-31, -30, -24, -17, -9, -8, -2, -1, 0, 1, 2, 15, 29, 30], CENTRES);
    const outs = [
      { outputZeroPoint: 0, min: -128, max: 127 },
      { outputZeroPoint: 127, min: -100, max: 50 },
      { outputZeroPoint: 3, min: 0, max: 255 },
    ];
    return outs.flatMap((o, k) =>
      gridLayers(`tflite ${rounding} out ${k}`, k === 2 ? "int8" : "uint8", k === 2 ? -128 : 128, bias, { scheme: "tflite", rounding, multiplier: m, shift: sh, ...o }),
    );
  }),
  // onnx: powers of two (exact .5 ties), zero, negative, subnormal and saturating scales.
  ...(() => {
    const scales = [0.5, 0.25, 2 ** -7, 2 ** -8, 2 ** -16, 2 ** -24, 2 ** -31, 2 ** -32, 1, 2, 3, Math.fround(0.1), Math.fround(1 / 3), 0, -0, -0.5, -(2 ** -8), 2 ** -149, 1e-30, F32_MAX, 1e30, 0.5 + 2 ** -24, 1.5, 255.5];
    const [scale, bias] = cross(scales, CENTRES);
    const outs = [
      { outputZeroPoint: 0, min: -128, max: 127 },
      { outputZeroPoint: -128, min: -128, max: 127 },
      { outputZeroPoint: 255, min: 0, max: 255 },
      { outputZeroPoint: 128, min: 0, max: 255 },
      { outputZeroPoint: 10, min: 5, max: 200 },
    ];
    return outs.flatMap((o, k) => gridLayers(`onnx out ${k}`, k % 2 ? "int8" : "uint8", k % 2 ? -128 : 128, bias, { scheme: "onnx", scale, ...o }));
  })(),
  // pulp-bn: k and lambda that wrap k*acc + lambda, every kind of shift.
  ...(() => {
    const [k, lambda, bias] = cross([0, 1, -1, 2, 3, 255, 65536, -65536, 2 ** 24, I32_MAX, I32_MIN, 12345], [0, -1, 1, I32_MAX, I32_MIN, P30, -P30, 1000], CENTRES);
    return [0, 1, 8, 16, 31].flatMap((shift) => gridLayers(`pulp-bn shift ${shift}`, "uint8", 0, bias, { scheme: "pulp-bn", k, lambda, shift }));
  })(),
  // pulp-quant: the int16 multiplier at its ends (the int16 truncation of the shifted product).
  ...[-32768, -32767, -1, 0, 1, 2, 255, 32767].flatMap((mult) =>
    [0, 1, 8, 15, 16, 31].flatMap((shift) => gridLayers(`pulp-quant mult ${mult} shift ${shift}`, "uint8", 0, CENTRES, { scheme: "pulp-quant", mult, shift })),
  ),
  // pulp-shift: every shift.
  ...Array.from({ length: 32 }, (_, shift) => gridLayers(`pulp-shift ${shift}`, "uint8", 0, CENTRES, { scheme: "pulp-shift", shift })).flat(),
  // gap-sq8: scale and norm at their ends, with and without the scaled ReLU, bias pre-shifts that wrap.
  ...(() => {
    const [scale, norm, bias] = cross([0, 1, 2, 127, 128, 255], [0, 1, 2, 7, 8, 16, 30, 31], CENTRES);
    const layers: Partial<Extract<Requant, { scheme: "gap-sq8" }>>[] = [
      {},
      { relu: true },
      { relu: true, actScale: 255, actNorm: 31 },
      { relu: true, actScale: 200, actNorm: 7, biasNorm: 1 },
      { relu: true, actScale: 0, actNorm: 0 },
      { relu: false, biasNorm: 31 },
      { biasNorm: 16, actScale: 3, actNorm: 1 },
    ];
    return layers.flatMap((l, k) => gridLayers(`gap-sq8 layer ${k}`, "int8", 0, bias, { scheme: "gap-sq8", scale, norm, ...l }));
  })(),
];

describeEngines("requantization edges through the kernels", (engine) => {
  it.each(GRID.map((g) => [g.name, g] as const))("%s", (_name, g) => {
    for (const layout of ["HWC", "CHW"] as Layout[]) {
      const out = engine().conv(toLayout(g.input, layout), g.op);
      expectSameTensor(toLayout(out, "HWC"), g.expected, `run in ${layout}`);
    }
  });
});

describeEngines("kernels == reference", (engine) => {
  for (const scheme of SCHEMES) {
    for (const kind of ["depthwise", "pointwise"] as const) {
      it(`${scheme} ${kind}`, () => {
        const seen = new Set<string>();
        let varied = 0;
        let runs = 0;
        fc.assert(
          fc.property(caseArb(scheme, kind), (s) => {
            const out = checkCase(engine(), s);
            seen.add(`${s.layout} ${s.inDtype}`);
            runs++;
            if (new Set(out.data).size >= 3) varied++;
          }),
          { numRuns: RUNS[kind] },
        );
        // The draws must cover every layout x input dtype the scheme allows...
        const want = (["HWC", "CHW"] as const).flatMap((l) => inputDtypes(scheme).map((d) => `${l} ${d}`));
        expect([...seen].sort()).toEqual(want.sort());
        // ...and mostly produce outputs that are not all clamped, or the comparison says little.
        expect(varied / runs, `${varied} of ${runs} cases have 3+ distinct output values`).toBeGreaterThan(0.25);
      });
    }
  }

  it("pointwise with wide odd channel counts (up to 301) on tiny maps, 1x1 included", () => {
    const wide = fc.oneof(fc.constantFrom(1, 255, 257, 299, 301), fc.integer({ min: 100, max: 150 }).map((n) => 2 * n + 1));
    const arb = fc.oneof(...SCHEMES.map((s) => caseArb(s, "pointwise", pointwiseGeometry(3, wide))));
    fc.assert(fc.property(arb, (s) => void checkCase(engine(), s)), { numRuns: 60 });
    // A 1x1 map explicitly, in every scheme.
    for (const scheme of SCHEMES) {
      const [s] = fc.sample(caseArb(scheme, "pointwise", pointwiseGeometry(1, fc.constant(299))), { numRuns: 1, seed: 7 });
      expect([s.height, s.width, s.channels, s.outChannels]).toEqual([1, 1, 299, 299]);
      checkCase(engine(), s);
    }
  });

  it("the output is in the input's layout, dtype and shape", () => {
    const arb = fc.oneof(...SCHEMES.flatMap((s) => [caseArb(s, "depthwise"), caseArb(s, "pointwise")]));
    fc.assert(
      fc.property(arb, (s) => {
        const { input, op } = buildCase(s);
        for (const layout of ["HWC", "CHW"] as Layout[]) {
          const x = toLayout(input, layout);
          const out = engine().conv(x, op);
          const ref = reference.conv(x, op);
          expect(out.layout).toBe(layout);
          // SPEC §4: tflite/onnx give uint8 when min >= 0 and max > 127, pulp-* uint8, gap-sq8 int8.
          const uint8 = s.scheme.startsWith("pulp-") || (!s.scheme.startsWith("gap") && s.min >= 0 && s.max > 127);
          expect(out.data).toBeInstanceOf(uint8 ? Uint8Array : Int8Array);
          expect(out.data.constructor).toBe(ref.data.constructor);
          expect(out.zeroPoint).toBe(s.scheme.startsWith("tflite") || s.scheme === "onnx" ? s.outZeroPoint : 0);
          expect([out.height, out.width, out.channels, out.zeroPoint]).toEqual([ref.height, ref.width, ref.channels, ref.zeroPoint]);
          expect(out.data.length).toBe(out.height * out.width * out.channels);
        }
      }),
      { numRuns: 100 },
    );
  });
});
