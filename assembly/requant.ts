// Requantization: int32 accumulators -> output bytes, one loop per scheme of SPEC §3.
//
// The kernels accumulate into an int32 buffer and call `requantStore` once per row (or pixel
// chunk), so each scheme is written once and shared by depthwise and pointwise, by every layout
// and by every tile of the scratchpad model. The parameters come in a small header of i32 words
// written by the host (see `src/wasm/params.ts`, which must agree with the offsets below).

/** Scheme ids, shared with the host. */
export const TFLITE_DOUBLE = 0;
export const TFLITE_SINGLE = 1;
export const ONNX = 2;
export const PULP_BN = 3;
export const PULP_QUANT = 4;
export const PULP_SHIFT = 5;
export const GAP_SQ8 = 6;

// Header word offsets (bytes). Per-channel arrays are pointers so a tile can address a channel range.
const H_SCHEME = 0;
const H_OUT_ZP = 4;
const H_MIN = 8;
const H_MAX = 12;
const H_SHIFT = 16; // pulp-*: the right shift d
const H_MULT = 20; // pulp-quant: int16 multiplier
const H_RELU = 24; // gap-sq8
const H_ACT_SCALE = 28; // gap-sq8
const H_ACT_NORM = 32; // gap-sq8
/** int32 bias per output channel (gap-sq8: already shifted by biasNorm), or 0 for none. */
export const H_BIAS = 36;
const H_PA = 40; // tflite: multiplier i32[]; onnx: scale f32[]; pulp-bn: k i32[]; gap-sq8: scale u8[]
const H_PB = 44; // tflite: shift i32[]; pulp-bn: lambda i32[]; gap-sq8: norm u8[]

@inline function clampI32(v: i32, lo: i32, hi: i32): i32 {
  return v < lo ? lo : v > hi ? hi : v;
}

@inline function clipU8(v: i32): i32 {
  return v <= 0 ? 0 : v >= 255 ? 255 : v;
}

/** gemmlowp double rounding: SRDHM then a rounding (half away from zero) right shift. */
@inline function tfliteDouble(acc: i32, m: i32, s: i32): i32 {
  const left = s > 0 ? s : 0;
  const right = s > 0 ? 0 : -s;
  const a = acc << left; // int32 wrap, as the C++ multiply by (1 << left) does in practice
  let h: i32;
  if (a == i32.MIN_VALUE && m == i32.MIN_VALUE) h = i32.MAX_VALUE;
  else h = <i32>((<i64>a * <i64>m + (<i64>1 << 30)) >> 31);
  const mask = (1 << right) - 1;
  const rem = h & mask;
  const threshold = (mask >> 1) + (h < 0 ? 1 : 0);
  return (h >> right) + (rem > threshold ? 1 : 0);
}

/** TFLITE_SINGLE_ROUNDING: one 64-bit rounding shift; the result is cast to int32 as TFLite does. */
@inline function tfliteSingle(acc: i32, m: i32, s: i32): i32 {
  const total = 31 - s;
  return <i32>((<i64>acc * <i64>m + (<i64>1 << (total - 1))) >> total);
}

/**
 * Requantizes `n` pixels of `C` channels. The accumulator of pixel p, channel c is at
 * `acc + (p*accStride + c)*4`; its byte goes to `dst + p*pxStride + c*chStride`.
 */
export function requantStore(
  acc: usize, accStride: i32, n: i32, C: i32,
  dst: usize, pxStride: i32, chStride: i32, hdr: usize,
): void {
  const scheme = load<i32>(hdr, H_SCHEME);
  const zp = load<i32>(hdr, H_OUT_ZP);
  const lo = load<i32>(hdr, H_MIN);
  const hi = load<i32>(hdr, H_MAX);
  const d = load<i32>(hdr, H_SHIFT);
  const pa = load<usize>(hdr, H_PA);
  const pb = load<usize>(hdr, H_PB);
  for (let p = 0; p < n; p++) {
    const a = acc + <usize>(p * accStride) * 4;
    const o = dst + <usize>(p * pxStride);
    if (scheme == TFLITE_DOUBLE) {
      for (let c = 0; c < C; c++) {
        const r = tfliteDouble(load<i32>(a + (<usize>c << 2)), load<i32>(pa + (<usize>c << 2)), load<i32>(pb + (<usize>c << 2)));
        store<u8>(o + <usize>(c * chStride), clampI32(r + zp, lo, hi));
      }
    } else if (scheme == TFLITE_SINGLE) {
      for (let c = 0; c < C; c++) {
        const r = tfliteSingle(load<i32>(a + (<usize>c << 2)), load<i32>(pa + (<usize>c << 2)), load<i32>(pb + (<usize>c << 2)));
        store<u8>(o + <usize>(c * chStride), clampI32(r + zp, lo, hi));
      }
    } else if (scheme == ONNX) {
      const fmin = <f32>(lo - zp);
      const fmax = <f32>(hi - zp);
      for (let c = 0; c < C; c++) {
        let v = <f32>load<i32>(a + (<usize>c << 2)) * load<f32>(pa + (<usize>c << 2));
        v = min<f32>(max<f32>(v, fmin), fmax);
        store<u8>(o + <usize>(c * chStride), <i32>nearest<f32>(v) + zp);
      }
    } else if (scheme == PULP_BN) {
      for (let c = 0; c < C; c++) {
        const t = load<i32>(pa + (<usize>c << 2)) * load<i32>(a + (<usize>c << 2)) + load<i32>(pb + (<usize>c << 2));
        store<u8>(o + <usize>(c * chStride), clipU8(t >> d));
      }
    } else if (scheme == PULP_QUANT) {
      const m = load<i32>(hdr, H_MULT);
      for (let c = 0; c < C; c++) {
        const t = <i32><i16>((m * load<i32>(a + (<usize>c << 2))) >> d); // PULP-NN keeps an int16
        store<u8>(o + <usize>(c * chStride), clipU8(t));
      }
    } else if (scheme == PULP_SHIFT) {
      for (let c = 0; c < C; c++) {
        store<u8>(o + <usize>(c * chStride), clipU8(load<i32>(a + (<usize>c << 2)) >> d));
      }
    } else {
      // GAP_SQ8: scale and round half up, optional scaled ReLU, clamp last.
      const relu = load<i32>(hdr, H_RELU) != 0;
      const actScale = load<i32>(hdr, H_ACT_SCALE);
      const actNorm = load<i32>(hdr, H_ACT_NORM);
      const actRound = actNorm > 0 ? 1 << (actNorm - 1) : 0;
      for (let c = 0; c < C; c++) {
        const s = <i32>load<u8>(pa + <usize>c);
        const nrm = <i32>load<u8>(pb + <usize>c);
        let t = (load<i32>(a + (<usize>c << 2)) * s + (nrm > 0 ? 1 << (nrm - 1) : 0)) >> nrm;
        if (relu) t = ((t > 0 ? t : 0) * actScale + actRound) >> actNorm;
        store<u8>(o + <usize>(c * chStride), clampI32(t, -128, 127));
      }
    }
  }
}

/** Copies the bias (or zeros) into `dst` as `n` int32 values followed by zeros up to `padded`. */
export function loadBias(hdr: usize, dst: usize, n: i32, padded: i32): void {
  const bias = load<usize>(hdr, H_BIAS);
  if (bias != 0) memory.copy(dst, bias, <usize>n << 2);
  else memory.fill(dst, 0, <usize>n << 2);
  memory.fill(dst + (<usize>n << 2), 0, <usize>(padded - n) << 2);
}
