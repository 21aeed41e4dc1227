// CONV_2D as TFLite Micro's reference kernel computes it (ConvPerChannel): per output pixel and
// channel, `acc = sum of w * (x - inZeroPoint)` over the taps inside the input (padding taps add
// nothing), `+ bias`, then per-channel MultiplyByQuantizedMultiplier, `+ outZeroPoint`, clamp.
// Grouped convolution: output channel `o` reads the input channels of group `o / (O / groups)`.
// Every geometry runs on the kernels with the `tflite` scheme (the same formula), prepared once per
// runner: a 1x1 stride-1 convolution is the pointwise GEMM over the pixels, any other one im2col
// into it; the TypeScript loops remain for a run without a general runner and for layers the
// kernels cannot take.
import type { Conv2dOp, Graph } from "../../../graph/types.js";
import type { GeneralConvOp } from "../../../general.js";
import { outputFor, tensorAt, valueOf } from "../../tensors.js";
import { generalCall, runBatches } from "../../tflite/general-op.js";
import type { LoweredLayer, RunContext, TensorData } from "../../types.js";
import { activationQuant, channelMultipliers, int32Bias, int8Weights, outputClamp, requant, withOffset } from "./weighted-common.js";
import { inputOf } from "./common.js";

export function lowerConv2d(op: Conv2dOp, graph: Graph): LoweredLayer {
  const x = inputOf(graph, op, 0, "the input");
  const f = inputOf(graph, op, 1, "the filter");
  const y = tensorAt(graph, op.outputs[0]!);
  const inQ = activationQuant(op, x, "the input");
  const [N, H, W, C] = x.shape as [number, number, number, number];
  const [O, kh, kw, Ig] = f.shape as [number, number, number, number];
  const [, Ho, Wo] = y.shape as [number, number, number, number];
  const groups = C / Ig;
  const perGroup = O / groups;
  const w = int8Weights(op, f, O, "the filter");
  const bias = int32Bias(graph, op, 2, O);
  const clampQ = outputClamp(op, y);
  const { multiplier, shift } = channelMultipliers(op, inQ.scale, w.scales, clampQ.outScale, O);
  const inputOffset = -inQ.zeroPoint;
  const { outputOffset, activationMin, activationMax } = clampQ;
  const weights = Int8Array.from(w.data);
  const [sh, sw] = op.stride;
  const [dh, dw] = op.dilation;
  const { top, left } = op.pad;
  const xi = op.inputs[0]!;
  const yi = op.outputs[0]!;
  const params = { multiplier, shift, inputOffset, outputOffset, activationMin, activationMax, weights, bias, groups };

  const taps = kh * kw * Ig;
  // Weights [O][kh][kw][Ig] are the general kernel's layout already.
  const gop: GeneralConvOp = {
    kind: "conv", outChannels: O, kernel: [kh, kw], stride: [sh, sw], dilation: [dh, dw], pad: { ...op.pad }, groups, weights, bias,
    requant: { scheme: "tflite", rounding: "double", multiplier, shift, outputZeroPoint: outputOffset, min: activationMin, max: activationMax },
  };
  const general = generalCall({ height: H, width: W, channels: C, layout: "HWC", zeroPoint: inQ.zeroPoint, dtype: "int8" }, gop, Ho * Wo * O);
  const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && groups === 1 && op.pad.top + op.pad.bottom + op.pad.left + op.pad.right === 0;
  return {
    op,
    params: { ...params, kernel: general ? (pointwise ? "wasm pointwise" : "wasm general") : "typescript" },
    run(values: Array<TensorData | undefined>, ctx: RunContext) {
      const out = outputFor(ctx, y) as Int8Array;
      if (runBatches(general, ctx, valueOf(values, xi) as Int8Array, N, H * W * C, out, Ho * Wo * O)) {
        values[yi] = out;
        return;
      }
      const xo = withOffset(valueOf(values, xi) as Int8Array, inputOffset);
      // One output pixel and group at a time: its receptive field is gathered once into `patch`
      // (the offset input; taps in the padding hold 0 and so add nothing, as TFLM skips them),
      // then every output channel of the group is one contiguous dot product with its weights row.
      const patch = new Int16Array(taps);
      for (let b = 0; b < N; b++) {
        for (let oy = 0; oy < Ho; oy++) {
          const iy0 = oy * sh - top;
          for (let ox = 0; ox < Wo; ox++) {
            const ix0 = ox * sw - left;
            const pBase = ((b * Ho + oy) * Wo + ox) * O;
            for (let g = 0; g < groups; g++) {
              let t = 0;
              for (let ky = 0; ky < kh; ky++) {
                const iy = iy0 + ky * dh;
                const rowIn = iy >= 0 && iy < H;
                for (let kx = 0; kx < kw; kx++) {
                  const ix = ix0 + kx * dw;
                  if (rowIn && ix >= 0 && ix < W) {
                    const xb = ((b * H + iy) * W + ix) * C + g * Ig;
                    for (let i = 0; i < Ig; i++) patch[t++] = xo[xb + i]!;
                  } else {
                    patch.fill(0, t, t + Ig);
                    t += Ig;
                  }
                }
              }
              for (let oc = g * perGroup; oc < (g + 1) * perGroup; oc++) {
                const wb = oc * taps;
                let acc = 0; // exact in a double (far below 2^53); wrapped to int32 in requant
                for (let k = 0; k < taps; k++) acc += weights[wb + k]! * patch[k]!;
                if (bias) acc += bias[oc]!;
                out[pBase + oc] = requant(acc, multiplier[oc]!, shift[oc]!, outputOffset, activationMin, activationMax);
              }
            }
          }
        }
      }
      values[yi] = out;
    },
  };
}
