// The float32 emulation under the network ops: the fused multiply-add against exact rational
// arithmetic (BigInt), and the QLinearAdd / QuantizeLinear building blocks on their edge cases.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addWasm, addX86, addX86Constants, dequantizeValue, fma32, quantizeValue, requantizeOnnx, roundHalfEven } from "../src/network/arith.js";

const view = new DataView(new ArrayBuffer(8));

/** A finite double as (mantissa, exponent) with value = m * 2^e exactly. */
function exact(v: number): { m: bigint; e: number } {
  if (v === 0) return { m: 0n, e: 0 };
  view.setFloat64(0, v);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const sign = hi >>> 31 ? -1n : 1n;
  const ex = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (ex === 0) e = -1074;
  else {
    m |= 1n << 52n;
    e = ex - 1075;
  }
  return { m: sign * m, e };
}

/** Rounds the exact value m * 2^e to float32, ties to even (finite, normal and subnormal range). */
function toF32(m: bigint, e: number): number {
  if (m === 0n) return 0;
  const neg = m < 0n;
  let a = neg ? -m : m;
  // Normalize to 24 significant bits (or fewer for subnormals: minimum exponent -149).
  const bits = a.toString(2).length;
  let shift = bits - 24;
  if (e + shift < -149) shift = -149 - e;
  let q: bigint;
  if (shift > 0) {
    const s = BigInt(shift);
    q = a >> s;
    const rem = a - (q << s);
    const half = 1n << (s - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
    e += shift;
  } else {
    q = a << BigInt(-shift);
    e += shift;
  }
  a = q;
  const r = Number(a) * 2 ** e;
  return neg ? -r : r;
}

/** Exact float32 fma of an integer x and float32 y, z. */
function fmaExact(x: number, y: number, z: number): number {
  const ye = exact(y);
  const ze = exact(z);
  const pm = BigInt(x) * ye.m;
  const pe = ye.e;
  const e = Math.min(pe, ze.e);
  const sum = (pm << BigInt(pe - e)) + (ze.m << BigInt(ze.e - e));
  return toF32(sum, e);
}

const f32 = fc.float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-1e6), max: Math.fround(1e6) });

describe("float32 emulation", () => {
  it("fma32(x, y, z) is the exactly rounded float32 of x*y + z", () => {
    fc.assert(
      fc.property(fc.integer({ min: -65535, max: 65535 }), f32, f32, (x, y, z) => {
        expect(Object.is(fma32(x, y, z) + 0, fmaExact(x, y, z) + 0)).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });

  it("fma32 on constructed rounding midpoints (where rounding the double sum would be wrong)", () => {
    // y*x lands exactly half an ulp (of z) away plus a tiny term: the double sum rounds to the
    // midpoint, the exact sum does not.
    const cases: Array<[number, number, number]> = [];
    for (let k = 0; k < 200; k++) {
      const z = Math.fround(1 + k * 2 ** -20);
      const y = Math.fround(2 ** -24 + 2 ** -60 * (k + 1));
      cases.push([1, y, z], [3, Math.fround(y / 3 + 2 ** -70), z], [-1, y, -z], [255, Math.fround(2 ** -32 + 2 ** -77 * k), Math.fround(2 ** -17 * (k + 1))]);
    }
    for (const [x, y, z] of cases) expect(fma32(x, y, z)).toBe(fmaExact(x, y, z));
  });

  it("round half to even, requantization clamp, QuantizeLinear on NaN and infinities", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999999].map(roundHalfEven)).toEqual([0, 2, 2, 0, -2, -2, 2]);
    expect(requantizeOnnx(1000, 1, 5, -128, 127)).toBe(127);
    expect(requantizeOnnx(-1000, 1, 5, -128, 127)).toBe(-128);
    expect(requantizeOnnx(5, 0.5, 0, -128, 127)).toBe(2);
    expect(quantizeValue(NaN, 0.1, 3, 0, 255)).toBe(0);
    expect(quantizeValue(Infinity, 0.1, 3, 0, 255)).toBe(255);
    expect(quantizeValue(-Infinity, 0.1, 3, -128, 127)).toBe(-128);
    expect(quantizeValue(0.25, 0.5, 0, -128, 127)).toBe(0); // 0.5 -> even 0
    expect(quantizeValue(0.75, 0.5, 0, -128, 127)).toBe(2); // 1.5 -> 2
    expect(dequantizeValue(-128, Math.fround(0.1), 3)).toBe(Math.fround(-131 * Math.fround(0.1)));
  });

  it("QLinearAdd: the two roundings agree except near rounding boundaries", () => {
    const p = { sa: Math.fround(0.02), za: 3, sb: Math.fround(0.03), zb: -7, sc: Math.fround(0.05), zc: 1, lo: -128, hi: 127 };
    const { rA, rB, fixed } = addX86Constants(p);
    let differ = 0;
    for (let a = -128; a <= 127; a++) {
      for (let b = -128; b <= 127; b++) {
        const x = addX86(a, b, rA, rB, fixed, p.lo, p.hi);
        const w = addWasm(a, b, p);
        const real = (p.sa * (a - p.za) + p.sb * (b - p.zb)) / p.sc + p.zc;
        if (x !== w) {
          differ++;
          // Only where the real value is within a float32 rounding error of a .5 boundary.
          expect(Math.abs(Math.abs(real - Math.floor(real)) - 0.5)).toBeLessThan(1e-4);
        }
        expect(Math.abs(x - Math.min(127, Math.max(-128, real)))).toBeLessThanOrEqual(0.5 + 1e-4);
      }
    }
    expect(differ).toBeLessThan(64);
  });
});
