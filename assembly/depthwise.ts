// Depthwise KxK convolution (depth multiplier 1), any kernel, stride and padding, reading and
// writing strided views (HWC, CHW, or a channel range or row window of a larger buffer). The
// input is packed once into int16 rows with horizontal padding (pack.ts); each
// output row is accumulated in int32, 8 channels per SIMD step, then requantized (requant.ts).
import { packRowsPadded, roundUp } from "./pack";
import { loadBias, requantStore } from "./requant";

// Scratch layout of the current call (module globals: the kernels never allocate).
let sPacked: usize = 0;
let sWeights: usize = 0;
let sBias: usize = 0;
let sAcc: usize = 0;

@inline function outSize(inSize: i32, padA: i32, padB: i32, k: i32, s: i32): i32 {
  return (inSize + padA + padB - k) / s + 1;
}

/** Lays out the scratch buffers of one depthwise call from `base`; returns the end address. */
function layoutScratch(base: usize, H: i32, W: i32, C: i32, padL: i32, padR: i32, kh: i32, kw: i32, Wo: i32): usize {
  const Cp = <usize>roundUp(C, 8);
  sPacked = base;
  sWeights = sPacked + <usize>H * <usize>(padL + W + padR) * Cp * 2;
  sBias = sWeights + <usize>(kh * kw) * Cp * 2;
  sAcc = sBias + Cp * 4;
  return sAcc + <usize>Wo * Cp * 4;
}

/** Scratch bytes a depthwise call needs (the host reserves them before calling). */
export function depthwiseScratchBytes(H: i32, W: i32, C: i32, padL: i32, padR: i32, kh: i32, kw: i32, sw: i32): usize {
  const Wo = outSize(W, padL, padR, kw, sw);
  return layoutScratch(0, H, W, C, padL, padR, kh, kw, Wo);
}

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
  const Cp = roundUp(C, 8);
  layoutScratch(scratch, H, W, C, padL, padR, kh, kw, Wo);
  packRowsPadded(src, srcRow, srcPx, srcCh, H, W, C, signed, zp, padL, padR, sPacked, Cp);
  widenDepthwiseWeights(weights, C, kh * kw, sWeights, Cp);
  loadBias(hdr, sBias, C, Cp);
  for (let oy = 0; oy < Ho; oy++) {
    accumulateRow(sPacked, H, padL + W + padR, Cp, kh, kw, sh, sw, padT, oy, Wo, sWeights, sBias, sAcc);
    requantStore(sAcc, Cp, Wo, C, dst + <usize>(oy * dstRow), dstPx, dstCh, hdr);
  }
}
