// Throughput mode in Chromium: the pool's workers are Web Workers here (module workers that Vite
// serves from src/pool/worker.ts), and must give the main thread's bytes in input order, for a
// chain of layers and for an ONNX model; a bad input rejects with the main thread's error.
import { expect, it } from "vitest";
import { conv, init, layersPool, loadOnnx, networkPool } from "../../src/index.js";
import { mobilenetV1, randomInput, randomOp } from "../../src/presets/mobilenet.js";
import type { Tensor } from "../../src/types.js";
import modelUrl from "../../fixtures/models/v2-int8.qlinear.onnx?url";

const bytes = (t: Tensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

it("layersPool on two Web Workers gives the main thread's bytes, in input order", async () => {
  await init();
  const layers = mobilenetV1().layers.slice(-4);
  const o = { scheme: "onnx" as const, dtype: "int8" as const, layout: "HWC" as const };
  const ops = layers.map((l) => randomOp(l, { ...o, seed: 3 }));
  const inputs = Array.from({ length: 5 }, (_, i) => randomInput(layers[0]!, { ...o, seed: 100 + i }));
  const pool = await layersPool(ops, { workers: 2 });
  try {
    const got = await pool.run(inputs);
    inputs.forEach((x, i) => {
      let want = x;
      for (const op of ops) want = conv(want, op);
      expect(bytes(got[i]!), `image ${i}`).toEqual(bytes(want));
    });
    const bad = { ...inputs[0]!, data: inputs[0]!.data.subarray(1) };
    const err = await pool.run([inputs[0]!, bad]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RangeError);
    expect(() => conv(bad, ops[0]!)).toThrow((err as Error).message);
  } finally {
    await pool.close();
  }
}, 120_000);

it("networkPool on two Web Workers gives Network.run's outputs on the main thread", async () => {
  await init();
  const model = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
  const net = loadOnnx(model);
  const n = net.inputs[0]!.shape.reduce((a, b) => a * b, 1);
  const images = [1, 2, 3].map((k) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k * 0.37)));
  const pool = await networkPool(model, { workers: 2 });
  try {
    const got = await pool.run(images);
    images.forEach((x, i) => expect(got[i]!.outputs, `image ${i}`).toEqual(net.run(x).outputs));
  } finally {
    await pool.close();
  }
}, 120_000);
