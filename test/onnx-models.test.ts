// Every layer of every test model (QLinear and QDQ form) against ONNX Runtime's bytes, stored by
// scripts/make-models.mjs (onnxruntime-node on the CPU EP; onnxruntime-web for the WebAssembly
// QLinearAdd rounding).
import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../src/index.js";
import { loadOnnx } from "../src/onnx/index.js";
import type { AddRounding, NetworkValue, RunOptions } from "../src/network/index.js";
import { addStressInputs, decodeTensor, firstDiff, inflate, MODELS_DIR, modelBytes, smallFixtures, typed, type ModelFixture, type Typed } from "./helpers/models.js";

beforeAll(async () => {
  await init();
});

const fixtures = smallFixtures();

function expected(f: ModelFixture, rounding: AddRounding): Map<string, Typed> {
  const m = new Map<string, Typed>();
  for (const [k, t] of Object.entries(f.outputs)) m.set(k, decodeTensor(t));
  if (rounding === "ort-wasm") for (const [k, d] of Object.entries(f.ortWeb.differing ?? {})) m.set(k, typed(f.outputs[k]!.dtype, inflate(d)));
  return m;
}

function inputOf(name: string, f: ModelFixture) {
  if (f.input) return decodeTensor(f.input) as Float32Array | Int8Array | Uint8Array;
  const { a, b } = addStressInputs(f.dtype);
  void name;
  return { a, b };
}

/**
 * Runs and compares every produced tensor that ORT also produced; returns how many were compared.
 * onnxruntime-node's bytes are compared with `addRounding: "ort-x86"` and the fixture's u8s8 mode
 * (the u8s8-stress model saturates on this x86 host); onnxruntime-web's with "ort-wasm" and exact
 * products (its WebAssembly kernels do not saturate).
 */
function runAndCompare(name: string, f: ModelFixture, form: "qlinear" | "qdq", options: RunOptions): number {
  const net = loadOnnx(modelBytes(MODELS_DIR, f.forms[form]));
  const web = options.addRounding === "ort-wasm";
  const want = expected(f, web ? "ort-wasm" : "ort-x86");
  options = { u8s8: web ? "exact" : (f.u8s8 ?? "exact"), ...options };
  const r = net.run(inputOf(name, f), { ...options, layers: true });
  const got = new Map<string, NetworkValue>();
  for (const l of r.layers!) got.set(l.output.name, l.output);
  for (const [k, v] of Object.entries(r.outputs)) got.set(k, v);
  let compared = 0;
  for (const [k, w] of want) {
    const g = got.get(k);
    if (!g) continue;
    const d = firstDiff(g.data, w);
    expect(d, `${name} ${form}: tensor ${k} (shape [${g.shape}]) first differs at byte ${d}`).toBe(-1);
    expect(g.shape.reduce((a, b) => a * b, 1)).toBe(w.length);
    compared++;
  }
  // Every graph output was compared.
  for (const o of net.outputs) expect(want.has(o.name), `graph output ${o.name} has expected bytes`).toBe(true);
  return compared;
}

for (const { name, fixture } of fixtures) {
  describe(`ONNX model ${name}`, () => {
    it("ONNX Runtime gave the same bytes at every level the fixture claims", () => {
      expect(fixture.levels.qlinear).toEqual(["disabled", "basic", "extended", "all"]);
      expect(fixture.levels.qdq).toEqual(["extended", "all"]);
    });
    for (const form of ["qlinear", "qdq"] as const) {
      it(`${form} form: every layer output equals onnxruntime-node (kernels)`, () => {
        const n = runAndCompare(name, fixture, form, { engine: "wasm" });
        expect(n).toBe(Object.keys(fixture.outputs).length);
      });
      it(`${form} form: every layer output equals onnxruntime-node (reference)`, () => {
        const n = runAndCompare(name, fixture, form, { engine: "reference", layout: "CHW" });
        expect(n).toBe(Object.keys(fixture.outputs).length);
      });
      it(`${form} form: addRounding "ort-wasm" equals onnxruntime-web`, () => {
        runAndCompare(name, fixture, form, { engine: "wasm", addRounding: "ort-wasm" });
      });
    }
    if (fixture.u8s8) {
      it("exact u8 x s8 products differ from ONNX Runtime's x86 saturating kernels on this model", () => {
        const net = loadOnnx(modelBytes(MODELS_DIR, fixture.forms.qlinear));
        const r = net.run(inputOf(name, fixture), { layers: true, u8s8: "exact" });
        const want = expected(fixture, "ort-x86");
        const differing = r.layers!.filter((l) => want.has(l.output.name) && firstDiff(l.output.data, want.get(l.output.name)!) >= 0);
        expect(differing.map((l) => l.layer)).toContain("stem");
        expect(() => net.run(inputOf(name, fixture), { blocks: true, u8s8: "ort-x86-u8s8-saturation" })).toThrow(/cannot be combined/);
      });
    }
    if (fixture.input && !fixture.u8s8) {
      it("blocks on the scratchpad model give the same bytes", () => {
        const n = runAndCompare(name, fixture, "qlinear", { engine: "wasm", blocks: true });
        expect(n).toBeGreaterThan(0);
      });
    }
  });
}

describe("QLinearAdd rounding variants", () => {
  for (const dtype of ["int8", "uint8"] as const) {
    const f = fixtures.find((x) => x.name === `add-stress-${dtype}`)?.fixture;
    it(`${dtype}: the stress parameters make ORT's x86 and WebAssembly builds differ`, () => {
      expect(f).toBeDefined();
      expect(Object.keys(f!.ortWeb.differing ?? {}).length).toBeGreaterThan(0);
    });
    it(`${dtype}: ort-x86 and ort-wasm give different bytes, each equal to its ORT build`, () => {
      const net = loadOnnx(modelBytes(MODELS_DIR, f!.forms.qlinear));
      const inp = addStressInputs(dtype);
      const x86 = net.run(inp, { addRounding: "ort-x86" }).outputs;
      const wasm = net.run(inp, { addRounding: "ort-wasm" }).outputs;
      let differ = 0;
      for (const k of Object.keys(x86)) differ += firstDiff(x86[k]!.data, wasm[k]!.data) >= 0 ? 1 : 0;
      expect(differ).toBeGreaterThan(0);
    });
  }
});
