// NNTool's scalar arithmetic, reproduced bit for bit. NNTool computes its scales with NumPy, and
// which of its results are float32 and which float64 depends on where each operand came from: a
// range read from the TFLite file is a float32 array, so a scale derived from it alone is rounded
// to float32; a Python float (ReLU6's 6.0) or an int64 array (a ReLU's lower bound 0) promotes the
// result to float64. Every value below therefore carries its NumPy type, and each operation rounds
// the way NumPy would. (References: gap_sdk @a23026507efe tools/nntool/nntool/quantization/qtype.py
// `from_min_max`, `calculate_scale`; quantization/multiplicative/utils/scale.py `compute_scales`.)

/** NumPy element type of a value: float32, float64, or an integer (int64 array or Python int). */
import { roundHalfEven } from "../../network/arith.js";
import { frexp } from "../../quant.js";

/** `np.round` rounds half to even. */
export { roundHalfEven };
export type NpType = "f32" | "f64" | "int";

/** A real number as NumPy holds it. */
export interface NpValue {
  v: number;
  t: NpType;
}

export const f32 = (v: number): NpValue => ({ v: Math.fround(v), t: "f32" });
export const f64 = (v: number): NpValue => ({ v, t: "f64" });
export const int = (v: number): NpValue => ({ v, t: "int" });

/** Result type of an array-with-array operation: float32 only when both sides are float32. */
function promote(a: NpType, b: NpType): NpType {
  if (a === "f32" && b === "f32") return "f32";
  if (a === "int" && b === "int") return "int";
  return "f64";
}

function round(v: number, t: NpType): number {
  return t === "f32" ? Math.fround(v) : v;
}

export function sub(a: NpValue, b: NpValue): NpValue {
  const t = promote(a.t, b.t);
  return { v: round(a.v - b.v, t), t };
}

/** An array divided by a Python int: the array keeps its float type; an int array gives float64. */
export function divInt(a: NpValue, n: number): NpValue {
  const t = a.t === "f32" ? "f32" : "f64";
  return { v: round(a.v / n, t), t };
}

/** `np.maximum` of two arrays. */
export function maximum(a: NpValue, b: NpValue): NpValue {
  const t = promote(a.t, b.t);
  return { v: round(Math.max(a.v, b.v), t === "int" ? "f64" : t), t };
}

export function abs(a: NpValue): NpValue {
  return { v: Math.abs(a.v), t: a.t };
}

/**
 * NNTool's 8-bit multiplier and shift for a real factor (`compute_scales`, README rule Q8): the
 * mantissa rounded to float32, then bits dropped while the multiplier overflows `maxBits`, the shift
 * exceeds 24 or the multiplier is even, as long as the shift and the bit count stay positive. A
 * factor of exactly 1 is (1, 0) (NNTool skips scaling).
 */
export function computeScale(r: number, availableBits = 8): { S: number; N: number } {
  if (r === 1) return { S: 1, N: 0 };
  const maxBits = Math.min(8, availableBits);
  const [m64, e] = frexp(r);
  const m = Math.fround(m64);
  const maxVal = 2 ** maxBits;
  let bits = maxBits;
  for (;;) {
    const S = Math.floor(m * 2 ** bits + 0.5);
    const N = bits - e;
    const shouldMove = S >= maxVal || N > 24 || S % 2 === 0;
    if (!(shouldMove && N > 0 && bits > 0)) return { S, N };
    bits -= 1;
  }
}

/** `at_norm`: `(x + 2^(n-1)) >> n` with the add wrapped to int32, or x for n = 0. */
export function atNorm(x: number, n: number): number {
  return n > 0 ? ((x + 2 ** (n - 1)) | 0) >> n : x | 0;
}

/** A quantization as NNTool holds it: the scale (exact NumPy value), zero point, and its range. */
export interface NQ {
  dtype: "int8" | "int16";
  scale: number;
  /** NumPy type of the scale (ratios of two float32 scales are float32 in NNTool). */
  scaleT: NpType;
  zeroPoint: number;
  /** Computed as asymmetric (a zero point chosen from the range) rather than symmetric. */
  asymmetric: boolean;
  /** The range it was made from, with NumPy types (a later forced re-quantization starts from it). */
  min: NpValue;
  max: NpValue;
}

function isClose(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-8 + 1e-5 * Math.abs(b);
}

/** `from_min_max`'s clean-up: a degenerate range is widened and 0 is always representable. */
function cleanRange(min: NpValue, max: NpValue): [NpValue, NpValue] {
  let lo = { ...min };
  let hi = { ...max };
  if (isClose(lo.v, hi.v)) {
    if (lo.v < 0) hi = { v: -lo.v, t: hi.t };
    else if (lo.v > 0) lo = { v: -hi.v, t: lo.t };
    else {
      hi = { v: 1, t: hi.t };
      lo = { v: 1, t: lo.t };
    }
  }
  if (lo.v > 0) lo = { v: 0, t: lo.t };
  if (hi.v < 0) hi = { v: 0, t: hi.t };
  return [lo, hi];
}

/** Symmetric int8 quantization of a range (non-narrow: max/127 against -min/128). */
export function symmetricQ(min: NpValue, max: NpValue): NQ {
  const [lo, hi] = cleanRange(min, max);
  const m = maximum(divInt(abs(hi), 127), divInt(abs(lo), 128));
  return { dtype: "int8", scale: m.v === 0 ? 1 : m.v, scaleT: m.t, zeroPoint: 0, asymmetric: false, min: lo, max: hi };
}

/** Asymmetric int8 quantization of a range: (max - min)/255 and the zero point nearest an integer. */
export function asymmetricQ(min: NpValue, max: NpValue): NQ {
  const [lo, hi] = cleanRange(min, max);
  const rrange = sub(hi, lo);
  let scale = divInt(rrange, 255);
  const t = scale.t;
  const zFromMin = round(-128 - round(lo.v / scale.v, t), t);
  const zFromMax = round(127 - round(hi.v / scale.v, t), t);
  const err = (z: number) => Math.abs(Math.abs(z) - roundHalfEven(Math.abs(z)));
  const z = err(zFromMin) < err(zFromMax) ? zFromMin : zFromMax;
  let zp: number;
  if (z < -128) {
    scale = divInt(hi, 255);
    zp = -128;
  } else if (z > 127) {
    scale = divInt({ v: -lo.v, t: lo.t }, 255);
    zp = 127;
  } else {
    zp = roundHalfEven(z);
  }
  const s = scale.v === 0 ? 1 : scale.v;
  return { dtype: "int8", scale: s, scaleT: t, zeroPoint: zp, asymmetric: true, min: lo, max: hi };
}

/** `force_symmetric`: an asymmetric quantization re-made symmetric from its own range. */
export function forceSymmetric(q: NQ): NQ {
  return q.asymmetric ? symmetricQ(q.min, q.max) : q;
}

/** The 13 `Infos` bytes of an AutoTiler SQ8 layer (`CNN_Infos_SQ8.h`). */
export interface InfosFields {
  actScale?: number;
  actScaleN?: number;
  a0?: number;
  b0?: number;
  c0?: number;
  /** Byte 8: BIASN (conv, linear), IN1SCALE (add), SCALE (global pool). */
  byte8?: number;
  byte9?: number;
  byte10?: number;
  byte11?: number;
  preNorm?: number;
}

export function infosBytes(f: InfosFields): Int8Array {
  const b = new Int8Array(13);
  b[0] = f.actScale ?? 0;
  b[1] = f.actScaleN ?? 0;
  b[2] = f.a0 ?? 0;
  b[4] = f.b0 ?? 0;
  b[6] = f.c0 ?? 0;
  b[8] = f.byte8 ?? 0;
  b[9] = f.byte9 ?? 0;
  b[10] = f.byte10 ?? 0;
  b[11] = f.byte11 ?? 0;
  b[12] = f.preNorm ?? 0;
  return b;
}

/** `a / b` of two scales as NumPy computes it (float32 when both are float32). */
export function scaleRatio(a: NQ, b: NQ, bFactor = 1): number {
  const r = a.scale / (b.scale * bFactor);
  return a.scaleT === "f32" && b.scaleT === "f32" ? Math.fround(r) : r;
}
