// `pulp-quant` (SPEC §3): PULP-NN / DORY ReLU-only requantization on GAP8: one int16 multiplier
// and one shift per layer, the intermediate kept in an int16, uint8 activations.
import { checkInt, clampI32, clipU8, type Scheme } from "./scheme.js";

/** PULP-NN ReLU-only requantization with an int16 multiplier. */
export interface PulpQuantRequant {
  scheme: "pulp-quant";
  mult: number;
  shift: number;
}

export const KERNELS = ["pulp-quant"] as const;

export const pulpQuant: Scheme<PulpQuantRequant, PulpQuantRequant, "pulp-quant"> = {
  name: "pulp-quant",
  kernels: KERNELS,
  scalars: ["mult", "shift"],
  lists: [],
  inputs: ["uint8"],
  zeroPointFree: true,
  output: "uint8",
  deploymentFields: ["shift", "mult"],

  check(v, field) {
    const mult = checkInt(v.mult, `${field}.mult`, -32768, 32767);
    const shift = checkInt(v.shift, `${field}.shift`, 0, 31);
    return { requant: { scheme: "pulp-quant", mult, shift }, outDtype: "uint8", outZeroPoint: 0 };
  },

  requantize(acc, _c, rq) {
    const t = Math.imul(rq.mult, acc) >> rq.shift;
    // pulp_nn_quant_u8 returns its intermediate through an int16: keep the low 16 bits, signed.
    return clipU8((t << 16) >> 16);
  },

  header: { shift: "shift", mult: "mult" },

  presets: {
    "pulp-quant": {
      dtypes: ["uint8"],
      make(ctx) {
        // One int16 multiplier and one shift per layer: the bias centres each channel at ~120 in the
        // scale of the layer's mean std; m*acc must stay inside int32 (hence the bound on d).
        const centre = 120;
        const ratio = ctx.targetStd / ctx.meanStd;
        const d = Math.max(0, Math.min(21, Math.floor(Math.log2(32767 / ratio))));
        const mult = Math.max(1, Math.min(32767, Math.round(ratio * 2 ** d)));
        const eff = mult / 2 ** d;
        for (let c = 0; c < ctx.cout; c++) ctx.bias[c] = clampI32(centre / eff - ctx.meanAcc(c) + ctx.jitter(c));
        return { scheme: "pulp-quant", mult, shift: d };
      },
    },
  },
  edges: { "pulp-quant": (s) => ({ scheme: "pulp-quant", mult: s.mult, shift: s.shift }) },
  spread: {
    "pulp-quant": {
      input: "uint8",
      draw: (_n, accBits, rng) => ({ scheme: "pulp-quant", mult: rng.int(-200, 2000), shift: Math.min(31, Math.max(0, accBits + 2 + rng.int(-1, 1))) }),
    },
  },
};
