// `tflite` (SPEC §3): TensorFlow Lite reference kernels, TFLite Micro, CMSIS-NN. Per-channel
// fixed-point multiplier and shift, gemmlowp double rounding or TFLITE_SINGLE_ROUNDING.
import { tfliteMultipliers } from "../quant.js";
import type { Rng } from "../rng.js";
import {
  INT32_MAX, INT32_MIN, bytesOf, clamp, draws, perChannelInts, rangedOutput, realScalesPreset, type Scheme,
} from "./scheme.js";

/** TFLite / TFLite Micro / CMSIS-NN fixed-point requantization (SPEC §3 `tflite`). */
export interface TfliteRequant {
  scheme: "tflite";
  rounding?: "double" | "single";
  multiplier: Int32Array | number[];
  shift: Int32Array | number[];
  outputZeroPoint: number;
  min: number;
  max: number;
}

export interface CheckedTflite {
  scheme: "tflite";
  single: boolean;
  multiplier: Int32Array;
  shift: Int32Array;
  outputZeroPoint: number;
  min: number;
  max: number;
}

/**
 * `tflite-{double,single}-{fast,clamp}`: the kernels' own choice for either rounding when every
 * channel shifts right by 1..19 (one rounding of a pre-scaled 64-bit product, see
 * `prepareTflFast` in assembly/requant.ts); `-clamp` when an accumulator may be large enough to
 * need clamping first. The host never writes them.
 */
export const KERNELS = ["tflite-double", "tflite-single", "tflite-double-fast", "tflite-double-clamp", "tflite-single-fast", "tflite-single-clamp"] as const;

// ---- Reference arithmetic ----------------------------------------------------------------------

/**
 * gemmlowp's SaturatingRoundingDoublingHighMul: `floor((a*b + 2^30) / 2^31)` of the exact 64-bit
 * product. (gemmlowp writes it as a truncating division with a sign-dependent nudge; the two
 * agree for every input.) The one product whose result does not fit int32, `a = b = -2^31`,
 * saturates to `2^31 - 1`.
 */
export function srdhm(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  // BigInt `>>` is an arithmetic shift, i.e. floor division by 2^31.
  return Number((ab + (1n << 30n)) >> 31n);
}

/**
 * gemmlowp's RoundingDivideByPOT: `x / 2^e` rounded half away from zero, for e in 0..31. The mask
 * is built as `2^e - 1` in a double so that e = 31 gives 0x7fffffff rather than a wrapped shift.
 */
export function rdbpot(x: number, e: number): number {
  const mask = 2 ** e - 1;
  const q = x >> e;
  const rem = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return q + (rem > threshold ? 1 : 0);
}

/** TFLite `MultiplyByQuantizedMultiplier`, double rounding (gemmlowp; the default). */
export function tfliteDoubleRound(acc: number, m: number, s: number): number {
  // The left shift is an int32 multiply in the C source, so it wraps.
  const a = Math.imul(acc, 2 ** Math.max(s, 0));
  return rdbpot(srdhm(a, m), Math.max(-s, 0));
}

/** TFLite `MultiplyByQuantizedMultiplier` with TFLITE_SINGLE_ROUNDING: one rounding of acc*M/2^(31-s). */
export function tfliteSingleRound(acc: number, m: number, s: number): number {
  const total = BigInt(31 - s);
  const r = (BigInt(acc) * BigInt(m) + (1n << (total - 1n))) >> total;
  // The 64-bit result is static_cast to int32: keep its low 32 bits.
  return Number(BigInt.asIntN(32, r));
}

// ---- Random parameters -------------------------------------------------------------------------

const P30 = 2 ** 30;

/** A shift: usually where outputs land in range, sometimes anywhere including -31 and 30. */
function edgeShift(rng: Rng): number {
  return rng.chance(0.3) ? rng.edgy(-31, 30, [-31, 30, -30, 29, 0, -1, 1], 0.5) : rng.int(-14, -2);
}

/** A multiplier: 0 or in [2^30, 2^31), the ends favoured. */
function edgeMultiplier(rng: Rng): number {
  const r = rng.int(0, 19);
  if (r === 0) return 0;
  if (r === 1) return P30;
  if (r === 2) return INT32_MAX;
  return P30 + (rng.u32() >>> 2);
}

const int32s = (values: number[], typed: boolean): Int32Array | number[] => (typed ? Int32Array.from(values) : values);

function preset(rounding: "double" | "single") {
  return {
    dtypes: ["int8"] as const,
    make(ctx: Parameters<typeof realScalesPreset>[0]): TfliteRequant {
      const { scales, outZp, min, max } = realScalesPreset(ctx, "int8");
      const { multiplier, shift } = tfliteMultipliers(scales, rounding);
      return { scheme: "tflite", rounding, multiplier, shift, outputZeroPoint: outZp, min, max };
    },
  };
}

function spread(single: boolean) {
  return {
    draw(n: number, accBits: number, rng: Rng): TfliteRequant {
      const perCh = <T>(f: () => T): T[] => draws(n, rng.float() < 0.15, f);
      const u8 = rng.float() < 0.4;
      const min = u8 ? rng.int(0, 20) : rng.float() < 0.3 ? rng.int(-128, -100) : -128;
      const max = u8 ? rng.int(200, 255) : rng.int(100, 127);
      return {
        scheme: "tflite",
        ...(single ? { rounding: "single" as const } : rng.float() < 0.5 ? { rounding: "double" as const } : {}),
        multiplier: perCh(() => (rng.float() < 0.03 ? 0 : rng.int(2 ** 30, 2 ** 31 - 1))),
        shift: perCh(() => -(accBits - 7) + rng.int(-2, 1)),
        outputZeroPoint: u8 ? rng.int(0, 60) : rng.int(-30, 30),
        min,
        max,
      };
    },
  };
}

// ---- The scheme --------------------------------------------------------------------------------

export const tflite: Scheme<TfliteRequant, CheckedTflite, "tflite-double" | "tflite-single"> = {
  name: "tflite",
  kernels: KERNELS,
  scalars: ["rounding", "outputZeroPoint", "min", "max"],
  lists: ["multiplier", "shift"],
  inputs: ["int8", "uint8"],
  zeroPointFree: false,
  deploymentFields: [],

  check(v, field, n) {
    const rounding = v.rounding ?? "double";
    if (rounding !== "double" && rounding !== "single") {
      throw new RangeError(`${field}.rounding must be "double" or "single", got ${String(rounding)}`);
    }
    const mult = perChannelInts(v.multiplier, `${field}.multiplier`, n, 0, INT32_MAX);
    mult.forEach((m, i) => {
      if (m !== 0 && m < 0x40000000) {
        throw new RangeError(`${field}.multiplier[${i}] must be 0 or in [2^30, 2^31), got ${m}`);
      }
    });
    const shift = perChannelInts(v.shift, `${field}.shift`, n, -31, 30);
    const o = rangedOutput(v, field);
    return {
      requant: { scheme: "tflite", single: rounding === "single", multiplier: Int32Array.from(mult), shift: Int32Array.from(shift), outputZeroPoint: o.outputZeroPoint, min: o.min, max: o.max },
      outDtype: o.outDtype,
      outZeroPoint: o.outputZeroPoint,
    };
  },

  requantize(acc, c, rq) {
    const m = rq.multiplier[c]!;
    const s = rq.shift[c]!;
    const r = rq.single ? tfliteSingleRound(acc, m, s) : tfliteDoubleRound(acc, m, s);
    // `r + output_offset` is an int32 add in the kernels, before the activation clamp.
    return clamp((r + rq.outputZeroPoint) | 0, rq.min, rq.max);
  },

  kernel: (rq) => (rq.single ? "tflite-single" : "tflite-double"),
  arrays: (rq) => ({ a: bytesOf(rq.multiplier), b: bytesOf(rq.shift), aStride: 4, bStride: 4 }),
  header: { outZp: "outputZeroPoint", min: "min", max: "max" },

  presets: { "tflite-double": preset("double"), "tflite-single": preset("single") },
  edges: {
    "tflite-double": (s, rng) => ({
      scheme: "tflite", rounding: rng.chance(0.5) ? "double" : undefined,
      multiplier: int32s(draws(s.outChannels, s.perTensor, () => edgeMultiplier(rng)), s.typed),
      shift: int32s(draws(s.outChannels, s.perTensor, () => edgeShift(rng)), s.typed),
      outputZeroPoint: s.outZeroPoint, min: s.min, max: s.max,
    }),
    "tflite-single": (s, rng) => ({
      scheme: "tflite", rounding: "single",
      multiplier: int32s(draws(s.outChannels, s.perTensor, () => edgeMultiplier(rng)), s.typed),
      shift: int32s(draws(s.outChannels, s.perTensor, () => edgeShift(rng)), s.typed),
      outputZeroPoint: s.outZeroPoint, min: s.min, max: s.max,
    }),
  },
  spread: { "tflite-double": spread(false), "tflite-single": spread(true) },
};
