// QuantizeLinear of a network's float input on the WebAssembly kernels (src/network/quantize.ts,
// assembly/quantize.ts) against the TypeScript path the reference engine runs (quantizeStored),
// over random shapes, both stored layouts, both dtypes and every kind of float (ties, NaN,
// infinities, signed zeros, subnormals, values far outside the range); and a few values whose
// bytes are written out by hand.
import fc from "fast-check";
import { expect, it } from "vitest";
import { quantizeStored, newQ } from "../src/network/ops.js";
import { quantizeStoredOn } from "../src/network/quantize.js";
import type { QDtype, QParams } from "../src/network/types.js";
import type { Layout } from "../src/types.js";
import { describeEngines } from "./helpers/kernels.js";

const replaySeed = globalThis.process?.env?.FC_SEED;
if (replaySeed) fc.configureGlobal({ seed: Number(replaySeed) });

const special = fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -0, 1.4e-45, -1.4e-45, 3.4e38, -3.4e38);

const caseArb = fc.record({
  dtype: fc.constantFrom<QDtype>("int8", "uint8"),
  layout: fc.constantFrom<Layout>("HWC", "CHW"),
  channels: fc.integer({ min: 1, max: 5 }),
  height: fc.integer({ min: 1, max: 9 }),
  width: fc.integer({ min: 1, max: 37 }),
  scale: fc.float({ min: Math.fround(1e-4), max: Math.fround(4), noNaN: true }),
  zpFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  // Quotients near the range and near ties (k + 0.5) are where rounding and clamping can go wrong.
  seed: fc.integer(),
}).chain((c) => {
  const n = c.channels * c.height * c.width;
  const value = fc.oneof(
    { arbitrary: fc.integer({ min: -300, max: 300 }).map((k) => Math.fround((k + 0.5) * c.scale)), weight: 3 },
    { arbitrary: fc.float({ min: Math.fround(-400 * c.scale), max: Math.fround(400 * c.scale), noNaN: true }), weight: 3 },
    { arbitrary: fc.float(), weight: 1 },
    { arbitrary: special, weight: 1 },
  );
  return fc.record({ c: fc.constant(c), values: fc.array(value, { minLength: n, maxLength: n }) });
});

describeEngines("QuantizeLinear of float values on the kernels", (engine) => {
  it("gives the TypeScript path's bytes for every shape, layout, dtype and value", () => {
    fc.assert(
      fc.property(caseArb, ({ c, values }) => {
        const [lo, hi] = c.dtype === "int8" ? [-128, 127] : [0, 255];
        const q: QParams = { dtype: c.dtype, scale: c.scale, zeroPoint: Math.round(lo + c.zpFrac * (hi - lo)) };
        const shape = [1, c.channels, c.height, c.width];
        const x = Float32Array.from(values);
        const want = newQ(c.dtype, x.length);
        quantizeStored(x, shape, q, c.layout, want);
        const got = newQ(c.dtype, x.length);
        quantizeStoredOn(engine(), x, shape, q, c.layout, got);
        expect(Array.from(got)).toEqual(Array.from(want));
      }),
      { numRuns: 300 },
    );
  });

  it("rounds ties to even, saturates, sends NaN to the low bound, in both layouts", () => {
    // 20 values (past one 16-lane vector), scale 0.5, zero point 3: x / 0.5 = 2x.
    const x = Float32Array.from([1.25, 1.75, -1.25, -0.75, 0.25, -0, NaN, Infinity, -Infinity, 1e9, -1e9, 62, 62.25, -65.75, -66, 0.5, 1, 1.5, 2, 2.5]);
    const int8 = [5, 7, 1, 1, 3, 3, -128, 127, -128, 127, -128, 127, 127, -128, -128, 4, 5, 6, 7, 8];
    const uint8 = [5, 7, 1, 1, 3, 3, 0, 255, 0, 255, 0, 127, 127, 0, 0, 4, 5, 6, 7, 8];
    for (const layout of ["HWC", "CHW"] as Layout[]) {
      for (const [dtype, want] of [["int8", int8], ["uint8", uint8]] as const) {
        const got = newQ(dtype, x.length);
        // One channel: both layouts store it contiguously; then 4 channels of 5 (HWC interleaves).
        quantizeStoredOn(engine(), x, [1, 1, 4, 5], { dtype, scale: 0.5, zeroPoint: 3 }, layout, got);
        expect(Array.from(got)).toEqual(want);
        const planes = newQ(dtype, x.length);
        quantizeStoredOn(engine(), x, [1, 4, 1, 5], { dtype, scale: 0.5, zeroPoint: 3 }, layout, planes);
        const stored = layout === "CHW" ? want : Array.from({ length: 20 }, (_, i) => want[(i % 4) * 5 + Math.floor(i / 4)]);
        expect(Array.from(planes)).toEqual(stored);
      }
    }
  });
});
