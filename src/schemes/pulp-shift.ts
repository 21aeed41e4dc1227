// `pulp-shift` (SPEC §3): PULP-NN / DORY plain shift on GAP8, uint8 activations.
import { checkInt, clampI32, clipU8, type Scheme } from "./scheme.js";

/** PULP-NN plain shift. */
export interface PulpShiftRequant {
  scheme: "pulp-shift";
  shift: number;
}

export const KERNELS = ["pulp-shift"] as const;

export const pulpShift: Scheme<PulpShiftRequant, PulpShiftRequant, "pulp-shift"> = {
  name: "pulp-shift",
  kernels: KERNELS,
  scalars: ["shift"],
  lists: [],
  inputs: ["uint8"],
  zeroPointFree: true,
  output: "uint8",
  deploymentFields: ["shift"],

  check(v, field) {
    const shift = checkInt(v.shift, `${field}.shift`, 0, 31);
    return { requant: { scheme: "pulp-shift", shift }, outDtype: "uint8", outZeroPoint: 0 };
  },

  requantize: (acc, _c, rq) => clipU8(acc >> rq.shift),

  header: { shift: "shift" },

  presets: {
    "pulp-shift": {
      dtypes: ["uint8"],
      make(ctx) {
        const centre = 120;
        const d = Math.max(0, Math.min(31, Math.round(Math.log2(ctx.meanStd / ctx.targetStd))));
        for (let c = 0; c < ctx.cout; c++) ctx.bias[c] = clampI32(centre * 2 ** d - ctx.meanAcc(c) + ctx.jitter(c));
        return { scheme: "pulp-shift", shift: d };
      },
    },
  },
  edges: { "pulp-shift": (s) => ({ scheme: "pulp-shift", shift: s.shift }) },
  spread: {
    "pulp-shift": {
      input: "uint8",
      draw: (_n, accBits, rng) => ({ scheme: "pulp-shift", shift: Math.min(31, Math.max(0, accBits - 8 + rng.int(-1, 1))) }),
    },
  },
};
