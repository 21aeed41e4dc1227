// Every tensor of every case TFLite Micro (reference kernels) computed in ../shared/tflite, byte for
// byte, under the `tflite-micro` target: the real models and the generated op variants.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, test } from "vitest";
import { init, loadTflite } from "../src/index.js";
import { caseInputs, compareCase, describeShared, dumpFiles } from "./helpers/tflite-dumps.js";

beforeAll(async () => {
  await init();
});

describeShared("TFLite Micro (reference kernels) dumps", ["tflite/ref"], () => {
  for (const f of dumpFiles("ref")) {
    describe(f.path.split("/shared/tflite/")[1]!, () => {
      const net = () => loadTflite(readFileSync(f.modelPath));
      for (const c of f.cases) {
        test(c.name, () => {
          const inputs = caseInputs(c);
          const run = net().run(inputs, { target: "tflite-micro", layers: true });
          expect(compareCase(c, run, inputs)).toEqual([]);
        });
      }
    });
  }
});
