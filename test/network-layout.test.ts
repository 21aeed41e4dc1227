// The ONNX runner keeps activations in one layout end to end and its per-network state (packed
// weights, QLinearAdd pair tables, reused buffers) across runs. These tests hold those parts to
// the plain NCHW arithmetic they replace: the layout-native ops against the row-major ones, and
// whole runs against each other (layouts, engines, repeated and nested runs).
import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../src/index.js";
import { loadOnnx } from "../src/onnx/index.js";
import { applyPairTable, buildPairTable } from "../src/pair-table.js";
import {
  addDirect, addFunction, addMode, addPlan, broadcastShape, qlinearAdd, reshapeAliases, reshapeStored,
  rowMajorStrides, storedStrides, stridedCopy, type QData,
} from "../src/network/ops.js";
import type { AddLayer, AddRounding, QDtype } from "../src/network/types.js";
import type { Layout } from "../src/types.js";
import { Rng } from "../src/rng.js";
import { addStressInputs, decodeTensor, firstDiff, MODELS_DIR, modelBytes, smallFixtures } from "./helpers/models.js";

beforeAll(async () => {
  await init();
});

const LAYOUTS: Layout[] = ["HWC", "CHW"];

function randomQ(rng: Rng, dtype: QDtype, n: number): QData {
  return dtype === "int8" ? Int8Array.from({ length: n }, () => rng.int(-128, 127)) : Uint8Array.from({ length: n }, () => rng.int(0, 255));
}

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Row-major bytes to the stored order of `layout`, and back. */
function toStored(x: QData, shape: number[], layout: Layout): QData {
  const y = x.slice();
  stridedCopy(x, rowMajorStrides(shape), y, storedStrides(shape, layout), shape);
  return y;
}
function fromStored(x: QData, shape: number[], layout: Layout): QData {
  const y = x.slice();
  stridedCopy(x, storedStrides(shape, layout), y, rowMajorStrides(shape), shape);
  return y;
}


describe("QLinearAdd on stored values", () => {
  // Pairs that broadcast as ONNX models do: same shapes, per-channel, scalar, lower rank, both ways.
  const SHAPES: Array<[number[], number[]]> = [
    [[1, 5, 3, 4], [1, 5, 3, 4]],
    [[1, 5, 3, 4], [1, 5, 1, 1]],
    [[1, 5, 1, 1], [1, 5, 3, 4]],
    [[1, 5, 3, 4], [1]],
    [[1], [1, 5, 3, 4]],
    [[1, 5, 3, 4], [5, 1, 1]],
    [[1, 1, 3, 4], [1, 5, 1, 1]],
    [[1, 5, 3, 1], [1, 5, 1, 4]],
    [[1, 5, 3, 4], [4]],
    [[2, 7], [7]],
    [[6], [6]],
  ];
  for (const dtype of ["int8", "uint8"] as const) {
    for (const rounding of ["ort-x86", "ort-wasm"] as AddRounding[]) {
      it(`${dtype} ${rounding}: direct and table give the NCHW bytes in both layouts`, () => {
        const rng = new Rng(dtype === "int8" ? 11 : 12);
        for (const [as, bs] of SHAPES) {
          const os = broadcastShape(as, bs, "test");
          const q = () => ({ dtype, scale: Math.fround(0.01 + rng.float() * 0.2), zeroPoint: dtype === "int8" ? rng.int(-20, 20) : rng.int(100, 150) });
          const l: AddLayer = { kind: "add", name: "add", nodes: ["add"], opType: "QLinearAdd", inputs: ["a", "b"], output: "c", a: q(), b: q(), out: q() };
          const a = randomQ(rng, dtype, numel(as));
          const b = randomQ(rng, dtype, numel(bs));
          const want = qlinearAdd(a, as, b, bs, os, l, rounding);
          const mode = addMode(as, bs, os, rounding);
          const f = addFunction(l, mode);
          const table = buildPairTable(f, dtype, dtype);
          for (const layout of LAYOUTS) {
            const p = addPlan(as, bs, os, layout, mode);
            const sa = toStored(a, as, layout), sb = toStored(b, bs, layout);
            const direct = want.slice();
            direct.fill(0);
            addDirect(f, p, sa, sb, direct);
            const viaTable = want.slice();
            viaTable.fill(0);
            applyPairTable(table, p, sa, sb, viaTable);
            const where = `[${as}] + [${bs}] ${layout}`;
            expect(firstDiff(fromStored(direct, os, layout), want), `${where} direct`).toBe(-1);
            expect(firstDiff(fromStored(viaTable, os, layout), want), `${where} table`).toBe(-1);
          }
        }
      });
    }
  }
});

describe("reshape on stored values", () => {
  const CASES: Array<[number[], number[]]> = [
    [[1, 4, 3, 5], [1, 60]],
    [[1, 60], [1, 4, 3, 5]],
    [[1, 4, 3, 5], [1, 4, 15, 1]],
    [[1, 4, 3, 5], [1, 2, 6, 5]],
    [[1, 8, 1, 1], [1, 8]],
    [[1, 4, 3, 5], [1, 4, 3, 5]],
  ];
  it("moves the elements as ONNX's row-major reshape does, and aliases only when the bytes are the same", () => {
    const rng = new Rng(3);
    for (const [xs, ys] of CASES) {
      const x = randomQ(rng, "int8", numel(xs));
      for (const layout of LAYOUTS) {
        const sx = toStored(x, xs, layout);
        const y = new Int8Array(x.length);
        reshapeStored(sx, xs, y, ys, layout);
        expect(firstDiff(fromStored(y, ys, layout), x), `[${xs}] -> [${ys}] ${layout}`).toBe(-1);
        if (reshapeAliases(xs, ys, layout)) expect(firstDiff(sx, y), `[${xs}] -> [${ys}] ${layout} aliases`).toBe(-1);
      }
    }
  });
});

describe("whole runs", () => {
  const fixtures = smallFixtures();
  const inputOf = (f: (typeof fixtures)[number]["fixture"]) => (f.input ? (decodeTensor(f.input) as Float32Array | Int8Array | Uint8Array) : addStressInputs(f.dtype));

  for (const { name, fixture } of fixtures) {
    it(`${name}: repeated, nested, HWC, CHW and reference runs give the same bytes; earlier results stay as they were`, () => {
      const net = loadOnnx(modelBytes(MODELS_DIR, fixture.forms.qlinear));
      const u8s8 = fixture.u8s8 ?? "exact";
      const x = inputOf(fixture);
      const first = net.run(x, { u8s8, layers: true });
      const snapshot = first.layers!.map((l) => l.output.data.slice());
      const outs = (r: typeof first) => Object.values(r.outputs).map((v) => v.data);
      const same = (r: typeof first, what: string) => outs(first).forEach((d, i) => expect(firstDiff(outs(r)[i]!, d), `${name} ${what}`).toBe(-1));
      // Enough runs that every QLinearAdd has switched to its pair table.
      for (let i = 0; i < 3; i++) same(net.run(x, { u8s8 }), `run ${i + 2}`);
      same(net.run(x, { u8s8, layout: "CHW" }), "CHW");
      same(net.run(x, { u8s8, engine: "reference" }), "reference");
      // A run started from `onLayer` of another has buffers of its own.
      let inner: typeof first | null = null;
      const outer = net.run(x, { u8s8, onLayer: (done) => { if (done === 1) inner = net.run(x, { u8s8 }); } });
      same(outer, "outer of a nested run");
      same(inner!, "nested run");
      first.layers!.forEach((l, i) => expect(firstDiff(l.output.data, snapshot[i]!), `${name}: layer ${l.layer}'s output changed after later runs`).toBe(-1));
    });
  }
});
