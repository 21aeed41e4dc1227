// gemmlowp's fixed-point transcendental functions (fixedpoint/fixedpoint.h), as TFLite's integer
// softmax, logistic and tanh kernels use them. A value with `n` integer bits is an int32 `raw`
// meaning raw / 2^(31-n). Every step is the same int32 operation gemmlowp performs: additions wrap,
// products are SaturatingRoundingDoublingHighMul (srdhm), rescalings saturate or round.
import { rdbpot, srdhm } from "../../tflite/arith.js";

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

/** gemmlowp's SaturatingRoundingMultiplyByPOT: `x * 2^e` saturated (e > 0) or rounded (e < 0). */
export function mulByPot(x: number, e: number): number {
  if (e > 0) {
    const r = x * 2 ** e;
    return r > INT32_MAX ? INT32_MAX : r < INT32_MIN ? INT32_MIN : r;
  }
  return e < 0 ? rdbpot(x, -e) : x;
}

/** gemmlowp's `Rescale<to>` of a value with `from` integer bits. */
export function rescale(raw: number, from: number, to: number): number {
  return mulByPot(raw, from - to);
}

/** gemmlowp's RoundingHalfSum for int32: (a + b) / 2 rounded half away from zero. */
function roundingHalfSum(a: number, b: number): number {
  const sum = a + b;
  return Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/** `exp(a)` for a in [-1/4, 0), 0 integer bits (gemmlowp's Taylor expansion around -1/8). */
function expOnIntervalNegQuarterTo0(a: number): number {
  const constantTerm = 1895147668; // exp(-1/8)
  const oneThird = 715827883;
  const x = (a + (1 << 28)) | 0; // a + 1/8
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4Over4 = rdbpot(x4, 2);
  const poly = rdbpot((srdhm((x4Over4 + x3) | 0, oneThird) + x2) | 0, 1);
  return (constantTerm + srdhm(constantTerm, (x + poly) | 0)) | 0;
}

/** Multipliers exp(-2^k) for k = -2..4, gemmlowp's barrel shifter. */
const EXP_BARREL: ReadonlyArray<[number, number]> = [
  [-2, 1672461947],
  [-1, 1302514674],
  [0, 790015084],
  [1, 290630308],
  [2, 39332535],
  [3, 720401],
  [4, 242],
];

/** gemmlowp's exp_on_negative_values: `exp(a)` for a <= 0 with `intBits` integer bits; 0 integer bits out. */
export function expOnNegativeValues(a: number, intBits: number): number {
  const fracBits = 31 - intBits;
  const quarter = 1 << (fracBits - 2);
  const aModQuarterMinusQuarter = ((a & (quarter - 1)) - quarter) | 0;
  let result = expOnIntervalNegQuarterTo0(rescale(aModQuarterMinusQuarter, intBits, 0));
  const remainder = (aModQuarterMinusQuarter - a) | 0;
  for (const [exponent, multiplier] of EXP_BARREL) {
    if (intBits > exponent && remainder & (1 << (fracBits + exponent))) result = srdhm(result, multiplier);
  }
  if (intBits > 5 && a < -(2 ** (36 - intBits))) result = 0;
  return a === 0 ? INT32_MAX : result;
}

/** Newton-Raphson iterations shared by 1/(1+x) and (1-x)/(1+x): returns x ≈ 1/half_denominator, 2 integer bits. */
function newtonReciprocal(halfDenominator: number): number {
  let x = (1515870810 + srdhm(halfDenominator, -1010580540)) | 0; // 48/17 - 32/17 * d
  for (let i = 0; i < 3; i++) {
    const oneMinusDx = ((1 << 29) - srdhm(halfDenominator, x)) | 0;
    x = (x + mulByPot(srdhm(x, oneMinusDx), 2)) | 0;
  }
  return x;
}

/** gemmlowp's one_over_one_plus_x_for_x_in_0_1 (0 integer bits in and out). */
export function oneOverOnePlusX(a: number): number {
  const x = newtonReciprocal(roundingHalfSum(a, INT32_MAX));
  // ExactMulByPot<-1> relabels x as 1 integer bit; Rescale<0> then doubles it, saturating.
  return mulByPot(x, 1);
}

/** gemmlowp's one_minus_x_over_one_plus_x_for_x_in_0_1 (0 integer bits in and out). */
function oneMinusXOverOnePlusX(a: number): number {
  const x = newtonReciprocal(roundingHalfSum(a, INT32_MAX));
  return mulByPot((x - (1 << 29)) | 0, 2);
}

/** gemmlowp's logistic of a value with `intBits` integer bits; 0 integer bits out. */
export function logistic(a: number, intBits: number): number {
  if (a === 0) return 1 << 30;
  const positive = a > 0;
  const ifPositive = oneOverOnePlusX(expOnNegativeValues(positive ? -a : a, intBits));
  return positive ? ifPositive : (INT32_MAX - ifPositive) | 0;
}

/** gemmlowp's tanh of a value with `intBits` integer bits; 0 integer bits out. */
export function tanh(a: number, intBits: number): number {
  if (a === 0) return 0;
  const negative = a < 0;
  // neg_tanh_on_negative_values(n) with n = -|a|: ExactMulByPot<1> relabels n with one more integer bit.
  const t = oneMinusXOverOnePlusX(expOnNegativeValues(negative ? a : -a, intBits + 1));
  return negative ? -t | 0 : t;
}

/**
 * TFLite's GetReciprocal (kernels/internal/common.h): 1/x for x with `intDigits` integer bits, as
 * a 0-integer-bit value and the number of bits it is shifted by.
 */
export function reciprocal(x: number, intDigits: number): [scale: number, bitsOverUnit: number] {
  const headroomPlusOne = Math.clz32(x);
  const bitsOverUnit = intDigits - headroomPlusOne;
  const shiftedSumMinusOne = ((headroomPlusOne >= 32 ? 0 : x << headroomPlusOne) - 0x80000000) | 0;
  return [oneOverOnePlusX(shiftedSumMinusOne), bitsOverUnit];
}
