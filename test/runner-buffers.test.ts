// The graph runner's arrays are reused from run to run and within a run (an array goes back once
// the last reader of its tensor has run): runs of one network on alternating inputs, a run started
// from another's onLayer, and a tensor whose array a RESHAPE shares with a later-read tensor all
// give the bytes of a fresh network, and an op's inputs are its producers' bytes.
import { beforeAll, describe, expect, test } from "vitest";
// @ts-expect-error: a plain ES module script without type declarations
import { writeModel } from "../scripts/tflite/write-model.mjs";
import { init, loadTflite } from "../src/index.js";
import { Rng } from "../src/rng.js";
import type { GraphRunResult } from "../src/runner/run.js";

beforeAll(async () => {
  await init();
});

const q = (scale: number, zp: number) => ({ scale: [scale], zeroPoint: [zp] });
const SHAPE = [1, 5, 6, 8];
const N = 5 * 6 * 8;

/**
 * x -> conv1 -> y; z = RESHAPE(y) (the same array); u = conv2(y) (y's last reader); v = conv3(u),
 * of y's size (a pool that took y's array back at conv2 would hand it to v, overwriting z);
 * out = ADD(z, v).
 */
function aliasModel(): Uint8Array {
  const rng = new Rng(7);
  const w = () => Int8Array.from({ length: 64 }, () => rng.int(-90, 90));
  const wq = { scale: [0.01], zeroPoint: [0] };
  return writeModel({
    tensors: [
      { name: "x", shape: SHAPE, dtype: "int8", quant: q(0.05, 3) },
      { name: "w1", shape: [8, 1, 1, 8], dtype: "int8", data: w(), quant: wq },
      { name: "y", shape: SHAPE, dtype: "int8", quant: q(0.04, -2) },
      { name: "z", shape: SHAPE, dtype: "int8", quant: q(0.04, -2) },
      { name: "w2", shape: [8, 1, 1, 8], dtype: "int8", data: w(), quant: wq },
      { name: "u", shape: SHAPE, dtype: "int8", quant: q(0.03, 1) },
      { name: "w3", shape: [8, 1, 1, 8], dtype: "int8", data: w(), quant: wq },
      { name: "v", shape: SHAPE, dtype: "int8", quant: q(0.03, 4) },
      { name: "out", shape: SHAPE, dtype: "int8", quant: q(0.06, 0) },
      { name: "b", shape: [8], dtype: "int32", data: Int32Array.from({ length: 8 }, () => rng.int(-500, 500)), quant: { scale: [0.0005], zeroPoint: [0] } },
    ],
    inputs: [0], outputs: [8],
    operators: [
      { op: "CONV_2D", inputs: [0, 1, 9], outputs: [2], options: { padding: "VALID", stride: [1, 1], dilation: [1, 1], activation: "NONE" } },
      { op: "RESHAPE", inputs: [2], outputs: [3], options: { newShape: SHAPE } },
      { op: "CONV_2D", inputs: [2, 4, 9], outputs: [5], options: { padding: "VALID", stride: [1, 1], dilation: [1, 1], activation: "NONE" } },
      { op: "CONV_2D", inputs: [5, 6, 9], outputs: [7], options: { padding: "VALID", stride: [1, 1], dilation: [1, 1], activation: "RELU" } },
      { op: "ADD", inputs: [3, 7], outputs: [8], options: { activation: "NONE" } },
    ],
  });
}

/** The lone ADD of the model, to check the model's ADD read z and v as they were produced. */
function addModel(): Uint8Array {
  return writeModel({
    tensors: [
      { name: "z", shape: SHAPE, dtype: "int8", quant: q(0.04, -2) },
      { name: "v", shape: SHAPE, dtype: "int8", quant: q(0.03, 4) },
      { name: "out", shape: SHAPE, dtype: "int8", quant: q(0.06, 0) },
    ],
    inputs: [0, 1], outputs: [2],
    operators: [{ op: "ADD", inputs: [0, 1], outputs: [2], options: { activation: "NONE" } }],
  });
}

const bytesOf = (r: GraphRunResult) => ({
  outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, Array.from(v.data as Int8Array)])),
  layers: r.layers?.map((l) => [l.layer, Array.from(l.output.data as Int8Array)]),
});

describe("the runner's reused arrays", () => {
  const inputs = [0, 1, 2].map((s) => {
    const rng = new Rng(100 + s);
    return Int8Array.from({ length: N }, () => rng.int(-128, 127));
  });
  const fresh = (x: Int8Array) => bytesOf(loadTflite(aliasModel()).run(x, { layers: true }));

  for (const target of ["tflite-micro", "litert"] as const) {
    test(`${target}: a shared array outlives its first tensor; the ADD reads z and v as produced`, () => {
      const net = loadTflite(aliasModel());
      const add = loadTflite(addModel());
      for (const x of inputs) {
        const r = net.run(x, { target, layers: true });
        const at = (name: string) => r.layers!.find((l) => l.layer === name)!.output.data as Int8Array;
        const want = add.run({ z: at("z"), v: at("v") }, { target }).outputs.out!.data;
        expect(Array.from(r.outputs.out!.data), target).toEqual(Array.from(want));
        expect(Array.from(at("z"))).toEqual(Array.from(at("y")));
      }
    });
  }

  test("runs on alternating inputs give a fresh network's bytes, with and without layers", () => {
    const net = loadTflite(aliasModel());
    for (const k of [0, 1, 0, 2, 2, 1]) {
      const x = inputs[k]!;
      expect(bytesOf(net.run(x, { layers: true }))).toEqual(fresh(x));
      expect(bytesOf(net.run(x)).outputs).toEqual(fresh(x).outputs);
    }
  });

  test("a run started from another run's onLayer has arrays of its own", () => {
    const net = loadTflite(aliasModel());
    let inner: GraphRunResult | null = null;
    const outer = net.run(inputs[0]!, {
      layers: true,
      onLayer: (done) => {
        if (done === 3) inner = net.run(inputs[1]!, { layers: true });
      },
    });
    expect(bytesOf(outer)).toEqual(fresh(inputs[0]!));
    expect(bytesOf(inner!)).toEqual(fresh(inputs[1]!));
    expect(bytesOf(net.run(inputs[2]!, { layers: true }))).toEqual(fresh(inputs[2]!));
  });

  test("returned arrays are the caller's: a later run does not change them", () => {
    const net = loadTflite(aliasModel());
    const first = net.run(inputs[0]!, { layers: true });
    const snapshot = bytesOf(first);
    net.run(inputs[1]!, { layers: true });
    expect(bytesOf(first)).toEqual(snapshot);
  });
});
