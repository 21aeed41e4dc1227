// Requantization: int32 accumulators -> output bytes, one arithmetic per scheme of SPEC §3.
//
// The kernels accumulate into small int32 blocks and hand them here, so each scheme is written once
// and shared by depthwise and pointwise, by every layout and by every tile of the scratchpad model.
// The parameters come in a header of i32 words written by the host (see `src/wasm/params.ts`).
//
// A kernel calls `prepareRequant` once, then `requantPixels` (accumulators channel-fastest: SIMD
// over channels, per-channel parameters as vectors) or `requantChannels` (pixel-fastest: SIMD over
// pixels, one channel's parameters splatted). `prepareRequant` turns the per-channel parameters
// into a table of the vectors the SIMD arithmetic wants (powers of two instead of shift counts,
// since WebAssembly SIMD shifts every lane by the same amount). The scalar build reads the header's
// arrays directly and gives the same bytes.

import { roundUp } from "./pack";
import { CHANNELS_ANY, CHANNELS_WIDE, PIXELS_ANY, PIXELS_WIDE } from "./generated/dispatch";
import {
  GAP_SQ8, H_ACT_NORM, H_ACT_SCALE, H_BIAS, H_MAX, H_MIN, H_MULT, H_OUT_ZP, H_PA, H_PB, H_RELU, H_SCHEME, H_SHIFT,
  ONNX, ONNX_FAST, ONNX_FAST_FULL, PULP_BN, PULP_QUANT, PULP_SHIFT, TFLITE_DOUBLE, TFLITE_DOUBLE_CLAMP, TFLITE_DOUBLE_FAST, TFLITE_SINGLE, TFLITE_SINGLE_CLAMP, TFLITE_SINGLE_FAST,
} from "./generated/interface";

// The kernel ids (TFLITE_DOUBLE, ...) and the header's word offsets (H_*) are generated with the
// host's copy from one declaration (scripts/gen-interface.mjs). Per-channel arrays in the header
// are pointers so a tile can address a channel range: H_PA is tflite's multiplier i32[], onnx's
// scale f32[], pulp-bn's k i32[], gap-sq8's scale u8[]; H_PB tflite's shift i32[], pulp-bn's
// lambda i32[], gap-sq8's norm u8[]. ONNX_FAST is ONNX when no accumulator of the call can leave
// the float rounding's range (see `onnxFastV`), ONNX_FAST_FULL that when [min, max] is also the
// output type's whole range: the kernels choose them, the host never writes them.
// TFLITE_{DOUBLE,SINGLE}_{FAST,CLAMP} are TFLITE_DOUBLE / TFLITE_SINGLE computed as one rounding
// of a pre-scaled product (see `prepareTflFast`), chosen the same way.

/** Planes of the derived parameter table (i32 each, one entry per channel). */
const PLANES = 7;

// The call's scalars as vectors, after the table (byte offsets from gSplats). The loops load them
// once; built inside a loop function, V8 recomputes splats in the loop body instead.
const K_ZP = 0;
const K_LO = 16;
const K_HI = 32;
const K_FMIN = 48;
const K_FMAX = 64;
const K_MZP = 80;
const K_MAGIC = 96;
const K_BLO = 112;
const K_BHI = 128;
const K_FLIP = 144;
const K_MULT = 160;
const K_ACT_SCALE = 176;
const K_ACT_ROUND = 192;
const SPLATS = 13;

// The prepared call: scalars of the header and the derived table (module globals: the kernels
// never allocate, and a kernel call prepares once before any store).
let gScheme = 0;
let gZp = 0;
let gLo = 0;
let gHi = 0;
let gD = 0;
let gMult = 0;
let gRelu = false;
let gActScale = 0;
let gActNorm = 0;
let gActRound = 0;
let gPa: usize = 0;
let gPb: usize = 0;
/** Output bytes are unsigned (values may exceed 127): narrow with unsigned saturation. */
let gUnsigned = false;
let gTable: usize = 0;
/** Bytes between two planes of the table. */
let gPlane: usize = 0;
/** 16 bytes for partial stores. */
let gTemp: usize = 0;
/** The splatted scalars (K_*). */
let gSplats: usize = 0;
/** ONNX: the call's accumulators all round exactly without the float clamp (see `onnxFastV`). */
let gOnnxFast = false;
/** ONNX: [min, max] is the output type's whole range, so the saturating narrows are the clamp. */
let gOnnxFull = false;
/** The loops' kernel id: the scheme's, or the faster form `prepareRequant` chose for this call. */
let gKernel = 0;
/** tflite fast forms: E - 1, where 2^(31+E) divides the pre-scaled product (see `prepareTflFast`). */
let gTflShift = 0;

/** Bytes of the table `prepareRequant` fills for C channels (plus a 16-byte temporary and the splats). */
export function requantTableBytes(C: i32): usize {
  return <usize>PLANES * <usize>roundUp(C + 16, 16) * 4 + 16 + SPLATS * 16;
}

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
 * A bound on |accumulator - bias| of a kernel whose outputs each sum `terms` products of an int8
 * weight (|w| <= 128) and an input minus its zero point.
 */
export function productsBound(terms: i32, signed: bool, zp: i32): f64 {
  const lo = signed ? -128 : 0, hi = signed ? 127 : 255;
  const x = Math.max(Math.abs(<f64>(lo - zp)), Math.abs(<f64>(hi - zp)));
  return <f64>terms * 128 * x;
}

/**
 * Reads the header at `hdr` and, in the SIMD build, derives the parameter table of channels
 * [0, C) at `tbl` (`requantTableBytes(C)` bytes). `bound` is the kernel's `productsBound`. Must
 * precede every `requantPixels` / `requantChannels` of a kernel call.
 */
export function prepareRequant(hdr: usize, C: i32, tbl: usize, bound: f64): void {
  gScheme = load<i32>(hdr, H_SCHEME);
  gZp = load<i32>(hdr, H_OUT_ZP);
  gLo = load<i32>(hdr, H_MIN);
  gHi = load<i32>(hdr, H_MAX);
  gD = load<i32>(hdr, H_SHIFT);
  gMult = load<i32>(hdr, H_MULT);
  gRelu = load<i32>(hdr, H_RELU) != 0;
  gActScale = load<i32>(hdr, H_ACT_SCALE);
  gActNorm = load<i32>(hdr, H_ACT_NORM);
  gActRound = gActNorm > 0 ? 1 << (gActNorm - 1) : 0;
  gPa = load<usize>(hdr, H_PA);
  gPb = load<usize>(hdr, H_PB);
  const s = gScheme;
  gUnsigned = s == PULP_BN || s == PULP_QUANT || s == PULP_SHIFT || ((s == TFLITE_DOUBLE || s == TFLITE_SINGLE || s == ONNX) && gHi > 127);
  const Ct = roundUp(C + 16, 16);
  gTable = tbl;
  gPlane = <usize>Ct * 4;
  gTemp = tbl + <usize>PLANES * gPlane;
  gSplats = gTemp + 16;
  gOnnxFast = false;
  gKernel = s;
  if (!ASC_FEATURE_SIMD) return;
  if (s == ONNX) gOnnxFast = onnxBounded(load<usize>(hdr, H_BIAS), C, bound);
  // ONNX's unsigned outputs are computed 128 lower, as signed bytes (see `outputBytes`).
  const down = s == ONNX && gUnsigned ? 128 : 0;
  gOnnxFull = gLo - down == -128 && gHi - down == 127;
  const k = gSplats;
  v128.store(k, i32x4.splat(gZp), K_ZP);
  v128.store(k, i32x4.splat(gLo), K_LO);
  v128.store(k, i32x4.splat(gHi), K_HI);
  v128.store(k, f32x4.splat(<f32>(gLo - gZp)), K_FMIN);
  v128.store(k, f32x4.splat(<f32>(gHi - gZp)), K_FMAX);
  v128.store(k, i32x4.splat(reinterpret<i32>(MAGIC) - gZp + down), K_MZP);
  v128.store(k, f32x4.splat(MAGIC), K_MAGIC);
  v128.store(k, i8x16.splat(<i8>(gLo - down)), K_BLO);
  v128.store(k, i8x16.splat(<i8>(gHi - down)), K_BHI);
  v128.store(k, i8x16.splat(<i8>down), K_FLIP);
  v128.store(k, i32x4.splat(gMult), K_MULT);
  v128.store(k, i32x4.splat(gActScale), K_ACT_SCALE);
  v128.store(k, i32x4.splat(gActRound), K_ACT_ROUND);
  // Lanes past C get harmless values (the stores never write them).
  memory.fill(tbl, 0, <usize>PLANES * gPlane);
  const pl = gPlane;
  if ((s == TFLITE_DOUBLE || s == TFLITE_SINGLE) && prepareTflFast(load<usize>(hdr, H_BIAS), C, bound, s == TFLITE_SINGLE)) return;
  for (let c = 0; c < C; c++) {
    const t = tbl + (<usize>c << 2);
    if (s == TFLITE_DOUBLE) {
      const sh = load<i32>(gPb + (<usize>c << 2));
      const left = sh > 0 ? sh : 0;
      const right = sh > 0 ? 0 : -sh;
      store<i32>(t, 1 << left); // a = acc * 2^left (wraps like the shift)
      store<i32>(t + pl, load<i32>(gPa + (<usize>c << 2)));
      store<i32>(t + 2 * pl, right > 0 ? 1 << (31 - right) : 0); // h >> right = (h * 2^(31-right)) >> 31
      store<i32>(t + 3 * pl, right == 0 ? -1 : 0); // ... which needs right >= 1
      store<i32>(t + 4 * pl, (1 << right) - 1); // the remainder's mask
      store<i32>(t + 5 * pl, ((1 << right) - 1) >> 1);
    } else if (s == TFLITE_SINGLE) {
      store<i32>(t, load<i32>(gPa + (<usize>c << 2)));
      store<i32>(t + pl, 31 - load<i32>(gPb + (<usize>c << 2)));
    } else if (s == ONNX) {
      store<i32>(t, load<i32>(gPa + (<usize>c << 2)));
    } else if (s == PULP_BN) {
      store<i32>(t, load<i32>(gPa + (<usize>c << 2)));
      store<i32>(t + pl, load<i32>(gPb + (<usize>c << 2)));
    } else if (s == GAP_SQ8) {
      const n = <i32>load<u8>(gPb + <usize>c);
      store<i32>(t, <i32>load<u8>(gPa + <usize>c));
      store<i32>(t + pl, n > 0 ? 1 << (n - 1) : 0);
      store<i32>(t + 2 * pl, n > 0 ? 1 << (31 - n) : 0);
      store<i32>(t + 3 * pl, n == 0 ? -1 : 0);
    }
  }
}

/**
 * tflite's roundings as one (`tflFastV`), when every channel shifts right by e in 1..19: fills
 * the table (2^d, M, K as i64, G, B, -B per channel), sets gKernel and gTflShift, and returns
 * true; false leaves the general form (left shifts, shift 0, e > 19).
 *
 * gemmlowp computes h = floor((a*M + 2^30) / 2^31), then r = floor((h + 2^(e-1) - [h < 0]) / 2^e)
 * (e >= 1; r = h for e = 0). Both floors fold into one: r = floor((a*M + 2^30 + 2^(30+e)
 * - [h<0]*2^31) / 2^(31+e)), and [h < 0] may be read as [a < 0] (they differ only where h = 0,
 * whose result is 0 either way). The divisor differs per channel, and WebAssembly shifts every
 * lane by one amount: scaling a by 2^d, d = E - e with one E for the call, makes it 2^(31+E) for
 * every channel. Then r + zp = floor((hi32(a*2^d*M + K) - [a < 0]*2^(d-1)) / 2^(E-1)), with
 * K = 2^(30+d) + 2^(30+E) + zp*2^(31+E). The zero point comes free: with e >= 1, |r| <= 2^30, so the int32 add `r + zp` of TFLite cannot wrap (with e = 0
 * it can, and a wrapped sum is what TFLite outputs: those channels stay on the general form, as
 * do left shifts, whose wrapped products reach that range). [a<0]*2^(31+d) is a multiple of 2^32
 * since d >= 1. a*2^d must not wrap, so |a| <= B = 2^(30-d): `-clamp` clamps a to [-B, B], which
 * changes no output since E <= 20 puts B >= 2^(10+e) and any |a| >= 2^(10+e) gives |r| >= 511
 * whatever M in [2^30, 2^31), saturating the same way; `-fast` is chosen when |bias| + bound < B
 * for every channel, so that no accumulator reaches B.
 *
 * TFLITE_SINGLE_ROUNDING is r = floor((a*M + 2^(30+e)) / 2^(31+e)) (its int32 cast keeps r whole
 * for e >= 1), the same with K = 2^(30+E) + zp*2^(31+E) and no sign correction (G = 0).
 */
function prepareTflFast(bias: usize, C: i32, bound: f64, single: bool): bool {
  let eMax = 0;
  for (let c = 0; c < C; c++) {
    const e = -load<i32>(gPb + (<usize>c << 2));
    if (e < 1 || e > 19) return false;
    if (e > eMax) eMax = e;
  }
  const E = eMax + 1;
  const tbl = gTable, pl = gPlane;
  let clampFree = true;
  for (let c = 0; c < C; c++) {
    const t = tbl + (<usize>c << 2);
    const e = -load<i32>(gPb + (<usize>c << 2));
    const d = E - e;
    const B = 1 << (30 - d);
    store<i32>(t, 1 << d);
    store<i32>(t + pl, load<i32>(gPa + (<usize>c << 2)));
    store<i64>(tbl + 2 * pl + (<usize>c << 3), (single ? 0 : <i64>1 << (30 + d)) + (<i64>1 << (30 + E)) + (<i64>gZp << (31 + E)));
    store<i32>(t + 4 * pl, single ? 0 : 1 << (d - 1));
    store<i32>(t + 5 * pl, B);
    store<i32>(t + 6 * pl, -B);
    const b = bias != 0 ? Math.abs(<f64>load<i32>(bias + (<usize>c << 2))) : 0;
    if (b + bound >= <f64>B) clampFree = false;
  }
  gTflShift = E - 1;
  gKernel = single ? (clampFree ? TFLITE_SINGLE_FAST : TFLITE_SINGLE_CLAMP) : clampFree ? TFLITE_DOUBLE_FAST : TFLITE_DOUBLE_CLAMP;
  return true;
}

/**
 * Whether every channel's |f32(acc) * scale| stays below 2^22 (where adding MAGIC rounds exactly),
 * with room to spare for the two float roundings: |acc| <= |bias| + bound.
 */
function onnxBounded(bias: usize, C: i32, bound: f64): bool {
  for (let c = 0; c < C; c++) {
    const b = bias != 0 ? Math.abs(<f64>load<i32>(bias + (<usize>c << 2))) : 0;
    if ((b + bound) * Math.abs(<f64>load<f32>(gPa + (<usize>c << 2))) >= <f64>(1 << 21)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Scalar arithmetic (the scalar build, and lanes the SIMD build cannot do as vectors)

/** One accumulator of channel `c` to its output value (already clamped to the output range). */
@inline function rqScalar(a: i32, c: i32): i32 {
  const s = gScheme;
  if (s == TFLITE_DOUBLE) {
    return clampI32(tfliteDouble(a, load<i32>(gPa + (<usize>c << 2)), load<i32>(gPb + (<usize>c << 2))) + gZp, gLo, gHi);
  } else if (s == TFLITE_SINGLE) {
    return clampI32(tfliteSingle(a, load<i32>(gPa + (<usize>c << 2)), load<i32>(gPb + (<usize>c << 2))) + gZp, gLo, gHi);
  } else if (s == ONNX) {
    let v = <f32>a * load<f32>(gPa + (<usize>c << 2));
    v = min<f32>(max<f32>(v, <f32>(gLo - gZp)), <f32>(gHi - gZp));
    return <i32>nearest<f32>(v) + gZp;
  } else if (s == PULP_BN) {
    return clipU8((load<i32>(gPa + (<usize>c << 2)) * a + load<i32>(gPb + (<usize>c << 2))) >> gD);
  } else if (s == PULP_QUANT) {
    return clipU8(<i32><i16>((gMult * a) >> gD)); // PULP-NN keeps an int16
  } else if (s == PULP_SHIFT) {
    return clipU8(a >> gD);
  }
  // GAP_SQ8: scale and round half up, optional scaled ReLU, clamp last.
  const sc = <i32>load<u8>(gPa + <usize>c);
  const nrm = <i32>load<u8>(gPb + <usize>c);
  let t = (a * sc + (nrm > 0 ? 1 << (nrm - 1) : 0)) >> nrm;
  if (gRelu) t = ((t > 0 ? t : 0) * gActScale + gActRound) >> gActNorm;
  return clampI32(t, -128, 127);
}

/**
 * Scalar requantization of `n` pixels x `cn` channels starting at channel `c0`: the accumulator
 * of (pixel p, channel c0 + j) is at `acc + (p*accPx + j*accCh)*4`; its byte goes to
 * `dst + p*pxStride + (c0 + j)*chStride`.
 */
function requantScalar(acc: usize, accPx: i32, accCh: i32, n: i32, c0: i32, cn: i32, dst: usize, pxStride: i32, chStride: i32): void {
  for (let p = 0; p < n; p++) {
    const a = acc + <usize>(p * accPx) * 4;
    const o = dst + <usize>(p * pxStride);
    for (let j = 0; j < cn; j++) {
      store<u8>(o + <usize>((c0 + j) * chStride), rqScalar(load<i32>(a + <usize>(j * accCh) * 4), c0 + j));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// SIMD arithmetic: four accumulators with their channels' parameters as vectors.
//
// The loops below are written once and instantiated per scheme: `scheme` is a literal at every
// call of the @inline loop bodies, so the optimizer folds the scheme tests away and each scheme
// gets its own straight-line inner loop, in a function of its own (see the tables further down).

/** The high 32 bits of each 64-bit lane of (x << 1), i.e. bits 31..62: `(x >> 31)` as int32. */
@inline function hi31(lo: v128, hi: v128): v128 {
  return v128.shuffle<i32>(i64x2.shl(lo, 1), i64x2.shl(hi, 1), 1, 3, 5, 7);
}

/** Per-lane arithmetic right shift by e (0..31): `pow` = 2^(31-e) for e >= 1, `zero` all ones where e == 0. */
@inline function shrVar(x: v128, pow: v128, zero: v128): v128 {
  const q = hi31(i64x2.extmul_low_i32x4_s(x, pow), i64x2.extmul_high_i32x4_s(x, pow));
  return v128.bitselect(x, q, zero);
}

/** tflite-double's first rounding, SRDHM: ((acc * 2^left) * M + 2^30) >> 31 (p0 = 2^left, p1 = M). */
@inline function srdhmV(acc: v128, p0: v128, p1: v128): v128 {
  const a = i32x4.mul(acc, p0);
  // M is 0 or in [2^30, 2^31) (the host checks), so the a == M == INT32_MIN saturation of
  // gemmlowp cannot occur.
  const r30 = i64x2.splat(<i64>1 << 30);
  return hi31(i64x2.add(i64x2.extmul_low_i32x4_s(a, p1), r30), i64x2.add(i64x2.extmul_high_i32x4_s(a, p1), r30));
}

/** tflite-double's second rounding, RDBPOT, from q = h >> e: rem = the low e bits (mask p4), round half away from zero. */
@inline function rdbpotV(h: v128, q: v128, p4: v128, p5: v128): v128 {
  const rem = v128.and(h, p4);
  const thr = i32x4.sub(p5, i32x4.shr_s(h, 31));
  return i32x4.sub(q, i32x4.gt_s(rem, thr));
}

/** tflite-double with a shift per lane (channel-fastest vectors). */
@inline function tfliteDoubleV(acc: v128, p0: v128, p1: v128, p2: v128, p3: v128, p4: v128, p5: v128): v128 {
  const h = srdhmV(acc, p0, p1);
  return rdbpotV(h, shrVar(h, p2, p3), p4, p5);
}

/**
 * tflite's fast forms (see `prepareTflFast`): d2 = 2^d, m = M, klo/khi = K of the lanes'
 * channels as i64, g = 2^(d-1), `sh` = E - 1; `clamp` (a literal) first clamps to [nb, b]; `dbl`
 * (a literal) false for single rounding, which has no sign correction. The result has the zero
 * point added, not yet clamped to [min, max].
 */
@inline function tflFastV(acc: v128, d2: v128, m: v128, klo: v128, khi: v128, g: v128, sh: i32, clamp: bool, b: v128, nb: v128, dbl: bool): v128 {
  if (clamp) acc = i32x4.min_s(i32x4.max_s(acc, nb), b);
  const a = i32x4.mul(acc, d2);
  const lo = i64x2.add(i64x2.extmul_low_i32x4_s(a, m), klo);
  const hi = i64x2.add(i64x2.extmul_high_i32x4_s(a, m), khi);
  const z = v128.shuffle<i32>(lo, hi, 1, 3, 5, 7);
  return i32x4.shr_s(dbl ? i32x4.sub(z, v128.and(i32x4.shr_s(a, 31), g)) : z, sh);
}

/**
 * `tflFastV` for four lanes of one channel, whose shift e is then a scalar: E = e + 1 and d = 1,
 * so a*2^d is a + a, 2^(d-1) is 1 and the sign's correction is adding a >> 31; k = K for these
 * E and d. Every accumulator the fast form's table allows, or the clamp leaves, is below 2^29 in
 * magnitude (B = 2^(30-d) <= 2^29 there), and B = 2^29 >= 2^(10+e) keeps the clamp exact.
 * `dbl` false: single rounding, no sign correction.
 */
@inline function tflChannelV(acc: v128, m: v128, k: v128, e: i32, clamp: bool, dbl: bool): v128 {
  if (clamp) acc = i32x4.min_s(i32x4.max_s(acc, i32x4.splat(-(1 << 29))), i32x4.splat(1 << 29));
  const a = i32x4.add(acc, acc);
  const lo = i64x2.add(i64x2.extmul_low_i32x4_s(a, m), k);
  const hi = i64x2.add(i64x2.extmul_high_i32x4_s(a, m), k);
  const z = v128.shuffle<i32>(lo, hi, 1, 3, 5, 7);
  return i32x4.shr_s(dbl ? i32x4.add(z, i32x4.shr_s(a, 31)) : z, e);
}

/** tflite-double with one shift `right` for all four lanes (one channel's pixels): a plain shift. */
@inline function tfliteDoubleUniformV(acc: v128, p0: v128, p1: v128, right: i32, p4: v128, p5: v128): v128 {
  const h = srdhmV(acc, p0, p1);
  return rdbpotV(h, i32x4.shr_s(h, right), p4, p5);
}

/** Single rounding with one shift for all four lanes (one channel's pixels). */
@inline function tfliteSingleV(acc: v128, m: v128, total: i32): v128 {
  const r = i64x2.splat(<i64>1 << (total - 1));
  const lo = i64x2.shr_s(i64x2.add(i64x2.extmul_low_i32x4_s(acc, m), r), total);
  const hi = i64x2.shr_s(i64x2.add(i64x2.extmul_high_i32x4_s(acc, m), r), total);
  return v128.shuffle<i32>(lo, hi, 0, 2, 4, 6);
}

/** Single rounding lane by lane (per-lane 64-bit shifts have no SIMD form). */
@inline function tfliteSingleLanes(acc: v128, m: v128, tot: v128): v128 {
  let r = i32x4.splat(tfliteSingle(i32x4.extract_lane(acc, 0), i32x4.extract_lane(m, 0), 31 - i32x4.extract_lane(tot, 0)));
  r = i32x4.replace_lane(r, 1, tfliteSingle(i32x4.extract_lane(acc, 1), i32x4.extract_lane(m, 1), 31 - i32x4.extract_lane(tot, 1)));
  r = i32x4.replace_lane(r, 2, tfliteSingle(i32x4.extract_lane(acc, 2), i32x4.extract_lane(m, 2), 31 - i32x4.extract_lane(tot, 2)));
  return i32x4.replace_lane(r, 3, tfliteSingle(i32x4.extract_lane(acc, 3), i32x4.extract_lane(m, 3), 31 - i32x4.extract_lane(tot, 3)));
}

/** 1.5 * 2^23: adding it rounds a float32 of magnitude below 2^22 to an integer, ties to even. */
const MAGIC: f32 = 12582912.0;

/**
 * ONNX: f32(acc) * scale, clamped to [fmin, fmax] (integers, |.| <= 255), rounded half to even.
 * pmin/pmax are single instructions and agree with min/max here (no NaN; a -0 rounds to 0 either
 * way); rounding by adding 1.5 * 2^23 is exactly `nearest` for values this small.
 */
@inline function onnxV(acc: v128, scale: v128, fmin: v128, fmax: v128, magic: v128, magicMinusZp: v128): v128 {
  let v = f32x4.mul(f32x4.convert_i32x4_s(acc), scale);
  v = f32x4.pmin(f32x4.pmax(v, fmin), fmax);
  // The integer is the float's bits minus MAGIC's; the zero point is added in the same step.
  return i32x4.sub(f32x4.add(v, magic), magicMinusZp);
}

/**
 * ONNX when |f32(acc) * scale| < 2^22 (`gOnnxFast`): rounding cannot go wrong without the clamp,
 * so it moves after rounding (where it is equal, the bounds being integers) and onto the bytes:
 * the saturating narrows clamp to the output type, `outputBytes` to [min, max]. Two float
 * instructions fewer per vector.
 */
@inline function onnxFastV(acc: v128, scale: v128, magic: v128, magicMinusZp: v128): v128 {
  const v = f32x4.mul(f32x4.convert_i32x4_s(acc), scale);
  return i32x4.sub(f32x4.add(v, magic), magicMinusZp);
}


@inline function clipU8V(t: v128): v128 {
  return i32x4.min_s(i32x4.max_s(t, i32x4.splat(0)), i32x4.splat(255));
}

@inline function clampV(t: v128, lo: v128, hi: v128): v128 {
  return i32x4.min_s(i32x4.max_s(t, lo), hi);
}

/**
 * One vector of four accumulators of `scheme` (a literal at every call site), parameters as
 * vectors p0..p5 (table entries or splats; only the ones the scheme uses are read). Returns the
 * output values, inside the output range.
 */
@inline function rq(
  scheme: i32, acc: v128, p0: v128, p1: v128, p2: v128, p3: v128, p4: v128, p5: v128,
  zp: v128, lo: v128, hi: v128, fmin: v128, fmax: v128, magic: v128, mzp: v128, d: i32, mult: v128, relu: bool, actScale: v128, actRound: v128, actNorm: i32,
): v128 {
  if (scheme == TFLITE_DOUBLE) return clampV(i32x4.add(tfliteDoubleV(acc, p0, p1, p2, p3, p4, p5), zp), lo, hi);
  if (scheme == ONNX) return onnxV(acc, p0, fmin, fmax, magic, mzp);
  if (scheme == ONNX_FAST || scheme == ONNX_FAST_FULL) return onnxFastV(acc, p0, magic, mzp);
  if (scheme == PULP_BN) return clipU8V(i32x4.shr_s(i32x4.add(i32x4.mul(p0, acc), p1), d));
  if (scheme == PULP_QUANT) {
    const q = i32x4.shr_s(i32x4.mul(acc, mult), d);
    return clipU8V(i32x4.shr_s(i32x4.shl(q, 16), 16));
  }
  if (scheme == PULP_SHIFT) return clipU8V(i32x4.shr_s(acc, d));
  // GAP_SQ8
  let t = shrVar(i32x4.add(i32x4.mul(acc, p0), p1), p2, p3);
  if (relu) t = i32x4.shr_s(i32x4.add(i32x4.mul(i32x4.max_s(t, i32x4.splat(0)), actScale), actRound), actNorm);
  return clampV(t, i32x4.splat(-128), i32x4.splat(127));
}

/** Four int32 vectors (values inside the output range) -> 16 output bytes. */
@inline function narrow(a: v128, b: v128, c: v128, d: v128, uns: bool): v128 {
  const ab = i16x8.narrow_i32x4_s(a, b);
  const cd = i16x8.narrow_i32x4_s(c, d);
  return uns ? i8x16.narrow_i16x8_u(ab, cd) : i8x16.narrow_i16x8_s(ab, cd);
}

/**
 * The 16 output bytes of four result vectors of `scheme` (a literal). ONNX narrows as signed
 * bytes: unsigned outputs were computed 128 lower (`prepareRequant`), and `flip` (0x80 or 0 per
 * byte) moves them back with one xor, so the loops have no branch on the output type; ONNX_FAST
 * also clamps the bytes to [blo, bhi] shifted the same way (see `onnxFastV`), except ONNX_FAST_FULL,
 * where that range is [-128, 127] and the saturating narrows are the clamp.
 */
@inline function outputBytes(scheme: i32, r0: v128, r1: v128, r2: v128, r3: v128, uns: bool, blo: v128, bhi: v128, flip: v128): v128 {
  if (scheme == ONNX) return v128.xor(narrow(r0, r1, r2, r3, false), flip);
  if (scheme == TFLITE_DOUBLE_FAST || scheme == TFLITE_DOUBLE_CLAMP || scheme == TFLITE_SINGLE_FAST || scheme == TFLITE_SINGLE_CLAMP) {
    // The saturating narrows keep the order, so the clamp to [min, max] moves onto the bytes:
    // two instructions per 16 outputs instead of two per 4.
    const v = narrow(r0, r1, r2, r3, uns);
    return uns ? i8x16.min_u(i8x16.max_u(v, blo), bhi) : i8x16.min_s(i8x16.max_s(v, blo), bhi);
  }
  if (scheme == ONNX_FAST) return v128.xor(i8x16.min_s(i8x16.max_s(narrow(r0, r1, r2, r3, false), blo), bhi), flip);
  if (scheme == ONNX_FAST_FULL) return v128.xor(narrow(r0, r1, r2, r3, false), flip);
  return narrow(r0, r1, r2, r3, uns);
}

/** Stores the first `count` (1..16) bytes of `v` at `o`, `o + stride`, ... */
@inline export function storeBytes(o: usize, v: v128, count: i32, stride: i32): void {
  if (stride == 1) {
    if (count == 16) {
      v128.store(o, v);
    } else {
      // 8, 4, 2, 1 bytes as the bits of count say, moving the rest down after each.
      if (count & 8) {
        v128.store64_lane(o, v, 0);
        v = i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0);
        o += 8;
      }
      if (count & 4) {
        v128.store32_lane(o, v, 0);
        v = i8x16.shuffle(v, v, 4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0);
        o += 4;
      }
      if (count & 2) {
        v128.store16_lane(o, v, 0);
        v = i8x16.shuffle(v, v, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        o += 2;
      }
      if (count & 1) v128.store8_lane(o, v, 0);
    }
  } else {
    v128.store(gTemp, v);
    for (let i = 0; i < count; i++) store<u8>(o + <usize>(i * stride), load<u8>(gTemp + <usize>i));
  }
}

/**
 * Channel-fastest loop for one scheme: 16 channels at a time (their parameters loaded once), then
 * every pixel. `wide` (a literal): every block is 16 channels stored contiguously, so each pixel
 * is one plain vector store. The partial-store code of the other case, inside the loop, makes V8
 * compile the whole loop about half as fast.
 */
@inline export function pixelsLoop(scheme: i32, wide: bool, acc: usize, accStride: i32, n: i32, t0: usize, cn: i32, d0: usize, pxStride: i32, chStride: i32): void {
  // Every scalar a scheme may need, as the vectors prepareRequant made (unused ones fold away).
  const k = gSplats;
  const zp = v128.load(k, K_ZP), lo = v128.load(k, K_LO), hi = v128.load(k, K_HI);
  const fmin = v128.load(k, K_FMIN), fmax = v128.load(k, K_FMAX), magic = v128.load(k, K_MAGIC), mzp = v128.load(k, K_MZP);
  const blo = v128.load(k, K_BLO), bhi = v128.load(k, K_BHI), flip = v128.load(k, K_FLIP);
  const mult = v128.load(k, K_MULT), actScale = v128.load(k, K_ACT_SCALE), actRound = v128.load(k, K_ACT_ROUND);
  const d = gD, relu = gRelu, actNorm = gActNorm, uns = gUnsigned;
  const pl = gPlane;
  const z = i32x4.splat(0);
  const tf = scheme == TFLITE_DOUBLE_FAST || scheme == TFLITE_DOUBLE_CLAMP || scheme == TFLITE_SINGLE_FAST || scheme == TFLITE_SINGLE_CLAMP;
  const tc = scheme == TFLITE_DOUBLE_CLAMP || scheme == TFLITE_SINGLE_CLAMP;
  const dbl = scheme == TFLITE_DOUBLE_FAST || scheme == TFLITE_DOUBLE_CLAMP;
  const sh = gTflShift;
  const n0 = tf || scheme == TFLITE_DOUBLE || scheme == TFLITE_SINGLE || scheme == ONNX || scheme == ONNX_FAST || scheme == ONNX_FAST_FULL || scheme == PULP_BN || scheme == GAP_SQ8;
  const n1 = tf || scheme == TFLITE_DOUBLE || scheme == TFLITE_SINGLE || scheme == PULP_BN || scheme == GAP_SQ8;
  const n2 = scheme == TFLITE_DOUBLE || scheme == GAP_SQ8;
  const n4 = scheme == TFLITE_DOUBLE;
  for (let j = 0; j < cn; j += 16) {
    const t = t0 + (<usize>j << 2);
    // Parameters of the 16 channels (planes a scheme does not use are never loaded).
    const a0 = n0 ? v128.load(t) : z, a1 = n0 ? v128.load(t, 16) : z, a2 = n0 ? v128.load(t, 32) : z, a3 = n0 ? v128.load(t, 48) : z;
    const b0 = n1 ? v128.load(t + pl) : z, b1 = n1 ? v128.load(t + pl, 16) : z, b2 = n1 ? v128.load(t + pl, 32) : z, b3 = n1 ? v128.load(t + pl, 48) : z;
    const count = cn - j < 16 ? cn - j : 16;
    // tflite-double fast forms: the channels' K (i64) start at plane 2, 8 bytes per channel.
    const kt = gTable + 2 * pl + ((t - gTable) << 1);
    let aj = acc + (<usize>j << 2);
    let o = d0 + <usize>(j * chStride);
    const aStep = <usize>accStride << 2, oStep = <usize>pxStride;
    for (let p = 0; p < n; p++, aj += aStep, o += oStep) {
      let r0: v128, r1: v128, r2: v128, r3: v128;
      if (tf) {
        r0 = tflFastV(v128.load(aj), a0, b0, v128.load(kt), v128.load(kt, 16), v128.load(t + 4 * pl), sh,
          tc, tc ? v128.load(t + 5 * pl) : z, tc ? v128.load(t + 6 * pl) : z, dbl);
        r1 = tflFastV(v128.load(aj, 16), a1, b1, v128.load(kt, 32), v128.load(kt, 48), v128.load(t + 4 * pl, 16), sh,
          tc, tc ? v128.load(t + 5 * pl, 16) : z, tc ? v128.load(t + 6 * pl, 16) : z, dbl);
        r2 = tflFastV(v128.load(aj, 32), a2, b2, v128.load(kt, 64), v128.load(kt, 80), v128.load(t + 4 * pl, 32), sh,
          tc, tc ? v128.load(t + 5 * pl, 32) : z, tc ? v128.load(t + 6 * pl, 32) : z, dbl);
        r3 = tflFastV(v128.load(aj, 48), a3, b3, v128.load(kt, 96), v128.load(kt, 112), v128.load(t + 4 * pl, 48), sh,
          tc, tc ? v128.load(t + 5 * pl, 48) : z, tc ? v128.load(t + 6 * pl, 48) : z, dbl);
      } else if (scheme == TFLITE_SINGLE) {
        r0 = clampV(i32x4.add(tfliteSingleLanes(v128.load(aj), a0, b0), zp), lo, hi);
        r1 = clampV(i32x4.add(tfliteSingleLanes(v128.load(aj, 16), a1, b1), zp), lo, hi);
        r2 = clampV(i32x4.add(tfliteSingleLanes(v128.load(aj, 32), a2, b2), zp), lo, hi);
        r3 = clampV(i32x4.add(tfliteSingleLanes(v128.load(aj, 48), a3, b3), zp), lo, hi);
      } else if (scheme == TFLITE_DOUBLE || scheme == GAP_SQ8) {
        // Too many parameter vectors to keep in registers: the rest come from the table.
        r0 = rq(scheme, v128.load(aj), a0, b0, v128.load(t + 2 * pl), v128.load(t + 3 * pl),
          n4 ? v128.load(t + 4 * pl) : z, n4 ? v128.load(t + 5 * pl) : z,
          zp, lo, hi, fmin, fmax, magic, mzp, d, mult, relu, actScale, actRound, actNorm);
        r1 = rq(scheme, v128.load(aj, 16), a1, b1, v128.load(t + 2 * pl, 16), v128.load(t + 3 * pl, 16),
          n4 ? v128.load(t + 4 * pl, 16) : z, n4 ? v128.load(t + 5 * pl, 16) : z,
          zp, lo, hi, fmin, fmax, magic, mzp, d, mult, relu, actScale, actRound, actNorm);
        r2 = rq(scheme, v128.load(aj, 32), a2, b2, v128.load(t + 2 * pl, 32), v128.load(t + 3 * pl, 32),
          n4 ? v128.load(t + 4 * pl, 32) : z, n4 ? v128.load(t + 5 * pl, 32) : z,
          zp, lo, hi, fmin, fmax, magic, mzp, d, mult, relu, actScale, actRound, actNorm);
        r3 = rq(scheme, v128.load(aj, 48), a3, b3, v128.load(t + 2 * pl, 48), v128.load(t + 3 * pl, 48),
          n4 ? v128.load(t + 4 * pl, 48) : z, n4 ? v128.load(t + 5 * pl, 48) : z,
          zp, lo, hi, fmin, fmax, magic, mzp, d, mult, relu, actScale, actRound, actNorm);
      } else {
        r0 = rq(scheme, v128.load(aj), a0, b0, z, z, z, z, zp, lo, hi, fmin, fmax, magic, mzp, d, mult, relu, actScale, actRound, actNorm);
        r1 = rq(scheme, v128.load(aj, 16), a1, b1, z, z, z, z, zp, lo, hi, fmin, fmax, magic, mzp, d, mult, relu, actScale, actRound, actNorm);
        r2 = rq(scheme, v128.load(aj, 32), a2, b2, z, z, z, z, zp, lo, hi, fmin, fmax, magic, mzp, d, mult, relu, actScale, actRound, actNorm);
        r3 = rq(scheme, v128.load(aj, 48), a3, b3, z, z, z, z, zp, lo, hi, fmin, fmax, magic, mzp, d, mult, relu, actScale, actRound, actNorm);
      }
      const bytes = outputBytes(scheme, r0, r1, r2, r3, uns, blo, bhi, flip);
      if (wide) v128.store(o, bytes);
      else storeBytes(o, bytes, count, chStride);
    }
  }
}

/**
 * The 16 output bytes of the 16 accumulators of one channel at `ap`, `scheme` a literal, the
 * channel's parameters splatted (see `channelsLoop`).
 */
@inline function channelBytes(
  scheme: i32, ap: usize, p0: v128, p1: v128, p2: v128, p3: v128, p4: v128, p5: v128, total: i32, e: i32, k1: v128, right: i32, single: bool,
  zp: v128, lo: v128, hi: v128, fmin: v128, fmax: v128, magic: v128, mzp: v128, blo: v128, bhi: v128, flip: v128,
  d: i32, mult: v128, relu: bool, actScale: v128, actRound: v128, actNorm: i32, uns: bool,
): v128 {
  let r0 = v128.load(ap), r1 = v128.load(ap, 16), r2 = v128.load(ap, 32), r3 = v128.load(ap, 48);
  if (scheme == TFLITE_DOUBLE_FAST || scheme == TFLITE_DOUBLE_CLAMP || scheme == TFLITE_SINGLE_FAST || scheme == TFLITE_SINGLE_CLAMP) {
    const tc = scheme == TFLITE_DOUBLE_CLAMP || scheme == TFLITE_SINGLE_CLAMP;
    r0 = tflChannelV(r0, p1, k1, e, tc, !single);
    r1 = tflChannelV(r1, p1, k1, e, tc, !single);
    r2 = tflChannelV(r2, p1, k1, e, tc, !single);
    r3 = tflChannelV(r3, p1, k1, e, tc, !single);
  } else if (scheme == TFLITE_SINGLE) {
    r0 = clampV(i32x4.add(tfliteSingleV(r0, p0, total), zp), lo, hi);
    r1 = clampV(i32x4.add(tfliteSingleV(r1, p0, total), zp), lo, hi);
    r2 = clampV(i32x4.add(tfliteSingleV(r2, p0, total), zp), lo, hi);
    r3 = clampV(i32x4.add(tfliteSingleV(r3, p0, total), zp), lo, hi);
  } else if (scheme == TFLITE_DOUBLE) {
    r0 = clampV(i32x4.add(tfliteDoubleUniformV(r0, p0, p1, right, p4, p5), zp), lo, hi);
    r1 = clampV(i32x4.add(tfliteDoubleUniformV(r1, p0, p1, right, p4, p5), zp), lo, hi);
    r2 = clampV(i32x4.add(tfliteDoubleUniformV(r2, p0, p1, right, p4, p5), zp), lo, hi);
    r3 = clampV(i32x4.add(tfliteDoubleUniformV(r3, p0, p1, right, p4, p5), zp), lo, hi);
  } else {
    r0 = rq(scheme, r0, p0, p1, p2, p3, p4, p5, zp, lo, hi, fmin, fmax, magic, mzp, d, mult, relu, actScale, actRound, actNorm);
    r1 = rq(scheme, r1, p0, p1, p2, p3, p4, p5, zp, lo, hi, fmin, fmax, magic, mzp, d, mult, relu, actScale, actRound, actNorm);
    r2 = rq(scheme, r2, p0, p1, p2, p3, p4, p5, zp, lo, hi, fmin, fmax, magic, mzp, d, mult, relu, actScale, actRound, actNorm);
    r3 = rq(scheme, r3, p0, p1, p2, p3, p4, p5, zp, lo, hi, fmin, fmax, magic, mzp, d, mult, relu, actScale, actRound, actNorm);
  }
  return outputBytes(scheme, r0, r1, r2, r3, uns, blo, bhi, flip);
}

/**
 * Pixel-fastest loop for one scheme: one channel at a time, its parameters splatted. `wide` (a
 * literal): pixels are contiguous, so every vector is one plain store, the last partial one into
 * a temporary whose bytes are copied after the loop (see `pixelsLoop` for why). Rows of up to 16
 * pixels contiguous in dst (small planes) take a loop of their own, one vector per row: the
 * general row loop's per-row work cost 12% on 14x14 planes.
 */
@inline export function channelsLoop(
  scheme: i32, wide: bool, acc: usize, accStride: i32, accRow: i32, rows: i32, n: i32, c0: i32, cn: i32, dst: usize, dstRow: i32, pxStride: i32, chStride: i32,
): void {
  // Every scalar a scheme may need, as the vectors prepareRequant made (unused ones fold away).
  const k = gSplats;
  const zp = v128.load(k, K_ZP), lo = v128.load(k, K_LO), hi = v128.load(k, K_HI);
  const fmin = v128.load(k, K_FMIN), fmax = v128.load(k, K_FMAX), magic = v128.load(k, K_MAGIC), mzp = v128.load(k, K_MZP);
  const blo = v128.load(k, K_BLO), bhi = v128.load(k, K_BHI), flip = v128.load(k, K_FLIP);
  const mult = v128.load(k, K_MULT), actScale = v128.load(k, K_ACT_SCALE), actRound = v128.load(k, K_ACT_ROUND);
  const d = gD, relu = gRelu, actNorm = gActNorm, uns = gUnsigned;
  const pl = gPlane;
  const n16 = roundUp(n, 16);
  for (let j = 0; j < cn; j++) {
    const c = c0 + j;
    const a = acc + <usize>(j * accStride) * 4;
    const o = dst + <usize>(c * chStride);
    const t = gTable + (<usize>c << 2);
    const p0 = v128.load32_splat(t);
    const p1 = v128.load32_splat(t + pl);
    const p2 = v128.load32_splat(t + 2 * pl);
    const p3 = v128.load32_splat(t + 3 * pl);
    const p4 = v128.load32_splat(t + 4 * pl);
    const p5 = v128.load32_splat(t + 5 * pl);
    const total = load<i32>(t + pl);
    // tflite-double fast forms, one channel: d = 1 whatever the table's d (see `tflChannelV`).
    const e = gTflShift + 1 - <i32>ctz(load<i32>(t));
    const single = scheme == TFLITE_SINGLE_FAST || scheme == TFLITE_SINGLE_CLAMP;
    const k1 = i64x2.splat((single ? 0 : <i64>1 << 31) + (<i64>1 << (31 + e)) + (<i64>gZp << (32 + e)));
    // tflite-double: the channel's right shift, from its remainder mask 2^right - 1.
    const right = <i32>popcnt(load<i32>(t + 4 * pl));
    if (wide && n <= 16 && dstRow == n) {
      // Narrow contiguous rows (small planes): one vector per row, stored whole while what it
      // writes past the row lies on the plane's later rows (stored after it), then byte by byte.
      const wholeRows = rows * n >= 16 ? (rows * n - 16) / n + 1 : 0;
      const aStep = <usize>accRow << 2;
      let ay = a, oy = o;
      for (let y = 0; y < rows; y++, ay += aStep, oy += <usize>n) {
        const bytes = channelBytes(scheme, ay, p0, p1, p2, p3, p4, p5, total, e, k1, right, single,
          zp, lo, hi, fmin, fmax, magic, mzp, blo, bhi, flip, d, mult, relu, actScale, actRound, actNorm, uns);
        if (y < wholeRows) v128.store(oy, bytes);
        else storeBytes(oy, bytes, n, 1);
      }
      continue;
    }
    for (let y = 0; y < rows; y++) {
      const ay = a + <usize>(y * accRow) * 4;
      const oy = o + <usize>(y * dstRow);
      // Contiguous rows (dstRow == n): a row's last vector is stored whole when what it writes
      // past the row lands on later rows of the plane, which are stored after it.
      const whole = wide && dstRow == n && y * n + n16 <= rows * n ? n16 : n;
      const tail = whole & 15;
      for (let p = 0; p < n; p += 16) {
        const bytes = channelBytes(scheme, ay + (<usize>p << 2), p0, p1, p2, p3, p4, p5, total, e, k1, right, single,
          zp, lo, hi, fmin, fmax, magic, mzp, blo, bhi, flip, d, mult, relu, actScale, actRound, actNorm, uns);
        if (wide) v128.store(p + 16 <= whole ? oy + <usize>p : gTemp, bytes);
        else storeBytes(oy + <usize>(p * pxStride), bytes, n - p < 16 ? n - p : 16, pxStride);
      }
      if (wide && tail != 0) storeBytes(oy + <usize>(n - tail), v128.load(gTemp), tail, 1);
    }
  }
}

/**
 * Requantizes `n` pixels x `cn` channels (channels c0 .. c0+cn-1 of the prepared call) from
 * channel-fastest accumulators: (pixel p, channel c0 + j) at `acc + (p*accStride + j)*4`; its byte
 * goes to `dst + p*pxStride + (c0 + j)*chStride`. Reads up to 15 accumulators past the last
 * channel of a pixel (their lanes are never stored).
 */
export function requantPixels(acc: usize, accStride: i32, n: i32, c0: i32, cn: i32, dst: usize, pxStride: i32, chStride: i32): void {
  if (ASC_FEATURE_SIMD) {
    const t0 = gTable + (<usize>c0 << 2);
    const d0 = dst + <usize>(c0 * chStride);
    const f = (cn & 15) == 0 && chStride == 1 ? PIXELS_WIDE : PIXELS_ANY;
    unchecked(f[loopIndex()])(acc, accStride, n, t0, cn, d0, pxStride, chStride);
  } else {
    requantScalar(acc, accStride, 1, n, c0, cn, dst, pxStride, chStride);
  }
}

// The loops are instantiated per kernel and shape in generated/dispatch.ts, called through its
// tables indexed by kernel id.

/** The table index of the prepared call's loops. */
@inline function loopIndex(): i32 {
  return gScheme == ONNX && gOnnxFast ? (gOnnxFull ? ONNX_FAST_FULL : ONNX_FAST) : gKernel;
}

/**
 * Requantizes `cn` channels (c0 .. c0+cn-1) x `rows` rows x `n` pixels from pixel-fastest
 * accumulators: (channel c0 + j, row y, pixel p) at `acc + (j*accStride + y*accRow + p)*4`; its
 * byte goes to `dst + y*dstRow + p*pxStride + (c0 + j)*chStride`. Reads up to 15 accumulators
 * past the last pixel of a row. Where a channel's rows are contiguous bytes (pxStride 1, dstRow
 * n), a row may also write up to 15 bytes past its end that lie on the channel's later rows.
 */
export function requantChannels(
  acc: usize, accStride: i32, accRow: i32, rows: i32, n: i32, c0: i32, cn: i32, dst: usize, dstRow: i32, pxStride: i32, chStride: i32,
): void {
  if (ASC_FEATURE_SIMD) {
    const f = pxStride == 1 ? CHANNELS_WIDE : CHANNELS_ANY;
    unchecked(f[loopIndex()])(acc, accStride, accRow, rows, n, c0, cn, dst, dstRow, pxStride, chStride);
  } else {
    for (let y = 0; y < rows; y++) {
      requantScalar(acc + <usize>(y * accRow) * 4, 1, accStride, n, c0, cn, dst + <usize>(y * dstRow), pxStride, chStride);
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

