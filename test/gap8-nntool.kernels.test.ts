// The `gap8-nntool` target's layers on dwpw's kernels: random filter layers (convolutions of any
// geometry, non-square, strided, padded on each side; depthwise; linear with CHW-ordered columns)
// under every activation NNTool emits (KOP_RELUM at several lower bounds), on the WebAssembly
// kernels (SIMD and scalar) and on the reference, give the bytes of the target's TypeScript loops
// (./kernels.ts, what a run without a general runner computes); and on NNTool's models every filter
// runs on the kernels, and whole runs agree byte for byte on all three.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, test } from "vitest";
import { createEngine, type Engine } from "../src/engine.js";
import { init } from "../src/index.js";
import { importTflite } from "../src/import/tflite/import.js";
import { reference } from "../src/reference/index.js";
import { Rng } from "../src/rng.js";
import { runLowered } from "../src/runner/run.js";
import { filterRun, raiseBelow, type FilterGeometry, type FilterSpec } from "../src/targets/gap8-nntool/filter-op.js";
import { lowerGap8Nntool } from "../src/targets/gap8-nntool/index.js";
import { addValue } from "../src/targets/gap8-nntool/kernels.js";
import type { ActQ } from "../src/targets/gap8-nntool/quantize.js";
import type { RunContext } from "../src/targets/types.js";
import { describeShared, vectorFiles } from "./helpers/gap8-nntool-vectors.js";

let simd: Engine;
let scalar: Engine;
beforeAll(async () => {
  await init();
  simd = await createEngine({ simd: true });
  scalar = await createEngine({ simd: false });
});

/** A context whose depthwise/pointwise runner must not be reached: the target runs everything through `general`. */
const noConv = () => {
  throw new Error("the gap8-nntool target called ctx.conv");
};
const contexts = (): Array<[string, RunContext]> => [
  ["wasm simd", { conv: noConv, general: simd }],
  ["wasm scalar", { conv: noConv, general: scalar }],
  ["reference", { conv: noConv, general: reference }],
];
const loopsOnly: RunContext = { conv: noConv };

const i8 = (rng: Rng, n: number, lo = -128) => Int8Array.from({ length: n }, () => rng.int(lo, 127));

function randomAct(rng: Rng): ActQ {
  const kop = rng.pick(["KOP_NONE", "KOP_RELU", "KOP_RELUM", "KOP_RELUM"] as const);
  if (kop === "KOP_NONE") return { kop, lower: 0, upper: 0 };
  if (kop === "KOP_RELU") return { kop, lower: 0, upper: 0 };
  // ReLU6 on asymmetric outputs: the quantized 0, anywhere in int8 (and the edges the kernels run without a clamp).
  return { kop, lower: rng.edgy(-128, 127, [-128, 0, -127, 127, 1, -1], 0.3), upper: 127 };
}

/** A random filter layer and its input. */
function randomFilter(seed: number): { f: FilterSpec; g: FilterGeometry | null; x: Int8Array; what: string } {
  const rng = new Rng(seed);
  const kind = rng.pick(["conv", "conv", "depthwise", "linear"] as const);
  const act = randomAct(rng);
  const consts = (outC: number) => ({
    // Now and then biases at the int32 edges, so that the accumulator wraps as on the core.
    biases: Int32Array.from({ length: outC }, () => (rng.chance(0.05) ? rng.pick([0x7fffff00, -0x7fffff00]) : rng.int(-20000, 20000))),
    scale: Uint8Array.from({ length: outC }, () => rng.edgy(0, 255, [0, 1, 255], 0.1)),
    // Negative norms (a scale above 1) leave the product unshifted, as 0 does.
    scaleN: Int8Array.from({ length: outC }, () => rng.int(-3, 18)),
  });
  if (kind === "linear") {
    const inC = rng.int(1, 300), outC = rng.int(1, 40);
    const cols = Int32Array.from({ length: inC }, (_, i) => i);
    for (let i = inC - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [cols[i], cols[j]] = [cols[j]!, cols[i]!];
    }
    const f: FilterSpec = { kind, weights: i8(rng, outC * inC, -127), weightsShape: [outC, inC], act, nhwcOfChw: cols, ...consts(outC) };
    return { f, g: null, x: i8(rng, inC), what: `linear ${inC} -> ${outC} ${act.kop} ${act.lower}` };
  }
  const H = rng.int(1, 14), W = rng.int(1, 14), C = kind === "depthwise" ? rng.int(2, 37) : rng.int(1, 37);
  const fh = rng.int(1, 5), fw = rng.int(1, 5), sy = rng.int(1, 2), sx = rng.int(1, 2);
  const pad = () => (rng.chance(0.3) ? 0 : rng.int(0, 2));
  let padTop = Math.min(pad(), fh - 1), padBottom = Math.min(pad(), fh - 1), padLeft = Math.min(pad(), fw - 1), padRight = Math.min(pad(), fw - 1);
  // The kernel must fit the padded input.
  if (H + padTop + padBottom < fh) padBottom = fh - H - padTop;
  if (W + padLeft + padRight < fw) padRight = fw - W - padLeft;
  if (padBottom > fh - 1 || padRight > fw - 1) return randomFilter(seed + 1_000_003);
  const Ho = Math.floor((H + padTop + padBottom - fh) / sy) + 1, Wo = Math.floor((W + padLeft + padRight - fw) / sx) + 1;
  const outC = kind === "depthwise" ? C : rng.int(1, 40);
  const inC = kind === "depthwise" ? 1 : C;
  const f: FilterSpec = { kind, weights: i8(rng, outC * inC * fh * fw, -127), weightsShape: [outC, inC, fh, fw], act, ...consts(outC) };
  const g: FilterGeometry = { H, W, C, Ho, Wo, fh, fw, sy, sx, padTop, padLeft, padBottom, padRight };
  return { f, g, x: i8(rng, H * W * C), what: `${kind} ${H}x${W}x${C} -> ${Ho}x${Wo}x${outC} k${fh}x${fw} s${sy}x${sx} pad t${padTop} l${padLeft} b${padBottom} r${padRight} ${act.kop} ${act.lower}` };
}

describe("gap8-nntool filters on the kernels", () => {
  test("random layers: the kernels (SIMD, scalar) and the reference give the TypeScript loops' bytes", () => {
    let clamped = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const { f, g, x, what } = randomFilter(seed);
      const layer = filterRun(f, g);
      expect(layer.engine, what).not.toBe("typescript");
      const want = layer.run(x, loopsOnly, new Int8Array(0));
      if (layer.clampBelow !== null) clamped += want.filter((v) => v === layer.clampBelow).length;
      for (const [name, ctx] of contexts()) {
        const got = layer.run(x, ctx, new Int8Array(want.length).fill(99));
        expect(Array.from(got), `${name} seed ${seed}: ${what}`).toEqual(Array.from(want));
      }
    }
    // The post-kernel clamp decided bytes.
    expect(clamped).toBeGreaterThan(100);
  });

  test("the byte clamp: every byte against every lower bound, in every lane of a word, aligned or not", () => {
    // Every value in every lane of a word beside random neighbours; for a few bounds, every pair of neighbours.
    const rng = new Rng(3);
    const lanes = new Int8Array(256 * 4 * 4 + 7);
    for (let v = 0; v < 256; v++) for (let j = 0; j < 4; j++) for (let i = 0; i < 4; i++) lanes[(v * 4 + j) * 4 + i] = i === j ? v - 128 : rng.int(-128, 127);
    const pairs = new Int8Array(256 * 256 * 4 + 7);
    for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) pairs.set([a - 128, b - 128, b - 128, a - 128], (a * 256 + b) * 4);
    for (let lower = -128; lower < 128; lower++) {
      const src = [-128, -1, 0, 1, 127, -37].includes(lower) ? pairs : lanes;
      for (const offset of [0, 1, 2, 3]) {
        const out = src.slice().subarray(offset, src.length - ((lower + offset) & 7)); // ragged tails too
        const want = new Int8Array(out.length);
        for (let i = 0; i < out.length; i++) want[i] = out[i]! < lower ? lower : out[i]!;
        raiseBelow(out, lower);
        for (let i = 0; i < out.length; i++) if (out[i] !== want[i]) expect.fail(`lower ${lower} offset ${offset} index ${i}: ${out[i]} vs ${want[i]}`);
      }
    }
  });

  test("the lower bound picks the kernels' ReLU, a byte clamp, or neither", () => {
    const spec = (act: ActQ): FilterSpec => ({ kind: "linear", weights: new Int8Array(4), weightsShape: [2, 2], act, nhwcOfChw: Int32Array.of(0, 1), biases: new Int32Array(2), scale: new Uint8Array(2), scaleN: new Int8Array(2) });
    expect(filterRun(spec({ kop: "KOP_NONE", lower: 0, upper: 0 }), null).clampBelow).toBeNull();
    expect(filterRun(spec({ kop: "KOP_RELU", lower: 0, upper: 0 }), null).clampBelow).toBeNull();
    expect(filterRun(spec({ kop: "KOP_RELUM", lower: -128, upper: 127 }), null).clampBelow).toBeNull();
    expect(filterRun(spec({ kop: "KOP_RELUM", lower: -37, upper: 127 }), null).clampBelow).toBe(-37);
  });
});

describeShared("gap8-nntool on NNTool's models of ../shared/gap8-nntool", ["gap8-nntool"], () => {
  for (const file of vectorFiles().filter((v) => v.modelPath)) {
    const name = file.json.model as string;
    test(`${name}: every filter on the kernels; random runs equal on SIMD, scalar, reference and the TypeScript loops`, () => {
      const lowered = lowerGap8Nntool(importTflite(new Uint8Array(readFileSync(file.modelPath!))));
      for (const l of lowered.layers) if (l.params.node === "conv" || l.params.node === "depthwise" || l.params.node === "linear") expect(l.params.engine, `${name} op ${l.op.index}`).toMatch(/^gap-sq8 /);
      const rng = new Rng(name.length);
      const input = lowered.graph.inputs[0]!;
      const n = lowered.graph.tensors[input]!.shape.reduce((a, b) => a * b, 1);
      for (let r = 0; r < 2; r++) {
        const x = lowered.convertInput!(0, i8(rng, n));
        const bytes = (ctx: RunContext) => runLowered(lowered, [x], { layers: true, ctx }).layers!.map((l) => `${l.layer} ${Array.from(l.output.data as ArrayLike<number>).join()}`);
        const want = bytes(loopsOnly);
        for (const [engine, ctx] of contexts()) expect(bytes(ctx), `${name} ${engine}`).toEqual(want);
      }
    });
  }
});

describeShared("gap8-nntool residual adds", ["gap8-nntool"], () => {
  test("the lowered add gives NNTool's MatAdd of each pair of input values", () => {
    const file = vectorFiles().find((v) => v.modelPath && v.json.nodes.some((n: { kind: string }) => n.kind === "add"));
    if (!file) throw new Error("no NNTool record of a model with an add in ../shared/gap8-nntool");
    const lowered = lowerGap8Nntool(importTflite(new Uint8Array(readFileSync(file.modelPath!))));
    const adds = lowered.layers.filter((l) => l.params.node === "add");
    expect(adds.length).toBeGreaterThan(0);
    const rng = new Rng(7);
    for (const l of adds) {
      const p = l.params as Record<string, number> & { activation: ActQ; scaledInput: 0 | 1 };
      const [a, b] = l.op.inputs as [number, number];
      const n = lowered.graph.tensors[a]!.shape.reduce((s, d) => s * d, 1);
      const values: Array<Int8Array | undefined> = [];
      values[a] = i8(rng, n);
      values[b] = i8(rng, n);
      l.run(values, loopsOnly);
      const got = values[l.op.outputs[0]!] as Int8Array;
      const c = { scaledInput: p.scaledInput, S1: p.in1Scale, N1: p.in1ScaleN, S: p.outScale, N: p.outScaleN, offset: p.biasOffset, lower: p.activation.kop === "KOP_NONE" ? null : p.activation.lower };
      for (let i = 0; i < n; i++) if (got[i] !== addValue(values[a]![i]!, values[b]![i]!, c)) expect.fail(`op ${l.op.index} value ${i}: ${got[i]} vs ${addValue(values[a]![i]!, values[b]![i]!, c)}`);
    }
  });
});
