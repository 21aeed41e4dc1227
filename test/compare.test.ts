// compare(): one model under several targets, drift per layer and per output, against the targets'
// own dumps (TFLite Micro and LiteRT part ways at person_detect's first depthwise layer).
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, test } from "vitest";
import { compare, formatCompare, init, loadTflite } from "../src/index.js";
import { SHARED_TFLITE, caseInputs, dumpFiles, sharedMissing, skipMeta } from "./helpers/tflite-dumps.js";

const personDetect = () => loadTflite(readFileSync(`${SHARED_TFLITE}models/person_detect.tflite`));
/** The model and its dumps are in ../shared; without it these tests skip (test/helpers/shared.ts). */
const missing = sharedMissing("tflite/models", "tflite/ref", "tflite/litert");
const dumpCase = (kind: "ref" | "litert", name: string) => dumpFiles(kind).find((f) => f.modelPath.endsWith("person_detect.tflite"))!.cases.find((c) => c.name === name)!;

beforeAll(async () => {
  await init();
});

describe.skipIf(missing)("person_detect, TFLite Micro against LiteRT", skipMeta(missing), () => {
  test("the first divergence is the first depthwise layer; the no-person logits differ as the dumps do", () => {
    const ref = dumpCase("ref", "no-person-image");
    const lite = dumpCase("litert", "no-person-image");
    const r = compare(personDetect(), [caseInputs(ref)], { targets: ["tflite-micro", "litert"] });
    expect(r.reference).toBe("tflite-micro");
    expect(r.targets).toEqual(["tflite-micro", "litert"]);
    expect(r.inputs).toBe(1);
    // op 0 (DEPTHWISE_CONV_2D) writes the first tensor that differs.
    const first = ref.tensors.find((t) => t.producedBy?.opIndex === 0)!;
    expect(r.firstDivergence).toMatchObject({ index: first.index, kind: "depthwiseConv2d", targets: ["litert"] });
    // The logits: TFLM [57, -57], LiteRT [60, -60] (the dumps), i.e. 3 steps apart, same class.
    const out = ref.tensors.find((t) => t.index === ref.outputs[0])!;
    const want = (c: typeof ref) => Array.from(new Int8Array(Buffer.from(c.tensors.find((t) => t.index === c.outputs[0])!.data!, "base64")));
    expect(want(ref)).toEqual([57, -57]);
    expect(want(lite)).toEqual([60, -60]);
    const o = r.outputs.find((x) => x.name === out.name)!;
    expect(o.byTarget.litert!.differing).toBe(2);
    expect(o.byTarget.litert!.top1Agreement).toBe(1);
    expect(o.byTarget.litert!.maxAbsReal).toBeCloseTo(3 * out.quantization!.scale[0]!, 9);
    const layer = r.layers.find((l) => l.index === out.index)!;
    expect(layer.byTarget.litert!.maxAbsSteps).toBeCloseTo(3, 9);
    expect(layer.byTarget["tflite-micro"]).toMatchObject({ differing: 0, maxAbsSteps: 0, sqnrDb: Infinity });
    expect(formatCompare(r)).toMatch(/first divergence: tensor \d+ ".*" \(depthwiseConv2d\) under litert/);
    // Why: TFLite Micro's double rounding against XNNPACK's float32 scale rounded half to even.
    expect(r.firstDivergence!.why).toMatch(/tflite-micro: .*double rounding.*; litert: XNNPACK fp32 requantization.*half to even/);
  });

  test("CMSIS-NN gives TFLite Micro's bytes on person_detect: no divergence", () => {
    const r = compare(personDetect(), 2, { targets: ["tflite-micro", "cmsis-nn"] });
    expect(r.inputs).toBe(2);
    expect(r.firstDivergence).toBeNull();
    for (const l of r.layers) expect(l.byTarget["cmsis-nn"]!.differing).toBe(0);
  });
});

test.skipIf(missing)("random inputs are seeded: the same seed gives the same report", skipMeta(missing), () => {
  const net = personDetect();
  const a = compare(net, 2, { targets: ["tflite-micro", "litert"], seed: 7 });
  const b = compare(net, 2, { targets: ["tflite-micro", "litert"], seed: 7 });
  expect(a).toEqual(b);
  expect(a.layers.length).toBeGreaterThan(25);
  expect(a.layers.some((l) => l.byTarget.litert!.differing > 0)).toBe(true);
});

test.skipIf(missing)("bad options are RangeErrors naming the field", skipMeta(missing), () => {
  const net = personDetect();
  expect(() => compare(net, 1, { targets: ["tflite-micro", "nope"] })).toThrow(/options.targets: "nope" is not a target/);
  expect(() => compare(net, 0)).toThrow(/inputs must be a whole number/);
  expect(() => compare(net, [], { targets: ["tflite-micro"] })).toThrow(/at least one input/);
});
