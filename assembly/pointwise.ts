// Pointwise 1x1 convolution as an int16 matrix multiply over chunks of pixels.
//
// SIMD build: a 2 x 16 register block (8 accumulators) built from `i32x4.dot_i16x8_s`, the
// WebAssembly form of GAP8's 4-way byte dot product: each instruction multiplies two input
// channels of four outputs and adds the pairs (XNNPACK's "c2" scheme). One operand is a splat of
// an int16 pair, the other four vectors of pairs, so no horizontal sums are ever needed. Which
// side is which follows the output layout, so every result lands where its bytes go:
// - channel-fastest output (HWC): rows = 2 pixels, columns = 16 output channels; the weights are
//   prepared once per call as int16 pairs in blocks of 16 channels (`pairWeights`);
// - planar output (CHW): rows = 2 output channels, columns = 16 pixels; the pixels are packed as
//   pairs of input channels in blocks of 16 (`packChannelPairs`, SIMD from either input layout).
// Each block of accumulators is requantized at once by requant.ts (planar: 16 output channels of
// a chunk at once) and stored with vector stores.
// Scalar build: the plain triple loop over the same packed int16 data.
import { packChannelPairs, packPixels, pairWeights, roundUp, widenWeights } from "./pack";
import { loadBias, prepareRequant, productsBound, requantChannels, requantPixels, requantTableBytes } from "./requant";

// Scratch layout of the current call (module globals: the kernels never allocate).
let sWeights: usize = 0;
let sBias: usize = 0;
let sTable: usize = 0;
let sPacked: usize = 0;
let sAcc: usize = 0;

/** Pixels per chunk: the packed chunk (pixels x Cin int16) stays near 32 KB, the size of L1. */
function chunkPixels(Cin: i32): i32 {
  const P = (16384 / roundUp(Cin, 8)) & ~15;
  return P < 16 ? 16 : P > 256 ? 256 : P;
}

/**
 * Planar output: the packed chunk (about 64 KB) is re-read for every two output channels, and all
 * the weights once per chunk; larger chunks read the weights fewer times (chunks of 16 KB and
 * 128 KB measured the same).
 */
function chunkPixelsPlanar(Cin: i32): i32 {
  const P = (32768 / roundUp(Cin, 8)) & ~15;
  return P < 16 ? 16 : P > 256 ? 256 : P;
}

/** Lays out the scratch buffers of one pointwise call from `base`; returns the end address. */
function layoutScratch(base: usize, Cin: i32, Cout: i32): usize {
  const Cinp = <usize>roundUp(Cin, 8);
  const Coutp = <usize>roundUp(Cout, 16);
  const Ph = chunkPixels(Cin), Pc = chunkPixelsPlanar(Cin);
  const P = <usize>(Ph > Pc ? Ph : Pc);
  // Packed chunk first, at a place that depends on Cin only (see `reuse` in `pointwise`):
  // P x Cinp int16 (rows) or P x K2 pairs (blocks of 16 pixels).
  sPacked = base;
  // Weights: int16 pairs (HWC) or int16 rows (CHW and scalar): at most Coutp x Cinp x 2 bytes.
  sWeights = sPacked + P * Cinp * 2 + 256;
  sBias = sWeights + Coutp * Cinp * 2;
  sTable = sBias + Coutp * 4 + 64;
  sAcc = sTable + requantTableBytes(Cout);
  // Accumulators: P pixels x 16 channels, or 16 channels x P pixels, or (scalar) P x Coutp.
  const accBytes = ASC_FEATURE_SIMD ? P * 64 : P * Coutp * 4;
  return sAcc + accBytes + 64;
}

// What the packed chunk holds: the source and the packing of the last chunk packed (a packing
// into a different place, or of anything else, never matches).
let pkAt: usize = 0;
let pkSrc: usize = 0;
let pkN = -1;
let pkPx = 0;
let pkCh = 0;
let pkCin = 0;
let pkZp = 0;
let pkForm = -1;

/** Forgets what the packed chunk holds: another kernel is about to use the scratch. */
export function forgetPacked(): void {
  pkN = -1;
}

/**
 * Whether the chunk at `sPacked` already holds this packing of the source: the previous call
 * packed it and the host vouches (`reuse`) that the source bytes have not changed since. Records
 * the packing about to be made otherwise.
 */
function packedAlready(reuse: bool, src: usize, n: i32, px: i32, ch: i32, Cin: i32, signed: bool, zp: i32, form: i32): bool {
  const f = form * 2 + (signed ? 1 : 0);
  if (reuse && pkAt == sPacked && pkSrc == src && pkN == n && pkPx == px && pkCh == ch && pkCin == Cin && pkZp == zp && pkForm == f) return true;
  pkAt = sPacked;
  pkSrc = src;
  pkN = n;
  pkPx = px;
  pkCh = ch;
  pkCin = Cin;
  pkZp = zp;
  pkForm = f;
  return false;
}

/** Scratch bytes a pointwise call needs (the host reserves them before calling). */
export function pointwiseScratchBytes(Cin: i32, Cout: i32): usize {
  return layoutScratch(0, Cin, Cout);
}

// Weight slots. The scratchpad model DMAs each output-channel tile's weights into L1 again at
// every step, and the widening of 3-16 KB of weights costs a tenth of a small tile's time. The
// host keeps one slot per tile; a slot holds the raw bytes it widened and their widening, and a
// call uses that widening only if the weights in L1 are exactly those bytes (compared in full:
// much cheaper than widening, and a wrong or stale slot can only cost a miss).
/** Slot header: the form of the widening (0: empty), Cout, Cin. */
const SLOT_HEADER: usize = 16;

/** Bytes of one weight slot for a Cout x Cin tile (the host zeroes its first 16 bytes). */
export function pointwiseWeightSlotBytes(Cin: i32, Cout: i32): usize {
  return SLOT_HEADER + <usize>roundUp(Cout * Cin, 16) + <usize>roundUp(Cout, 16) * <usize>roundUp(Cin, 8) * 2;
}

/** Whether `n` bytes at `a` and `b` are equal. */
function bytesEqual(a: usize, b: usize, n: i32): bool {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 64 <= n; i += 64) {
      const p = a + <usize>i, q = b + <usize>i;
      const d0 = v128.or(v128.xor(v128.load(p), v128.load(q)), v128.xor(v128.load(p, 16), v128.load(q, 16)));
      const d1 = v128.or(v128.xor(v128.load(p, 32), v128.load(q, 32)), v128.xor(v128.load(p, 48), v128.load(q, 48)));
      if (v128.any_true(v128.or(d0, d1))) return false;
    }
    for (; i + 16 <= n; i += 16) {
      if (v128.any_true(v128.xor(v128.load(a + <usize>i), v128.load(b + <usize>i)))) return false;
    }
  } else {
    for (; i + 8 <= n; i += 8) if (load<u64>(a + <usize>i) != load<u64>(b + <usize>i)) return false;
  }
  for (; i < n; i++) if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false;
  return true;
}

/**
 * Widens the weights for this call's blocks and points `sWeights` at them: into the scratch, or
 * into `slot` (see above) unless the slot already holds them.
 */
function prepareWeights(weights: usize, Cout: i32, Cin: i32, K2: i32, hwcOut: bool, slot: usize): void {
  const form = ASC_FEATURE_SIMD ? (hwcOut ? 1 : 2) : 3;
  const n = Cout * Cin;
  const raw = slot + SLOT_HEADER;
  if (slot != 0) {
    sWeights = raw + <usize>roundUp(n, 16);
    if (load<i32>(slot) == form && load<i32>(slot, 4) == Cout && load<i32>(slot, 8) == Cin && bytesEqual(raw, weights, n)) return;
  }
  if (ASC_FEATURE_SIMD) {
    if (hwcOut) pairWeights(weights, Cout, Cin, sWeights, K2);
    else widenWeights(weights, Cout, Cin, sWeights, roundUp(Cout, 2), 2 * K2);
  } else {
    widenWeights(weights, Cout, Cin, sWeights, roundUp(Cout, 16), roundUp(Cin, 8));
  }
  if (slot != 0) {
    memory.copy(raw, weights, <usize>n);
    store<i32>(slot, form);
    store<i32>(slot, Cout, 4);
    store<i32>(slot, Cin, 8);
  }
}

/**
 * Channel-fastest block: for `m` packed pixel rows at `a` (`lda` bytes apart, int16 channel pairs),
 * acc[p][0..4*nb) = bias + sum_k a[p][k] . b[k][0..4*nb), b = one 16-channel block of
 * `pairWeights` (64 bytes per channel pair). Accumulators are 16 int32 per pixel at `acc`.
 * `nb` (1..4 vectors of 4 channels) is a literal at each call: a block narrower than 16 channels
 * (the last one, or a tile of the scratchpad model) wastes no multiplies.
 */
@inline function gemmPixels(nb: i32, a: usize, m: i32, lda: usize, K2: i32, b: usize, bias: usize, acc: usize): void {
  const end = b + (<usize>K2 << 6);
  const z = i32x4.splat(0);
  let p = 0;
  for (; p + 2 <= m; p += 2) {
    let x0 = a + <usize>p * lda;
    let x1 = x0 + lda;
    let c00 = v128.load(bias), c01 = nb > 1 ? v128.load(bias, 16) : z, c02 = nb > 2 ? v128.load(bias, 32) : z, c03 = nb > 3 ? v128.load(bias, 48) : z;
    let c10 = c00, c11 = c01, c12 = c02, c13 = c03;
    for (let w = b; w < end; w += 64) {
      const v0 = v128.load32_splat(x0);
      const v1 = v128.load32_splat(x1);
      const w0 = v128.load(w);
      c00 = i32x4.add(c00, i32x4.dot_i16x8_s(v0, w0));
      c10 = i32x4.add(c10, i32x4.dot_i16x8_s(v1, w0));
      if (nb > 1) {
        const w1 = v128.load(w, 16);
        c01 = i32x4.add(c01, i32x4.dot_i16x8_s(v0, w1));
        c11 = i32x4.add(c11, i32x4.dot_i16x8_s(v1, w1));
      }
      if (nb > 2) {
        const w2 = v128.load(w, 32);
        c02 = i32x4.add(c02, i32x4.dot_i16x8_s(v0, w2));
        c12 = i32x4.add(c12, i32x4.dot_i16x8_s(v1, w2));
      }
      if (nb > 3) {
        const w3 = v128.load(w, 48);
        c03 = i32x4.add(c03, i32x4.dot_i16x8_s(v0, w3));
        c13 = i32x4.add(c13, i32x4.dot_i16x8_s(v1, w3));
      }
      x0 += 4;
      x1 += 4;
    }
    const o = acc + (<usize>p << 6);
    v128.store(o, c00);
    if (nb > 1) v128.store(o, c01, 16);
    if (nb > 2) v128.store(o, c02, 32);
    if (nb > 3) v128.store(o, c03, 48);
    v128.store(o, c10, 64);
    if (nb > 1) v128.store(o, c11, 80);
    if (nb > 2) v128.store(o, c12, 96);
    if (nb > 3) v128.store(o, c13, 112);
  }
  if (p < m) {
    let x0 = a + <usize>p * lda;
    let c00 = v128.load(bias), c01 = nb > 1 ? v128.load(bias, 16) : z, c02 = nb > 2 ? v128.load(bias, 32) : z, c03 = nb > 3 ? v128.load(bias, 48) : z;
    for (let w = b; w < end; w += 64) {
      const v0 = v128.load32_splat(x0);
      c00 = i32x4.add(c00, i32x4.dot_i16x8_s(v0, v128.load(w)));
      if (nb > 1) c01 = i32x4.add(c01, i32x4.dot_i16x8_s(v0, v128.load(w, 16)));
      if (nb > 2) c02 = i32x4.add(c02, i32x4.dot_i16x8_s(v0, v128.load(w, 32)));
      if (nb > 3) c03 = i32x4.add(c03, i32x4.dot_i16x8_s(v0, v128.load(w, 48)));
      x0 += 4;
    }
    const o = acc + (<usize>p << 6);
    v128.store(o, c00);
    if (nb > 1) v128.store(o, c01, 16);
    if (nb > 2) v128.store(o, c02, 32);
    if (nb > 3) v128.store(o, c03, 48);
  }
}

/** `gemmPixels` for the channels left in a block (1 to 16). */
export function gemmPixelsAny(cn: i32, a: usize, m: i32, lda: usize, K2: i32, b: usize, bias: usize, acc: usize): void {
  if (cn > 12) gemmPixels(4, a, m, lda, K2, b, bias, acc);
  else if (cn > 8) gemmPixels(3, a, m, lda, K2, b, bias, acc);
  else if (cn > 4) gemmPixels(2, a, m, lda, K2, b, bias, acc);
  else gemmPixels(1, a, m, lda, K2, b, bias, acc);
}

/**
 * Pixel-fastest blocks: for `pairs` pairs of output channels (int16 weight rows at `w0`, `K2*4`
 * bytes apart; int32 biases at `bias`) and `blocks` consecutive blocks of packed pixels from `b`
 * (`packChannelPairs`), the first `nv` (1..4, a literal) vectors of 4 pixels of each block:
 * acc[j][p] = bias[j] + sum_k w[j][k] . b[k][p]. Row j of the accumulators starts at `acc + j*row`.
 */
@inline function gemmChannels(nv: i32, w0: usize, K2: i32, b: usize, blocks: i32, pairs: i32, bias: usize, acc: usize, row: usize): void {
  const rowBytes = <usize>K2 << 2;
  const blockBytes = <usize>K2 << 6;
  const z = i32x4.splat(0);
  for (let pr = 0; pr < pairs; pr++) {
    const wp = w0 + <usize>pr * (rowBytes << 1);
    const wEnd = wp + rowBytes;
    const bias0 = load<i32>(bias + (<usize>pr << 3)), bias1 = load<i32>(bias + (<usize>pr << 3), 4);
    let x = b;
    let o = acc + <usize>pr * (row << 1);
    for (let i = 0; i < blocks; i++) {
      let c00 = i32x4.splat(bias0), c01 = nv > 1 ? c00 : z, c02 = nv > 2 ? c00 : z, c03 = nv > 3 ? c00 : z;
      let c10 = i32x4.splat(bias1), c11 = nv > 1 ? c10 : z, c12 = nv > 2 ? c10 : z, c13 = nv > 3 ? c10 : z;
      let q = x;
      for (let w = wp; w < wEnd; w += 4) {
        const v0 = v128.load32_splat(w);
        const v1 = v128.load32_splat(w + rowBytes);
        const x0 = v128.load(q);
        c00 = i32x4.add(c00, i32x4.dot_i16x8_s(v0, x0));
        c10 = i32x4.add(c10, i32x4.dot_i16x8_s(v1, x0));
        if (nv > 1) {
          const x1 = v128.load(q, 16);
          c01 = i32x4.add(c01, i32x4.dot_i16x8_s(v0, x1));
          c11 = i32x4.add(c11, i32x4.dot_i16x8_s(v1, x1));
        }
        if (nv > 2) {
          const x2 = v128.load(q, 32);
          c02 = i32x4.add(c02, i32x4.dot_i16x8_s(v0, x2));
          c12 = i32x4.add(c12, i32x4.dot_i16x8_s(v1, x2));
        }
        if (nv > 3) {
          const x3 = v128.load(q, 48);
          c03 = i32x4.add(c03, i32x4.dot_i16x8_s(v0, x3));
          c13 = i32x4.add(c13, i32x4.dot_i16x8_s(v1, x3));
        }
        q += 64;
      }
      v128.store(o, c00);
      if (nv > 1) v128.store(o, c01, 16);
      if (nv > 2) v128.store(o, c02, 32);
      if (nv > 3) v128.store(o, c03, 48);
      v128.store(o + row, c10);
      if (nv > 1) v128.store(o + row, c11, 16);
      if (nv > 2) v128.store(o + row, c12, 32);
      if (nv > 3) v128.store(o + row, c13, 48);
      x += blockBytes;
      o += 64;
    }
  }
}

type GemmChannelsFn = (w0: usize, K2: i32, b: usize, blocks: i32, pairs: i32, bias: usize, acc: usize, row: usize) => void;
function gemmChannels1(w0: usize, K2: i32, b: usize, blocks: i32, pairs: i32, bias: usize, acc: usize, row: usize): void { if (ASC_FEATURE_SIMD) gemmChannels(1, w0, K2, b, blocks, pairs, bias, acc, row); }
function gemmChannels2(w0: usize, K2: i32, b: usize, blocks: i32, pairs: i32, bias: usize, acc: usize, row: usize): void { if (ASC_FEATURE_SIMD) gemmChannels(2, w0, K2, b, blocks, pairs, bias, acc, row); }
function gemmChannels3(w0: usize, K2: i32, b: usize, blocks: i32, pairs: i32, bias: usize, acc: usize, row: usize): void { if (ASC_FEATURE_SIMD) gemmChannels(3, w0, K2, b, blocks, pairs, bias, acc, row); }
function gemmChannels4(w0: usize, K2: i32, b: usize, blocks: i32, pairs: i32, bias: usize, acc: usize, row: usize): void { if (ASC_FEATURE_SIMD) gemmChannels(4, w0, K2, b, blocks, pairs, bias, acc, row); }

/**
 * `gemmChannels` by its number of vectors less one. Called through this table so that binaryen
 * cannot inline it: inlined into `pointwiseRun` (as a function with one caller is), the same loop
 * ran 25-30% slower, V8 allocating its registers for the whole chunk loop.
 */
@lazy const GEMM_CHANNELS: StaticArray<GemmChannelsFn> = [gemmChannels1, gemmChannels2, gemmChannels3, gemmChannels4];

/**
 * `gemmChannels` over `m` packed pixels: whole blocks of 16, then the vectors the last pixels
 * need (a 14x14 plane is 12 blocks and one vector, not 13 blocks).
 */
function gemmChannelsAll(w0: usize, K2: i32, b: usize, m: i32, pairs: i32, bias: usize, acc: usize, row: usize): void {
  const blocks = m >> 4;
  if (blocks > 0) unchecked(GEMM_CHANNELS[3])(w0, K2, b, blocks, pairs, bias, acc, row);
  const rest = m & 15;
  if (rest != 0) {
    unchecked(GEMM_CHANNELS[(rest - 1) >> 2])(w0, K2, b + <usize>blocks * (<usize>K2 << 6), 1, pairs, bias, acc + (<usize>blocks << 6), row);
  }
}

/** Scalar build: acc[p][co] = bias[co] + sum_ci x[p][ci] * w[co][ci] over packed int16 rows. */
export function gemmScalar(x: usize, n: i32, Cinp: i32, w: usize, Coutp: i32, bias: usize, acc: usize): void {
  const rowBytes = <usize>Cinp * 2;
  for (let p = 0; p < n; p++) {
    const xp = x + <usize>p * rowBytes;
    for (let co = 0; co < Coutp; co++) {
      const wp = w + <usize>co * rowBytes;
      let sum = load<i32>(bias + (<usize>co << 2));
      for (let k: usize = 0; k < rowBytes; k += 2) sum += <i32>load<i16>(xp + k) * <i32>load<i16>(wp + k);
      store<i32>(acc + <usize>(p * Coutp + co) * 4, sum);
    }
  }
}

/**
 * Convolves `n` pixels of one row (or of a whole dense tensor), a chunk of pixels at a time.
 * `reuse`: see `pointwise`.
 */
function pointwiseRun(
  src: usize, srcPx: i32, srcCh: i32, n: i32, Cin: i32, signed: bool, zp: i32,
  Cout: i32, dst: usize, dstPx: i32, dstCh: i32, hwcOut: bool, reuse: bool,
): void {
  const P = hwcOut ? chunkPixels(Cin) : chunkPixelsPlanar(Cin);
  const K2 = (Cin + 1) >> 1;
  const Cinp = roundUp(Cin, 8);
  for (let p0 = 0; p0 < n; p0 += P) {
    const m = n - p0 < P ? n - p0 : P;
    const s = src + <usize>(p0 * srcPx);
    const d = dst + <usize>(p0 * dstPx);
    if (ASC_FEATURE_SIMD) {
      if (hwcOut) {
        if (!packedAlready(reuse, s, m, srcPx, srcCh, Cin, signed, zp, 0)) packPixels(s, m, srcPx, srcCh, Cin, signed, zp, sPacked, Cinp);
        for (let c0 = 0; c0 < Cout; c0 += 16) {
          const cn = Cout - c0 < 16 ? Cout - c0 : 16;
          gemmPixelsAny(cn, sPacked, m, <usize>Cinp * 2, K2, sWeights + <usize>c0 * <usize>K2 * 4, sBias + (<usize>c0 << 2), sAcc);
          requantPixels(sAcc, 16, m, c0, cn, d, dstPx, dstCh);
        }
      } else {
        const m16 = roundUp(m, 16);
        if (!packedAlready(reuse, s, m, srcPx, srcCh, Cin, signed, zp, 1)) {
          packChannelPairs(s, m, srcPx, srcCh, Cin, signed, zp, sPacked, K2, <usize>memory.size() << 16);
        }
        const row = <usize>m16 << 2;
        for (let g0 = 0; g0 < Cout; g0 += 16) {
          const gn = Cout - g0 < 16 ? Cout - g0 : 16;
          gemmChannelsAll(sWeights + <usize>g0 * <usize>K2 * 4, K2, sPacked, m, (gn + 1) >> 1, sBias + (<usize>g0 << 2), sAcc, row);
          requantChannels(sAcc, m16, 0, 1, m, g0, gn, d, 0, dstPx, dstCh);
        }
      }
    } else {
      const Coutp = roundUp(Cout, 16);
      if (!packedAlready(reuse, s, m, srcPx, srcCh, Cin, signed, zp, 0)) packPixels(s, m, srcPx, srcCh, Cin, signed, zp, sPacked, Cinp);
      gemmScalar(sPacked, m, Cinp, sWeights, Coutp, sBias, sAcc);
      requantPixels(sAcc, Coutp, m, 0, Cout, d, dstPx, dstCh);
    }
  }
}

/**
 * Pointwise convolution of an H x W x Cin view at `src` into Cout channels of the view at `dst`.
 * A view's element (y, x, c) is at `y*row + x*px + c*ch` bytes. Activations are int8 if `signed`.
 * Weights int8 [Cout][Cin]; `hdr` holds bias and requant parameters. `scratch` holds
 * `pointwiseScratchBytes` bytes. `reuse`: the caller vouches that the source bytes have not
 * changed since the previous kernel call on this scratch; a chunk that call packed last, from
 * the same source and the same way, is not packed again (the scratchpad model's output-channel tiles
 * of one step all read the same intermediate). `slot`: 0, or a weight slot of
 * `pointwiseWeightSlotBytes` bytes kept for these weights (see `prepareWeights`).
 */
export function pointwise(
  src: usize, srcRow: i32, srcPx: i32, srcCh: i32, H: i32, W: i32, Cin: i32, signed: bool, zp: i32,
  weights: usize, Cout: i32, hdr: usize, dst: usize, dstRow: i32, dstPx: i32, dstCh: i32, scratch: usize, reuse: bool,
  slot: usize,
): void {
  layoutScratch(scratch, Cin, Cout);
  const K2 = (Cin + 1) >> 1;
  const Coutp = roundUp(Cout, 16);
  // Output channels contiguous: channel-fastest blocks; otherwise pixel-fastest ones.
  const hwcOut = dstCh == 1;
  prepareWeights(weights, Cout, Cin, K2, hwcOut, slot);
  loadBias(hdr, sBias, Cout, Coutp);
  prepareRequant(hdr, Cout, sTable, productsBound(Cin, signed, zp));
  if (srcRow == W * srcPx && dstRow == W * dstPx) {
    // Rows follow each other on both sides: one run over all pixels keeps the chunks full.
    pointwiseRun(src, srcPx, srcCh, H * W, Cin, signed, zp, Cout, dst, dstPx, dstCh, hwcOut, reuse);
  } else {
    for (let y = 0; y < H; y++) {
      pointwiseRun(src + <usize>(y * srcRow), srcPx, srcCh, W, Cin, signed, zp, Cout, dst + <usize>(y * dstRow), dstPx, dstCh, hwcOut, reuse);
    }
  }
}
