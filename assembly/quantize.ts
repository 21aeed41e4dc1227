// QuantizeLinear of float32 activations (a network's float input), as ONNX Runtime computes it
// on x86: the quotient x / scale in float32, clamped to [lo - zp, hi - zp] (NaN takes the low
// bound: MAXPS returns its second operand), rounded half to even, plus the zero point. The scalar
// build gives the same bytes value by value.

/** 1.5 * 2^23: adding it rounds a float32 of magnitude below 2^22 to an integer, ties to even. */
const MAGIC: f32 = 12582912.0;

/**
 * Quantizes `n` float32 values at `src` into bytes at `dst`, `dstStride` bytes apart: int8 or,
 * if `unsigned`, uint8 in [lo, hi] (integers of the type, lo <= zp <= hi).
 */
export function quantizeF32(src: usize, n: i32, scale: f32, zp: i32, lo: i32, hi: i32, unsigned: bool, dst: usize, dstStride: i32): void {
  const flo = <f32>(lo - zp), fhi = <f32>(hi - zp);
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const s = f32x4.splat(scale);
    const vlo = f32x4.splat(flo), vhi = f32x4.splat(fhi);
    const magic = f32x4.splat(MAGIC);
    // The integer is the float's bits minus MAGIC's; the zero point is added in the same step.
    const mzp = i32x4.splat(reinterpret<i32>(MAGIC) - zp);
    for (; i + 16 <= n; i += 16) {
      const p = src + (<usize>i << 2);
      const r0 = quantize4(v128.load(p), s, vlo, vhi, magic, mzp);
      const r1 = quantize4(v128.load(p, 16), s, vlo, vhi, magic, mzp);
      const r2 = quantize4(v128.load(p, 32), s, vlo, vhi, magic, mzp);
      const r3 = quantize4(v128.load(p, 48), s, vlo, vhi, magic, mzp);
      // Values inside the type: the saturating narrows are exact.
      const ab = i16x8.narrow_i32x4_s(r0, r1), cd = i16x8.narrow_i32x4_s(r2, r3);
      const bytes = unsigned ? i8x16.narrow_i16x8_u(ab, cd) : i8x16.narrow_i16x8_s(ab, cd);
      const o = dst + <usize>(i * dstStride);
      if (dstStride == 1) v128.store(o, bytes);
      else storeStrided(o, bytes, <usize>dstStride);
    }
  }
  for (; i < n; i++) {
    let v = load<f32>(src + (<usize>i << 2)) / scale;
    if (!(v >= flo)) v = flo;
    else if (v > fhi) v = fhi;
    store<u8>(dst + <usize>(i * dstStride), <u8>(<i32>nearest<f32>(v) + zp));
  }
}

/** Four values: the quotient clamped (NaN to the low bound: `pmax` returns its first operand), rounded, plus zp. */
@inline function quantize4(x: v128, s: v128, vlo: v128, vhi: v128, magic: v128, mzp: v128): v128 {
  const v = f32x4.pmin(f32x4.pmax(vlo, f32x4.div(x, s)), vhi);
  return i32x4.sub(f32x4.add(v, magic), mzp);
}

/** The 16 bytes of `v` at `o`, `o + stride`, ... */
@inline function storeStrided(o: usize, v: v128, stride: usize): void {
  v128.store8_lane(o, v, 0);
  v128.store8_lane(o + stride, v, 1);
  v128.store8_lane(o + 2 * stride, v, 2);
  v128.store8_lane(o + 3 * stride, v, 3);
  v128.store8_lane(o + 4 * stride, v, 4);
  v128.store8_lane(o + 5 * stride, v, 5);
  v128.store8_lane(o + 6 * stride, v, 6);
  v128.store8_lane(o + 7 * stride, v, 7);
  v128.store8_lane(o + 8 * stride, v, 8);
  v128.store8_lane(o + 9 * stride, v, 9);
  v128.store8_lane(o + 10 * stride, v, 10);
  v128.store8_lane(o + 11 * stride, v, 11);
  v128.store8_lane(o + 12 * stride, v, 12);
  v128.store8_lane(o + 13 * stride, v, 13);
  v128.store8_lane(o + 14 * stride, v, 14);
  v128.store8_lane(o + 15 * stride, v, 15);
}
