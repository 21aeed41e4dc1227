// The fast TFLite integer primitives (no BigInt, used on every accumulator of the TFLite-family
// targets) against the BigInt definitions of SPEC §3, on edge values and on random int32 pairs.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { rdbpot as rdbpotRef, srdhm as srdhmRef, tfliteDoubleRound } from "../src/reference/requant.js";
import { mulByQuantMul, rdbpot, srdhm } from "../src/targets/tflite/arith.js";

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const EDGES = [
  INT32_MIN, INT32_MIN + 1, INT32_MIN + 2, -(2 ** 30) - 1, -(2 ** 30), -(2 ** 30) + 1, -65537, -65536, -65535, -32769, -32768, -32767,
  -2, -1, 0, 1, 2, 32767, 32768, 65535, 65536, 65537, 2 ** 30 - 1, 2 ** 30, 2 ** 30 + 1, INT32_MAX - 1, INT32_MAX,
];
const int32 = fc.integer({ min: INT32_MIN, max: INT32_MAX });
/** Values that are products of int8 taps or sit near the rounding boundaries of SRDHM. */
const interesting = fc.oneof(int32, fc.constantFrom(...EDGES), fc.integer({ min: -(2 ** 20), max: 2 ** 20 }));

describe("srdhm (exact without BigInt)", () => {
  test("every pair of edge values", () => {
    for (const a of EDGES) for (const b of EDGES) expect([a, b, srdhm(a, b)]).toEqual([a, b, srdhmRef(a, b)]);
  });

  test("random int32 pairs", () => {
    fc.assert(fc.property(interesting, interesting, (a, b) => srdhm(a, b) === srdhmRef(a, b)), { numRuns: 20000 });
  });

  test("products exactly at a rounding tie: (a*b) mod 2^31 = 2^30", () => {
    // b = 2^k makes a*b = a * 2^k; a ≡ 2^(30-k) mod 2^(31-k) puts the low 31 bits at the tie.
    for (let k = 0; k <= 30; k++) {
      for (const q of [-5, -1, 0, 1, 7]) {
        const a = q * 2 ** (31 - k) + 2 ** (30 - k);
        if (a < INT32_MIN || a > INT32_MAX) continue;
        expect(srdhm(a, 2 ** k)).toBe(srdhmRef(a, 2 ** k));
        expect(srdhm(2 ** k, a)).toBe(srdhmRef(2 ** k, a));
      }
    }
  });
});

describe("rdbpot and MultiplyByQuantizedMultiplier", () => {
  test("rdbpot on random values and every exponent", () => {
    fc.assert(fc.property(interesting, fc.integer({ min: 0, max: 31 }), (x, e) => rdbpot(x, e) === rdbpotRef(x, e)), { numRuns: 20000 });
  });

  test("mulByQuantMul matches the reference double rounding for valid multipliers and shifts", () => {
    const multiplier = fc.oneof(fc.constant(0), fc.integer({ min: 2 ** 30, max: INT32_MAX }));
    fc.assert(
      fc.property(interesting, multiplier, fc.integer({ min: -31, max: 30 }), (x, m, s) => mulByQuantMul(x, m, s) === tfliteDoubleRound(x, m, s)),
      { numRuns: 20000 },
    );
  });
});
