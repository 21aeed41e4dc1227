// Every tensor of every case LiteRT.js (TFLite's WebAssembly build, XNNPACK delegate) computed in
// ../shared/tflite/litert and ../shared/tflite/generated/litert, byte for byte, under the `litert`
// target; and the models LiteRT itself refuses are refused with LiteRT's reason.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, test } from "vitest";
import { UnsupportedOpError } from "../src/graph/errors.js";
import { init, loadTflite } from "../src/index.js";
import { SHARED_TFLITE, caseInputs, compareCase, describeShared, dumpFiles } from "./helpers/tflite-dumps.js";

beforeAll(async () => {
  await init();
});

describeShared("LiteRT dumps", ["tflite/litert"], () => {
  for (const f of dumpFiles("litert")) {
    describe(f.path.split("/shared/tflite/")[1]!, () => {
      const net = () => loadTflite(readFileSync(f.modelPath));
      for (const c of f.cases) {
        test(c.name, () => {
          const inputs = caseInputs(c);
          const run = net().run(inputs, { target: "litert", layers: true });
          expect(compareCase(c, run, inputs)).toEqual([]);
        });
      }
    });
  }
});

describeShared("models LiteRT refuses", ["tflite/models", "tflite/generated/models"], () => {
  const refused = (path: string) => () => loadTflite(readFileSync(SHARED_TFLITE + path)).lower("litert");
  test.each(["generated/models/conv2d_1x1_no_bias_c8to17_relu.tflite", "generated/models/conv2d_3x3_no_bias_c5to8.tflite"])("%s: CONV_2D without a bias", (path) => {
    expect(refused(path)).toThrow(UnsupportedOpError);
    expect(refused(path)).toThrow(/CONV_2D.*without a bias.*Tensor at index 2 was optional but was expected/);
  });
  test("keyword_scrambled_8bit: variable (SVDF state) tensors", () => {
    expect(refused("models/keyword_scrambled_8bit.tflite")).toThrow(UnsupportedOpError);
    expect(refused("models/keyword_scrambled_8bit.tflite")).toThrow(/Variable tensors not yet supported/);
  });
});
