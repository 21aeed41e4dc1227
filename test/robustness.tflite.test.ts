// Hostile .tflite files: truncated, bit-flipped, and surgically broken ones (offsets outside the
// file, huge vector lengths, wrong option types, missing buffers, quantization arrays of the wrong
// length, overflowing shapes). Each load gives a TfliteError or UnsupportedOpError in bounded time,
// or a network that runs (or refuses its input) cleanly; never a trap, a hang or another error.
// A valid model loaded right after every rejection still gives TFLite Micro's bytes.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, test } from "vitest";
import { TfliteError, UnsupportedOpError, init, loadTflite } from "../src/index.js";
import { FlatBuffer, type Table } from "../src/import/tflite/flatbuffer.js";
import { F } from "../src/import/tflite/schema.js";
import { Rng } from "../src/rng.js";
import { SHARED_TFLITE, caseInputs, compareCase, dumpFiles, sharedMissing, skipMeta } from "./helpers/tflite-dumps.js";

const BOUND_MS = 2000;
/** The models and dumps are in ../shared; without it these suites skip (test/helpers/shared.ts). */
const missing = sharedMissing("tflite/models", "tflite/ref");
const hello = () => new Uint8Array(readFileSync(`${SHARED_TFLITE}models/hello_world_int8.tflite`));
const person = () => new Uint8Array(readFileSync(`${SHARED_TFLITE}models/person_detect.tflite`));

beforeAll(async () => {
  await init();
});

const describeError = (e: unknown) => (e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e));

/** Loads and, when that works, runs `bytes` on zero input: "loaded" or "rejected", cleanly and in time. */
function loadAndRun(bytes: Uint8Array, what: string): "loaded" | "rejected" {
  const t0 = performance.now();
  let outcome: "loaded" | "rejected" = "loaded";
  try {
    const net = loadTflite(bytes);
    const inputs = Object.fromEntries(net.inputs.map((s) => [s.name, new (s.dtype === "int16" ? Int16Array : s.dtype === "float32" ? Float32Array : s.dtype === "uint8" ? Uint8Array : Int8Array)(s.shape.reduce((a, b) => a * b, 1))]));
    net.run(inputs);
  } catch (e) {
    outcome = "rejected";
    const ok = e instanceof TfliteError || e instanceof UnsupportedOpError || e instanceof RangeError || e instanceof TypeError;
    expect(ok && !(e instanceof WebAssembly.RuntimeError), `${what}: ${describeError(e)}`).toBe(true);
    expect((e as Error).message.length, what).toBeGreaterThan(10);
  }
  expect(performance.now() - t0, `${what} took too long`).toBeLessThan(BOUND_MS);
  return outcome;
}

/** hello_world still gives TFLite Micro's bytes (after whatever ran before). */
function validStillExact(): void {
  const f = dumpFiles("ref").find((d) => d.modelPath.endsWith("hello_world_int8.tflite"))!;
  const c = f.cases[0]!;
  const inputs = caseInputs(c);
  expect(compareCase(c, loadTflite(hello()).run(inputs, { layers: true }), inputs)).toEqual([]);
}

/** Navigates a model's tables (to break one field on purpose). */
function tables(bytes: Uint8Array) {
  const fb = new FlatBuffer(bytes);
  const model = fb.root("model");
  const sg = model.tables(F.Model.subgraphs, "subgraphs", 10)[0]!;
  return { fb, model, sg, tensors: sg.tables(F.SubGraph.tensors, "tensors", 1e5), ops: sg.tables(F.SubGraph.operators, "operators", 1e5) };
}

/** The absolute position of field `id` of a table (read through its vtable). */
function fieldPos(t: Table, id: number): number {
  const view = t.buf.view;
  const vt = t.pos - view.getInt32(t.pos, true);
  const off = view.getUint16(vt + 4 + 2 * id, true);
  if (off === 0) throw new Error(`field ${id} absent`);
  return t.pos + off;
}

function mutate(bytes: Uint8Array, f: (view: DataView, b: Uint8Array) => void): Uint8Array {
  const b = bytes.slice();
  f(new DataView(b.buffer), b);
  return b;
}

describe.skipIf(missing)("surgical breakage", skipMeta(missing), () => {
  // Each case breaks one field of person_detect (it has every kind of table these checks guard).
  const cases: Array<[string, (b: Uint8Array) => Uint8Array, RegExp]> = [
    ["root offset past the end", (b) => mutate(b, (v) => v.setUint32(0, b.length + 100, true)), /root table offset/],
    ["no TFL3 identifier", (b) => mutate(b, (_, x) => (x[4] = 0x41)), /no "TFL3" file identifier/],
    ["truncated to its header", (b) => b.slice(0, 12), /past the end|outside/],
    ["a vtable outside the file", (b) => mutate(b, (v) => { const { tensors } = tables(b); v.setInt32(tensors[0]!.pos, -0x7fff0000, true); }), /vtable/],
    ["a shape vector claiming 2^31 dimensions", (b) => mutate(b, (v) => { const { tensors } = tables(b); const p = fieldPos(tensors[0]!, F.Tensor.shape); v.setUint32(p + v.getUint32(p, true), 0x7fffffff, true); }), /claims 2147483647 elements/],
    ["an offset pointing outside the file", (b) => mutate(b, (v) => { const { tensors } = tables(b); v.setUint32(fieldPos(tensors[0]!, F.Tensor.name), 0x7ffffff0, true); }), /outside the file/],
    ["a buffer index past the buffers", (b) => mutate(b, (v) => { const { ops, tensors } = tables(b); void ops; v.setUint32(fieldPos(tensors[1]!, F.Tensor.buffer), 99999, true); }), /buffer = 99999/],
    ["an opcode index past the operator codes", (b) => mutate(b, (v) => { const { ops } = tables(b); v.setUint32(fieldPos(ops.find((o) => o.has(F.Operator.opcodeIndex))!, F.Operator.opcodeIndex), 77, true); }), /opcode_index = 77/],
    ["a tensor index past the tensors", (b) => mutate(b, (v) => { const { ops } = tables(b); const p = fieldPos(ops[0]!, F.Operator.inputs); v.setInt32(p + v.getUint32(p, true) + 4, 5000, true); }), /not a tensor index/],
    ["options of the wrong union type", (b) => mutate(b, (v) => { const { ops } = tables(b); v.setUint8(fieldPos(ops[0]!, F.Operator.builtinOptionsType), 9); }), /builtin_options_type is 9/],
    ["an unsupported builtin op", (b) => mutate(b, (v) => { const { model } = tables(b); const code = model.tables(F.Model.operatorCodes, "operator_codes", 10)[0]!; v.setInt8(fieldPos(code, F.OperatorCode.deprecatedBuiltinCode), 45); try { v.setInt32(fieldPos(code, F.OperatorCode.builtinCode), 45, true); } catch { /* older files carry only the deprecated code */ } }), /STRIDED_SLICE\): this op is not supported/],
  ];
  for (const [name, breakIt, message] of cases) {
    test(name, () => {
      const bad = breakIt(person());
      expect(() => loadTflite(bad)).toThrow(message);
      expect(loadAndRun(bad, name)).toBe("rejected");
      validStillExact();
    });
  }

  test("weights whose buffer is shorter than their shape", () => {
    // Grow a weight tensor's declared shape: its buffer no longer holds it.
    const bad = mutate(hello(), (v, b) => {
      const { tensors } = tables(b);
      const w = tensors.find((t) => t.string(F.Tensor.name, "name")?.includes("MatMul") && t.u32(F.Tensor.buffer, "buffer") !== 0)!;
      const p = fieldPos(w, F.Tensor.shape);
      const vec = p + v.getUint32(p, true);
      v.setInt32(vec + 4, v.getInt32(vec + 4, true) + 1, true);
    });
    expect(() => loadTflite(bad)).toThrow(TfliteError);
    expect(() => loadTflite(bad)).toThrow(/but its buffer holds/);
  });

  test("a shape whose element count overflows", () => {
    const bad = mutate(hello(), (v, b) => {
      const { tensors } = tables(b);
      const p = fieldPos(tensors[0]!, F.Tensor.shape);
      const vec = p + v.getUint32(p, true);
      for (let k = 0; k < v.getUint32(vec, true); k++) v.setInt32(vec + 4 + 4 * k, 0x7fffffff, true);
    });
    expect(() => loadTflite(bad)).toThrow(/more than 268435456 elements/);
  });

  test("per-channel scales that do not match the quantized dimension", () => {
    const bad = mutate(person(), (v, b) => {
      const { tensors } = tables(b);
      // A depthwise filter's per-channel quantization (8 scales along dimension 3): claim dimension 1.
      const w = tensors.find((t) => t.table(F.Tensor.quantization, "q")?.f32s(F.Quantization.scale, "s")?.length === 8 && t.i32s(F.Tensor.shape, "shape")?.length === 4)!;
      const q = w.table(F.Tensor.quantization, "q")!;
      v.setInt32(fieldPos(q, F.Quantization.quantizedDimension), 1, true);
    });
    expect(() => loadTflite(bad)).toThrow(/8 scales along dimension 1/);
    validStillExact();
  });
});

describe.skipIf(missing)("random damage", skipMeta(missing), () => {
  test("every truncation of hello_world", () => {
    const b = hello();
    for (let n = 0; n < b.length; n += 7) loadAndRun(b.slice(0, n), `truncated to ${n} bytes`);
    validStillExact();
  });

  test("2000 seeded byte mutations of hello_world and 200 of person_detect", () => {
    const rng = new Rng(20261207);
    const outcomes = { loaded: 0, rejected: 0 };
    for (const [src, count] of [[hello(), 2000], [person(), 200]] as const) {
      for (let k = 0; k < count; k++) {
        const b = src.slice();
        const flips = 1 + (rng.u32() % 4);
        for (let f = 0; f < flips; f++) b[rng.u32() % b.length] = rng.u32() & 0xff;
        outcomes[loadAndRun(b, `mutation ${k}`)]++;
      }
    }
    // Both outcomes occur: the mutations reach the checks and also leave many files valid.
    expect(outcomes.rejected).toBeGreaterThan(100);
    expect(outcomes.loaded).toBeGreaterThan(100);
    validStillExact();
  });
});
