// Weighted-op variants the shared TFLM dumps do not cover, written as .tflite files by
// scripts/tflite/write-model.mjs and run under `tflite-micro` on both engines (WebAssembly kernels
// and TypeScript reference), each checked against a naive computation written here from the
// formula alone: nested loops over NHWC, BigInt requantization (src/reference/requant.ts). SVDF is
// checked the same way under both TFLM builds, at a batch and rank the shared dumps do not have.
import { beforeAll, describe, expect, test } from "vitest";
// @ts-expect-error: a plain ES module script without type declarations
import { writeModel } from "../scripts/tflite/write-model.mjs";
import { init, loadTflite } from "../src/index.js";
import { quantizeMultiplier, tfliteMultipliers } from "../src/quant.js";
import { tfliteDoubleRound } from "../src/reference/requant.js";

beforeAll(async () => {
  await init();
});

function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function randInt8(n: number, seed: number): Int8Array {
  const r = mulberry32(seed);
  return Int8Array.from({ length: n }, () => (r() >>> 24) - 128);
}

function randInt32(n: number, seed: number, spread: number): Int32Array {
  const r = mulberry32(seed);
  return Int32Array.from({ length: n }, () => Math.round(((r() / 2 ** 32) * 2 - 1) * spread));
}

type Act = "NONE" | "RELU" | "RELU6" | "RELU_N1_TO_1";

/** SAME padding of one axis as TensorFlow defines it (odd pixel at the end). */
function same(size: number, k: number, s: number, d: number): { out: number; before: number } {
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + (k - 1) * d + 1 - size, 0);
  return { out, before: Math.floor(total / 2) };
}

function valid(size: number, k: number, s: number, d: number): { out: number; before: number } {
  return { out: Math.floor((size - (k - 1) * d - 1) / s) + 1, before: 0 };
}

/** The fused activation's bounds in the output quantization: zp + round(bound / scale), in int8. */
function actRange(act: Act, scale: number, zp: number): [number, number] {
  const q = (v: number) => zp + Math.sign(v) * Math.round(Math.abs(Math.fround(v / scale)));
  const lo = act === "NONE" ? -128 : act === "RELU_N1_TO_1" ? Math.max(-128, q(-1)) : Math.max(-128, q(0));
  const hi = act === "RELU6" ? Math.min(127, q(6)) : act === "RELU_N1_TO_1" ? Math.min(127, q(1)) : 127;
  return [lo, hi];
}

interface Window {
  N: number;
  H: number;
  W: number;
  C: number;
  O: number;
  kh: number;
  kw: number;
  stride: [number, number];
  dilation: [number, number];
  padding: "SAME" | "VALID";
}

/**
 * The naive convolution: for every output (b, oy, ox, oc), the sum over kernel taps inside the
 * input and over `channelsOf(oc)` of `weight(oc, ky, kx, i) * (x - xZp)`, plus the bias, then
 * the TFLite requantization with BigInt and the activation clamp.
 */
function naiveConv(
  g: Window,
  x: Int8Array,
  xZp: number,
  channelsOf: (oc: number) => number[],
  weight: (oc: number, ky: number, kx: number, i: number) => number,
  bias: Int32Array | null,
  mult: { multiplier: Int32Array; shift: Int32Array },
  yZp: number,
  range: [number, number],
): { data: Int8Array; Ho: number; Wo: number } {
  const pad = g.padding === "SAME" ? same : valid;
  const ph = pad(g.H, g.kh, g.stride[0], g.dilation[0]);
  const pw = pad(g.W, g.kw, g.stride[1], g.dilation[1]);
  const out = new Int8Array(g.N * ph.out * pw.out * g.O);
  for (let b = 0; b < g.N; b++)
    for (let oy = 0; oy < ph.out; oy++)
      for (let ox = 0; ox < pw.out; ox++)
        for (let oc = 0; oc < g.O; oc++) {
          let acc = 0n;
          for (let ky = 0; ky < g.kh; ky++)
            for (let kx = 0; kx < g.kw; kx++) {
              const iy = oy * g.stride[0] - ph.before + ky * g.dilation[0];
              const ix = ox * g.stride[1] - pw.before + kx * g.dilation[1];
              if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
              channelsOf(oc).forEach((c, i) => {
                acc += BigInt(weight(oc, ky, kx, i)) * BigInt(x[((b * g.H + iy) * g.W + ix) * g.C + c]! - xZp);
              });
            }
          if (bias) acc += BigInt(bias[oc]!);
          const r = tfliteDoubleRound(Number(BigInt.asIntN(32, acc)), mult.multiplier[oc]!, mult.shift[oc]!) + yZp;
          out[((b * ph.out + oy) * pw.out + ox) * g.O + oc] = Math.min(range[1], Math.max(range[0], r));
        }
  return { data: out, Ho: ph.out, Wo: pw.out };
}

function weightScales(n: number, seed: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => Math.fround(0.002 + (r() / 2 ** 32) * 0.02));
}

function runBoth(bytes: Uint8Array, x: Int8Array) {
  const net = loadTflite(bytes);
  const out = (engine: "wasm" | "reference") => {
    const r = net.run(x, { target: "tflite-micro", engine });
    return Object.values(r.outputs)[0]!.data as Int8Array;
  };
  return { net, wasm: out("wasm"), reference: out("reference") };
}

function expectSpread(y: Int8Array): void {
  // A variant whose output is all saturated would test nothing.
  expect(new Set(y).size).toBeGreaterThan(Math.min(16, y.length / 4));
}

const q = (s: number, zp: number) => ({ scale: [s], zeroPoint: [zp] });

describe("CONV_2D variants", () => {
  const cases: Array<{ name: string; g: Window; groups: number; act: Act; perTensor?: boolean; noBias?: boolean; kernel: string }> = [
    { name: "grouped (3 groups) 3x3 dilation 2, SAME, batch 2, RELU6", g: { N: 2, H: 9, W: 11, C: 6, O: 9, kh: 3, kw: 3, stride: [1, 1], dilation: [2, 2], padding: "SAME" }, groups: 3, act: "RELU6", kernel: "wasm general" },
    { name: "grouped (2 groups) 2x3 dilation 3x1, stride 2x1, VALID", g: { N: 1, H: 13, W: 8, C: 4, O: 6, kh: 2, kw: 3, stride: [2, 1], dilation: [3, 1], padding: "VALID" }, groups: 2, act: "NONE", kernel: "wasm general" },
    { name: "1x1 stride 1 per-tensor, batch 3 (WebAssembly pointwise)", g: { N: 3, H: 5, W: 7, C: 19, O: 10, kh: 1, kw: 1, stride: [1, 1], dilation: [1, 1], padding: "SAME" }, groups: 1, act: "RELU", perTensor: true, kernel: "wasm pointwise" },
    { name: "1x1 stride 2 no bias (general kernel)", g: { N: 1, H: 9, W: 6, C: 8, O: 5, kh: 1, kw: 1, stride: [2, 2], dilation: [1, 1], padding: "SAME" }, groups: 1, act: "RELU_N1_TO_1", noBias: true, kernel: "wasm general" },
  ];
  cases.forEach(({ name, g, groups, act, perTensor, noBias, kernel }, k) => {
    test(name, () => {
      const Ig = g.C / groups;
      const w = randInt8(g.O * g.kh * g.kw * Ig, 100 + k);
      const ws = perTensor ? weightScales(1, 200 + k) : weightScales(g.O, 200 + k);
      const xs = 0.03;
      const [xZp, yZp, ys] = [-7, 5, act === "RELU_N1_TO_1" ? 0.012 : 0.1 + 0.02 * k];
      const bias = noBias ? null : randInt32(g.O, 300 + k, 4000);
      const x = randInt8(g.N * g.H * g.W * g.C, 400 + k);
      const pad = g.padding === "SAME" ? same : valid;
      const [Ho, Wo] = [pad(g.H, g.kh, g.stride[0], g.dilation[0]).out, pad(g.W, g.kw, g.stride[1], g.dilation[1]).out];
      const bytes = writeModel({
        tensors: [
          { name: "x", shape: [g.N, g.H, g.W, g.C], dtype: "int8", quant: q(xs, xZp) },
          { name: "w", shape: [g.O, g.kh, g.kw, Ig], dtype: "int8", data: w, quant: { scale: ws, zeroPoint: ws.map(() => 0), axis: 0 } },
          ...(bias ? [{ name: "b", shape: [g.O], dtype: "int32", data: bias, quant: { scale: ws.map((s) => xs * s), zeroPoint: ws.map(() => 0) } }] : []),
          { name: "y", shape: [g.N, Ho, Wo, g.O], dtype: "int8", quant: q(ys, yZp) },
        ],
        inputs: [0],
        outputs: [bias ? 3 : 2],
        operators: [{ op: "CONV_2D", inputs: bias ? [0, 1, 2] : [0, 1, -1], outputs: [bias ? 3 : 2], options: { padding: g.padding, stride: g.stride, dilation: g.dilation, activation: act } }],
      });
      const { net, wasm, reference } = runBoth(bytes, x);
      expect(net.lower("tflite-micro")[0]!.params.kernel).toBe(kernel);
      const perGroup = g.O / groups;
      const mult = tfliteMultipliers({ input: xs, weights: perTensor ? new Array(g.O).fill(ws[0]) : ws, output: Math.fround(ys) });
      const want = naiveConv(
        g, x, xZp,
        (oc) => Array.from({ length: Ig }, (_, i) => Math.floor(oc / perGroup) * Ig + i),
        (oc, ky, kx, i) => w[((oc * g.kh + ky) * g.kw + kx) * Ig + i]!,
        bias, mult, yZp, actRange(act, Math.fround(ys), yZp),
      );
      expectSpread(want.data);
      expect(Array.from(wasm)).toEqual(Array.from(want.data));
      expect(Array.from(reference)).toEqual(Array.from(want.data));
    });
  });
});

describe("DEPTHWISE_CONV_2D variants", () => {
  const cases: Array<{ name: string; g: Omit<Window, "O">; M: number; act: Act; kernel: string }> = [
    { name: "multiplier 3, dilation 2, stride 2, 11x9 input, SAME, RELU6", g: { N: 1, H: 11, W: 9, C: 3, kh: 3, kw: 3, stride: [2, 2], dilation: [2, 2], padding: "SAME" }, M: 3, act: "RELU6", kernel: "wasm general" },
    { name: "multiplier 2, 5x3 kernel, dilation 1x3, stride 1x2, batch 2, VALID", g: { N: 2, H: 12, W: 15, C: 5, kh: 5, kw: 3, stride: [1, 2], dilation: [1, 3], padding: "VALID" }, M: 2, act: "NONE", kernel: "wasm general" },
    { name: "multiplier 1, dilation 2 (general kernel)", g: { N: 1, H: 10, W: 7, C: 9, kh: 3, kw: 3, stride: [1, 1], dilation: [2, 2], padding: "SAME" }, M: 1, act: "RELU", kernel: "wasm general" },
    { name: "multiplier 1, 5x5 stride 2 on 13x10, batch 2 (WebAssembly depthwise)", g: { N: 2, H: 13, W: 10, C: 17, kh: 5, kw: 5, stride: [2, 2], dilation: [1, 1], padding: "SAME" }, M: 1, act: "RELU6", kernel: "wasm depthwise" },
    { name: "multiplier 1, 3x3 stride 1 VALID on 7x9 (WebAssembly depthwise)", g: { N: 1, H: 7, W: 9, C: 8, kh: 3, kw: 3, stride: [1, 1], dilation: [1, 1], padding: "VALID" }, M: 1, act: "NONE", kernel: "wasm depthwise" },
  ];
  cases.forEach(({ name, g, M, act, kernel }, k) => {
    test(name, () => {
      const O = g.C * M;
      const w = randInt8(g.kh * g.kw * O, 500 + k);
      const ws = weightScales(O, 600 + k);
      const xs = 0.025;
      const [xZp, yZp, ys] = [11, -20, 0.04 + 0.01 * k];
      const bias = randInt32(O, 700 + k, 3000);
      const x = randInt8(g.N * g.H * g.W * g.C, 800 + k);
      const pad = g.padding === "SAME" ? same : valid;
      const [Ho, Wo] = [pad(g.H, g.kh, g.stride[0], g.dilation[0]).out, pad(g.W, g.kw, g.stride[1], g.dilation[1]).out];
      const bytes = writeModel({
        tensors: [
          { name: "x", shape: [g.N, g.H, g.W, g.C], dtype: "int8", quant: q(xs, xZp) },
          { name: "w", shape: [1, g.kh, g.kw, O], dtype: "int8", data: w, quant: { scale: ws, zeroPoint: ws.map(() => 0), axis: 3 } },
          { name: "b", shape: [O], dtype: "int32", data: bias, quant: { scale: ws.map((s) => xs * s), zeroPoint: ws.map(() => 0) } },
          { name: "y", shape: [g.N, Ho, Wo, O], dtype: "int8", quant: q(ys, yZp) },
        ],
        inputs: [0],
        outputs: [3],
        operators: [{ op: "DEPTHWISE_CONV_2D", inputs: [0, 1, 2], outputs: [3], options: { padding: g.padding, stride: g.stride, dilation: g.dilation, depthMultiplier: M, activation: act } }],
      });
      const { net, wasm, reference } = runBoth(bytes, x);
      expect(net.lower("tflite-micro")[0]!.params.kernel).toBe(kernel);
      const mult = tfliteMultipliers({ input: xs, weights: ws, output: Math.fround(ys) });
      const want = naiveConv(
        { ...g, O }, x, xZp,
        (oc) => [Math.floor(oc / M)],
        (oc, ky, kx) => w[(ky * g.kw + kx) * O + oc]!,
        bias, mult, yZp, actRange(act, Math.fround(ys), yZp),
      );
      expectSpread(want.data);
      expect(Array.from(wasm)).toEqual(Array.from(want.data));
      expect(Array.from(reference)).toEqual(Array.from(want.data));
    });
  });
});

describe("FULLY_CONNECTED variants", () => {
  test("per-channel, keep_num_dims on a 3-D input, no bias", () => {
    const [B, T, I, O] = [2, 3, 21, 7];
    const w = randInt8(O * I, 900);
    const ws = weightScales(O, 901);
    const x = randInt8(B * T * I, 902);
    const [xs, xZp, ys, yZp] = [0.05, -3, 0.08, 9];
    const bytes = writeModel({
      tensors: [
        { name: "x", shape: [B, T, I], dtype: "int8", quant: q(xs, xZp) },
        { name: "w", shape: [O, I], dtype: "int8", data: w, quant: { scale: ws, zeroPoint: ws.map(() => 0), axis: 0 } },
        { name: "y", shape: [B, T, O], dtype: "int8", quant: q(ys, yZp) },
      ],
      inputs: [0],
      outputs: [2],
      operators: [{ op: "FULLY_CONNECTED", inputs: [0, 1, -1], outputs: [2], options: { keepNumDims: true, activation: "RELU" } }],
    });
    const { wasm, reference } = runBoth(bytes, x);
    const mult = tfliteMultipliers({ input: xs, weights: ws, output: Math.fround(ys) });
    // A fully-connected layer is a 1x1 convolution over B*T pixels.
    const want = naiveConv(
      { N: 1, H: B * T, W: 1, C: I, O, kh: 1, kw: 1, stride: [1, 1], dilation: [1, 1], padding: "VALID" }, x, xZp,
      () => Array.from({ length: I }, (_, i) => i),
      (oc, _ky, _kx, i) => w[oc * I + i]!,
      null, mult, yZp, actRange("RELU", Math.fround(ys), yZp),
    );
    expectSpread(want.data);
    expect(Array.from(wasm)).toEqual(Array.from(want.data));
    expect(Array.from(reference)).toEqual(Array.from(want.data));
  });

  test("per-tensor weights with a non-zero weight zero point (TFLM's per-tensor path subtracts it)", () => {
    const [B, I, O] = [4, 30, 12];
    const w = randInt8(O * I, 910);
    const x = randInt8(B * I, 911);
    const [xs, xZp, wsc, wZp, ys, yZp] = [0.04, 17, 0.01, 6, 0.3, -2];
    const bias = randInt32(O, 912, 5000);
    const bytes = writeModel({
      tensors: [
        { name: "x", shape: [B, I], dtype: "int8", quant: q(xs, xZp) },
        { name: "w", shape: [O, I], dtype: "int8", data: w, quant: q(wsc, wZp) },
        { name: "b", shape: [O], dtype: "int32", data: bias, quant: q(xs * wsc, 0) },
        { name: "y", shape: [B, O], dtype: "int8", quant: q(ys, yZp) },
      ],
      inputs: [0],
      outputs: [3],
      operators: [{ op: "FULLY_CONNECTED", inputs: [0, 1, 2], outputs: [3], options: { activation: "NONE" } }],
    });
    const { wasm } = runBoth(bytes, x);
    const mult = tfliteMultipliers({ input: xs, weights: new Array(O).fill(wsc), output: Math.fround(ys) });
    const want = naiveConv(
      { N: 1, H: B, W: 1, C: I, O, kh: 1, kw: 1, stride: [1, 1], dilation: [1, 1], padding: "VALID" }, x, xZp,
      () => Array.from({ length: I }, (_, i) => i),
      (oc, _ky, _kx, i) => w[oc * I + i]! - wZp,
      bias, mult, yZp, [-128, 127],
    );
    expectSpread(want.data);
    expect(Array.from(wasm)).toEqual(Array.from(want.data));
  });
});

describe("SVDF variants (batch 2, rank 2)", () => {
  const wrap = (v: number, bits: number) => (v << (32 - bits)) >> (32 - bits);
  const cases = [
    { state: "int8", stZp: -9, target: "tflite-micro" },
    { state: "int8", stZp: -9, target: "cmsis-nn" },
    { state: "int16", stZp: 0, target: "tflite-micro" },
    { state: "int16", stZp: 0, target: "cmsis-nn" },
  ] as const;
  cases.forEach(({ state, stZp, target }, k) => {
    test(`${state} state, ${target}`, () => {
      const [B, nIn, rank, nU, nM] = [2, 13, 2, 5, 4];
      const nF = nU * rank;
      const [xs, xZp, wfs, sts, wts, ys, yZp] = [0.05, 4, 0.01, 0.02, state === "int8" ? 0.004 : 0.00002, 0.02, -6];
      const wf = randInt8(nF * nIn, 1000 + k);
      const wtRaw = randInt32(nF * nM, 1001 + k, state === "int8" ? 127 : 20000);
      const wt = state === "int8" ? Int8Array.from(wtRaw) : Int16Array.from(wtRaw);
      const bias = randInt32(nU, 1002 + k, 2000);
      const x = randInt8(B * nIn, 1003 + k);
      const bytes = writeModel({
        tensors: [
          { name: "x", shape: [B, nIn], dtype: "int8", quant: q(xs, xZp) },
          { name: "wf", shape: [nF, nIn], dtype: "int8", data: wf, quant: q(wfs, 0) },
          { name: "wt", shape: [nF, nM], dtype: state, data: wt, quant: q(wts, 0) },
          { name: "b", shape: [nU], dtype: "int32", data: bias, quant: q(sts * wts, 0) },
          { name: "state", shape: [B, nF * nM], dtype: state, quant: q(sts, stZp), variable: true },
          { name: "y", shape: [B, nU], dtype: "int8", quant: q(ys, yZp) },
        ],
        inputs: [0],
        outputs: [5],
        operators: [{ op: "SVDF", inputs: [0, 1, 2, 3, 4], outputs: [5], options: { rank, activation: "RELU" } }],
      });
      const run = loadTflite(bytes).run(x, { target, layers: true });
      const got = run.layers!.find((l) => l.output.name === "state")!.output.data;
      const y = Object.values(run.outputs)[0]!.data;

      // The naive SVDF of the build's kernel: shift the state, write each filter's rescaled feature
      // dot product into its newest slot, then time dot products, rank sums, bias, rescale.
      const f32 = Math.fround;
      const [m1, s1] = quantizeMultiplier(f32(f32(f32(xs) * f32(wfs)) / f32(sts)));
      const [m2, s2] = quantizeMultiplier(f32(f32(f32(sts) * f32(wts)) / f32(ys)));
      const bits = state === "int8" ? 8 : 16;
      const [tMin, tMax] = state === "int8" ? [-128, 127] : [-32768, 32767];
      const st = new Array<number>(B * nF * nM).fill(state === "int8" ? stZp : 0);
      st.splice(0, 1);
      st.push(st[st.length - 1]!);
      for (let b = 0; b < B; b++)
        for (let f = 0; f < nF; f++) {
          let dot = 0n;
          for (let c = 0; c < nIn; c++) dot += BigInt(wf[f * nIn + c]!) * BigInt(x[b * nIn + c]! - xZp);
          let v = tfliteDoubleRound(Number(BigInt.asIntN(32, dot)), m1, s1);
          v = target === "tflite-micro" ? wrap(Math.min(tMax, Math.max(tMin, v)) + stZp, bits) : wrap(Math.min(32767, Math.max(-32768, v)), bits);
          st[(b * nF + f) * nM + nM - 1] = v;
        }
      const want = new Int8Array(B * nU);
      for (let b = 0; b < B; b++)
        for (let u = 0; u < nU; u++) {
          let acc = BigInt(bias[u]!);
          for (let r = 0; r < rank; r++) {
            const f = u * rank + r;
            for (let j = 0; j < nM; j++) acc += BigInt(wt[f * nM + j]!) * BigInt(st[(b * nF + f) * nM + j]! - (target === "tflite-micro" ? stZp : 0));
          }
          want[b * nU + u] = Math.min(127, Math.max(-128, tfliteDoubleRound(Number(BigInt.asIntN(32, acc)), m2, s2) + yZp));
        }
      expect(Array.from(got)).toEqual(st);
      expectSpread(want);
      expect(Array.from(y)).toEqual(Array.from(want));
    });
  });
});

describe("refusals", () => {
  test("a CONV_2D with int16 activations is refused by name", () => {
    const bytes = writeModel({
      tensors: [
        { name: "x", shape: [1, 4, 4, 2], dtype: "int16", quant: q(0.001, 0) },
        { name: "w", shape: [3, 1, 1, 2], dtype: "int8", data: [1, 2, 3, 4, 5, 6], quant: q(0.01, 0) },
        { name: "y", shape: [1, 4, 4, 3], dtype: "int16", quant: q(0.001, 0) },
      ],
      inputs: [0],
      outputs: [2],
      operators: [{ op: "CONV_2D", inputs: [0, 1, -1], outputs: [2] }],
    });
    expect(() => loadTflite(bytes).run(new Int16Array(32), { target: "tflite-micro" })).toThrow(/op 0 \(CONV_2D\): the input \(tensor 0\) is int16; only int8/);
  });
});
