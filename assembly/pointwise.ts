// Pointwise 1x1 convolution as an int16 matrix multiply: pixels are packed in chunks (pack.ts),
// then a 4-output-channel x 2-pixel register block accumulates with i32x4.dot_i16x8_s (eight
// multiply-adds per instruction, GAP8's 4-way byte dot product widened), then requant.ts stores
// the chunk in either layout.
import { packPixels, roundUp, widenWeights } from "./pack";
import { loadBias, requantStore } from "./requant";

/** Pixels packed and accumulated per step: small enough to stay in cache with wide layers. */
const CHUNK: i32 = 32;

// Scratch layout of the current call (module globals: the kernels never allocate).
let sWeights: usize = 0;
let sBias: usize = 0;
let sPacked: usize = 0;
let sAcc: usize = 0;

/** Lays out the scratch buffers of one pointwise call from `base`; returns the end address. */
function layoutScratch(base: usize, Cin: i32, Cout: i32): usize {
  const Cinp = <usize>roundUp(Cin, 8);
  const Coutp = <usize>roundUp(Cout, 4);
  sWeights = base;
  sBias = sWeights + Coutp * Cinp * 2;
  sPacked = sBias + Coutp * 4;
  sAcc = sPacked + <usize>CHUNK * Cinp * 2;
  return sAcc + <usize>CHUNK * Coutp * 4;
}

/** Scratch bytes a pointwise call needs (the host reserves them before calling). */
export function pointwiseScratchBytes(Cin: i32, Cout: i32): usize {
  return layoutScratch(0, Cin, Cout);
}

/** Sum of each vector's four lanes, as one vector [sum a, sum b, sum c, sum d]. */
@inline function reduce4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(v128.shuffle<i32>(c, d, 0, 4, 1, 5), v128.shuffle<i32>(c, d, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(ab, cd, 0, 1, 4, 5), v128.shuffle<i32>(ab, cd, 2, 3, 6, 7));
}

/** acc[p][co] = bias[co] + sum_ci x[p][ci] * w[co][ci] for n packed pixels. */
function gemm(x: usize, n: i32, Cinp: i32, w: usize, Coutp: i32, bias: usize, acc: usize): void {
  const rowBytes = <usize>Cinp * 2;
  if (ASC_FEATURE_SIMD) {
    let p = 0;
    for (; p + 2 <= n; p += 2) {
      const x0 = x + <usize>p * rowBytes;
      const x1 = x0 + rowBytes;
      for (let co = 0; co < Coutp; co += 4) {
        const w0 = w + <usize>co * rowBytes;
        const w1 = w0 + rowBytes;
        const w2 = w1 + rowBytes;
        const w3 = w2 + rowBytes;
        let a00 = i32x4.splat(0), a01 = i32x4.splat(0), a02 = i32x4.splat(0), a03 = i32x4.splat(0);
        let a10 = i32x4.splat(0), a11 = i32x4.splat(0), a12 = i32x4.splat(0), a13 = i32x4.splat(0);
        for (let k: usize = 0; k < rowBytes; k += 16) {
          const v0 = v128.load(x0 + k);
          const v1 = v128.load(x1 + k);
          const u0 = v128.load(w0 + k);
          const u1 = v128.load(w1 + k);
          const u2 = v128.load(w2 + k);
          const u3 = v128.load(w3 + k);
          a00 = i32x4.add(a00, i32x4.dot_i16x8_s(v0, u0));
          a01 = i32x4.add(a01, i32x4.dot_i16x8_s(v0, u1));
          a02 = i32x4.add(a02, i32x4.dot_i16x8_s(v0, u2));
          a03 = i32x4.add(a03, i32x4.dot_i16x8_s(v0, u3));
          a10 = i32x4.add(a10, i32x4.dot_i16x8_s(v1, u0));
          a11 = i32x4.add(a11, i32x4.dot_i16x8_s(v1, u1));
          a12 = i32x4.add(a12, i32x4.dot_i16x8_s(v1, u2));
          a13 = i32x4.add(a13, i32x4.dot_i16x8_s(v1, u3));
        }
        const b = v128.load(bias + (<usize>co << 2));
        v128.store(acc + <usize>(p * Coutp + co) * 4, i32x4.add(b, reduce4(a00, a01, a02, a03)));
        v128.store(acc + <usize>((p + 1) * Coutp + co) * 4, i32x4.add(b, reduce4(a10, a11, a12, a13)));
      }
    }
    if (p < n) {
      const x0 = x + <usize>p * rowBytes;
      for (let co = 0; co < Coutp; co += 4) {
        const w0 = w + <usize>co * rowBytes;
        let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
        for (let k: usize = 0; k < rowBytes; k += 16) {
          const v0 = v128.load(x0 + k);
          a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v0, v128.load(w0 + k)));
          a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v0, v128.load(w0 + rowBytes + k)));
          a2 = i32x4.add(a2, i32x4.dot_i16x8_s(v0, v128.load(w0 + 2 * rowBytes + k)));
          a3 = i32x4.add(a3, i32x4.dot_i16x8_s(v0, v128.load(w0 + 3 * rowBytes + k)));
        }
        const b = v128.load(bias + (<usize>co << 2));
        v128.store(acc + <usize>(p * Coutp + co) * 4, i32x4.add(b, reduce4(a0, a1, a2, a3)));
      }
    }
  } else {
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
}

/** Convolves `n` pixels of one row (or of a whole dense tensor), CHUNK pixels at a time. */
function pointwiseRun(
  src: usize, srcPx: i32, srcCh: i32, n: i32, Cin: i32, signed: bool, zp: i32,
  Cinp: i32, Cout: i32, Coutp: i32, hdr: usize, dst: usize, dstPx: i32, dstCh: i32,
): void {
  for (let p0 = 0; p0 < n; p0 += CHUNK) {
    const m = n - p0 < CHUNK ? n - p0 : CHUNK;
    packPixels(src + <usize>(p0 * srcPx), m, srcPx, srcCh, Cin, signed, zp, sPacked, Cinp);
    gemm(sPacked, m, Cinp, sWeights, Coutp, sBias, sAcc);
    requantStore(sAcc, Coutp, m, Cout, dst + <usize>(p0 * dstPx), dstPx, dstCh, hdr);
  }
}

/**
 * Pointwise convolution of an H x W x Cin view at `src` into Cout channels of the view at `dst`.
 * A view's element (y, x, c) is at `y*row + x*px + c*ch` bytes. Activations are int8 if `signed`.
 * Weights int8 [Cout][Cin]; `hdr` holds bias and requant parameters. `scratch` holds
 * `pointwiseScratchBytes` bytes.
 */
export function pointwise(
  src: usize, srcRow: i32, srcPx: i32, srcCh: i32, H: i32, W: i32, Cin: i32, signed: bool, zp: i32,
  weights: usize, Cout: i32, hdr: usize, dst: usize, dstRow: i32, dstPx: i32, dstCh: i32, scratch: usize,
): void {
  const Cinp = roundUp(Cin, 8);
  const Coutp = roundUp(Cout, 4);
  layoutScratch(scratch, Cin, Cout);
  widenWeights(weights, Cout, Cin, sWeights, Coutp, Cinp);
  loadBias(hdr, sBias, Cout, Coutp);
  if (srcRow == W * srcPx && dstRow == W * dstPx) {
    // Rows follow each other on both sides: one run over all pixels keeps the chunks full.
    pointwiseRun(src, srcPx, srcCh, H * W, Cin, signed, zp, Cinp, Cout, Coutp, hdr, dst, dstPx, dstCh);
  } else {
    for (let y = 0; y < H; y++) {
      pointwiseRun(src + <usize>(y * srcRow), srcPx, srcCh, W, Cin, signed, zp, Cinp, Cout, Coutp, hdr, dst + <usize>(y * dstRow), dstPx, dstCh);
    }
  }
}
