// The TFLite weighted lowerings on the general convolution kernel: for random CONV_2D (strided,
// padded, grouped, dilated, 1x1 strided), DEPTHWISE_CONV_2D (multiplier > 1, dilation) and
// FULLY_CONNECTED layers written by scripts/tflite/write-model.mjs, under `tflite-micro` and
// `litert`, the WebAssembly kernels (SIMD and scalar) and the reference give the bytes of the
// lowerings' own TypeScript loops (what a run without a general runner computes).
import { beforeAll, describe, expect, test } from "vitest";
// @ts-expect-error: a plain ES module script without type declarations
import { writeModel } from "../scripts/tflite/write-model.mjs";
import { createEngine, type Engine } from "../src/engine.js";
import { loadTflite } from "../src/index.js";
import { reference } from "../src/reference/index.js";
import { Rng } from "../src/rng.js";
import { lowerGraph } from "../src/targets/index.js";
import type { RunContext } from "../src/targets/types.js";
import { runLowered } from "../src/runner/run.js";

let simd: Engine;
let scalar: Engine;
beforeAll(async () => {
  simd = await createEngine({ simd: true });
  scalar = await createEngine({ simd: false });
});

const q = (scale: number, zp: number) => ({ scale: [scale], zeroPoint: [zp] });
const i8 = (rng: Rng, n: number) => Int8Array.from({ length: n }, () => rng.int(-128, 127));
const i32 = (rng: Rng, n: number, spread: number) => Int32Array.from({ length: n }, () => rng.int(-spread, spread));
const ACTS = ["NONE", "RELU", "RELU6"] as const;

function outSize(size: number, k: number, s: number, d: number, padding: string): number {
  return padding === "SAME" ? Math.ceil(size / s) : Math.floor((size - (k - 1) * d - 1) / s) + 1;
}

/** One random weighted-op model (seeded). */
function model(seed: number): { bytes: Uint8Array; input: Int8Array; what: string } {
  const rng = new Rng(seed);
  const kind = rng.pick(["conv", "conv", "depthwise", "fc"] as const);
  const N = rng.int(1, 2);
  const xs = 0.02 + rng.float() * 0.05, xZp = rng.int(-20, 20);
  const ys = 0.05 + rng.float() * 0.3, yZp = rng.int(-10, 10);
  const act = rng.pick(ACTS);
  const perTensor = rng.int(0, 3) === 0;
  const scales = (n: number) => (perTensor ? [0.002 + rng.float() * 0.01] : Array.from({ length: n }, () => 0.002 + rng.float() * 0.01));
  if (kind === "fc") {
    const rows = rng.int(1, 3), I = rng.int(1, 70), O = rng.int(1, 40);
    const ws = scales(O);
    const bytes = writeModel({
      tensors: [
        { name: "x", shape: [N * rows, I], dtype: "int8", quant: q(xs, xZp) },
        { name: "w", shape: [O, I], dtype: "int8", data: i8(rng, O * I), quant: { scale: ws, zeroPoint: ws.map(() => 0), axis: 0 } },
        { name: "b", shape: [O], dtype: "int32", data: i32(rng, O, 5000), quant: { scale: ws.map((s) => xs * s), zeroPoint: ws.map(() => 0) } },
        { name: "y", shape: [N * rows, O], dtype: "int8", quant: q(ys, yZp) },
      ],
      inputs: [0], outputs: [3],
      operators: [{ op: "FULLY_CONNECTED", inputs: [0, 1, 2], outputs: [3], options: { activation: act } }],
    });
    return { bytes, input: i8(rng, N * rows * I), what: `fc ${N * rows}x${I} -> ${O}` };
  }
  const H = rng.int(3, 13), W = rng.int(3, 13), kh = rng.int(1, 4), kw = rng.int(1, 4);
  const stride: [number, number] = [rng.int(1, 3), rng.int(1, 3)];
  const dilation: [number, number] = rng.int(0, 2) === 0 ? [rng.int(1, 2), rng.int(1, 2)] : [1, 1];
  const padding = rng.pick(["SAME", "VALID"] as const);
  if ((kh - 1) * dilation[0] + 1 > H || (kw - 1) * dilation[1] + 1 > W) return model(seed + 7919);
  const Ho = outSize(H, kh, stride[0], dilation[0], padding), Wo = outSize(W, kw, stride[1], dilation[1], padding);
  if (kind === "depthwise") {
    const C = rng.int(1, 9), M = rng.int(1, 3), O = C * M;
    const ws = scales(O);
    const bytes = writeModel({
      tensors: [
        { name: "x", shape: [N, H, W, C], dtype: "int8", quant: q(xs, xZp) },
        { name: "w", shape: [1, kh, kw, O], dtype: "int8", data: i8(rng, kh * kw * O), quant: { scale: ws, zeroPoint: ws.map(() => 0), axis: 3 } },
        { name: "b", shape: [O], dtype: "int32", data: i32(rng, O, 3000), quant: { scale: ws.map((s) => xs * s), zeroPoint: ws.map(() => 0) } },
        { name: "y", shape: [N, Ho, Wo, O], dtype: "int8", quant: q(ys, yZp) },
      ],
      inputs: [0], outputs: [3],
      operators: [{ op: "DEPTHWISE_CONV_2D", inputs: [0, 1, 2], outputs: [3], options: { padding, stride, dilation, depthMultiplier: M, activation: act } }],
    });
    return { bytes, input: i8(rng, N * H * W * C), what: `depthwise ${N}x${H}x${W}x${C} M${M} ${kh}x${kw} s${stride} d${dilation} ${padding}` };
  }
  const groups = rng.pick([1, 1, 2, 3]);
  const Ig = rng.int(1, 12), Og = rng.int(1, 20);
  const C = groups * Ig, O = groups * Og;
  const ws = scales(O);
  const bytes = writeModel({
    tensors: [
      { name: "x", shape: [N, H, W, C], dtype: "int8", quant: q(xs, xZp) },
      { name: "w", shape: [O, kh, kw, Ig], dtype: "int8", data: i8(rng, O * kh * kw * Ig), quant: { scale: ws, zeroPoint: ws.map(() => 0), axis: 0 } },
      { name: "b", shape: [O], dtype: "int32", data: i32(rng, O, 3000), quant: { scale: ws.map((s) => xs * s), zeroPoint: ws.map(() => 0) } },
      { name: "y", shape: [N, Ho, Wo, O], dtype: "int8", quant: q(ys, yZp) },
    ],
    inputs: [0], outputs: [3],
    operators: [{ op: "CONV_2D", inputs: [0, 1, 2], outputs: [3], options: { padding, stride, dilation, activation: act } }],
  });
  return { bytes, input: i8(rng, N * H * W * C), what: `conv ${N}x${H}x${W}x${C} groups ${groups} -> ${O} ${kh}x${kw} s${stride} d${dilation} ${padding}` };
}

describe("TFLite weighted lowerings on the general kernel", () => {
  for (const target of ["tflite-micro", "litert"] as const) {
    test(`${target}: 60 random layers, kernels and reference = the TypeScript loops`, () => {
      for (let k = 0; k < 60; k++) {
        const m = model(1000 + k);
        const net = loadTflite(m.bytes);
        const lowered = lowerGraph(net.graph, target);
        if (target === "tflite-micro") expect(String(net.lower(target)[0]!.params.kernel), m.what).toMatch(/^wasm /);
        const out = (ctx: RunContext) => Array.from(Object.values(runLowered(lowered, [m.input.slice()], { ctx }).outputs)[0]!.data);
        const loops = out({ conv: reference.conv });
        for (const [name, ctx] of [
          ["simd", { conv: (t, op) => simd.conv(t, op), general: simd }],
          ["scalar", { conv: (t, op) => scalar.conv(t, op), general: scalar }],
          ["reference", { conv: reference.conv, general: reference }],
        ] as Array<[string, RunContext]>) {
          expect(out(ctx), `${target} ${m.what} (${name})`).toEqual(loops);
        }
      }
    });
  }
});
