// A short, seeded slice of `npm run fuzz` (scripts/fuzz.mjs) against the TypeScript sources: mutated
// ONNX files (and files of every other format listed in FORMATS that this build can load) and API
// calls through changing accessors, Proxies and lying typed arrays. No trap, no error of an
// undocumented class, no case over the fuzz's time bound, and exact bytes from a valid model (or
// layer) right after every case. The long run is `npm run fuzz -- --long`.
import { describe, expect, it } from "vitest";
import * as dwpw from "../src/index.js";
import { FORMATS, runFuzz } from "../scripts/fuzz.mjs";

describe("fuzz (a bounded slice of npm run fuzz)", () => {
  for (const seed of [1, 20261207]) {
    it(`seed ${seed}: 150 mutated files per format and 300 API cases hold every guarantee`, async () => {
      const r = await runFuzz(dwpw, { cases: 150, apiCases: 300, seed });
      expect(r.failures, r.failures.join("\n")).toEqual([]);
      expect(r.formats.onnx.cases).toBe(150);
      expect(r.formats.onnx.rejected).toBeGreaterThan(20); // the mutations do reach the checks
      expect(r.formats.onnx.ran).toBeGreaterThan(5); // and some mutants still load and run
      // Every other listed format this build can load runs the same number of cases (TFLite, once its seeds are present).
      for (const f of Object.values(r.formats) as Array<{ cases: number }>) expect(f.cases).toBe(150);
      expect(r.api.cases).toBe(300);
      expect(r.api.rejected).toBeGreaterThan(10);
    }, 120_000);
  }

  it("lists ONNX and the TFLite hook as formats", () => {
    expect(FORMATS.map((f) => f.name)).toEqual(["onnx", "tflite"]);
  });

  it("detects a broken guarantee: an undocumented error class and changed bytes are reported", async () => {
    const seeds = FORMATS[0]!.seeds().length;
    let loads = 0;
    let runs = 0;
    const sabotaged = {
      ...dwpw,
      // After the seeds are loaded, every 10th load throws a plain Error, and after 40 runs every
      // network's first output byte is flipped (the sentinel's included).
      loadOnnx: (b: Uint8Array) => {
        if (++loads > seeds && loads % 10 === 0) throw new Error("not a documented class");
        const net = dwpw.loadOnnx(b);
        const run = net.run.bind(net);
        net.run = ((i: never, o: never) => {
          const r = run(i, o);
          if (++runs > 40) for (const v of Object.values(r.outputs)) v.data[0] = (v.data[0]! ^ 1) as number;
          return r;
        }) as typeof net.run;
        return net;
      },
    };
    const r = await runFuzz(sabotaged, { cases: 60, apiCases: 0, seed: 3, formats: ["onnx"] });
    expect(r.failures.some((f) => /undocumented error Error: not a documented class/.test(f))).toBe(true);
    expect(r.failures.some((f) => /the valid model's bytes changed after this case/.test(f))).toBe(true);
  });
});
