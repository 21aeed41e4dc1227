// Packing: activation bytes (HWC or CHW, int8 or uint8) -> int16 (x - zeroPoint) in the order a
// kernel's inner loop reads them; padding and channels past the end become zeros.
//
// Subtracting the zero point while widening keeps every product w*(x - zp) within int16 range
// (|w| <= 128, |x - zp| <= 255) and makes padding free: a zero in a packed buffer is exactly a
// tap that contributes nothing. Packing into one order is also what lets one SIMD core serve both
// input layouts. The SIMD kernels multiply with `i32x4.dot_i16x8_s`, which adds the products of
// adjacent int16 pairs: the packed orders below put the two values of a pair side by side (two
// input channels of a pixel for pointwise, two horizontal taps of a channel for depthwise).

/** `n` rounded up to a multiple of `m` (a power of two). */
@inline export function roundUp(n: i32, m: i32): i32 {
  return (n + m - 1) & ~(m - 1);
}

@inline function loadAct(src: usize, signed: bool): i32 {
  return signed ? <i32>load<i8>(src) : <i32>load<u8>(src);
}

/** Eight activations at `src` (consecutive bytes) as int16 x - zp. */
@inline function load8(src: usize, signed: bool, z: v128): v128 {
  return i16x8.sub(signed ? v128.load_ext<i8>(src) : v128.load_ext<u8>(src), z);
}

/** `load8` of the eight activations 8 bytes on (an immediate offset: no address arithmetic). */
@inline function load8Next(src: usize, signed: bool, z: v128): v128 {
  return i16x8.sub(signed ? v128.load_ext<i8>(src, 8) : v128.load_ext<u8>(src, 8), z);
}

/** [a0 b0 a1 b1 a2 b2 a3 b3] of two int16 vectors. */
@inline export function zipLo16(a: v128, b: v128): v128 {
  return v128.shuffle<i16>(a, b, 0, 8, 1, 9, 2, 10, 3, 11);
}

/** [a4 b4 a5 b5 a6 b6 a7 b7] of two int16 vectors. */
@inline function zipHi16(a: v128, b: v128): v128 {
  return v128.shuffle<i16>(a, b, 4, 12, 5, 13, 6, 14, 7, 15);
}

/**
 * Packs `n` pixels of C channels, pixel p at `src + p*pxStride`, channel c at `+ c*chStride`, into
 * `dst` (n pixels of Cp int16, channel fastest). Channels C..Cp-1 are zeroed.
 */
export function packPixels(
  src: usize, n: i32, pxStride: i32, chStride: i32, C: i32, signed: bool, zp: i32, dst: usize, Cp: i32,
): void {
  if (chStride == 1) {
    let C8 = 0;
    if (ASC_FEATURE_SIMD) {
      C8 = C & ~7;
      if (signed) packPixelsSimd(true, src, n, pxStride, C8, zp, dst, Cp);
      else packPixelsSimd(false, src, n, pxStride, C8, zp, dst, Cp);
    }
    if (C8 < Cp) {
      for (let p = 0; p < n; p++) {
        const s = src + <usize>(p * pxStride);
        const d = dst + <usize>(p * Cp) * 2;
        let c = C8;
        for (; c < C; c++) store<i16>(d + (<usize>c << 1), <i16>(loadAct(s + <usize>c, signed) - zp));
        for (; c < Cp; c++) store<i16>(d + (<usize>c << 1), 0);
      }
    }
  } else {
    // Planar source: one channel at a time so the reads are sequential.
    for (let c = 0; c < C; c++) {
      const s = src + <usize>(c * chStride);
      const d = dst + (<usize>c << 1);
      for (let p = 0; p < n; p++) {
        store<i16>(d + <usize>(p * Cp) * 2, <i16>(loadAct(s + <usize>(p * pxStride), signed) - zp));
      }
    }
    for (let p = 0; p < n; p++) {
      const d = dst + <usize>(p * Cp) * 2;
      for (let c = C; c < Cp; c++) store<i16>(d + (<usize>c << 1), 0);
    }
  }
}

/** The first C8 (a multiple of 8) channels of `packPixels`, `signed` a literal at each call. */
@inline function packPixelsSimd(signed: bool, src: usize, n: i32, pxStride: i32, C8: i32, zp: i32, dst: usize, Cp: i32): void {
  const z = i16x8.splat(<i16>zp);
  const rowBytes = <usize>Cp << 1;
  const C16 = C8 & ~15;
  let s = src;
  let d = dst;
  for (let p = 0; p < n; p++) {
    let c = 0;
    for (; c < C16; c += 16) {
      const v = v128.load(s + <usize>c);
      const lo = signed ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_low_i8x16_u(v);
      const hi = signed ? i16x8.extend_high_i8x16_s(v) : i16x8.extend_high_i8x16_u(v);
      v128.store(d + (<usize>c << 1), i16x8.sub(lo, z));
      v128.store(d + (<usize>c << 1), i16x8.sub(hi, z), 16);
    }
    if (c < C8) v128.store(d + (<usize>c << 1), load8(s + <usize>c, signed, z));
    s += <usize>pxStride;
    d += rowBytes;
  }
}

/**
 * Packs an H x W x C view (strides in bytes) into H rows of (padL + W + padR) pixels, the
 * horizontal padding zeroed. Vertical padding is not materialised: the depthwise core skips tap
 * rows outside the input.
 */
export function packRowsPadded(
  src: usize, rowStride: i32, pxStride: i32, chStride: i32, H: i32, W: i32, C: i32, signed: bool, zp: i32,
  padL: i32, padR: i32, dst: usize, Cp: i32,
): void {
  const Wp = padL + W + padR;
  const rowBytes = <usize>(Wp * Cp) * 2;
  for (let y = 0; y < H; y++) {
    const row = dst + <usize>y * rowBytes;
    memory.fill(row, 0, <usize>(padL * Cp) * 2);
    packPixels(src + <usize>(y * rowStride), W, pxStride, chStride, C, signed, zp, row + <usize>(padL * Cp) * 2, Cp);
    memory.fill(row + <usize>((padL + W) * Cp) * 2, 0, <usize>(padR * Cp) * 2);
  }
}

// ---------------------------------------------------------------------------------------------
// Pair orders for the SIMD kernels

/**
 * Pointwise, pixel-fastest operand: `n` pixels (padded to a multiple of 16) of C channels into
 * blocks of 16 pixels, `[n16/16][K2][16][2]` int16 where pair k of a pixel holds channels 2k and
 * 2k+1 (K2 = ceil(C/2)).
 *
 * The SIMD build reads whole vectors: pixels past `n` and a channel past C (odd C) may be filled
 * with whatever follows the view in memory, as long as that lies below `limit` (the end of
 * memory). Those values only ever meet zero weights (channels) or produce outputs that are never
 * stored (pixels), so they cannot change a result; past `limit` the scalar path zeroes them.
 */
export function packChannelPairs(
  src: usize, n: i32, pxStride: i32, chStride: i32, C: i32, signed: bool, zp: i32, dst: usize, K2: i32, limit: usize,
): void {
  const n16 = roundUp(n, 16);
  if (ASC_FEATURE_SIMD) {
    if (pxStride == 1 && src + <usize>((2 * K2 - 1) * chStride + n16) <= limit) {
      if (signed) pairsFromPlanes(true, src, n16, chStride, zp, dst, K2);
      else pairsFromPlanes(false, src, n16, chStride, zp, dst, K2);
      return;
    }
    if (chStride == 1 && src + <usize>((n16 - 1) * pxStride + roundUp(2 * K2, 8)) <= limit) {
      if (signed) pairsFromPixels(true, src, n16, pxStride, zp, dst, K2);
      else pairsFromPixels(false, src, n16, pxStride, zp, dst, K2);
      return;
    }
  }
  // The scalar build, strided views, the end of memory: one value at a time, padding zeroed.
  const blockBytes = <usize>K2 * 64;
  for (let p = 0; p < n16; p++) {
    const d = dst + <usize>(p >> 4) * blockBytes + (<usize>(p & 15) << 2);
    const s = src + <usize>(p * pxStride);
    for (let c = 0; c < 2 * K2; c++) {
      const v = p < n && c < C ? <i16>(loadAct(s + <usize>(c * chStride), signed) - zp) : <i16>0;
      store<i16>(d + <usize>(c >> 1) * 64 + (<usize>(c & 1) << 1), v);
    }
  }
}

/** Planar source: two planes side by side, 16 pixels at a time. */
@inline function pairsFromPlanes(signed: bool, src: usize, n16: i32, chStride: i32, zp: i32, dst: usize, K2: i32): void {
  const z = i16x8.splat(<i16>zp);
  const blockBytes = <usize>K2 * 64;
  for (let k = 0; k < K2; k++) {
    let s0 = src + <usize>(2 * k * chStride);
    let s1 = s0 + <usize>chStride;
    let d = dst + <usize>k * 64;
    for (let p = 0; p < n16; p += 16) {
      const a = v128.load(s0), b = v128.load(s1);
      const a0 = i16x8.sub(signed ? i16x8.extend_low_i8x16_s(a) : i16x8.extend_low_i8x16_u(a), z);
      const a1 = i16x8.sub(signed ? i16x8.extend_high_i8x16_s(a) : i16x8.extend_high_i8x16_u(a), z);
      const b0 = i16x8.sub(signed ? i16x8.extend_low_i8x16_s(b) : i16x8.extend_low_i8x16_u(b), z);
      const b1 = i16x8.sub(signed ? i16x8.extend_high_i8x16_s(b) : i16x8.extend_high_i8x16_u(b), z);
      v128.store(d, zipLo16(a0, b0));
      v128.store(d, zipHi16(a0, b0), 16);
      v128.store(d, zipLo16(a1, b1), 32);
      v128.store(d, zipHi16(a1, b1), 48);
      s0 += 16;
      s1 += 16;
      d += blockBytes;
    }
  }
}

/**
 * Channel-fastest source: pairs are adjacent already; 4x4 transposes of int32 pairs turn
 * "4 pairs of one pixel" into "one pair of 4 pixels".
 */
@inline function pairsFromPixels(signed: bool, src: usize, n16: i32, pxStride: i32, zp: i32, dst: usize, K2: i32): void {
  const z = i16x8.splat(<i16>zp);
  const blockBytes = <usize>K2 * 64;
  const px = <usize>pxStride;
  for (let p = 0; p < n16; p += 4) {
    const s = src + <usize>p * px;
    const d = dst + <usize>(p >> 4) * blockBytes + (<usize>(p & 15) << 2);
    for (let k = 0; k < K2; k += 4) {
      const c = <usize>k << 1;
      const r0 = load8(s + c, signed, z);
      const r1 = load8(s + px + c, signed, z);
      const r2 = load8(s + 2 * px + c, signed, z);
      const r3 = load8(s + 3 * px + c, signed, z);
      const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5);
      const t1 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
      const t2 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5);
      const t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
      const dk = d + (<usize>k << 6);
      // K2 need not be a multiple of 4: the pairs past it land in the next block's first rows,
      // which are written afterwards (blocks go in order) or lie in the buffer's slack.
      v128.store(dk, v128.shuffle<i64>(t0, t2, 0, 2));
      v128.store(dk, v128.shuffle<i64>(t0, t2, 1, 3), 64);
      v128.store(dk, v128.shuffle<i64>(t1, t3, 0, 2), 128);
      v128.store(dk, v128.shuffle<i64>(t1, t3, 1, 3), 192);
    }
  }
}

/**
 * One input row as int16 x - zp with horizontal padding: `dst[j]` = x[j - padL] for
 * padL <= j < padL + W, else 0, for j in [0, len). Source pixels contiguous. The SIMD build writes
 * whole 8-lane vectors: up to 7 elements past `len` may be overwritten (callers leave room), and
 * the last vector of the row may read up to 7 bytes past it when those lie below `limit` (the
 * end of memory), else it takes them one by one.
 */
@inline export function widenRowPadded(src: usize, W: i32, signed: bool, zp: i32, padL: i32, len: i32, dst: usize, limit: usize): void {
  const end = padL + W < len ? padL + W : len;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = i16x8.splat(0);
    for (let k = 0; k < padL; k += 8) v128.store(dst + (<usize>k << 1), zero);
    const z = i16x8.splat(<i16>zp);
    const n = end - padL;
    // Whole vectors, the last one reading past the row if memory goes on (decided before the
    // loop: a test inside it makes V8 compile the loop slower).
    const vectors = src + <usize>roundUp(n, 8) <= limit ? roundUp(n, 8) : n & ~7;
    for (; j < vectors; j += 8) v128.store(dst + (<usize>(padL + j) << 1), load8(src + <usize>j, signed, z));
    for (; j < n; j++) store<i16>(dst + (<usize>(padL + j) << 1), <i16>(loadAct(src + <usize>j, signed) - zp));
    // Zeros after the data (they also overwrite what the last vector read past the row).
    for (let k = end; k < len; k += 8) v128.store(dst + (<usize>k << 1), zero);
  } else {
    memory.fill(dst, 0, <usize>len << 1);
    for (; padL + j < end; j++) store<i16>(dst + (<usize>(padL + j) << 1), <i16>(loadAct(src + <usize>j, signed) - zp));
  }
}

/**
 * Depthwise, channel-fastest pair row of one block of 16 channels: entry i holds, for each
 * channel c, (v[sw*i][c], v[sw*i + 1][c]) as an int16 pair (64 bytes per entry), where v is the
 * input row with its horizontal padding (zero outside the input). `n` entries; channels past `C`
 * (at most 16) are zero. Source channels contiguous, pixels `pxStride` bytes apart.
 */
export function packTapPairs16(src: usize, pxStride: i32, W: i32, C: i32, signed: bool, zp: i32, padL: i32, sw: i32, n: i32, dst: usize): void {
  // Entries whose two pixels are both inside the row: [i0, i1).
  let i0 = (padL + sw - 1) / sw;
  let i1 = (W - 2 + padL) / sw + 1;
  if (W < 2) i1 = i0;
  if (i1 > n) i1 = n;
  if (i0 > i1) i0 = i1;
  if (C == 16) {
    if (signed) {
      packPairsEdge(true, src, pxStride, W, zp, padL, sw, 0, i0, dst);
      packPairsInterior(true, src, pxStride, zp, padL, sw, i0, i1, dst);
      packPairsEdge(true, src, pxStride, W, zp, padL, sw, i1, n, dst);
    } else {
      packPairsEdge(false, src, pxStride, W, zp, padL, sw, 0, i0, dst);
      packPairsInterior(false, src, pxStride, zp, padL, sw, i0, i1, dst);
      packPairsEdge(false, src, pxStride, W, zp, padL, sw, i1, n, dst);
    }
  } else {
    packPairsFew(src, pxStride, W, C, signed, zp, padL, sw, n, dst);
  }
}

/** Entries [i0, i1) of `packTapPairs16` when both pixels are inside and all 16 channels exist. */
@inline function packPairsInterior(signed: bool, src: usize, pxStride: i32, zp: i32, padL: i32, sw: i32, i0: i32, i1: i32, dst: usize): void {
  const z = i16x8.splat(<i16>zp);
  let s = src + <usize>((sw * i0 - padL) * pxStride);
  let d = dst + (<usize>i0 << 6);
  const end = dst + (<usize>i1 << 6);
  const px = <usize>pxStride;
  if (sw == 1) {
    // Stride 1: entry i+1's first pixel is entry i's second; load each pixel once.
    let a0 = load8(s, signed, z), a1 = load8Next(s, signed, z);
    while (d < end) {
      s += px;
      const b0 = load8(s, signed, z), b1 = load8Next(s, signed, z);
      v128.store(d, zipLo16(a0, b0));
      v128.store(d, zipHi16(a0, b0), 16);
      v128.store(d, zipLo16(a1, b1), 32);
      v128.store(d, zipHi16(a1, b1), 48);
      a0 = b0;
      a1 = b1;
      d += 64;
    }
  } else {
    // Stride 2 (the only other one): the entry's two pixels, each with a pointer of its own.
    const step = px << 1;
    let s1 = s + px;
    while (d < end) {
      const a0 = load8(s, signed, z), a1 = load8Next(s, signed, z);
      const b0 = load8(s1, signed, z), b1 = load8Next(s1, signed, z);
      v128.store(d, zipLo16(a0, b0));
      v128.store(d, zipHi16(a0, b0), 16);
      v128.store(d, zipLo16(a1, b1), 32);
      v128.store(d, zipHi16(a1, b1), 48);
      s += step;
      s1 += step;
      d += 64;
    }
  }
}

/**
 * Entries [i0, i1) of `packTapPairs16` with all 16 channels, `signed` a literal: padding pixels
 * are zero vectors. Inlined: a row's few edge entries cost less than a call.
 */
@inline function packPairsEdge(signed: bool, src: usize, pxStride: i32, W: i32, zp: i32, padL: i32, sw: i32, i0: i32, i1: i32, dst: usize): void {
  const z = i16x8.splat(<i16>zp);
  const zero = i16x8.splat(0);
  for (let i = i0; i < i1; i++) {
    const j0 = sw * i - padL;
    const s0 = src + <usize>(j0 * pxStride);
    const s1 = s0 + <usize>pxStride;
    const in0 = <u32>j0 < <u32>W, in1 = <u32>(j0 + 1) < <u32>W;
    const a0 = in0 ? load8(s0, signed, z) : zero, a1 = in0 ? load8Next(s0, signed, z) : zero;
    const b0 = in1 ? load8(s1, signed, z) : zero, b1 = in1 ? load8Next(s1, signed, z) : zero;
    const d = dst + (<usize>i << 6);
    v128.store(d, zipLo16(a0, b0));
    v128.store(d, zipHi16(a0, b0), 16);
    v128.store(d, zipLo16(a1, b1), 32);
    v128.store(d, zipHi16(a1, b1), 48);
  }
}

/**
 * All `n` entries of `packTapPairs16` with fewer than 16 channels, value by value (padding pixels
 * and channels past `C` are zeros).
 */
function packPairsFew(src: usize, pxStride: i32, W: i32, C: i32, signed: bool, zp: i32, padL: i32, sw: i32, n: i32, dst: usize): void {
  for (let i = 0; i < n; i++) {
    const j0 = sw * i - padL;
    const in0 = j0 >= 0 && j0 < W;
    const in1 = j0 + 1 >= 0 && j0 + 1 < W;
    const s0 = src + <usize>(j0 * pxStride);
    const s1 = s0 + <usize>pxStride;
    const d = dst + (<usize>i << 6);
    for (let c = 0; c < 16; c++) {
      const x0 = in0 && c < C ? <i16>(loadAct(s0 + <usize>c, signed) - zp) : <i16>0;
      const x1 = in1 && c < C ? <i16>(loadAct(s1 + <usize>c, signed) - zp) : <i16>0;
      store<i16>(d + (<usize>c << 2), x0);
      store<i16>(d + (<usize>c << 2), x1, 2);
    }
  }
}

/**
 * Depthwise, one channel's pair row from its padded int16 row `v` (see `widenRowPadded`): entry i
 * = (v[sw*i], v[sw*i + 1]), `n` entries (a multiple of 8). With sw = 2 the padded row already is
 * the pair row; callers use it directly.
 */
@inline export function pairsStride1(v: usize, n: i32, dst: usize): void {
  for (let i = 0; i < n; i += 8) {
    const a = v128.load(v + (<usize>i << 1));
    const b = v128.load(v + (<usize>i << 1), 2);
    v128.store(dst + (<usize>i << 2), zipLo16(a, b));
    v128.store(dst + (<usize>i << 2), zipHi16(a, b), 16);
  }
}

/**
 * Transposes four channels' pair rows (each `n` int32 pairs, n a multiple of 4, rows `rowBytes`
 * apart from `rows`) into the channel-fastest pair row at `dst` (entries `entryBytes` apart).
 */
@inline export function transposePairs4(rows: usize, rowBytes: usize, n: i32, dst: usize, entryBytes: usize): void {
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const r0 = v128.load(rows + o);
    const r1 = v128.load(rows + rowBytes + o);
    const r2 = v128.load(rows + 2 * rowBytes + o);
    const r3 = v128.load(rows + 3 * rowBytes + o);
    const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5);
    const t1 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
    const t2 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5);
    const t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
    const d = dst + <usize>i * entryBytes;
    v128.store(d, v128.shuffle<i64>(t0, t2, 0, 2));
    v128.store(d + entryBytes, v128.shuffle<i64>(t0, t2, 1, 3));
    v128.store(d + 2 * entryBytes, v128.shuffle<i64>(t1, t3, 0, 2));
    v128.store(d + 3 * entryBytes, v128.shuffle<i64>(t1, t3, 1, 3));
  }
}

/** Widens `rows` x `cols` int8 weights into int16 rows of `colsP`, zero rows up to `rowsP`. */
export function widenWeights(src: usize, rows: i32, cols: i32, dst: usize, rowsP: i32, colsP: i32): void {
  for (let r = 0; r < rowsP; r++) {
    const d = dst + <usize>(r * colsP) * 2;
    let c = 0;
    if (r < rows) {
      const s = src + <usize>(r * cols);
      if (ASC_FEATURE_SIMD) {
        for (; c + 8 <= cols; c += 8) v128.store(d + (<usize>c << 1), v128.load_ext<i8>(s + <usize>c));
      }
      for (; c < cols; c++) store<i16>(d + (<usize>c << 1), <i16>load<i8>(s + <usize>c));
    }
    for (; c < colsP; c++) store<i16>(d + (<usize>c << 1), 0);
  }
}

/**
 * Pointwise weights [Cout][Cin] int8 -> blocks of 16 output channels, `[Coutp/16][K2][16][2]`
 * int16 (pair k of channel co = w[co][2k], w[co][2k+1]; zeros past Cout and Cin), so one plain
 * 16-byte load gives one pair of four output channels.
 */
export function pairWeights(src: usize, Cout: i32, Cin: i32, dst: usize, K2: i32): void {
  const Coutp = roundUp(Cout, 16);
  const blockBytes = <usize>K2 * 64;
  let kDone = 0;
  if (ASC_FEATURE_SIMD) {
    // 8 rows x 8 pairs at a time: an 8x8 transpose of 16-bit lanes (each lane one int8 pair),
    // then each transposed vector (one pair of 8 rows) widened into two.
    const K8 = (Cin >> 4) << 3; // whole groups of 8 pairs inside every row
    for (let co = 0; co < Coutp; co += 8) {
      const d = dst + <usize>(co >> 4) * blockBytes + (<usize>(co & 15) << 2);
      for (let k = 0; k < K8; k += 8) {
        const s = src + <usize>(co * Cin + 2 * k);
        const r0 = co < Cout ? v128.load(s) : i16x8.splat(0);
        const r1 = co + 1 < Cout ? v128.load(s + <usize>Cin) : i16x8.splat(0);
        const r2 = co + 2 < Cout ? v128.load(s + <usize>(2 * Cin)) : i16x8.splat(0);
        const r3 = co + 3 < Cout ? v128.load(s + <usize>(3 * Cin)) : i16x8.splat(0);
        const r4 = co + 4 < Cout ? v128.load(s + <usize>(4 * Cin)) : i16x8.splat(0);
        const r5 = co + 5 < Cout ? v128.load(s + <usize>(5 * Cin)) : i16x8.splat(0);
        const r6 = co + 6 < Cout ? v128.load(s + <usize>(6 * Cin)) : i16x8.splat(0);
        const r7 = co + 7 < Cout ? v128.load(s + <usize>(7 * Cin)) : i16x8.splat(0);
        const t0 = zipLo16(r0, r1), t1 = zipHi16(r0, r1), t2 = zipLo16(r2, r3), t3 = zipHi16(r2, r3);
        const t4 = zipLo16(r4, r5), t5 = zipHi16(r4, r5), t6 = zipLo16(r6, r7), t7 = zipHi16(r6, r7);
        const u0 = v128.shuffle<i32>(t0, t2, 0, 4, 1, 5), u1 = v128.shuffle<i32>(t0, t2, 2, 6, 3, 7);
        const u2 = v128.shuffle<i32>(t1, t3, 0, 4, 1, 5), u3 = v128.shuffle<i32>(t1, t3, 2, 6, 3, 7);
        const u4 = v128.shuffle<i32>(t4, t6, 0, 4, 1, 5), u5 = v128.shuffle<i32>(t4, t6, 2, 6, 3, 7);
        const u6 = v128.shuffle<i32>(t5, t7, 0, 4, 1, 5), u7 = v128.shuffle<i32>(t5, t7, 2, 6, 3, 7);
        const dk = d + <usize>k * 64;
        storePair8(dk, v128.shuffle<i64>(u0, u4, 0, 2));
        storePair8(dk + 64, v128.shuffle<i64>(u0, u4, 1, 3));
        storePair8(dk + 128, v128.shuffle<i64>(u1, u5, 0, 2));
        storePair8(dk + 192, v128.shuffle<i64>(u1, u5, 1, 3));
        storePair8(dk + 256, v128.shuffle<i64>(u2, u6, 0, 2));
        storePair8(dk + 320, v128.shuffle<i64>(u2, u6, 1, 3));
        storePair8(dk + 384, v128.shuffle<i64>(u3, u7, 0, 2));
        storePair8(dk + 448, v128.shuffle<i64>(u3, u7, 1, 3));
      }
    }
    kDone = K8;
  }
  for (let co = 0; co < Coutp; co++) {
    const d = dst + <usize>(co >> 4) * blockBytes + (<usize>(co & 15) << 2);
    for (let k = kDone; k < K2; k++) {
      const c = 2 * k;
      const a = co < Cout ? load<i8>(src + <usize>(co * Cin + c)) : <i8>0;
      const b = co < Cout && c + 1 < Cin ? load<i8>(src + <usize>(co * Cin + c + 1)) : <i8>0;
      store<i16>(d + <usize>k * 64, <i16>a);
      store<i16>(d + <usize>k * 64, <i16>b, 2);
    }
  }
}

/** Eight int8 pairs (one pair of 8 rows) widened to int16 at `d` (32 bytes). */
@inline function storePair8(d: usize, v: v128): void {
  v128.store(d, i16x8.extend_low_i8x16_s(v));
  v128.store(d, i16x8.extend_high_i8x16_s(v), 16);
}
