// `gap-sq8` (SPEC §3): the GreenWaves GAP8 AutoTiler's SQ8 kernels as NNTool generates them: per
// channel an unsigned 8-bit scale and a norm, a pre-shifted bias, an optional scaled ReLU, int8
// activations without zero points.
import type { Rng } from "../rng.js";
import { checkInt, clamp, clampI32, draws, perChannelInts, type Scheme } from "./scheme.js";

/** GreenWaves AutoTiler SQ8 scale-and-norm requantization. */
export interface GapSq8Requant {
  scheme: "gap-sq8";
  scale: Uint8Array | number[];
  norm: Uint8Array | number[];
  relu?: boolean;
  biasNorm?: number;
  actScale?: number;
  actNorm?: number;
}

export interface CheckedGapSq8 {
  scheme: "gap-sq8";
  scale: Uint8Array;
  norm: Uint8Array;
  relu: boolean;
  biasNorm: number;
  actScale: number;
  actNorm: number;
}

export const KERNELS = ["gap-sq8"] as const;

/** `(x + 2^(n-1)) >> n` with the add wrapped to int32: the AutoTiler's `gap_roundnorm_reg`. */
function roundNorm(x: number, n: number): number {
  return ((x + (n > 0 ? 2 ** (n - 1) : 0)) | 0) >> n;
}

export const gapSq8: Scheme<GapSq8Requant, CheckedGapSq8, "gap-sq8"> = {
  name: "gap-sq8",
  kernels: KERNELS,
  scalars: ["relu", "biasNorm", "actScale", "actNorm"],
  lists: ["scale", "norm"],
  inputs: ["int8"],
  zeroPointFree: true,
  output: "int8",
  deploymentFields: [],

  check(v, field, n) {
    const scale = perChannelInts(v.scale, `${field}.scale`, n, 0, 255);
    const norm = perChannelInts(v.norm, `${field}.norm`, n, 0, 31);
    if (v.relu !== undefined && typeof v.relu !== "boolean") throw new TypeError(`${field}.relu must be a boolean`);
    const biasNorm = v.biasNorm === undefined ? 0 : checkInt(v.biasNorm, `${field}.biasNorm`, 0, 31);
    const actScale = v.actScale === undefined ? 1 : checkInt(v.actScale, `${field}.actScale`, 0, 255);
    const actNorm = v.actNorm === undefined ? 0 : checkInt(v.actNorm, `${field}.actNorm`, 0, 31);
    return {
      requant: { scheme: "gap-sq8", scale: Uint8Array.from(scale), norm: Uint8Array.from(norm), relu: v.relu === true, biasNorm, actScale, actNorm },
      outDtype: "int8",
      outZeroPoint: 0,
    };
  },

  requantize(acc, c, rq) {
    let t = roundNorm(Math.imul(acc, rq.scale[c]!), rq.norm[c]!);
    if (rq.relu) t = roundNorm(Math.imul(Math.max(t, 0), rq.actScale), rq.actNorm);
    return clamp(t, -128, 127);
  },
  // The AutoTiler's bias setup shifts the bias left by biasNorm (a wrapping int32 shift).
  accumulatorBias: (bias, rq) => bias << rq.biasNorm,

  arrays: (rq) => ({ a: rq.scale, b: rq.norm, aStride: 1, bStride: 1 }),
  header: { relu: "relu", actScale: "actScale", actNorm: "actNorm" },

  presets: {
    "gap-sq8": {
      dtypes: ["int8"],
      make(ctx) {
        // t = (acc*S + 2^(N-1)) >> N with S in [128, 255]: N[c] = floor(log2(255 / ratio[c])).
        const { rng, cout, std, bias } = ctx;
        const relu = ctx.relu;
        const biasNorm = rng.int(0, 2);
        const scale = new Uint8Array(cout);
        const norm = new Uint8Array(cout);
        const centre = relu ? 24 : 0;
        for (let c = 0; c < cout; c++) {
          const ratio = ctx.targetStd / std[c]!;
          const n = Math.max(0, Math.min(31, Math.floor(Math.log2(255 / ratio))));
          norm[c] = n;
          scale[c] = Math.max(1, Math.min(255, Math.round(ratio * 2 ** n)));
          const eff = scale[c]! / 2 ** n;
          bias[c] = clampI32((centre / eff - ctx.meanAcc(c) + ctx.jitter(c)) / 2 ** biasNorm);
        }
        if (relu) {
          // actScale/2^actNorm close to 1, as NNTool's activation rescale usually is.
          const actNorm = rng.int(6, 7);
          const actScale = Math.min(255, Math.round(rng.range(0.8, 1.2) * 2 ** actNorm));
          return { scheme: "gap-sq8", scale, norm, biasNorm, relu: true, actScale, actNorm };
        }
        return { scheme: "gap-sq8", scale, norm, biasNorm };
      },
    },
  },
  edges: {
    "gap-sq8"(s, rng) {
      const scale = draws(s.outChannels, s.perTensor, () => rng.edgy(0, 255, [0, 1, 255, 128], 0.25));
      const norm = draws(s.outChannels, s.perTensor, () => (rng.chance(0.6) ? rng.int(6, 16) : rng.edgy(0, 31, [0, 1, 31, 30], 0.5)));
      const rq: GapSq8Requant = { scheme: "gap-sq8", scale: s.typed ? Uint8Array.from(scale) : scale, norm: s.typed ? Uint8Array.from(norm) : norm };
      if (s.relu || rng.chance(0.3)) rq.relu = s.relu; // sometimes an explicit false
      if (s.biasNorm !== undefined) rq.biasNorm = s.biasNorm;
      if (s.actScale !== undefined) rq.actScale = s.actScale;
      if (s.actNorm !== undefined) rq.actNorm = s.actNorm;
      return rq;
    },
  },
  spread: {
    "gap-sq8": {
      input: "int8",
      draw(n: number, accBits: number, rng: Rng): GapSq8Requant {
        const perCh = <T>(f: () => T): T[] => draws(n, rng.float() < 0.15, f);
        const relu = rng.float() < 0.5;
        return {
          scheme: "gap-sq8",
          scale: perCh(() => rng.int(0, 255)),
          norm: perCh(() => Math.min(31, Math.max(0, accBits + rng.int(-1, 1)))),
          ...(rng.float() < 0.5 ? { relu } : {}),
          ...(rng.float() < 0.5 ? { biasNorm: rng.int(0, 3) } : {}),
          ...(relu && rng.float() < 0.7 ? { actScale: rng.int(0, 255), actNorm: rng.int(0, 9) } : {}),
        };
      },
    },
  },
};
