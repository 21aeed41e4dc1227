// `pulp-bn` (SPEC §3): PULP-NN / DORY batch-norm + ReLU on GAP8: per channel k and lambda, one
// arithmetic right shift, uint8 activations.
import type { Rng } from "../rng.js";
import { INT32_MAX, INT32_MIN, bytesOf, checkInt, clipU8, draws, perChannelInts, type Scheme } from "./scheme.js";

/** PULP-NN batch-norm + ReLU requantization. */
export interface PulpBnRequant {
  scheme: "pulp-bn";
  k: Int32Array | number[];
  lambda: Int32Array | number[];
  shift: number;
}

export interface CheckedPulpBn {
  scheme: "pulp-bn";
  k: Int32Array;
  lambda: Int32Array;
  shift: number;
}

export const KERNELS = ["pulp-bn"] as const;

const int32s = (values: number[], typed: boolean): Int32Array | number[] => (typed ? Int32Array.from(values) : values);

export const pulpBn: Scheme<PulpBnRequant, CheckedPulpBn, "pulp-bn"> = {
  name: "pulp-bn",
  kernels: KERNELS,
  scalars: ["shift"],
  lists: ["k", "lambda"],
  inputs: ["uint8"],
  zeroPointFree: true,
  output: "uint8",
  deploymentFields: ["shift"],

  check(v, field, n) {
    const k = perChannelInts(v.k, `${field}.k`, n, INT32_MIN, INT32_MAX);
    const lambda = perChannelInts(v.lambda, `${field}.lambda`, n, INT32_MIN, INT32_MAX);
    const shift = checkInt(v.shift, `${field}.shift`, 0, 31);
    return { requant: { scheme: "pulp-bn", k: Int32Array.from(k), lambda: Int32Array.from(lambda), shift }, outDtype: "uint8", outZeroPoint: 0 };
  },

  requantize: (acc, c, rq) => clipU8(((Math.imul(rq.k[c]!, acc) + rq.lambda[c]!) | 0) >> rq.shift),

  arrays: (rq) => ({ a: bytesOf(rq.k), b: bytesOf(rq.lambda), aStride: 4, bStride: 4 }),
  header: { shift: "shift" },

  presets: {
    "pulp-bn": {
      dtypes: ["uint8"],
      make(ctx) {
        // y = clipU8((k*acc + lambda) >> d): k[c]/2^d = TARGET_STD/std[c]; lambda centres at ~120.
        // PULP-NN's bias is int8: keep it small; lambda absorbs the mean (int32 wrap is the hardware's).
        const { rng, cout, std, bias } = ctx;
        const centre = 120;
        const d = 20;
        const k = new Int32Array(cout);
        const lambda = new Int32Array(cout);
        for (let c = 0; c < cout; c++) {
          bias[c] = rng.int(-128, 127);
          k[c] = Math.max(1, Math.round((ctx.targetStd / std[c]!) * 2 ** d));
          const mean = ctx.meanAcc(c) + bias[c]!;
          lambda[c] = Math.round(centre * 2 ** d - k[c]! * mean + ctx.jitter(c) * k[c]!) | 0;
        }
        return { scheme: "pulp-bn", k, lambda, shift: d };
      },
    },
  },
  edges: {
    "pulp-bn"(s, rng) {
      // Usually k and lambda scaled to the shift so outputs vary; else any int32, where k*acc + lambda wraps.
      const unit = 2 ** Math.max(0, s.shift - 10);
      const k = draws(s.outChannels, s.perTensor, () => (rng.chance(0.6) ? rng.int(-2, 4 * unit) : rng.chance(0.5) ? rng.i32() : rng.pick([INT32_MIN, INT32_MAX, 0, 1, -1, 65536, 1 << 24])));
      const lambda = draws(s.outChannels, s.perTensor, () => (rng.chance(0.6) ? rng.int(-(2 ** s.shift), 2 ** s.shift) * 64 | 0 : rng.chance(0.5) ? rng.i32() : rng.pick([INT32_MIN, INT32_MAX, 0, -1])));
      return { scheme: "pulp-bn", k: int32s(k, s.typed), lambda: int32s(lambda, s.typed), shift: s.shift };
    },
  },
  spread: {
    "pulp-bn": {
      input: "uint8",
      draw(n: number, accBits: number, rng: Rng): PulpBnRequant {
        const perCh = <T>(f: () => T): T[] => draws(n, rng.float() < 0.15, f);
        return {
          scheme: "pulp-bn",
          k: perCh(() => rng.int(-8, 64)),
          lambda: perCh(() => rng.int(-(2 ** (accBits + 4)), 2 ** (accBits + 5))),
          shift: Math.min(31, Math.max(0, accBits - 2 + rng.int(-1, 1))),
        };
      },
    },
  },
};
