// Property tests of the general convolution kernel (assembly/conv.ts: im2col into the pointwise
// GEMM core) and of fully connected layers: the SIMD and scalar builds give the reference's bytes
// (src/reference/general.ts) for every scheme, over random non-square shapes, odd channel counts,
// kernels up to 5x5, strides 1..3, dilations 1..3, groups (depthwise with a multiplier included),
// padding on each side, zero points, clamps and the parameter edges of helpers/cases.ts.
// FC_SEED=<seed> replays a run.
import fc from "fast-check";
import { expect, it } from "vitest";
import { toLayout } from "../src/layout.js";
import { generalLayerFor, prepareGeneralOn, type FullyConnectedOp, type GeneralConvOp, type GeneralExports } from "../src/general.js";
import { reference } from "../src/reference/index.js";
import { Rng } from "../src/rng.js";
import type { Layout, PointwiseOp, Tensor } from "../src/types.js";
import { SCHEMES, buildCase, caseArb, channelsArb } from "./helpers/cases.js";
import { describeEngines, expectSameTensor } from "./helpers/kernels.js";
import { KERNEL_ID } from "../src/wasm/interface.generated.js";

const replaySeed = globalThis.process?.env?.FC_SEED;
if (replaySeed) fc.configureGlobal({ seed: Number(replaySeed) });

const RUNS = 120;

/** Groups, channels per group in and out, and the window. */
const generalArb = fc
  .record({
    groups: fc.oneof({ arbitrary: fc.constant(1), weight: 3 }, { arbitrary: fc.integer({ min: 2, max: 6 }), weight: 2 }),
    ig: fc.oneof({ arbitrary: fc.constant(1), weight: 1 }, { arbitrary: channelsArb(40), weight: 3 }),
    og: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 3 }), weight: 1 }, { arbitrary: channelsArb(40), weight: 3 }),
    kh: fc.integer({ min: 1, max: 5 }),
    kw: fc.integer({ min: 1, max: 5 }),
    stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    dilation: fc.oneof({ arbitrary: fc.constant<[number, number]>([1, 1]), weight: 2 }, { arbitrary: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), weight: 1 }),
    height: fc.integer({ min: 1, max: 11 }),
    width: fc.integer({ min: 1, max: 13 }),
    pad: fc.record({ top: fc.integer({ min: 0, max: 4 }), left: fc.integer({ min: 0, max: 4 }), bottom: fc.integer({ min: 0, max: 4 }), right: fc.integer({ min: 0, max: 4 }) }),
  })
  .filter((g) => {
    const ekh = (g.kh - 1) * g.dilation[0] + 1, ekw = (g.kw - 1) * g.dilation[1] + 1;
    return ekh <= g.height + g.pad.top + g.pad.bottom && ekw <= g.width + g.pad.left + g.pad.right && g.groups * g.ig <= 160 && g.groups * g.og <= 160;
  });

function randomWeights(n: number, seed: number): Int8Array {
  const rng = new Rng(seed);
  const w = new Int8Array(n);
  for (let i = 0; i < n; i++) w[i] = rng.int(-128, 127);
  return w;
}

describeEngines("general convolution vs reference", (engine) => {
  for (const scheme of SCHEMES) {
    it(`${scheme}: random geometries, both layouts`, () => {
      fc.assert(
        fc.property(caseArb(scheme, "pointwise"), generalArb, (spec, g) => {
          const C = g.groups * g.ig, O = g.groups * g.og;
          // The case's requantization, bias and input bytes for this geometry.
          const { input, op: pw } = buildCase({ ...spec, height: g.height, width: g.width, channels: C, outChannels: O, layout: "HWC" });
          const op: GeneralConvOp = {
            kind: "conv", outChannels: O, kernel: [g.kh, g.kw], stride: g.stride, dilation: g.dilation, pad: g.pad, groups: g.groups,
            weights: randomWeights(O * g.kh * g.kw * g.ig, spec.seed ^ 0x5eed), bias: (pw as PointwiseOp).bias ?? null, requant: pw.requant,
          };
          const expected = reference.convGeneral(input, op);
          for (const layout of ["HWC", "CHW"] as Layout[]) {
            const out = engine().convGeneral(toLayout(input, layout), op);
            expect(out.layout).toBe(layout);
            expectSameTensor(toLayout(out, "HWC"), expected, `${scheme} ${layout} groups ${g.groups} ${g.kh}x${g.kw} s${g.stride} d${g.dilation}`);
          }
        }),
        { numRuns: RUNS },
      );
    });
  }

  it("depthwise with a depth multiplier: the depthwise kernel on repeated channels and the GEMM agree with the reference", () => {
    fc.assert(
      fc.property(caseArb("tflite-double", "pointwise"), caseArb("onnx", "pointwise"), generalArb, fc.integer({ min: 1, max: 4 }), (a, b, g, M) => {
        for (const spec of [a, b]) {
          const C = g.groups * g.ig, O = C * M;
          const { input, op: pw } = buildCase({ ...spec, height: g.height, width: g.width, channels: C, outChannels: O, layout: "HWC" });
          const op: GeneralConvOp = {
            kind: "conv", outChannels: O, kernel: [g.kh, g.kw], stride: g.stride, pad: g.pad, groups: C,
            weights: randomWeights(O * g.kh * g.kw, spec.seed), bias: (pw as PointwiseOp).bias ?? null, requant: pw.requant,
          };
          const expected = reference.convGeneral(input, op);
          for (const layout of ["HWC", "CHW"] as Layout[]) {
            const t = toLayout(input, layout);
            const layer = generalLayerFor({ height: t.height, width: t.width, channels: C, layout, zeroPoint: t.zeroPoint, dtype: spec.inDtype }, op);
            for (const gemmOnly of [false, true]) {
              const data = prepareGeneralOn(engine(), layer, { gemmOnly }).run(t.data);
              expectSameTensor(toLayout({ ...expected, layout, data }, "HWC"), expected, `M ${M} ${layout} gemmOnly ${gemmOnly}`);
            }
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it("fully connected, with and without a weight zero point", () => {
    fc.assert(
      fc.property(caseArb("tflite-double", "pointwise"), caseArb("onnx", "pointwise"), fc.integer({ min: 1, max: 9 }), channelsArb(300), channelsArb(70), fc.integer({ min: -128, max: 127 }), fc.boolean(), (a, b, rows, I, O, wzp, useZp) => {
        for (const spec of [a, b]) {
          const { input, op: pw } = buildCase({ ...spec, height: rows, width: 1, channels: I, outChannels: O, layout: "HWC" });
          const op: FullyConnectedOp = { kind: "fullyConnected", outFeatures: O, weights: randomWeights(O * I, spec.seed), weightZeroPoint: useZp ? wzp : 0, bias: (pw as PointwiseOp).bias ?? null, requant: pw.requant };
          const x = { data: input.data, rows, features: I, zeroPoint: input.zeroPoint };
          const want = reference.fullyConnected(x, op);
          const got = engine().fullyConnected(x, op);
          expect(got.rows).toBe(rows);
          expect(got.features).toBe(O);
          expect(got.zeroPoint).toBe(want.zeroPoint);
          expect(got.data.constructor).toBe(want.data.constructor);
          expect(Array.from(got.data)).toEqual(Array.from(want.data));
        }
      }),
      { numRuns: 150 },
    );
  });

  it("padding taps add nothing whatever the input zero point", () => {
    // All-padding windows: an output pixel whose window lies entirely in the padding is bias only.
    const input: Tensor = { data: new Int8Array(2 * 2 * 3).fill(100), height: 2, width: 2, channels: 3, layout: "HWC", zeroPoint: -7 };
    const op: GeneralConvOp = {
      kind: "conv", outChannels: 2, kernel: [2, 2], stride: [3, 3], pad: { top: 3, left: 3, bottom: 3, right: 3 },
      weights: new Int8Array(2 * 2 * 2 * 3).fill(5), bias: Int32Array.from([9, -9]),
      requant: { scheme: "onnx", scale: [1], outputZeroPoint: 0, min: -128, max: 127 },
    };
    const out = engine().convGeneral(input, op);
    expect(out.data[0]).toBe(9);
    expect(out.data[1]).toBe(-9);
    expectSameTensor(out, reference.convGeneral(input, op), "all-padding windows");
  });

  it("prepareGeneral: constants made once, the same bytes at every run", () => {
    const rng = new Rng(7);
    const H = 9, W = 7, C = 5, O = 18;
    const op: GeneralConvOp = {
      kind: "conv", outChannels: O, kernel: [3, 3], stride: [2, 2], pad: { top: 1, left: 0, bottom: 1, right: 1 }, weights: randomWeights(O * 9 * C, 3), bias: null,
      requant: { scheme: "tflite", multiplier: [1 << 30], shift: [-6], outputZeroPoint: 3, min: -128, max: 127 },
    };
    const shape = { height: H, width: W, channels: C, layout: "HWC" as Layout, zeroPoint: 4, dtype: "int8" as const };
    const p = engine().prepareGeneral(shape, op);
    const r = reference.prepareGeneral(shape, op);
    for (let k = 0; k < 3; k++) {
      const x = new Int8Array(H * W * C);
      for (let i = 0; i < x.length; i++) x[i] = rng.int(-128, 127);
      // Another call on the engine in between must not disturb the prepared layer.
      engine().convGeneral({ data: x, height: H, width: W, channels: C, layout: "HWC", zeroPoint: 0 }, { ...op, pad: { top: 0, left: 0, bottom: 0, right: 0 } });
      expect(Array.from(p.run(x))).toEqual(Array.from(r.run(x)));
    }
  });

  it("rejects bad calls with errors naming the field, never a trap", () => {
    const input: Tensor = { data: new Int8Array(4 * 4 * 6), height: 4, width: 4, channels: 6, layout: "HWC", zeroPoint: 0 };
    const base: GeneralConvOp = {
      kind: "conv", outChannels: 4, kernel: [3, 3], stride: [1, 1], pad: { top: 0, left: 0, bottom: 0, right: 0 }, groups: 2, weights: new Int8Array(4 * 9 * 3),
      requant: { scheme: "onnx", scale: [0.5], outputZeroPoint: 0, min: -128, max: 127 },
    };
    const e = engine();
    expect(() => e.convGeneral(input, { ...base, groups: 4 })).toThrow(/op.groups \(4\) must divide the input channels/);
    expect(() => e.convGeneral(input, { ...base, outChannels: 5 })).toThrow(/op.groups \(2\) must divide op.outChannels/);
    expect(() => e.convGeneral(input, { ...base, weights: new Int8Array(3) })).toThrow(/op.weights has 3 entries/);
    expect(() => e.convGeneral(input, { ...base, dilation: [3, 1] })).toThrow(RangeError);
    expect(() => e.convGeneral(input, { ...base, dilation: [0, 1] })).toThrow(/op.dilation\[0\]/);
    expect(() => e.convGeneral(input, { ...base, stride: [1] as unknown as [number, number] })).toThrow(TypeError);
    expect(() => e.convGeneral(input, { ...base, bias: new Int32Array(3) })).toThrow(/op.bias has 3 entries/);
    expect(() => e.convGeneral(input, { ...base, requant: { ...base.requant, scale: [1, 2, 3] } } as GeneralConvOp)).toThrow(/op.requant.scale/);
    expect(() => e.convGeneral({ ...input, height: 3 }, base)).toThrow(/input.data has/);
    expect(() => e.fullyConnected({ data: new Int8Array(6), rows: 2, features: 4, zeroPoint: 0 }, { kind: "fullyConnected", outFeatures: 2, weights: new Int8Array(8), requant: base.requant })).toThrow(/input.data has 6 bytes/);
    expect(() => e.fullyConnected({ data: new Int8Array(8), rows: 2, features: 4, zeroPoint: 0 }, { kind: "fullyConnected", outFeatures: 2, weights: new Int8Array(8), weightZeroPoint: 200, requant: base.requant })).toThrow(/op.weightZeroPoint/);
  });
});

describeEngines("general convolution kernel on strided views", (engine) => {
  it("an output window inside a larger buffer (rows not contiguous) gets the dense output's bytes", () => {
    const rng = new Rng(11);
    const e = engine();
    const wasm = e.wasm as unknown as GeneralExports & { memory: WebAssembly.Memory };
    const H = 9, W = 11, C = 5, O = 20, kh = 3, kw = 2;
    const op: GeneralConvOp = {
      kind: "conv", outChannels: O, kernel: [kh, kw], stride: [1, 2], pad: { top: 1, left: 1, bottom: 1, right: 0 }, weights: randomWeights(O * kh * kw * C, 12),
      bias: Int32Array.from({ length: O }, () => rng.int(-900, 900)), requant: { scheme: "onnx", scale: [0.003], outputZeroPoint: 1, min: -128, max: 127 },
    };
    const x: Tensor = { data: Int8Array.from({ length: H * W * C }, () => rng.int(-128, 127)), height: H, width: W, channels: C, layout: "HWC", zeroPoint: 2 };
    const want = reference.convGeneral(x, op);
    const layer = generalLayerFor({ height: H, width: W, channels: C, layout: "HWC", zeroPoint: 2, dtype: "int8" }, op);
    const { outHeight: Ho, outWidth: Wo } = layer;
    const taps = kh * kw * C;
    // Buffers placed by hand: the output is a window 3 pixels in, in rows of Wo + 5 pixels.
    const a = e.arena;
    a.reset();
    const src = a.alloc(x.data.length), raw = a.alloc(op.weights.length), packed = a.alloc(wasm.convWeightBytes(O, taps, 1));
    const scale = a.alloc(4 * O), bias = a.alloc(4 * O), hdr = a.alloc(48);
    const rowPx = Wo + 5, dst = a.alloc((Ho + 1) * rowPx * O), scratch = a.alloc(wasm.convScratchBytes(O, taps, 1));
    a.commit();
    a.write(src, x.data);
    a.write(raw, op.weights);
    a.write(bias, op.bias!);
    a.write(scale, new Float32Array(O).fill(0.003));
    const words = new Int32Array(wasm.memory.buffer, hdr, 12);
    // The kernel id from the generated interface (ids move when a scheme gains a kernel).
    words.set([KERNEL_ID.onnx, 1, -128, 127, 0, 0, 0, 0, 0, bias, scale, 0]);
    wasm.convPackWeights(raw, O, taps, 1, 0, packed);
    const base = dst + 3 * O;
    wasm.convGeneral(src, W * C, C, 1, H, W, C, 1, 2, kh, kw, 1, 2, 1, 1, 1, 1, Ho, Wo, 1, O, packed, 0, hdr, base, rowPx * O, O, 1, scratch);
    const mem = new Int8Array(wasm.memory.buffer);
    const got = new Int8Array(Ho * Wo * O);
    for (let y = 0; y < Ho; y++) got.set(mem.subarray(base + y * rowPx * O, base + y * rowPx * O + Wo * O), y * Wo * O);
    expect(Array.from(got)).toEqual(Array.from(want.data));
  });
});
