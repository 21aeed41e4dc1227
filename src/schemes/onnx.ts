// `onnx` (SPEC §3): ONNX Runtime QLinearConv (CPU and WebAssembly), XNNPACK per-channel kernels.
// A float32 scale per channel, the product rounded half to even.
import { onnxScales } from "../quant.js";
import type { Rng } from "../rng.js";
import { bytesOf, clamp, draws, rangedOutput, realScalesPreset, type Scheme } from "./scheme.js";

/** ONNX Runtime QLinearConv / XNNPACK float32-scale requantization (SPEC §3 `onnx`). */
export interface OnnxRequant {
  scheme: "onnx";
  scale: Float32Array | number[];
  outputZeroPoint: number;
  min: number;
  max: number;
}

export interface CheckedOnnx {
  scheme: "onnx";
  scale: Float32Array;
  outputZeroPoint: number;
  min: number;
  max: number;
}

/**
 * `onnx-fast`: the kernels' own choice when no accumulator of a call can leave the float rounding's
 * range; `onnx-fast-full`: the same when [min, max] is the output type's whole range (no clamp).
 */
export const KERNELS = ["onnx", "onnx-fast", "onnx-fast-full"] as const;

/** Round to nearest integer, ties to even (what `nearbyintf` does in the default FP mode). */
export function roundHalfToEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** A float32 drawn at the edges: exact powers of two (ties), ordinary scales, saturating ones, odd ones. */
function edgeScale(rng: Rng): number {
  const r = rng.int(0, 99);
  if (r < 30) return 2 ** -rng.int(0, 16); // acc * 2^-k has exact .5 ties
  if (r < 70) return Math.fround(2 ** (-20 + 20 * (rng.u32() / 2 ** 32)));
  if (r < 80) return rng.pick([2 ** rng.int(0, 10), 1e3, 1e30, 3.4028234663852886e38, 1.5, 2.5]);
  if (r < 90) return rng.pick([0, -0, 2 ** -149, 1e-45, 1e-30, Math.fround(1 / 3), Math.fround(0.1)]);
  return -(2 ** -rng.int(0, 12)) * rng.pick([1, 1.5, 0.75]); // negative scales are accepted too
}

function spread(u8: boolean) {
  return {
    input: u8 ? ("uint8" as const) : ("int8" as const),
    draw(n: number, accBits: number, rng: Rng): OnnxRequant {
      const perCh = <T>(f: () => T): T[] => draws(n, rng.float() < 0.15, f);
      return {
        scheme: "onnx",
        scale: perCh(() => Math.fround((0.25 + rng.float()) * 2 ** -(accBits - 7))),
        outputZeroPoint: u8 ? rng.int(0, 80) : rng.int(-40, 40),
        min: u8 ? 0 : -128,
        max: u8 ? 255 : 127,
      };
    },
  };
}

export const onnx: Scheme<OnnxRequant, CheckedOnnx, "onnx"> = {
  name: "onnx",
  kernels: KERNELS,
  scalars: ["outputZeroPoint", "min", "max"],
  lists: ["scale"],
  inputs: ["int8", "uint8"],
  zeroPointFree: false,
  deploymentFields: [],

  check(v, field, n) {
    const s = v.scale;
    if (!(s instanceof Float32Array || Array.isArray(s))) throw new TypeError(`${field}.scale must be a Float32Array or number[]`);
    if (s.length !== n && s.length !== 1) {
      throw new RangeError(`${field}.scale has ${s.length} entries; expected ${n} (one per output channel) or 1`);
    }
    const scale = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = s[s.length === 1 ? 0 : i];
      if (typeof x !== "number") throw new TypeError(`${field}.scale[${i}] must be a number`);
      const f = Math.fround(x);
      if (!Number.isFinite(f)) throw new RangeError(`${field}.scale[${i}] must be a finite float32, got ${x}`);
      scale[i] = f;
    }
    const o = rangedOutput(v, field);
    return {
      requant: { scheme: "onnx", scale, outputZeroPoint: o.outputZeroPoint, min: o.min, max: o.max },
      outDtype: o.outDtype,
      outZeroPoint: o.outputZeroPoint,
    };
  },

  requantize(acc, c, rq) {
    // MLAS converts the int32 accumulator to float and multiplies in float32: two roundings.
    const v = Math.fround(Math.fround(acc) * rq.scale[c]!);
    const zp = rq.outputZeroPoint;
    // Clamping before rounding is what MLAS does; the bounds are integers, so the order is immaterial.
    return roundHalfToEven(clamp(v, rq.min - zp, rq.max - zp)) + zp;
  },

  arrays: (rq) => ({ a: bytesOf(rq.scale), b: null, aStride: 4, bStride: 0 }),
  header: { outZp: "outputZeroPoint", min: "min", max: "max" },

  presets: {
    onnx: {
      dtypes: ["int8", "uint8"],
      make(ctx) {
        const { scales, outZp, min, max } = realScalesPreset(ctx, ctx.dtype);
        return { scheme: "onnx", scale: onnxScales(scales), outputZeroPoint: outZp, min, max };
      },
    },
  },
  edges: {
    onnx(s, rng) {
      const scale = draws(s.outChannels, s.perTensor, () => edgeScale(rng));
      return { scheme: "onnx", scale: s.typed ? Float32Array.from(scale) : scale, outputZeroPoint: s.outZeroPoint, min: s.min, max: s.max };
    },
  },
  spread: { "onnx-int8": spread(false), "onnx-uint8": spread(true) },
};
