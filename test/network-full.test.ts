// Full-size MobileNetV1 (1.0 / 0.25, 224 / 128) and MobileNetV2 1.0-224: the final output of both
// ONNX forms against onnxruntime-node (and the WebAssembly QLinearAdd rounding against
// onnxruntime-web). The models are ~35 MB, so they are not committed: generate them with
//   node scripts/make-models.mjs --full
// (about a minute). Without them these tests are skipped, saying so.
import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../src/index.js";
import { loadOnnx } from "../src/onnx/index.js";
import { decodeTensor, firstDiff, FULL_DIR, fullFixtures, modelBytes } from "./helpers/models.js";
import { skipMeta } from "./helpers/skip.js";

const SKIP = "fixtures/models/full/ is absent: generate the full-size MobileNets with `node scripts/make-models.mjs --full`";
const fixtures = fullFixtures();
const WANTED = ["mobilenet_v1_1.0_224", "mobilenet_v1_1.0_128", "mobilenet_v1_0.25_224", "mobilenet_v1_0.25_128", "mobilenet_v2_1.0_224"];

beforeAll(async () => {
  await init();
});

describe("full-size MobileNets against ONNX Runtime", () => {
  for (const net of WANTED) {
    const found = fixtures.filter((f) => f.fixture.network === net);
    if (found.length === 0) {
      it(`${net}: final output equals onnxruntime-node`, skipMeta(SKIP), (ctx) => ctx.skip(SKIP));
      continue;
    }
    for (const { name, fixture } of found) {
      it(`${name}: ONNX Runtime gave the same output at every level`, () => {
        expect(fixture.levels.qlinear.slice().sort()).toEqual(["all", "basic", "disabled", "extended"]);
        expect(fixture.levels.qdq).toEqual(["extended", "all"]);
      });
      for (const form of ["qlinear", "qdq"] as const) {
        it(`${name} ${form}: final output equals onnxruntime-node (kernels), and onnxruntime-web with ort-wasm`, () => {
          const model = loadOnnx(modelBytes(FULL_DIR, fixture.forms[form]));
          const input = decodeTensor(fixture.input!) as Float32Array;
          const [outName, want] = Object.entries(fixture.outputs)[0]!;
          const got = model.run(input).outputs[outName]!;
          const d = firstDiff(got.data, decodeTensor(want));
          expect(d, `${name} ${form}: ${outName} first differs at byte ${d}`).toBe(-1);
          const web = model.run(input, { addRounding: "ort-wasm" }).outputs[outName]!;
          const dw = firstDiff(web.data, decodeTensor(fixture.ortWeb.output!));
          expect(dw, `${name} ${form} ort-wasm: ${outName} first differs at byte ${dw}`).toBe(-1);
        }, 120_000);
      }
      if (net === "mobilenet_v1_0.25_128" || net === "mobilenet_v2_1.0_224") {
        it(`${name}: blocks on the GAP8 scratchpad model (best schedule) give the same output`, () => {
          const model = loadOnnx(modelBytes(FULL_DIR, fixture.forms.qlinear));
          const [outName, want] = Object.entries(fixture.outputs)[0]!;
          const r = model.run(decodeTensor(fixture.input!) as Float32Array, { blocks: true });
          expect(r.blocks!.length).toBe(net.startsWith("mobilenet_v1") ? 13 : 17);
          expect(firstDiff(r.outputs[outName]!.data, decodeTensor(want))).toBe(-1);
        }, 300_000);
      }
      if (net.includes("0.25")) {
        it(`${name}: the reference engine gives the same output`, () => {
          const model = loadOnnx(modelBytes(FULL_DIR, fixture.forms.qlinear));
          const [outName, want] = Object.entries(fixture.outputs)[0]!;
          const got = model.run(decodeTensor(fixture.input!) as Float32Array, { engine: "reference" }).outputs[outName]!;
          expect(firstDiff(got.data, decodeTensor(want))).toBe(-1);
        }, 300_000);
      }
    }
  }
});
