// Every tensor of every case that TFLite Micro built with the CMSIS-NN kernels computed in
// ../shared/tflite, byte for byte, under the `cmsis-nn` target: the real models and the generated
// op variants (the SVDF states of keyword_scrambled_8bit are where it differs from `tflite-micro`).
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, test } from "vitest";
import { init, loadTflite } from "../src/index.js";
import { caseInputs, compareCase, describeShared, dumpFiles } from "./helpers/tflite-dumps.js";

beforeAll(async () => {
  await init();
});

describeShared("TFLite Micro with CMSIS-NN dumps", ["tflite/cmsis-nn"], () => {
  for (const f of dumpFiles("cmsis-nn")) {
    describe(f.path.split("/shared/tflite/")[1]!, () => {
      const net = () => loadTflite(readFileSync(f.modelPath));
      for (const c of f.cases) {
        test(c.name, () => {
          const inputs = caseInputs(c);
          const run = net().run(inputs, { target: "cmsis-nn", layers: true });
          expect(compareCase(c, run, inputs)).toEqual([]);
        });
      }
    });
  }
});
