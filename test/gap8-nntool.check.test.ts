// The NNTool deployment check: what a GAP8 deployment changes, read from the target's own decisions
// (numbers taken from ../shared/gap8-nntool's record of NNTool, not from the code under test).
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { loadTflite } from "../src/index.js";
import type { ModelFinding } from "../src/targets/gap8-nntool/check.js";
import { SHARED_TFLITE, describeShared } from "./helpers/tflite-dumps.js";

const findings = (model: string) =>
  loadTflite(readFileSync(`${SHARED_TFLITE}models/${model}.tflite`)).check({ target: "gap8-nntool" }).findings as ModelFinding[];

describeShared("micro_speech", ["tflite/models/micro_speech_quantized.tflite"], () => {
  const f = findings("micro_speech_quantized");

  test("the input must be converted: NNTool moves its zero point from -128 to 0", () => {
    const input = f.find((x) => x.rule === "nntool-input-converted")!;
    expect(input.message).toMatch(/zero point 0 \(the file's: 0\.10172, -128\)/);
    expect(input.fix).toMatch(/convert each input byte/);
  });

  test("the logits are forced to the power-of-two scale 1/8 and the output is Q15", () => {
    const logits = f.find((x) => x.rule === "nntool-forced-symmetric" && /softmax/.test(x.message))!;
    expect(logits.message).toMatch(/becomes scale 0\.12500, zero point 0/);
    expect(f.some((x) => x.rule === "nntool-softmax-q15")).toBe(true);
  });

  test("the softmax's exp wraps for logits 11.125 to 11.375 below the largest (steps 89 to 91)", () => {
    const wrap = f.find((x) => x.rule === "nntool-softmax-exp-wraps")!;
    expect(wrap.severity).toBe("warning");
    expect(wrap.message).toMatch(/11\.125 to 11\.375 below the largest \(input steps 89 to 91\)/);
  });
});

describeShared("person_detect", ["tflite/models/person_detect.tflite"], () => {
  const f = findings("person_detect");

  test("every padded depthwise input is forced symmetric, losing about one bit", () => {
    const forced = f.filter((x) => x.rule === "nntool-forced-symmetric" && /padded convolution/.test(x.message));
    // The 13 depthwise layers' inputs (the graph input among them is reported as converted).
    expect(forced.length).toBeGreaterThanOrEqual(12);
    for (const x of forced) expect(x.message).toMatch(/\(1\.\d\d bits of resolution lost\)/);
  });

  test("the last pointwise layer's ReLU6 range is widened to [0, 6]", () => {
    const w = f.find((x) => x.rule === "nntool-range-widened")!;
    expect(w.message).toMatch(/scale 0\.01861 becomes 0\.02353/);
  });

  test("no softmax wrap is reported where its logits cannot reach the region", () => {
    expect(f.some((x) => x.rule === "nntool-softmax-exp-wraps")).toBe(false);
  });
});
