// ONNX Runtime's float32 arithmetic for the ops around the convolutions, emulated exactly in
// JavaScript doubles: every float32 operation is done in double and rounded once with
// `Math.fround`, which is the correctly rounded float32 result for +, -, *, / of float32 operands
// (53 >= 2*24 + 2). Fused multiply-adds, which round once over three operands, are done with an
// error-free transformation (see `fma32`).
import type { QDtype } from "./types.js";

const f32 = Math.fround;

export function qRange(dtype: QDtype): [number, number] {
  return dtype === "int8" ? [-128, 127] : [0, 255];
}

/** Round half to even (`nearbyintf` / `cvtps2dq` in the default rounding mode). */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** MLAS requantization (QLinearConv, QLinearMatMul, QGemm, QLinearGlobalAveragePool), SPEC §3 `onnx`:
 * `v = f32(f32(acc) * scale)`, clamped to `[lo - zp, hi - zp]`, rounded half to even, plus `zp`. */
export function requantizeOnnx(acc: number, scale: number, zp: number, lo: number, hi: number): number {
  let v = f32(f32(acc) * scale);
  if (v < lo - zp) v = lo - zp;
  else if (v > hi - zp) v = hi - zp;
  return roundHalfEven(v) + zp;
}

const bits = new DataView(new ArrayBuffer(4));

/** The next float32 above `x` (x a finite float32). */
function nextUp32(x: number): number {
  if (x === 0) return 2 ** -149;
  bits.setFloat32(0, x);
  const b = bits.getInt32(0);
  bits.setInt32(0, x > 0 ? b + 1 : b - 1);
  return bits.getFloat32(0);
}

/**
 * float32 fused multiply-add `round32(x*y + z)` with one rounding, for float32 `y`, `z` and an
 * integer `x` with |x| < 2^16 (so `x*y` is exact in a double). The double sum `s` and its exact
 * error `e` (TwoSum) give the true value `s + e`; rounding `s` to float32 is correct unless `s` lies
 * exactly on a float32 rounding midpoint, where the sign of `e` decides.
 */
export function fma32(x: number, y: number, z: number): number {
  const p = x * y;
  const s = p + z;
  const bb = s - p;
  const e = p - (s - bb) + (z - bb);
  const r = f32(s);
  if (e === 0 || r === s) return r;
  const lo = r < s ? r : -nextUp32(-r);
  const hi = r > s ? r : nextUp32(r);
  if ((lo + hi) / 2 !== s) return r;
  return e > 0 ? hi : lo;
}

/** MLAS QuantizeLinear: `clamp(x / scale, lo - zp, hi - zp)` in float32, rounded half to even, plus `zp`. */
export function quantizeValue(x: number, scale: number, zp: number, lo: number, hi: number): number {
  let v = f32(x / scale);
  // NaN: MAXPS/MINPS return their second operand, i.e. the clamp bound (lo - zp first, then it stays).
  if (!(v >= lo - zp)) v = lo - zp;
  else if (v > hi - zp) v = hi - zp;
  return roundHalfEven(v) + zp;
}

/** DequantizeLinear: `f32((q - zp) * scale)`. */
export function dequantizeValue(q: number, scale: number, zp: number): number {
  return f32((q - zp) * scale);
}

/** Per-call constants of QLinearAdd. */
export interface AddParams {
  sa: number;
  za: number;
  sb: number;
  zb: number;
  sc: number;
  zc: number;
  lo: number;
  hi: number;
}

/**
 * One QLinearAdd output, ONNX Runtime x86-64 (MLAS AVX2 kernel `MlasQLinearAddKernelAvx2Helper`):
 * with `rA = f32(sa/sc)`, `rB = f32(sb/sc)` and `fixed = f32(zc - fma(rA, za, f32(rB*zb)))` (the
 * compiler contracts `rA*za + rB*zb` into one fused multiply-add; established against ORT by
 * tests), each output is `fma(a, rA, fma(b, rB, fixed))` on the raw (not zero-point-shifted)
 * inputs, rounded half to even and saturated.
 */
export function addX86Constants(p: AddParams): { rA: number; rB: number; fixed: number } {
  const rA = f32(p.sa / p.sc);
  const rB = f32(p.sb / p.sc);
  const fixed = f32(p.zc - fma32(p.za, rA, f32(rB * p.zb)));
  return { rA, rB, fixed };
}

export function addX86(a: number, b: number, rA: number, rB: number, fixed: number, lo: number, hi: number): number {
  const v = roundHalfEven(fma32(a, rA, fma32(b, rB, fixed)));
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * x86 with input A a single element over the span (broadcast, e.g. [1,C,1,1] + [1,C,H,W]): the
 * kernel first folds A into the fixed part (`fma(a, rA, fixed)`: the compiler contracts the
 * intrinsics' multiply and add), then `fma(b, rB, ...)`. (A single-element B gives the general
 * formula: `fma(a, rA, fma(b, rB, fixed))`.)
 */
export function addX86ScalarA(a: number, b: number, rA: number, rB: number, fixed: number, lo: number, hi: number): number {
  const v = roundHalfEven(fma32(b, rB, fma32(a, rA, fixed)));
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * One QLinearAdd output, ONNX Runtime WebAssembly (MLAS portable C++ `MlasQLinearAddKernelRawHelper`):
 * `c = f32(f32(f32(sa*(a-za)) + f32(sb*(b-zb))) / sc)`, clamped to `[lo - zc, hi - zc]`, then
 * `nearbyint(f32(c + zc))` (the zero point is added in float32 before rounding).
 */
export function addWasm(a: number, b: number, p: AddParams): number {
  const va = f32(p.sa * (a - p.za));
  const vb = f32(p.sb * (b - p.zb));
  let c = f32(f32(va + vb) / p.sc);
  if (c < p.lo - p.zc) c = p.lo - p.zc;
  else if (c > p.hi - p.zc) c = p.hi - p.zc;
  return roundHalfEven(f32(c + p.zc));
}
