// The WebAssembly kernels (SIMD and scalar builds) against every independent test vector and every
// ONNX Runtime fixture: each op of each case, bit-exact, in the case's own layout and in the other
// one (input converted with toLayout, output converted back before comparing).
import { basename } from "node:path";
import { expect, it } from "vitest";
import { toLayout } from "../src/layout.js";
import type { Layout } from "../src/types.js";
import { describeEngines, expectSameTensor } from "./helpers/kernels.js";
import { fixtureFiles, loadVectorFile, skipMeta, vectorFiles, vectorsMissing } from "./helpers/vectors.js";

// Without ../shared/vectors only the project's own fixtures run (see test/helpers/shared.ts).
const missing = vectorsMissing();
const files = [...vectorFiles(), ...fixtureFiles()].map((path) => ({ name: basename(path), file: loadVectorFile(path) }));

describeEngines("kernels vs vectors", (engine) => {
  it("has fixture files", () => {
    expect(fixtureFiles().length).toBeGreaterThan(0);
  });
  it.skipIf(missing)("has the shared vector files", skipMeta(missing), () => {
    expect(vectorFiles().length).toBeGreaterThan(0);
  });

  for (const { name, file } of files) {
    it(`${name} has cases`, () => expect(file.cases.length).toBeGreaterThan(0));
    for (const c of file.cases) {
      const other: Layout = c.layout === "HWC" ? "CHW" : "HWC";
      for (const layout of [c.layout, other]) {
        it(`${name} ${c.name} [run in ${layout}]`, () => {
          let input = c.input;
          c.ops.forEach(({ op, expected }, k) => {
            const x = toLayout(input, layout);
            const out = engine().conv(x, op);
            expect(out.layout, "output layout").toBe(layout);
            expectSameTensor(toLayout(out, c.layout), expected, `op ${k} (${op.kind}, ${op.requant.scheme})`);
            // The input must not be modified by the call.
            expectSameTensor(x, toLayout(input, layout), `op ${k} input after the call`);
            input = expected; // op k+1 consumes op k's expected output
          });
        });
      }
    }
  }
});
