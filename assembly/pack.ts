// Packing: activation bytes (HWC or CHW, int8 or uint8) -> int16 (x - zeroPoint), channel fastest,
// channels zero-padded to a multiple of 8.
//
// Subtracting the zero point while widening keeps every product w*(x - zp) within int16 range
// (|w| <= 128, |x - zp| <= 255) and makes padding free: a zero in the packed buffer is exactly a
// tap that contributes nothing. Packing into one layout is also what lets a single SIMD core
// serve both input layouts.

/** `n` rounded up to a multiple of `m` (a power of two). */
@inline export function roundUp(n: i32, m: i32): i32 {
  return (n + m - 1) & ~(m - 1);
}

@inline function loadAct(src: usize, signed: bool): i32 {
  return signed ? <i32>load<i8>(src) : <i32>load<u8>(src);
}

/**
 * Packs `n` pixels of C channels, pixel p at `src + p*pxStride`, channel c at `+ c*chStride`, into
 * `dst` (n pixels of Cp int16). Channels C..Cp-1 are zeroed.
 */
export function packPixels(
  src: usize, n: i32, pxStride: i32, chStride: i32, C: i32, signed: bool, zp: i32, dst: usize, Cp: i32,
): void {
  if (chStride == 1) {
    for (let p = 0; p < n; p++) {
      const s = src + <usize>(p * pxStride);
      const d = dst + <usize>(p * Cp) * 2;
      let c = 0;
      if (ASC_FEATURE_SIMD) {
        const z = i16x8.splat(<i16>zp);
        for (; c + 8 <= C; c += 8) {
          const x = signed ? v128.load_ext<i8>(s + <usize>c) : v128.load_ext<u8>(s + <usize>c);
          v128.store(d + (<usize>c << 1), i16x8.sub(x, z));
        }
      }
      for (; c < C; c++) store<i16>(d + (<usize>c << 1), <i16>(loadAct(s + <usize>c, signed) - zp));
      for (; c < Cp; c++) store<i16>(d + (<usize>c << 1), 0);
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

/** Widens `rows` x `cols` int8 weights into int16 rows of `colsP`, zero rows up to `rowsP`. */
export function widenWeights(src: usize, rows: i32, cols: i32, dst: usize, rowsP: i32, colsP: i32): void {
  for (let r = 0; r < rowsP; r++) {
    const d = dst + <usize>(r * colsP) * 2;
    let c = 0;
    if (r < rows) {
      const s = src + <usize>(r * cols);
      for (; c < cols; c++) store<i16>(d + (<usize>c << 1), <i16>load<i8>(s + <usize>c));
    }
    for (; c < colsP; c++) store<i16>(d + (<usize>c << 1), 0);
  }
}
