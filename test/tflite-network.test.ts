// The TFLite network API: format detection, input/output specs, input checks, and the fusion plan
// and deployment check on a TFLite model's depthwise-separable blocks.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, test } from "vitest";
import { GraphNetwork, Network, TfliteError, init, loadModel, loadTflite } from "../src/index.js";
import { SHARED_TFLITE, sharedMissing, skipMeta } from "./helpers/tflite-dumps.js";

const personDetect = () => readFileSync(`${SHARED_TFLITE}models/person_detect.tflite`);
/** person_detect.tflite is in ../shared; without it the tests using it skip (test/helpers/shared.ts). */
const missing = sharedMissing("tflite/models/person_detect.tflite");

beforeAll(async () => {
  await init();
});

describe("loadModel", () => {
  test.skipIf(missing)("tells TFLite from ONNX by content", skipMeta(missing), () => {
    expect(loadModel(personDetect())).toBeInstanceOf(GraphNetwork);
    const onnx = readFileSync(new URL("../fixtures/models/v1-int8-sym.qlinear.onnx", import.meta.url));
    expect(loadModel(onnx)).toBeInstanceOf(Network);
  });

  test("a file that is neither is an OnnxError or TfliteError, never a trap", () => {
    expect(() => loadTflite(new Uint8Array(16))).toThrow(TfliteError);
    expect(() => loadModel(new Uint8Array([1, 2, 3]))).toThrow(RangeError);
  });
});

describe.skipIf(missing)("person_detect", skipMeta(missing), () => {
  test("inputs and outputs as the file declares them", () => {
    const net = loadTflite(personDetect());
    expect(net.inputs).toHaveLength(1);
    expect(net.inputs[0]).toMatchObject({ index: 88, dtype: "int8", shape: [1, 96, 96, 1], quant: { dtype: "int8", zeroPoint: -1 } });
    expect(net.outputs[0]).toMatchObject({ dtype: "int8", shape: [1, 2] });
  });

  test("input checks name the input and what is wrong", () => {
    const net = loadTflite(personDetect());
    expect(() => net.run(new Uint8Array(96 * 96))).toThrow(/pass a Int8Array/);
    expect(() => net.run(new Int8Array(10))).toThrow(/has 10 values; the model takes 9216/);
    expect(() => net.run({ nope: new Int8Array(9216) })).toThrow(/input "nope" is not an input/);
    expect(() => net.run(new Int8Array(9216), { target: "bogus" as never })).toThrow(/target must be one of/);
  });

  test("plan() groups the 13 depthwise-separable blocks and check() covers them", () => {
    const net = loadTflite(personDetect());
    const report = net.plan();
    expect(report.blocks).toHaveLength(13);
    expect(report.total.reduction).toBeGreaterThan(0);
    const c = net.check({ target: "dory-fused" });
    expect(Array.isArray(c.findings)).toBe(true);
    expect(c.notChecked.map((n) => n.kind).sort()).toEqual(["averagePool2d", "depthwiseConv2d", "softmax"]); // the first layer has depth multiplier 8
  });

  test("an input array that lies about itself cannot change what runs", () => {
    const net = loadTflite(personDetect());
    const x = new Int8Array(96 * 96).map((_, i) => (i * 37) % 256);
    const want = Array.from(Object.values(net.run(x).outputs)[0]!.data as Int8Array);
    // A subclass whose slice() hands back other bytes of another type, and whose constructor claims Int8Array.
    class Liar extends Int8Array {
      override slice(): Int8Array {
        return new Float32Array(96 * 96) as unknown as Int8Array;
      }
    }
    const liar = new Liar(x);
    Object.defineProperty(liar, "constructor", { value: Int8Array });
    expect(Array.from(Object.values(net.run(liar).outputs)[0]!.data as Int8Array)).toEqual(want);
    // A length getter that disagrees with the array's real length is refused (as an empty input).
    const shorty = new Int8Array(x);
    Object.defineProperty(shorty, "length", { get: () => 10 });
    expect(() => net.run(shorty)).toThrow(/has 0 values; the model takes 9216/);
  });

  test("options.target sets the target run uses by default", () => {
    const x = new Int8Array(96 * 96).map((_, i) => (i * 37) % 256);
    const viaOption = loadTflite(personDetect(), { target: "litert" }).run(x);
    const explicit = loadTflite(personDetect()).run(x, { target: "litert" });
    const micro = loadTflite(personDetect()).run(x);
    const out = (r: typeof micro) => Array.from(Object.values(r.outputs)[0]!.data as Int8Array);
    expect(out(viaOption)).toEqual(out(explicit));
    expect(loadTflite(personDetect(), { target: "litert" }).defaultTarget).toBe("litert");
    expect(out(micro)).toHaveLength(2);
    expect(() => loadTflite(personDetect(), { target: "tflm" as never })).toThrow(/options.target must be one of/);
  });
});
