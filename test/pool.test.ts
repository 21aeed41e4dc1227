// Throughput mode (src/pool): batches spread over Node worker threads must give the bytes one
// thread gives, in input order; bad input must reject with the error one thread throws and leave
// the pool usable. The workers load the package compiled to JavaScript (test/helpers/robustness.ts),
// so this suite drives that build throughout: the main-thread results it compares with come from
// the same build.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as Dwpw from "../src/index.js";
import type * as Mobilenet from "../src/presets/mobilenet.js";
import type { ConvOp, Tensor } from "../src/types.js";
import { ROOT, compiledPackage } from "./helpers/robustness.js";
import { Rng } from "./helpers/kernels.js";

let lib: typeof Dwpw;
let nets: typeof Mobilenet;
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  const dir = compiledPackage();
  lib = (await import(pathToFileURL(join(dir, "index.js")).href)) as typeof Dwpw;
  nets = (await import(pathToFileURL(join(dir, "presets", "mobilenet.js")).href)) as typeof Mobilenet;
  await lib.init();
}, 120_000);

afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

/** MobileNetV1's last four layers (14x14 and 7x7) with seeded random ops, and inputs for them. */
function chain(dtype: "int8" | "uint8", images: number): { ops: ConvOp[]; inputs: Tensor[] } {
  const layers = nets.mobilenetV1().layers.slice(-4);
  const o = { scheme: "onnx" as const, dtype, layout: "HWC" as const };
  return {
    ops: layers.map((l) => nets.randomOp(l, { ...o, seed: 3 })),
    inputs: Array.from({ length: images }, (_, i) => nets.randomInput(layers[0]!, { ...o, seed: 100 + i })),
  };
}

const bytes = (t: Tensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

describe("worker pools", () => {
  it("layersPool: two workers give one thread's bytes for every image, in input order", async () => {
    for (const dtype of ["int8", "uint8"] as const) {
      const { ops, inputs } = chain(dtype, 7);
      const pool = await lib.layersPool(ops, { workers: 2 });
      open.push(pool);
      expect(pool.size).toBe(2);
      const got = await pool.run(inputs);
      expect(got).toHaveLength(inputs.length);
      inputs.forEach((x, i) => {
        let want = x;
        for (const op of ops) want = lib.conv(want, op);
        expect(got[i]!.data.constructor, `image ${i}`).toBe(want.data.constructor);
        expect({ ...got[i]!, data: null }, `image ${i}`).toEqual({ ...want, data: null });
        expect(bytes(got[i]!), `${dtype} image ${i}`).toEqual(bytes(want));
      });
      // The caller's inputs are copied to the workers, not moved away.
      expect(inputs[0]!.data.length).toBeGreaterThan(0);
      await pool.close();
    }
  }, 120_000);

  it("networkPool: an ONNX model's outputs from two workers equal Network.run on one thread", async () => {
    const model = new Uint8Array(readFileSync(join(ROOT, "fixtures/models/v2-int8.qlinear.onnx")));
    const net = lib.loadOnnx(model);
    const shape = net.inputs[0]!.shape;
    const n = shape.reduce((a, b) => a * b, 1);
    const rng = new Rng(11);
    const images = Array.from({ length: 5 }, () => Float32Array.from({ length: n }, () => rng.int(-1000, 1000) / 1000));
    const pool = await lib.networkPool(model, { workers: 2, run: { blocks: true } });
    open.push(pool);
    const got = await pool.run(images);
    images.forEach((x, i) => {
      const want = net.run(x, { blocks: true });
      expect(Object.keys(got[i]!.outputs), `image ${i}`).toEqual(Object.keys(want.outputs));
      for (const [name, v] of Object.entries(want.outputs)) {
        expect(got[i]!.outputs[name], `image ${i}, output ${name}`).toEqual(v);
      }
      expect(got[i]!.blocks?.length, `image ${i}: blocks on the scratchpad model`).toBe(want.blocks?.length);
    });
    await pool.close();
  }, 120_000);

  it("a bad input rejects the run with one thread's error; the pool keeps working", async () => {
    const { ops, inputs } = chain("int8", 4);
    const bad = { ...inputs[0]!, data: inputs[0]!.data.subarray(1) };
    let oneThread: unknown;
    try {
      lib.conv(bad, ops[0]!);
    } catch (e) {
      oneThread = e;
    }
    expect(oneThread).toBeInstanceOf(RangeError);
    const pool = await lib.layersPool(ops, { workers: 2 });
    open.push(pool);
    const err = await pool.run([inputs[0]!, bad, inputs[1]!]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toBe((oneThread as Error).message);
    const again = await pool.run(inputs);
    let want = inputs[3]!;
    for (const op of ops) want = lib.conv(want, op);
    expect(bytes(again[3]!)).toEqual(bytes(want));
    // An input is read as its tensor fields, as one thread reads it: an extra field (here one that
    // could not be cloned to a worker) is not sent.
    const extra = { ...inputs[3]!, extra: () => 0 };
    expect(bytes((await pool.run([extra as never]))[0]!)).toEqual(bytes(want));
    await pool.close();
    await expect(pool.run(inputs)).rejects.toThrow("closed");
  }, 120_000);

  it("bad arguments are refused before any worker starts", async () => {
    const { ops } = chain("int8", 1);
    await expect(lib.layersPool(ops, { workers: 0 })).rejects.toThrow(RangeError);
    await expect(lib.layersPool(ops, { workers: 0 })).rejects.toThrow("options.workers");
    await expect(lib.layersPool(ops, { workers: 1.5 })).rejects.toThrow("options.workers");
    await expect(lib.layersPool([])).rejects.toThrow(TypeError);
    await expect(lib.layersPool([{ kind: "conv" } as never])).rejects.toThrow("ops[0].kind");
    await expect(lib.networkPool(new Uint8Array([1, 2, 3]), { workers: 1 })).rejects.toThrow(lib.OnnxError);
    const model = new Uint8Array(readFileSync(join(ROOT, "fixtures/models/v1-int8-sym.qlinear.onnx")));
    await expect(lib.networkPool(model, { run: { onLayer: () => {} } as never })).rejects.toThrow("onLayer");
  }, 60_000);
});
