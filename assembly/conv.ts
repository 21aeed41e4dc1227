// General convolution: any kernel, stride, dilation, explicit padding and groups (grouped,
// depthwise with a multiplier, dilated, strided 1x1, stems), and fully connected layers (a 1x1
// convolution over rows). im2col into the pointwise kernel's GEMM core:
// - a chunk of output pixels is unrolled into int16 rows of x - zp, one row per output pixel, its
//   columns the group's receptive field in weight order (ky, kx, ci); a tap in the padding is a
//   zero, which is exactly a tap that adds nothing;
// - the rows go through `gemmPixels` (2 pixels x 16 output channels, `i32x4.dot_i16x8_s`) against
//   the group's weights in `pairWeights` form, then `requantPixels`, as in a pointwise call.
// Unrolling straight into the packed int16 form costs one pass over the receptive fields; the
// GEMM then runs at pointwise speed whatever the geometry. Weights are packed by
// `convPackWeights`, which the host may call once per layer and keep (the packing depends on the
// build: SIMD pairs or scalar rows).
import { roundUp, widenWeights, pairWeights } from "./pack";
import { forgetPacked, gemmPixelsAny, gemmScalar } from "./pointwise";
import { loadBias, prepareRequant, productsBound, requantPixels, requantTableBytes } from "./requant";

let sPacked: usize = 0;
let sBias: usize = 0;
let sTable: usize = 0;
let sAcc: usize = 0;

/** Output pixels per chunk: the unrolled chunk (pixels x Kp int16) stays near 16 KB. */
function chunkPixels(Kp: i32): i32 {
  const P = (16384 / Kp) & ~15;
  return P < 16 ? 16 : P > 256 ? 256 : P;
}

/** Bytes of the packed weights of `groups` groups of Og x K. */
export function convWeightBytes(Cout: i32, K: i32, groups: i32): usize {
  const Og = Cout / groups;
  const Ogp = <usize>roundUp(Og, 16);
  return <usize>groups * Ogp * <usize>roundUp(K, 8) * 2 + 64;
}

/**
 * Packs int8 weights [Cout][K] (K = kh*kw*Cin/groups, in (ky, kx, ci) order; group g owns rows
 * g*Og .. g*Og+Og-1) minus `wzp` into `dst` (`convWeightBytes` bytes): per group, SIMD:
 * `pairWeights` blocks; scalar: int16 rows of Kp. Padding entries are zero.
 */
export function convPackWeights(weights: usize, Cout: i32, K: i32, groups: i32, wzp: i32, dst: usize): void {
  const Og = Cout / groups;
  const Ogp = roundUp(Og, 16);
  const K2 = (K + 1) >> 1;
  const Kp = roundUp(K, 8);
  const groupBytes = <usize>Ogp * <usize>Kp * 2;
  for (let g = 0; g < groups; g++) {
    const s = weights + <usize>g * <usize>Og * <usize>K;
    const d = dst + <usize>g * groupBytes;
    if (ASC_FEATURE_SIMD) pairWeights(s, Og, K, d, K2);
    else widenWeights(s, Og, K, d, Ogp, Kp);
    if (wzp != 0) {
      // A weight zero point (per-tensor fully connected): the real entries again, offset.
      for (let co = 0; co < Og; co++) {
        for (let k = 0; k < K; k++) {
          const v = <i16>(<i32>load<i8>(s + <usize>(co * K + k)) - wzp);
          if (ASC_FEATURE_SIMD) store<i16>(d + <usize>(co >> 4) * <usize>K2 * 64 + <usize>(k >> 1) * 64 + (<usize>(co & 15) << 2) + (<usize>(k & 1) << 1), v);
          else store<i16>(d + <usize>(co * Kp + k) * 2, v);
        }
      }
    }
  }
}

/** Scratch bytes of a general convolution call (beyond its packed weights). */
export function convScratchBytes(Cout: i32, K: i32, groups: i32): usize {
  return layoutScratch(0, Cout, K, groups);
}

function layoutScratch(base: usize, Cout: i32, K: i32, groups: i32): usize {
  const Kp = roundUp(K, 8);
  const P = <usize>chunkPixels(Kp);
  const Ogp = <usize>roundUp(Cout / groups, 16);
  sPacked = base;
  // Unrolled chunk, plus slack for the vector stores that run past a row's end (up to 8 lanes).
  sBias = sPacked + P * <usize>Kp * 2 + 64;
  sTable = sBias + <usize>roundUp(Cout + 16, 16) * 4 + 64;
  sAcc = sTable + requantTableBytes(Cout);
  const accBytes = ASC_FEATURE_SIMD ? P * 64 : P * Ogp * 4;
  return sAcc + accBytes + 64;
}

@inline function loadAct(src: usize, signed: bool): i32 {
  return signed ? <i32>load<i8>(src) : <i32>load<u8>(src);
}

/**
 * `n` activations, `step` bytes apart, as int16 x - zp at `d`. With step 1 the SIMD build widens 8
 * at a time and may write up to 7 lanes past `n` (the next run, or the row's zero tail, overwrites
 * them); it reads up to 7 bytes past the run only below `limit`.
 */
@inline function widenRun(signed: bool, s: usize, n: i32, step: i32, zp: i32, d: usize, limit: usize): void {
  let j = 0;
  if (ASC_FEATURE_SIMD && step == 1) {
    const z = i16x8.splat(<i16>zp);
    const nv = s + <usize>roundUp(n, 8) <= limit ? n : n & ~7;
    for (; j < nv; j += 8) {
      v128.store(d + (<usize>j << 1), i16x8.sub(signed ? v128.load_ext<i8>(s + <usize>j) : v128.load_ext<u8>(s + <usize>j), z));
    }
  }
  for (; j < n; j++) store<i16>(d + (<usize>j << 1), <i16>(loadAct(s + <usize>(j * step), signed) - zp));
}

@inline function zeroRun(d: usize, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    const zero = i16x8.splat(0);
    for (let j = 0; j < n; j += 8) v128.store(d + (<usize>j << 1), zero);
  } else {
    memory.fill(d, 0, <usize>n << 1);
  }
}

/**
 * Unrolls output pixels [p0, p0 + m) of group g into `m` rows of Kp int16 at sPacked. Output pixel
 * p is (p / Wo, p % Wo).
 */
@inline function im2col(
  signed: bool, src: usize, srcRow: i32, srcPx: i32, srcCh: i32, H: i32, W: i32, Ig: i32, g: i32, zp: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padT: i32, padL: i32, Wo: i32,
  p0: i32, m: i32, K: i32, Kp: i32, limit: usize,
): void {
  const base = src + <usize>(g * Ig * srcCh);
  const rowBytes = <usize>Kp << 1;
  // Dense channel-fastest pixels and no dilation: a tap row's kw pixels are one contiguous run.
  const runs = srcCh == 1 && dw == 1 && srcPx == Ig;
  let oy = p0 / Wo;
  let ox = p0 - oy * Wo;
  let d = sPacked;
  for (let i = 0; i < m; i++) {
    const iy0 = oy * sh - padT;
    const ix0 = ox * sw - padL;
    let k = 0;
    for (let ky = 0; ky < kh; ky++) {
      const iy = iy0 + ky * dh;
      if (iy < 0 || iy >= H) {
        zeroRun(d + (<usize>k << 1), kw * Ig);
        k += kw * Ig;
        continue;
      }
      const srow = base + <usize>(iy * srcRow);
      if (runs) {
        // Taps [kx0, kx1) inside the row.
        let kx0 = ix0 < 0 ? -ix0 : 0;
        if (kx0 > kw) kx0 = kw;
        let kx1 = W - ix0;
        if (kx1 > kw) kx1 = kw;
        if (kx1 < kx0) kx1 = kx0;
        if (kx0 > 0) zeroRun(d + (<usize>k << 1), kx0 * Ig);
        k += kx0 * Ig;
        const n = (kx1 - kx0) * Ig;
        if (n > 0) widenRun(signed, srow + <usize>((ix0 + kx0) * srcPx), n, 1, zp, d + (<usize>k << 1), limit);
        k += n;
        if (kx1 < kw) zeroRun(d + (<usize>k << 1), (kw - kx1) * Ig);
        k += (kw - kx1) * Ig;
      } else {
        for (let kx = 0; kx < kw; kx++) {
          const ix = ix0 + kx * dw;
          if (ix < 0 || ix >= W) zeroRun(d + (<usize>k << 1), Ig);
          else widenRun(signed, srow + <usize>(ix * srcPx), Ig, srcCh, zp, d + (<usize>k << 1), limit);
          k += Ig;
        }
      }
    }
    // Columns K..Kp-1 are zero (this also overwrites what the last run wrote past K).
    zeroRun(d + (<usize>K << 1), Kp - K);
    d += rowBytes;
    if (++ox == Wo) {
      ox = 0;
      oy++;
    }
  }
}

/**
 * General convolution of an H x W x Cin view at `src` (element (y, x, c) at `y*srcRow + x*srcPx +
 * c*srcCh` bytes; int8 if `signed`) into the Ho x Wo x Cout view at `dst`. Output pixel (oy, ox),
 * channel co of group g = co / (Cout/groups) sums w[co][ky][kx][ci] * (x[oy*sh - padT + ky*dh]
 * [ox*sw - padL + kx*dw][g*Ig + ci] - zp) over the taps inside the input. `packed`: the weights as
 * `convPackWeights` left them; `hdr`: bias and requant parameters; `wzp`: the weights' zero point
 * the packing subtracted (0 but for per-tensor fully connected), for the ONNX range bound.
 * `scratch` holds `convScratchBytes` bytes.
 */
export function convGeneral(
  src: usize, srcRow: i32, srcPx: i32, srcCh: i32, H: i32, W: i32, Cin: i32, signed: bool, zp: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padT: i32, padL: i32, Ho: i32, Wo: i32,
  groups: i32, Cout: i32, packed: usize, wzp: i32, hdr: usize, dst: usize, dstRow: i32, dstPx: i32, dstCh: i32, scratch: usize,
): void {
  forgetPacked(); // this call overwrites the scratch a pointwise call may have packed into
  const Ig = Cin / groups;
  const Og = Cout / groups;
  const K = kh * kw * Ig;
  const K2 = (K + 1) >> 1;
  const Kp = roundUp(K, 8);
  const Ogp = roundUp(Og, 16);
  const groupBytes = <usize>Ogp * <usize>Kp * 2;
  layoutScratch(scratch, Cout, K, groups);
  loadBias(hdr, sBias, Cout, roundUp(Cout + 16, 16));
  const bound = productsBound(K, signed, zp);
  prepareRequant(hdr, Cout, sTable, wzp != 0 ? 2 * bound : bound);
  const P = chunkPixels(Kp);
  const n = Ho * Wo;
  const limit = <usize>memory.size() << 16;
  for (let p0 = 0; p0 < n; p0 += P) {
    const m = n - p0 < P ? n - p0 : P;
    const oy = p0 / Wo;
    for (let g = 0; g < groups; g++) {
      if (signed) im2col(true, src, srcRow, srcPx, srcCh, H, W, Ig, g, zp, kh, kw, sh, sw, dh, dw, padT, padL, Wo, p0, m, K, Kp, limit);
      else im2col(false, src, srcRow, srcPx, srcCh, H, W, Ig, g, zp, kh, kw, sh, sw, dh, dw, padT, padL, Wo, p0, m, K, Kp, limit);
      const wg = packed + <usize>g * groupBytes;
      const c0g = g * Og;
      // Output pixels of the chunk are not one strided run unless rows follow each other.
      if (dstRow == Wo * dstPx) {
        const d = dst + <usize>(p0 * dstPx);
        gemmChunk(m, K2, Kp, Og, Ogp, wg, c0g, d, dstPx, dstCh);
      } else {
        // Row by row: each output row segment of the chunk is requantized into its own row.
        gemmRows(m, K2, Kp, Og, Ogp, wg, c0g, dst, dstRow, dstPx, dstCh, p0, oy, Wo);
      }
    }
  }
}

/** GEMM + requant of m unrolled rows into consecutive output pixels at `d`. */
function gemmChunk(m: i32, K2: i32, Kp: i32, Og: i32, Ogp: i32, wg: usize, c0g: i32, d: usize, dstPx: i32, dstCh: i32): void {
  if (ASC_FEATURE_SIMD) {
    for (let c0 = 0; c0 < Og; c0 += 16) {
      const cn = Og - c0 < 16 ? Og - c0 : 16;
      gemmPixelsAny(cn, sPacked, m, <usize>Kp * 2, K2, wg + <usize>c0 * <usize>K2 * 4, sBias + (<usize>(c0g + c0) << 2), sAcc);
      requantPixels(sAcc, 16, m, c0g + c0, cn, d, dstPx, dstCh);
    }
  } else {
    gemmScalar(sPacked, m, Kp, wg, Ogp, sBias + (<usize>c0g << 2), sAcc);
    requantPixels(sAcc, Ogp, m, c0g, Og, d, dstPx, dstCh);
  }
}

/** `gemmChunk` for an output whose rows are not contiguous: one output-row segment at a time. */
function gemmRows(m: i32, K2: i32, Kp: i32, Og: i32, Ogp: i32, wg: usize, c0g: i32, dst: usize, dstRow: i32, dstPx: i32, dstCh: i32, p0: i32, oy: i32, Wo: i32): void {
  const all = sPacked;
  let done = 0;
  let y = oy;
  let x = p0 - oy * Wo;
  while (done < m) {
    const seg = Wo - x < m - done ? Wo - x : m - done;
    sPacked = all + <usize>done * <usize>Kp * 2;
    gemmChunk(seg, K2, Kp, Og, Ogp, wg, c0g, dst + <usize>(y * dstRow + x * dstPx), dstPx, dstCh);
    done += seg;
    x = 0;
    y++;
  }
  sPacked = all;
}

/**
 * Depthwise with a depth multiplier M as a depthwise convolution of C*M channels: the input with
 * each channel repeated M times (channel c*M + m of `dst` = channel c of `src`), dense, in the
 * source's layout (`planar`: CHW planes of `pixels` bytes; else HWC pixels of C bytes).
 */
export function repeatChannels(src: usize, pixels: i32, C: i32, M: i32, planar: bool, dst: usize): void {
  if (planar) {
    for (let o = 0; o < C * M; o++) memory.copy(dst + <usize>o * <usize>pixels, src + <usize>(o / M) * <usize>pixels, <usize>pixels);
    return;
  }
  const O = C * M;
  if (ASC_FEATURE_SIMD) {
    if (M == 2) {
      // Bytes doubled 16 at a time: [a b c ..] -> [a a b b c c ..].
      const n = pixels * C;
      let i = 0;
      for (; i + 16 <= n; i += 16) {
        const v = v128.load(src + <usize>i);
        v128.store(dst + (<usize>i << 1), v128.shuffle<u8>(v, v, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7));
        v128.store(dst + (<usize>i << 1), v128.shuffle<u8>(v, v, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15), 16);
      }
      for (; i < n; i++) {
        const b = load<u8>(src + <usize>i);
        store<u8>(dst + (<usize>i << 1), b);
        store<u8>(dst + (<usize>i << 1), b, 1);
      }
      return;
    }
  }
  for (let p = 0; p < pixels; p++) {
    const s = src + <usize>(p * C);
    const d = dst + <usize>(p * O);
    for (let c = 0; c < C; c++) memory.fill(d + <usize>(c * M), load<u8>(s + <usize>c), <usize>M);
  }
}
