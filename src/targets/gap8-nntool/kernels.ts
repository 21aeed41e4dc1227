// The GAP8 AutoTiler SQ8 kernels' arithmetic (CNN_Libraries_SQ8 of gap_sdk @a23026507efe), on
// tensors in the model's own NHWC layout. NNTool runs CHW, but every kernel here computes each
// output from integer sums and products only, so the layout changes where a value is stored, never
// what it is. All sums and products wrap to int32 as on the core; constants are prepared once per
// layer by ./index.ts and ./filter-op.ts. The filters' loops here are what a run without dwpw's
// general kernels computes, and what the tests hold those kernels to.
import { atNorm } from "./numerics.js";

function clip8(x: number): number {
  return x < -128 ? -128 : x > 127 ? 127 : x;
}

/** A filter layer's per-output-channel constants and its activation clamp. */
export interface FilterConsts {
  outC: number;
  bias: Int32Array;
  scale: Uint8Array;
  scaleN: Int8Array;
  /** Lower clamp of KOP_RELU / KOP_RELUM (-128 for KOP_NONE: no clamp before the int8 saturation). */
  lower: number;
}

/** `clip8(max(rnd(acc * S, N), lower))`: the reduction step of every SQ8 filter kernel. */
function requant(acc: number, c: FilterConsts, o: number): number {
  const t = atNorm(Math.imul(acc | 0, c.scale[o]!), c.scaleN[o]!);
  return clip8(t < c.lower ? c.lower : t);
}

export interface ConvGeometry {
  H: number;
  W: number;
  C: number;
  Ho: number;
  Wo: number;
  fh: number;
  fw: number;
  sy: number;
  sx: number;
  padTop: number;
  padLeft: number;
}

/**
 * A convolution (KOP_CONV) with weights `[out][fh][fw][in]` (NNTool's `[out][in][fh][fw]` transposed
 * once so that the inner loop walks the NHWC input); padding taps read 0.
 */
export function conv2d(x: Int8Array, g: ConvGeometry, w: Int8Array, c: FilterConsts): Int8Array {
  const { H, W, C, Ho, Wo, fh, fw, sy, sx, padTop, padLeft } = g;
  const O = c.outC;
  const out = new Int8Array(Ho * Wo * O);
  for (let oy = 0; oy < Ho; oy++) {
    const iy0 = oy * sy - padTop;
    for (let ox = 0; ox < Wo; ox++) {
      const ix0 = ox * sx - padLeft;
      const base = (oy * Wo + ox) * O;
      for (let o = 0; o < O; o++) {
        let acc = c.bias[o]!;
        for (let ky = 0; ky < fh; ky++) {
          const iy = iy0 + ky;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < fw; kx++) {
            const ix = ix0 + kx;
            if (ix < 0 || ix >= W) continue;
            const xi = (iy * W + ix) * C;
            const wi = ((o * fh + ky) * fw + kx) * C;
            for (let i = 0; i < C; i++) acc += w[wi + i]! * x[xi + i]!;
          }
        }
        out[base + o] = requant(acc, c, o);
      }
    }
  }
  return out;
}

/** A depthwise convolution (KOP_CONV_DW, multiplier 1) with weights `[C][fh][fw]`. */
export function depthwise(x: Int8Array, g: ConvGeometry, w: Int8Array, c: FilterConsts): Int8Array {
  const { H, W, C, Ho, Wo, fh, fw, sy, sx, padTop, padLeft } = g;
  const out = new Int8Array(Ho * Wo * C);
  for (let oy = 0; oy < Ho; oy++) {
    for (let ox = 0; ox < Wo; ox++) {
      for (let ch = 0; ch < C; ch++) {
        let acc = c.bias[ch]!;
        for (let ky = 0; ky < fh; ky++) {
          const iy = oy * sy - padTop + ky;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < fw; kx++) {
            const ix = ox * sx - padLeft + kx;
            if (ix < 0 || ix >= W) continue;
            acc += w[(ch * fh + ky) * fw + kx]! * x[(iy * W + ix) * C + ch]!;
          }
        }
        out[(oy * Wo + ox) * C + ch] = requant(acc, c, ch);
      }
    }
  }
  return out;
}

/** A linear layer (KOP_LINEAR) with weights already ordered against the NHWC input: `[out][in]`. */
export function linear(x: Int8Array, w: Int8Array, c: FilterConsts): Int8Array {
  const I = x.length;
  const out = new Int8Array(c.outC);
  for (let o = 0; o < c.outC; o++) {
    let acc = c.bias[o]!;
    const wi = o * I;
    for (let i = 0; i < I; i++) acc += w[wi + i]! * x[i]!;
    out[o] = requant(acc, c, o);
  }
  return out;
}

/**
 * Average pool (KOP_AVGPOOL, `KerParPoolNxMStrideSxSy_SQ8`): the window's sum times
 * `floor(65536 / (fh*fw))`, rounded down by 16 bits. Padding taps add 0 (the input zero point is 0
 * wherever a padded pool is allowed).
 */
export function avgPool(x: Int8Array, g: ConvGeometry): Int8Array {
  const { H, W, C, Ho, Wo, fh, fw, sy, sx, padTop, padLeft } = g;
  const factor = Math.floor(65536 / (fh * fw));
  const out = new Int8Array(Ho * Wo * C);
  for (let oy = 0; oy < Ho; oy++)
    for (let ox = 0; ox < Wo; ox++)
      for (let ch = 0; ch < C; ch++) {
        let sum = 0;
        for (let ky = 0; ky < fh; ky++) {
          const iy = oy * sy - padTop + ky;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < fw; kx++) {
            const ix = ox * sx - padLeft + kx;
            if (ix < 0 || ix >= W) continue;
            sum += x[(iy * W + ix) * C + ch]!;
          }
        }
        out[(oy * Wo + ox) * C + ch] = clip8(atNorm(Math.imul(sum, factor), 16));
      }
  return out;
}

/**
 * Global average pool (KOP_GLOBAL_AVGPOOL, NNTool's execution of it): the channel's sum shifted up
 * 7 bits, divided by the count (truncating), then SCALE/SCALEN and the optional ReLU clamp.
 */
export function globalAvgPool(x: Int8Array, HW: number, C: number, S: number, N: number, lower: number | null): Int8Array {
  const out = new Int8Array(C);
  for (let ch = 0; ch < C; ch++) {
    let sum = 0;
    for (let p = 0; p < HW; p++) sum += x[p * C + ch]!;
    const avg = Math.trunc(((sum << 7) | 0) / HW);
    let t = atNorm(Math.imul(avg, S), N);
    if (lower !== null && t < lower) t = lower;
    out[ch] = clip8(t);
  }
  return out;
}

/** A residual add's constants: which input is rescaled, the rescales, the offset and the clamp. */
export interface AddConsts {
  /** 1 when the second input is the one brought to the other's scale. */
  scaledInput: 0 | 1;
  S1: number;
  N1: number;
  S: number;
  N: number;
  offset: number;
  /** Lower clamp of KOP_RELU / KOP_RELUM, or null for KOP_NONE. */
  lower: number | null;
}

/**
 * Residual add (KOP_MATADD) of one pair of input values: the input with the larger scale is
 * brought to the other's scale (IN1SCALE/IN1SCALEN), the sum rescaled to the output
 * (OUTSCALE/OUTSCALEN), plus the zero-point offset, then the optional ReLU clamp. The output
 * depends on the two input bytes only, so a layer runs it as a table (src/pair-table.ts).
 */
export function addValue(a: number, b: number, c: AddConsts): number {
  const xs = c.scaledInput ? b : a;
  const xn = c.scaledInput ? a : b;
  const s = (atNorm(Math.imul(xs, c.S1), c.N1) + xn) | 0;
  let t = (atNorm(Math.imul(s, c.S), c.N) + c.offset) | 0;
  if (c.lower !== null && t < c.lower) t = c.lower;
  return clip8(t);
}

const INT_EXP = [0x0001, 0x0002, 0x0007, 0x0014, 0x0036, 0x0094, 0x0193, 0x0448, 0x0ba4, 0x1fa7, 0x560a, 0xe9e2];
const FRACT_EXP = [0x0000, 0x5bf1, 0x31cd, 0x0af3, 0x4c90, 0x34e2, 0x36e3, 0x510b, 0x7a9f, 0x0abe, 0x3b9f, 0x1224];
const EXP_COEFF = [0x7fff, 0x7fff, 0x4000, 0x1555, 0x0555, 0x0111, 0x002e, 0x0007, 0x0001];

const toShort = (v: number) => (v << 16) >> 16;

/**
 * `Exp_fp_17_15` of `CNN_SoftMax_SQ8.c` (Q17.15 in and out) with the C integer semantics: the
 * argument is an int32, the result the 32 bits it returns (as int32). For a negative argument it
 * computes exp(|x|) and inverts it; `U_Res * ScaledInt` is a plain int multiply, which wraps for
 * |x| just above 11 (the overflow the deployment check reports).
 */
export function expFp1715(X: number): number {
  if (X === 0) return 0x8000;
  const Y = X < 0 ? -X | 0 : X;
  let intX = Y >> 15;
  let fractX = Y & 0x7fff;
  if (fractX & 0x4000) {
    // The Taylor series converges fast only for |fraction| < 0.5: round the integer part up.
    fractX -= 0x8000;
    intX++;
  }
  if (intX >= INT_EXP.length) return X >= 0 ? 0x7fffffff : 0;
  const scaledInt = INT_EXP[intX]!;
  const scaledFract = FRACT_EXP[intX]!;
  const f = toShort(fractX);
  let z = f;
  let result = 0;
  for (let i = 1; i < EXP_COEFF.length; i++) {
    result = (result + z * EXP_COEFF[i]!) | 0;
    z = toShort(((z * f + (1 << 14)) | 0) >> 15);
  }
  result = (((result + (1 << 14)) | 0) >> 15) + EXP_COEFF[0]!;
  const u = result & 0xffff;
  result = (((u * scaledFract + (1 << 14)) >>> 15) + Math.imul(u, scaledInt)) | 0;
  if (result !== 0 && X < 0) result = ((0x7fffffff / result) | 0) >> 1;
  return result;
}

/** The exponential NNTool's own emulator computes: the same, except 0 from |x| >= 11.0 on. */
export function expNNTool(X: number): number {
  return X <= -11 * 32768 ? 0 : expFp1715(X);
}

/**
 * `KerParSoftMax_SQ8` over rows of length `n` (the last axis): int16 Q15 output. `exp` is the C
 * kernel's (what GAP8 runs) unless the caller passes NNTool's.
 */
export function softmax(x: Int8Array, n: number, norm: number, exp: (X: number) => number = expFp1715): Int16Array {
  const out = new Int16Array(x.length);
  const e = new Int32Array(n);
  for (let r = 0; r < x.length; r += n) {
    let m = -0x80000000;
    for (let i = 0; i < n; i++) if (x[r + i]! > m) m = x[r + i]!;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const v = exp(((x[r + i]! - m) << norm) | 0);
      e[i] = toShort(v); // Out[i] is a short
      sum = (sum + v) | 0;
    }
    const inv = ((32767 << 15) / sum) | 0;
    for (let i = 0; i < n; i++) {
      const t = atNorm(Math.imul(e[i]!, inv), 15);
      out[r + i] = toShort(t < 0 ? -t : t);
    }
  }
  return out;
}
