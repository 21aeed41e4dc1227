// Depthwise KxK convolution (depth multiplier 1), any kernel, stride and padding, reading and
// writing strided views (HWC, CHW, or a channel range or row window of a larger buffer).
//
// 3x3 with horizontal stride 1 or 2 (every MobileNet depthwise layer) has SIMD kernels of its own.
// Taps are paired so that `i32x4.dot_i16x8_s` does two taps of four outputs per instruction: for
// output column ox, taps kx = 0, 1 are the int16 pair (v[sw*ox], v[sw*ox + 1]) of the padded input
// row v, and tap kx = 2 is the first half of the pair 2/sw entries on (its second half meets a
// zero weight): six dot products per 3x3 window instead of nine multiplies and nine adds. Two
// orientations, chosen by the output layout:
// - channel-fastest output (from HWC or planar input): lanes are 4 channels of one output pixel;
//   16 channels at a time, their input rows packed into a ring of three pair rows as they are first
//   needed (a row in the vertical padding is a zero row), so the working set stays in L1 cache;
// - planar output (from planar input): lanes are 4 output pixels of one channel; the channel's
//   padded plane is widened once, and stride 1 both ways runs as one loop over the whole plane.
// Everything else (other kernels and strides, the scalar build) packs the whole input into
// padded int16 rows and accumulates 8 channels per SIMD step.
import { packRowsPadded, packTapPairs16, pairsStride1, roundUp, transposePairs4, widenRowPadded } from "./pack";
import { forgetPacked } from "./pointwise";
import { loadBias, prepareRequant, productsBound, requantChannels, requantPixels, requantTableBytes, storeBytes } from "./requant";

// Scratch layout of the current call (module globals: the kernels never allocate).
let sPacked: usize = 0;
let sWeights: usize = 0;
let sBias: usize = 0;
let sAcc: usize = 0;
let sTable: usize = 0;
// 3x3 kernels only.
let sRing: usize = 0;
let sRowTmp: usize = 0;
let sPairTmp: usize = 0;
/** Bytes from sPacked to the end of the scratch. */
let sSpace: usize = 0;

@inline function outSize(inSize: i32, padA: i32, padB: i32, k: i32, s: i32): i32 {
  return (inSize + padA + padB - k) / s + 1;
}

/** Entries of a packed pair row: every output column plus the 2/sw entries after it, in whole vectors. */
@inline function pairEntries(Wo: i32): i32 {
  return roundUp(roundUp(Wo, 4) + 2, 8);
}

/** Whether a 3x3 SIMD kernel exists for this kernel and horizontal stride. */
@inline function has3x3(kh: i32, kw: i32, sw: i32): bool {
  return ASC_FEATURE_SIMD && kh == 3 && kw == 3 && (sw == 1 || sw == 2);
}

/** Lays out the scratch buffers of one depthwise call from `base`; returns the end address. */
function layoutScratch(base: usize, H: i32, W: i32, C: i32, padL: i32, padR: i32, kh: i32, kw: i32, Wo: i32, sw: i32): usize {
  const Cp = <usize>roundUp(C, 8);
  const Wo4 = <usize>roundUp(Wo, 4);
  sTable = base;
  sBias = sTable + requantTableBytes(C);
  sWeights = sBias + <usize>roundUp(C, 16) * 4 + 64;
  // Weights: int16 [taps][Cp] (generic) or six vectors per 4 channels (3x3, 16-channel blocks).
  sAcc = sWeights + <usize>(kh * kw) * Cp * 2 + <usize>roundUp(C, 16) * 24 + 64;
  // Accumulators of one output row: [Wo][Cp] or [Cp][Wo4] int32, plus what requant over-reads;
  // at least `pixelAccBytes`.
  let accBytes = Cp * Wo4 * 4;
  if (accBytes < pixelAccBytes(Wo)) accBytes = pixelAccBytes(Wo);
  sPacked = sAcc + accBytes + 256;
  let end = sPacked + <usize>H * <usize>(padL + W + padR) * Cp * 2 + 64;
  sSpace = end - sPacked;
  if (has3x3(kh, kw, sw)) {
    // Accumulators [Wo][16] or [rows][Wo4] fit in the generic ones; the ring of pair rows (up to
    // five and a zero row, each Wq entries of 16 channels) and the temporaries share the packed space.
    const Wq = <usize>pairEntries(Wo);
    const vLen: usize = 2 * Wq + 16;
    sRing = sPacked;
    sRowTmp = sRing + 6 * Wq * EB;
    sPairTmp = sRowTmp + 4 * (vLen + 8) * 2;
    const end3 = sPairTmp + 4 * Wq * 4 + 64;
    if (end3 > end) end = end3;
    sSpace = end - sPacked;
  }
  return end;
}

/** Scratch bytes a depthwise call needs (the host reserves them before calling). */
export function depthwiseScratchBytes(H: i32, W: i32, C: i32, padL: i32, padR: i32, kh: i32, kw: i32, sw: i32): usize {
  const Wo = outSize(W, padL, padR, kw, sw);
  return layoutScratch(0, H, W, C, padL, padR, kh, kw, Wo, sw);
}

// ---------------------------------------------------------------------------------------------
// Generic kernel

/** [C][kh][kw] int8 -> tap-major [kh*kw][Cp] int16, so one SIMD load holds 8 channels of a tap. */
function widenDepthwiseWeights(src: usize, C: i32, taps: i32, dst: usize, Cp: i32): void {
  for (let t = 0; t < taps; t++) {
    const d = dst + <usize>(t * Cp) * 2;
    for (let c = 0; c < C; c++) store<i16>(d + (<usize>c << 1), <i16>load<i8>(src + <usize>(c * taps + t)));
    for (let c = C; c < Cp; c++) store<i16>(d + (<usize>c << 1), 0);
  }
}

/** Accumulates one output row into `acc` ([Wo][Cp] int32), starting from the bias. */
function accumulateRow(
  packed: usize, H: i32, Wp: i32, Cp: i32, kh: i32, kw: i32, sh: i32, sw: i32, padT: i32,
  oy: i32, Wo: i32, weights: usize, bias: usize, acc: usize,
): void {
  const iy0 = oy * sh - padT; // input row of tap row 0 (may be in the padding)
  const ky0 = iy0 < 0 ? -iy0 : 0;
  const kyEnd = H - iy0 < kh ? H - iy0 : kh;
  const px = <usize>Cp * 2; // bytes per packed pixel
  for (let ox = 0; ox < Wo; ox++) {
    const a = acc + <usize>(ox * Cp) * 4;
    const col = <usize>(ox * sw) * px;
    if (ASC_FEATURE_SIMD) {
      for (let c = 0; c < Cp; c += 8) {
        let lo = v128.load(bias + (<usize>c << 2));
        let hi = v128.load(bias + (<usize>c << 2), 16);
        for (let ky = ky0; ky < kyEnd; ky++) {
          let x = packed + <usize>(iy0 + ky) * <usize>Wp * px + col + (<usize>c << 1);
          let w = weights + <usize>(ky * kw) * px + (<usize>c << 1);
          for (let kx = 0; kx < kw; kx++) {
            const xv = v128.load(x);
            const wv = v128.load(w);
            lo = i32x4.add(lo, i32x4.extmul_low_i16x8_s(xv, wv));
            hi = i32x4.add(hi, i32x4.extmul_high_i16x8_s(xv, wv));
            x += px;
            w += px;
          }
        }
        v128.store(a + (<usize>c << 2), lo);
        v128.store(a + (<usize>c << 2), hi, 16);
      }
    } else {
      for (let c = 0; c < Cp; c++) {
        let sum = load<i32>(bias + (<usize>c << 2));
        for (let ky = ky0; ky < kyEnd; ky++) {
          let x = packed + <usize>(iy0 + ky) * <usize>Wp * px + col + (<usize>c << 1);
          let w = weights + <usize>(ky * kw) * px + (<usize>c << 1);
          for (let kx = 0; kx < kw; kx++) {
            sum += <i32>load<i16>(x) * <i32>load<i16>(w);
            x += px;
            w += px;
          }
        }
        store<i32>(a + (<usize>c << 2), sum);
      }
    }
  }
}

function depthwiseGeneric(
  src: usize, srcRow: i32, srcPx: i32, srcCh: i32, H: i32, W: i32, C: i32, signed: bool, zp: i32,
  padT: i32, padL: i32, padR: i32, kh: i32, kw: i32, sh: i32, sw: i32, Ho: i32, Wo: i32,
  weights: usize, hdr: usize, dst: usize, dstRow: i32, dstPx: i32, dstCh: i32,
): void {
  const Cp = roundUp(C, 8);
  packRowsPadded(src, srcRow, srcPx, srcCh, H, W, C, signed, zp, padL, padR, sPacked, Cp);
  widenDepthwiseWeights(weights, C, kh * kw, sWeights, Cp);
  loadBias(hdr, sBias, C, Cp);
  for (let oy = 0; oy < Ho; oy++) {
    accumulateRow(sPacked, H, padL + W + padR, Cp, kh, kw, sh, sw, padT, oy, Wo, sWeights, sBias, sAcc);
    requantPixels(sAcc, Cp, Wo, 0, C, dst + <usize>(oy * dstRow), dstPx, dstCh);
  }
}

// ---------------------------------------------------------------------------------------------
// 3x3 kernels (SIMD build)

/**
 * Accumulator bytes the channel-fastest 3x3 kernel has ([pixels][16] int32): two output rows (a
 * row pair), and 4 KB more so that several narrow rows can be requantized in one call.
 */
@inline function pixelAccBytes(Wo: i32): usize {
  return <usize>roundUp(Wo, 4) * EB * 2 + 4096;
}

/**
 * Whether the channel-fastest kernel computes output rows in pairs: the two rows share input rows
 * (two of four with stride 1, one of five with stride 2), loaded once for both. Measured: stride 1
 * +3-5% on 512x14x14, neutral on 28x28 and 7% slower on 112x112; stride 2 +2% on 56x56 -> 28x28,
 * +6-8% on the 28x28 and 14x14 ones, 3% slower on 112x112. Wider rows go one at a time.
 */
@inline function pixelRowPairs(sh: i32, sw: i32, Wo: i32): bool {
  return (sh == 1 && sw == 1 && Wo <= 16) || (sh == 2 && sw == 2 && Wo <= 28);
}

/** Channels per block of the channel-fastest kernel: one 64-byte cache line of pairs per entry. */
const CB = 16;
/** Bytes per entry of a channel-fastest pair row (CB channels x one int16 pair). */
const EB: usize = 64;

/** The int16 pair (a, b) as one int32 lane. */
@inline function pair(a: i32, b: i32): i32 {
  return (a & 0xffff) | (b << 16);
}

/** Which input row each ring slot holds (-1: none). Slots are iy % 3, or for row pairs iy % 4
 * (stride 1) or iy % 5 (stride 2): the rows of one step are consecutive, so they never collide. */
let tag0 = -1;
let tag1 = -1;
let tag2 = -1;
let tag3 = -1;
let tag4 = -1;

/** Marks `iy` packed into its slot `s`; returns whether it already was. */
function ringHas(iy: i32, s: i32): bool {
  if (s == 0) {
    if (tag0 == iy) return true;
    tag0 = iy;
  } else if (s == 1) {
    if (tag1 == iy) return true;
    tag1 = iy;
  } else if (s == 2) {
    if (tag2 == iy) return true;
    tag2 = iy;
  } else if (s == 3) {
    if (tag3 == iy) return true;
    tag3 = iy;
  } else {
    if (tag4 == iy) return true;
    tag4 = iy;
  }
  return false;
}

/**
 * One output row of 4 channels (one group of a block), channel-fastest: `q0..q2` are the group's
 * lanes in entry 0 of the three tap rows, `a` its accumulators; entries and accumulators are EB
 * bytes apart. `sw` is a literal at each call, so the single tap's offset is an immediate.
 */
@inline function rowGroup(sw: i32, q0: usize, q1: usize, q2: usize, wt: usize, b: v128, a: usize, Wo: i32): void {
  const w00 = v128.load(wt), w02 = v128.load(wt, 16);
  const w10 = v128.load(wt, 32), w12 = v128.load(wt, 48);
  const w20 = v128.load(wt, 64), w22 = v128.load(wt, 80);
  // Entries are EB = 64 bytes apart; the single tap sits 2/sw entries on. Two pixels per
  // iteration (one set of address updates and loop test for both), the exit test between them
  // keeping each pixel's loads in a block of their own (see `rowChannel`).
  const end = a + <usize>Wo * EB;
  if (sw == 1) {
    while (true) {
      v128.store(a, i32x4.add(
        i32x4.add(i32x4.add(i32x4.dot_i16x8_s(v128.load(q0), w00), i32x4.dot_i16x8_s(v128.load(q0, 128), w02)), b),
        i32x4.add(
          i32x4.add(i32x4.dot_i16x8_s(v128.load(q1), w10), i32x4.dot_i16x8_s(v128.load(q1, 128), w12)),
          i32x4.add(i32x4.dot_i16x8_s(v128.load(q2), w20), i32x4.dot_i16x8_s(v128.load(q2, 128), w22)),
        ),
      ));
      if (a + EB >= end) break;
      v128.store(a, i32x4.add(
        i32x4.add(i32x4.add(i32x4.dot_i16x8_s(v128.load(q0, 64), w00), i32x4.dot_i16x8_s(v128.load(q0, 192), w02)), b),
        i32x4.add(
          i32x4.add(i32x4.dot_i16x8_s(v128.load(q1, 64), w10), i32x4.dot_i16x8_s(v128.load(q1, 192), w12)),
          i32x4.add(i32x4.dot_i16x8_s(v128.load(q2, 64), w20), i32x4.dot_i16x8_s(v128.load(q2, 192), w22)),
        ),
      ), 64);
      q0 += 2 * EB;
      q1 += 2 * EB;
      q2 += 2 * EB;
      a += 2 * EB;
      if (a >= end) break;
    }
  } else {
    while (true) {
      v128.store(a, i32x4.add(
        i32x4.add(i32x4.add(i32x4.dot_i16x8_s(v128.load(q0), w00), i32x4.dot_i16x8_s(v128.load(q0, 64), w02)), b),
        i32x4.add(
          i32x4.add(i32x4.dot_i16x8_s(v128.load(q1), w10), i32x4.dot_i16x8_s(v128.load(q1, 64), w12)),
          i32x4.add(i32x4.dot_i16x8_s(v128.load(q2), w20), i32x4.dot_i16x8_s(v128.load(q2, 64), w22)),
        ),
      ));
      if (a + EB >= end) break;
      v128.store(a, i32x4.add(
        i32x4.add(i32x4.add(i32x4.dot_i16x8_s(v128.load(q0, 64), w00), i32x4.dot_i16x8_s(v128.load(q0, 128), w02)), b),
        i32x4.add(
          i32x4.add(i32x4.dot_i16x8_s(v128.load(q1, 64), w10), i32x4.dot_i16x8_s(v128.load(q1, 128), w12)),
          i32x4.add(i32x4.dot_i16x8_s(v128.load(q2, 64), w20), i32x4.dot_i16x8_s(v128.load(q2, 128), w22)),
        ),
      ), 64);
      q0 += 2 * EB;
      q1 += 2 * EB;
      q2 += 2 * EB;
      a += 2 * EB;
      if (a >= end) break;
    }
  }
}

/**
 * Two output rows of 4 channels, stride 1 (see `rowGroup`): `q0..q3` the four tap rows, the second
 * row's accumulators `ar` bytes after the first's. The middle two tap rows serve both outputs.
 */
@inline function rowGroupPair(q0: usize, q1: usize, q2: usize, q3: usize, wt: usize, b: v128, a: usize, ar: usize, Wo: i32): void {
  const w00 = v128.load(wt), w02 = v128.load(wt, 16);
  const w10 = v128.load(wt, 32), w12 = v128.load(wt, 48);
  const w20 = v128.load(wt, 64), w22 = v128.load(wt, 80);
  const end = a + <usize>Wo * EB;
  while (true) {
    const x0 = v128.load(q1), x2 = v128.load(q1, 128);
    const y0 = v128.load(q2), y2 = v128.load(q2, 128);
    v128.store(a, i32x4.add(
      i32x4.add(i32x4.add(i32x4.dot_i16x8_s(v128.load(q0), w00), i32x4.dot_i16x8_s(v128.load(q0, 128), w02)), b),
      i32x4.add(
        i32x4.add(i32x4.dot_i16x8_s(x0, w10), i32x4.dot_i16x8_s(x2, w12)),
        i32x4.add(i32x4.dot_i16x8_s(y0, w20), i32x4.dot_i16x8_s(y2, w22)),
      ),
    ));
    v128.store(a + ar, i32x4.add(
      i32x4.add(i32x4.add(i32x4.dot_i16x8_s(x0, w00), i32x4.dot_i16x8_s(x2, w02)), b),
      i32x4.add(
        i32x4.add(i32x4.dot_i16x8_s(y0, w10), i32x4.dot_i16x8_s(y2, w12)),
        i32x4.add(i32x4.dot_i16x8_s(v128.load(q3), w20), i32x4.dot_i16x8_s(v128.load(q3, 128), w22)),
      ),
    ));
    q0 += EB;
    q1 += EB;
    q2 += EB;
    q3 += EB;
    a += EB;
    if (a >= end) break;
  }
}

/**
 * `rowGroupPair` with stride 2: five tap rows `q0..q4`, the middle one serving both outputs. A copy
 * rather than a shared body: the single tap's offset (64 here, 128 there) must be an immediate, and
 * an inlined parameter is not a constant to AssemblyScript (see `rowGroup`).
 */
@inline function rowGroupPair2(q0: usize, q1: usize, q2: usize, q3: usize, q4: usize, wt: usize, b: v128, a: usize, ar: usize, Wo: i32): void {
  const w00 = v128.load(wt), w02 = v128.load(wt, 16);
  const w10 = v128.load(wt, 32), w12 = v128.load(wt, 48);
  const w20 = v128.load(wt, 64), w22 = v128.load(wt, 80);
  const end = a + <usize>Wo * EB;
  while (true) {
    const y0 = v128.load(q2), y2 = v128.load(q2, 64);
    v128.store(a, i32x4.add(
      i32x4.add(i32x4.add(i32x4.dot_i16x8_s(v128.load(q0), w00), i32x4.dot_i16x8_s(v128.load(q0, 64), w02)), b),
      i32x4.add(
        i32x4.add(i32x4.dot_i16x8_s(v128.load(q1), w10), i32x4.dot_i16x8_s(v128.load(q1, 64), w12)),
        i32x4.add(i32x4.dot_i16x8_s(y0, w20), i32x4.dot_i16x8_s(y2, w22)),
      ),
    ));
    v128.store(a + ar, i32x4.add(
      i32x4.add(i32x4.add(i32x4.dot_i16x8_s(y0, w00), i32x4.dot_i16x8_s(y2, w02)), b),
      i32x4.add(
        i32x4.add(i32x4.dot_i16x8_s(v128.load(q3), w10), i32x4.dot_i16x8_s(v128.load(q3, 64), w12)),
        i32x4.add(i32x4.dot_i16x8_s(v128.load(q4), w20), i32x4.dot_i16x8_s(v128.load(q4, 64), w22)),
      ),
    ));
    q0 += EB;
    q1 += EB;
    q2 += EB;
    q3 += EB;
    q4 += EB;
    a += EB;
    if (a >= end) break;
  }
}

/**
 * 3x3, channel-fastest output (from HWC or planar input), one block of CB channels at a time so
 * that its packed rows (three, or up to five for a row pair; entry i = the tap pairs
 * (v[sw*i], v[sw*i+1]) of the block's channels) stay in L1 cache; lanes = 4 channels of one output
 * pixel.
 */
function dw3x3Pixels(
  src: usize, srcRow: i32, srcPx: i32, srcCh: i32, H: i32, W: i32, C: i32, signed: bool, zp: i32,
  padT: i32, padL: i32, sh: i32, sw: i32, Ho: i32, Wo: i32,
  weights: usize, hdr: usize, dst: usize, dstRow: i32, dstPx: i32, dstCh: i32,
): void {
  // Two instances: the ring's slot count a literal in each (no division by a variable per row),
  // and the single-row one free of the pair code (which slowed it by 2-3% on 28x28).
  if (pixelRowPairs(sh, sw, Wo)) {
    pixelsKernel(true, src, srcRow, srcPx, srcCh, H, W, C, signed, zp, padT, padL, sh, sw, Ho, Wo, weights, hdr, dst, dstRow, dstPx, dstCh);
  } else {
    pixelsKernel(false, src, srcRow, srcPx, srcCh, H, W, C, signed, zp, padT, padL, sh, sw, Ho, Wo, weights, hdr, dst, dstRow, dstPx, dstCh);
  }
}

/** `dw3x3Pixels`, output rows in pairs if `pairs` (a literal). */
@inline function pixelsKernel(
  pairs: bool, src: usize, srcRow: i32, srcPx: i32, srcCh: i32, H: i32, W: i32, C: i32, signed: bool, zp: i32,
  padT: i32, padL: i32, sh: i32, sw: i32, Ho: i32, Wo: i32,
  weights: usize, hdr: usize, dst: usize, dstRow: i32, dstPx: i32, dstCh: i32,
): void {
  const Cq = roundUp(C, CB);
  const Wq = pairEntries(Wo);
  const rowBytes = <usize>Wq * EB;
  const zeroRow = sRing + 5 * rowBytes;
  memory.fill(zeroRow, 0, rowBytes);
  // Weights: per group of 4 channels, for each tap row (w0, w1) pairs then (w2, 0) pairs.
  for (let c = 0; c < Cq; c++) {
    const t = sWeights + <usize>(c >> 2) * 96 + (<usize>(c & 3) << 2);
    for (let ky = 0; ky < 3; ky++) {
      const w = weights + <usize>(c * 9 + ky * 3);
      const on = c < C;
      store<i32>(t + <usize>ky * 32, on ? pair(load<i8>(w), load<i8>(w, 1)) : 0);
      store<i32>(t + <usize>ky * 32 + 16, on ? pair(load<i8>(w, 2), 0) : 0);
    }
  }
  loadBias(hdr, sBias, C, Cq);
  const vLen = 2 * Wq + 16;
  const limit = <usize>memory.size() << 16;
  // Output rows that follow each other in dst are requantized together, as many as the
  // accumulators hold: fewer calls for narrow layers.
  const together = dstRow == Wo * dstPx;
  const accRows = <i32>(pixelAccBytes(Wo) / (<usize>Wo * EB));
  for (let cb = 0; cb < Cq; cb += CB) {
    const nb = C - cb < CB ? C - cb : CB;
    tag0 = tag1 = tag2 = tag3 = tag4 = -1;
    let pending = 0;
    for (let oy = 0; oy < Ho; ) {
      const two = pairs && oy + 1 < Ho;
      const iy0 = oy * sh - padT;
      const acc = sAcc + <usize>(pending * Wo) * EB;
      let r0 = zeroRow, r1 = zeroRow, r2 = zeroRow, r3 = zeroRow, r4 = zeroRow;
      const taps = two ? (sh == 1 ? 4 : 5) : 3;
      for (let ky = 0; ky < taps; ky++) {
        const iy = iy0 + ky;
        if (iy < 0 || iy >= H) continue;
        const s = pairs ? (sh == 1 ? iy & 3 : iy % 5) : iy % 3;
        const slot = sRing + <usize>s * rowBytes;
        if (!ringHas(iy, s)) {
          const s = src + <usize>(iy * srcRow) + <usize>(cb * srcCh);
          if (srcCh == 1) {
            // A block of fewer than 16 channels is packed as 16 when memory goes on: the lanes
            // past nb hold whatever follows, and meet zero weights.
            const whole = nb < CB && s + <usize>((W - 1) * srcPx) + CB <= limit ? CB : nb;
            packTapPairs16(s, srcPx, W, whole, signed, zp, padL, sw, Wo + 2 / sw, slot);
          } else {
            // Planar input: each channel's padded row, its pairs, then 4x4 transposes per 4 channels.
            for (let c = 0; c < CB; c += 4) {
              for (let k = 0; k < 4; k++) {
                const v = sRowTmp + <usize>(k * (vLen + 8)) * 2;
                if (c + k < nb) widenRowPadded(s + <usize>((c + k) * srcCh), W, signed, zp, padL, vLen, v, limit);
                else memory.fill(v, 0, <usize>vLen * 2);
                if (sw == 1) pairsStride1(v, Wq, sPairTmp + <usize>(k * Wq) * 4);
              }
              if (sw == 1) transposePairs4(sPairTmp, <usize>Wq * 4, Wq, slot + (<usize>c << 2), EB);
              else transposePairs4(sRowTmp, <usize>(vLen + 8) * 2, Wq, slot + (<usize>c << 2), EB);
            }
          }
        }
        if (ky == 0) r0 = slot;
        else if (ky == 1) r1 = slot;
        else if (ky == 2) r2 = slot;
        else if (ky == 3) r3 = slot;
        else r4 = slot;
      }
      for (let g = 0; g < CB; g += 4) {
        const wt = sWeights + <usize>((cb + g) >> 2) * 96;
        const b = v128.load(sBias + (<usize>(cb + g) << 2));
        const off = <usize>g << 2;
        if (two && sh == 1) rowGroupPair(r0 + off, r1 + off, r2 + off, r3 + off, wt, b, acc + off, <usize>Wo * EB, Wo);
        else if (two) rowGroupPair2(r0 + off, r1 + off, r2 + off, r3 + off, r4 + off, wt, b, acc + off, <usize>Wo * EB, Wo);
        else if (sw == 1) rowGroup(1, r0 + off, r1 + off, r2 + off, wt, b, acc + off, Wo);
        else rowGroup(2, r0 + off, r1 + off, r2 + off, wt, b, acc + off, Wo);
      }
      const done = two ? 2 : 1;
      pending += done;
      oy += done;
      if (!together) {
        // Rows apart in dst: one call per row.
        for (let k = 0; k < pending; k++) {
          requantPixels(sAcc + <usize>(k * Wo) * EB, CB, Wo, cb, nb, dst + <usize>((oy - pending + k) * dstRow), dstPx, dstCh);
        }
        pending = 0;
      } else if (pending + 2 > accRows || oy == Ho) {
        requantPixels(sAcc, CB, pending * Wo, cb, nb, dst + <usize>((oy - pending) * dstRow), dstPx, dstCh);
        pending = 0;
      }
    }
  }
}

/**
 * 3x3, planar input and output, channel by channel. Each channel's plane is widened once into
 * padded int16 rows `V` (row stride Wv, the padding holding the input zero point, vertical padding
 * as whole rows); lanes are 4 output pixels.
 * - stride 1 (both ways): output j of the flattened plane (row stride Wv) is the sum over ky of
 *   (V[j + ky*Wv], V[j + ky*Wv + 1]) . (w0, w1) + V[j + ky*Wv + 2] * w2, and V's own int32 lanes
 *   are such pairs for every other output: one loop over the whole plane, no per-row work (the
 *   Wv - Wo columns past each row are computed and never stored). Rows of up to 16 outputs
 *   contiguous in dst are requantized straight into it, one vector per row (requantization's
 *   narrow-rows loop: +12% on 512x14x14); wider ones over the flattened plane, into bytes `T`,
 *   whose rows are then copied out (the general row loop cost more than the copies);
 * - otherwise one loop per output row, the same way with horizontal stride 1; with stride 2, V's
 *   int32 lanes are the tap pairs of consecutive outputs, and rows go in pairs (`rowPairStride2`).
 * Channels go in batches (`gBatch`), so that one requantization call serves several (+11% on
 * 512x14x14 with stride 2, one call per channel before).
 */
function dw3x3Planar(
  src: usize, srcRow: i32, srcCh: i32, H: i32, W: i32, C: i32, signed: bool, zp: i32,
  padT: i32, padL: i32, sh: i32, sw: i32, Ho: i32, Wo: i32,
  weights: usize, hdr: usize, dst: usize, dstRow: i32, dstPx: i32, dstCh: i32,
): void {
  const Wv = gWv;
  const flat = sw == 1 && sh == 1;
  const limit = <usize>memory.size() << 16;
  loadBias(hdr, sBias, C, roundUp(C, 8));
  // In the packed space: the plane V, then the accumulators A, then (flat) the bytes T.
  const V = sPacked;
  const A = V + gPlaneBytes;
  const accStride = gAccStride;
  const T = A + <usize>(gBatch * accStride) * 4;
  const vRow = <usize>Wv << 1;
  // The plane starts as input zero points; the rows of each channel then write their data (and
  // only zero points elsewhere: see widenPlane), so the padding holds them for every channel.
  const zpv = i16x8.splat(<i16>zp);
  for (let k: usize = 0; k < gPlaneBytes; k += 16) v128.store(V + k, zpv);
  const G = gBatch;
  const n = Ho * Wv; // flat: outputs of the flattened plane
  const nq = accStride; // flat: ... rounded up to whole requantization vectors
  const tStride = <usize>nq + 16;
  for (let c0 = 0; c0 < C; c0 += G) {
    const cn = C - c0 < G ? C - c0 : G;
    for (let g = 0; g < cn; g++) {
      const c = c0 + g;
      const plane = src + <usize>(c * srcCh);
      if (signed) widenPlaneS(plane, srcRow, H, W, zp, padL, Wv, V + <usize>padT * vRow, limit);
      else widenPlaneU(plane, srcRow, H, W, zp, padL, Wv, V + <usize>padT * vRow, limit);
      const w = weights + <usize>(c * 9);
      const t0 = <i32>load<i8>(w), t1 = <i32>load<i8>(w, 1), t2 = <i32>load<i8>(w, 2);
      const t3 = <i32>load<i8>(w, 3), t4 = <i32>load<i8>(w, 4), t5 = <i32>load<i8>(w, 5);
      const t6 = <i32>load<i8>(w, 6), t7 = <i32>load<i8>(w, 7), t8 = <i32>load<i8>(w, 8);
      const w00 = i32x4.splat(pair(t0, t1)), w02 = i32x4.splat(pair(t2, 0));
      const w10 = i32x4.splat(pair(t3, t4)), w12 = i32x4.splat(pair(t5, 0));
      const w20 = i32x4.splat(pair(t6, t7)), w22 = i32x4.splat(pair(t8, 0));
      // The plane holds x, not x - zp: the bias takes the zero point's share (int32 wraps alike).
      const b = i32x4.splat(load<i32>(sBias + (<usize>c << 2)) - zp * (t0 + t1 + t2 + t3 + t4 + t5 + t6 + t7 + t8));
      if (flat) {
        // The whole plane as one row of Ho * Wv outputs.
        rowChannel(1, V, vRow, w00, w02, w10, w12, w20, w22, b, A + <usize>(g * accStride) * 4, n);
      } else {
        const Wo4 = roundUp(Wo, 4);
        const ag = A + <usize>(g * accStride) * 4;
        let oy = 0;
        if (sw == 2 && sh == 2) {
          for (; oy + 2 <= Ho; oy += 2) {
            rowPairStride2(V + <usize>(oy * 2) * vRow, vRow, w00, w02, w10, w12, w20, w22, b, ag + <usize>(oy * Wo4) * 4, <usize>Wo4 << 2, Wo);
          }
        }
        for (; oy < Ho; oy++) {
          const q0 = V + <usize>(oy * sh) * vRow;
          const a = ag + <usize>(oy * Wo4) * 4;
          if (sw == 1) rowChannel(1, q0, vRow, w00, w02, w10, w12, w20, w22, b, a, Wo);
          else rowChannel(2, q0, vRow, w00, w02, w10, w12, w20, w22, b, a, Wo);
        }
      }
    }
    if (!flat) {
      // Rows that follow each other both in A and in dst are requantized as one.
      const Wo4 = roundUp(Wo, 4);
      if (Wo4 == Wo && dstRow == Wo) requantChannels(A, accStride, Ho * Wo, 1, Ho * Wo, c0, cn, dst, Ho * Wo, dstPx, dstCh);
      else requantChannels(A, accStride, Wo4, Ho, Wo, c0, cn, dst, dstRow, dstPx, dstCh);
    } else if (Wo <= 16 && dstRow == Wo) {
      // Flat, narrow rows: straight into dst (see above).
      requantChannels(A, accStride, Wv, Ho, Wo, c0, cn, dst, dstRow, 1, dstCh);
    } else {
      // Flat: channel c's bytes go to T + (c - c0) * tStride (the base wraps below T, as usize does).
      requantChannels(A, accStride, nq, 1, nq, c0, cn, T - <usize>c0 * tStride, nq, 1, <i32>tStride);
      for (let g = 0; g < cn; g++) {
        copyRows(T + <usize>g * tStride, Wv, dst + <usize>((c0 + g) * dstCh), dstRow, Ho, Wo);
      }
    }
  }
}

/**
 * Copies `rows` rows of `n` bytes from `src` (rows `srcRow` apart; read up to 15 bytes past each)
 * to `dst` (rows `dstRow` apart), writing nothing else in dst but the later rows of the copy.
 */
@inline function copyRows(src: usize, srcRow: i32, dst: usize, dstRow: i32, rows: i32, n: i32): void {
  let s = src, d = dst;
  if (n >= 16) {
    // Whole vectors, the last one ending at the row's end (overlapping the one before).
    for (let y = 0; y < rows; y++, s += <usize>srcRow, d += <usize>dstRow) {
      let j: usize = 0;
      for (; j + 16 <= <usize>n; j += 16) v128.store(d + j, v128.load(s + j));
      if (j < <usize>n) v128.store(d + <usize>(n - 16), v128.load(s + <usize>(n - 16)));
    }
  } else {
    // One vector per row, whole where what it writes past the row lands on later rows of the copy.
    const whole = dstRow == n ? rows - (16 + n - 1) / n + 1 : 0;
    for (let y = 0; y < rows; y++, s += <usize>srcRow, d += <usize>dstRow) {
      if (y < whole) v128.store(d, v128.load(s));
      else storeBytes(d, v128.load(s), n, 1);
    }
  }
}

/** `widenPlane` of int8 input. */
function widenPlaneS(src: usize, srcRow: i32, H: i32, W: i32, zp: i32, padL: i32, Wv: i32, dst: usize, limit: usize): void {
  widenPlane(true, src, srcRow, H, W, zp, padL, Wv, dst, limit);
}

/** `widenPlane` of uint8 input. */
function widenPlaneU(src: usize, srcRow: i32, H: i32, W: i32, zp: i32, padL: i32, Wv: i32, dst: usize, limit: usize): void {
  widenPlane(false, src, srcRow, H, W, zp, padL, Wv, dst, limit);
}

/**
 * A channel's H input rows (`srcRow` bytes apart) widened to int16 into the plane rows from `dst`
 * (Wv elements apart; data from element padL on), `signed` a literal. Each row is written 16
 * elements a step (two widening loads: one address update and loop test per 16), then two vectors
 * of zero points `zpv` right after its data: what the last step wrote past the row (up to 15
 * elements) lies on the padding, which must keep the zero point, or on the next rows' data, which
 * they write after (the plane has a row and 32 elements more below the last data row). Called
 * through `widenPlaneS` / `widenPlaneU` (`signed` a literal in each), which binaryen inlines (one
 * caller each); one out-of-line function for both measured no faster (-1.6% on 512x14x14).
 */
@inline function widenPlane(signed: bool, src: usize, srcRow: i32, H: i32, W: i32, zp: i32, padL: i32, Wv: i32, dst: usize, limit: usize): void {
  const n = <usize>roundUp(W, 16);
  const vRow = <usize>Wv << 1;
  let s = src, d = dst + (<usize>padL << 1);
  if (src + <usize>((H - 1) * srcRow) + n > limit) {
    // The last rows' vectors would read past the end of memory: value by value.
    for (let y = 0; y < H; y++, s += <usize>srcRow, d += vRow) {
      for (let j = 0; j < W; j++) store<i16>(d + (<usize>j << 1), signed ? <i32>load<i8>(s + <usize>j) : <i32>load<u8>(s + <usize>j));
    }
    return;
  }
  const zpv = i16x8.splat(<i16>zp);
  const end = d + <usize>H * vRow;
  if (n == 16) {
    // Rows of up to 16 (14x14, 7x7): one step per row, no inner loop.
    while (d < end) {
      v128.store(d, signed ? v128.load_ext<i8>(s) : v128.load_ext<u8>(s));
      v128.store(d, signed ? v128.load_ext<i8>(s, 8) : v128.load_ext<u8>(s, 8), 16);
      v128.store(d + (<usize>W << 1), zpv);
      v128.store(d + (<usize>W << 1), zpv, 16);
      s += <usize>srcRow;
      d += vRow;
    }
    return;
  }
  while (d < end) {
    let p = s, q = d;
    const pe = s + n;
    while (p < pe) {
      v128.store(q, signed ? v128.load_ext<i8>(p) : v128.load_ext<u8>(p));
      v128.store(q, signed ? v128.load_ext<i8>(p, 8) : v128.load_ext<u8>(p, 8), 16);
      p += 16;
      q += 32;
    }
    v128.store(d + (<usize>W << 1), zpv);
    v128.store(d + (<usize>W << 1), zpv, 16);
    s += <usize>srcRow;
    d += vRow;
  }
}

/**
 * One output row of one channel, `n` outputs from `q0` (its first tap row in the int16 plane;
 * tap rows `r` bytes apart) into the accumulators at `a`. Stride 2: V's int32 lanes at q0 are
 * the tap pairs of four consecutive outputs. Stride 1: they are the pairs of every other output,
 * so a step does eight (the odd ones read one element on) and interleaves them when it stores;
 * up to 7 outputs past `n` are computed and stored, and never requantized.
 */
@inline function rowChannel(
  sw: i32, q0: usize, r: usize, w00: v128, w02: v128, w10: v128, w12: v128, w20: v128, w22: v128, b: v128, a: usize, n: i32,
): void {
  if (sw == 2) {
    // Two steps of four outputs per iteration (one address update and loop test for both), the
    // exit test between them keeping each step's loads in a block of their own (see below).
    const end = a + (<usize>roundUp(n, 4) << 2);
    while (true) {
      v128.store(a, tapsPlanar(q0, r, w00, w02, w10, w12, w20, w22, b));
      if (a + 16 >= end) break;
      v128.store(a, tapsPlanar(q0 + 16, r, w00, w02, w10, w12, w20, w22, b), 16);
      q0 += 32;
      a += 32;
      if (a >= end) break;
    }
    return;
  }
  // A step starts with the even outputs computed at the end of the step before, so that the exit
  // test between the halves keeps each half's six loads in a block of their own (TurboFan issues
  // a block's loads before its arithmetic; both halves in one block measured 5-11% slower).
  const end = a + (<usize>roundUp(n, 8) << 2);
  let e = tapsPlanar(q0, r, w00, w02, w10, w12, w20, w22, b);
  while (true) {
    const o = tapsPlanar(q0 + 2, r, w00, w02, w10, w12, w20, w22, b);
    v128.store(a, v128.shuffle<i32>(e, o, 0, 4, 1, 5));
    v128.store(a, v128.shuffle<i32>(e, o, 2, 6, 3, 7), 16);
    q0 += 16;
    a += 32;
    if (a >= end) break;
    e = tapsPlanar(q0, r, w00, w02, w10, w12, w20, w22, b);
  }
}

/**
 * Two output rows of one channel, stride 2 both ways (see `rowChannel`): tap rows from `q0`, `r`
 * bytes apart; the second row's accumulators `ar` bytes after the first's. The input row between
 * them (the first's third tap row, the second's first) is loaded once for both: measured +7% on
 * 64x112x112 against a row at a time.
 */
@inline function rowPairStride2(
  q0: usize, r: usize, w00: v128, w02: v128, w10: v128, w12: v128, w20: v128, w22: v128, b: v128, a: usize, ar: usize, n: i32,
): void {
  const end = a + (<usize>roundUp(n, 4) << 2);
  while (true) {
    const v1 = q0 + r, v2 = v1 + r, v3 = v2 + r, v4 = v3 + r;
    const m0 = v128.load(v2), m1 = v128.load(v2, 4);
    const u0 = i32x4.add(i32x4.dot_i16x8_s(v128.load(q0), w00), i32x4.dot_i16x8_s(v128.load(q0, 4), w02));
    const u1 = i32x4.add(i32x4.dot_i16x8_s(v128.load(v1), w10), i32x4.dot_i16x8_s(v128.load(v1, 4), w12));
    const u2 = i32x4.add(i32x4.dot_i16x8_s(m0, w20), i32x4.dot_i16x8_s(m1, w22));
    v128.store(a, i32x4.add(i32x4.add(u0, b), i32x4.add(u1, u2)));
    const d0 = i32x4.add(i32x4.dot_i16x8_s(m0, w00), i32x4.dot_i16x8_s(m1, w02));
    const d1 = i32x4.add(i32x4.dot_i16x8_s(v128.load(v3), w10), i32x4.dot_i16x8_s(v128.load(v3, 4), w12));
    const d2 = i32x4.add(i32x4.dot_i16x8_s(v128.load(v4), w20), i32x4.dot_i16x8_s(v128.load(v4, 4), w22));
    v128.store(a + ar, i32x4.add(i32x4.add(d0, b), i32x4.add(d1, d2)));
    q0 += 16;
    a += 16;
    if (a >= end) break;
  }
}

/**
 * Four outputs of one channel: at `v` the int16 plane element of the first one's first tap, tap
 * rows `r` bytes apart. The int32 lanes at v hold its taps 0 and 1 as a pair (and those of the
 * outputs 2/sw apart), and the lanes two elements on its tap 2 in their low halves (the high
 * halves meet the zero of the weight pair (w2, 0)).
 */
@inline function tapsPlanar(v: usize, r: usize, w00: v128, w02: v128, w10: v128, w12: v128, w20: v128, w22: v128, b: v128): v128 {
  const v1 = v + r, v2 = v1 + r;
  const s0 = i32x4.add(i32x4.dot_i16x8_s(v128.load(v), w00), i32x4.dot_i16x8_s(v128.load(v, 4), w02));
  const s1 = i32x4.add(i32x4.dot_i16x8_s(v128.load(v1), w10), i32x4.dot_i16x8_s(v128.load(v1, 4), w12));
  const s2 = i32x4.add(i32x4.dot_i16x8_s(v128.load(v2), w20), i32x4.dot_i16x8_s(v128.load(v2, 4), w22));
  return i32x4.add(i32x4.add(s0, b), i32x4.add(s1, s2));
}

// Geometry of the planar kernel (set by `planarGeometry`).
/** Row stride of the padded int16 plane (elements). */
let gWv = 0;
/** Bytes of the plane (vertical padding included, plus what the last vectors read). */
let gPlaneBytes: usize = 0;
/** int32 accumulators per channel (flat: the flattened plane's outputs in whole 16-lane vectors). */
let gAccStride = 0;
/** Channels per batch. */
let gBatch = 0;

/** Bytes of accumulators (and, flat, output bytes) a batch of the planar kernel aims at. */
const BATCH_BYTES = 16384;

/** Sets the planar kernel's geometry; returns whether it fits in the scratch space `space`. */
function planarGeometry(H: i32, W: i32, C: i32, padT: i32, padL: i32, padB: i32, padR: i32, sh: i32, sw: i32, Ho: i32, Wo: i32, space: usize): bool {
  const Wp = padL + W + padR;
  const flat = sw == 1 && sh == 1;
  if (flat) {
    // Flattened: a row's right padding can be the next row's left padding (both hold the zero
    // point), so rows need only the wider of the two pads, and room for the Wo outputs (wider
    // with both pads above 2).
    const pad = padL > padR ? padL : padR;
    gWv = W + (pad > padL + padR - 2 ? pad : padL + padR - 2);
  } else {
    // Per row: four outputs per vector read up to input column sw*(Wo4 - 1) + 2 (+ 3 for the
    // overlapping stride-1 loads); rows start at even elements so stride-2 pairs stay aligned.
    const need = sw * roundUp(Wo, 4) + 8;
    gWv = roundUp(need > Wp ? need : Wp, 2);
  }
  const rowsRead = (Ho - 1) * sh + 3;
  const Hin = padT + H + padB;
  const Hp = (rowsRead > Hin ? rowsRead : Hin) + 1;
  gPlaneBytes = ((<usize>(Hp * gWv) + 32) * 2 + 15) & ~(<usize>15);
  let perChannel: usize;
  if (flat) {
    // The accumulators of the flattened plane (the loop stores up to 7 past it) and its bytes
    // (the row copies read up to 15 past them).
    gAccStride = roundUp(Ho * gWv, 16);
    perChannel = <usize>gAccStride * 5 + 16;
  } else {
    // One channel's rows of Wo4 accumulators, and what the loops store and requantization reads
    // past the last row (up to 4 and 15).
    gAccStride = Ho * roundUp(Wo, 4) + 16;
    perChannel = <usize>gAccStride * 4;
  }
  if (gPlaneBytes + perChannel + 256 > space) return false;
  let G = <i32>(<usize>BATCH_BYTES / perChannel);
  const fit = <i32>((space - gPlaneBytes - 256) / perChannel);
  if (G > fit) G = fit;
  if (G < 1) G = 1;
  gBatch = G > C ? C : G;
  return true;
}

/**
 * Depthwise convolution of an H x W x C view at `src` into `dst`. A view's element (y, x, c) is at
 * `y*row + x*px + c*ch` bytes. Activations are int8 if `signed`, else uint8. Weights are int8
 * [C][kh][kw]; `hdr` holds bias and requant parameters. `scratch` holds `depthwiseScratchBytes`.
 */
export function depthwise(
  src: usize, srcRow: i32, srcPx: i32, srcCh: i32, H: i32, W: i32, C: i32, signed: bool, zp: i32,
  padT: i32, padL: i32, padB: i32, padR: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  weights: usize, hdr: usize, dst: usize, dstRow: i32, dstPx: i32, dstCh: i32, scratch: usize,
): void {
  const Ho = outSize(H, padT, padB, kh, sh);
  const Wo = outSize(W, padL, padR, kw, sw);
  forgetPacked(); // this call overwrites the scratch a pointwise call may have packed into
  layoutScratch(scratch, H, W, C, padL, padR, kh, kw, Wo, sw);
  prepareRequant(hdr, C, sTable, productsBound(kh * kw, signed, zp));
  if (ASC_FEATURE_SIMD) {
    if (has3x3(kh, kw, sw)) {
      if (dstCh == 1 && (srcCh == 1 || srcPx == 1)) {
        dw3x3Pixels(src, srcRow, srcPx, srcCh, H, W, C, signed, zp, padT, padL, sh, sw, Ho, Wo, weights, hdr, dst, dstRow, dstPx, dstCh);
        return;
      }
      if (dstPx == 1 && srcPx == 1 && planarGeometry(H, W, C, padT, padL, padB, padR, sh, sw, Ho, Wo, sSpace)) {
        dw3x3Planar(src, srcRow, srcCh, H, W, C, signed, zp, padT, padL, sh, sw, Ho, Wo, weights, hdr, dst, dstRow, dstPx, dstCh);
        return;
      }
    }
  }
  depthwiseGeneric(src, srcRow, srcPx, srcCh, H, W, C, signed, zp, padT, padL, padR, kh, kw, sh, sw, Ho, Wo, weights, hdr, dst, dstRow, dstPx, dstCh);
}
