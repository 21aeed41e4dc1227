// DEPTHWISE_CONV_2D as TFLite Micro's reference kernel computes it (DepthwiseConvPerChannel):
// output channel `c * M + m` (M the depth multiplier) filters input channel `c` with the filter's
// column `c * M + m`; taps in the padding add nothing; `+ bias`, per-channel
// MultiplyByQuantizedMultiplier, `+ outZeroPoint`, clamp. It runs on the kernels with the `tflite`
// scheme as a convolution of C groups, prepared once per runner (weights transposed once, here,
// from TFLite's `[1][kh][kw][C*M]` to `[C*M][kh][kw][1]`): without dilation that is the depthwise
// kernel (over the channels repeated M times when M > 1), with dilation the general kernel;
// TypeScript loops remain for a run without a general runner and for layers no kernel takes.
import type { DepthwiseConv2dOp, Graph } from "../../../graph/types.js";
import type { GeneralConvOp } from "../../../general.js";
import { outputFor, tensorAt, valueOf } from "../../tensors.js";
import { generalCall, runBatches } from "../../tflite/general-op.js";
import { channelMajor } from "../../tflite/kernel-op.js";
import type { LoweredLayer, RunContext, TensorData } from "../../types.js";
import { activationQuant, channelMultipliers, int32Bias, int8Weights, outputClamp, requant, withOffset } from "./weighted-common.js";
import { inputOf } from "./common.js";

export function lowerDepthwiseConv2d(op: DepthwiseConv2dOp, graph: Graph): LoweredLayer {
  const x = inputOf(graph, op, 0, "the input");
  const f = inputOf(graph, op, 1, "the filter");
  const y = tensorAt(graph, op.outputs[0]!);
  const inQ = activationQuant(op, x, "the input");
  const [N, H, W, C] = x.shape as [number, number, number, number];
  const [, kh, kw, O] = f.shape as [number, number, number, number];
  const [, Ho, Wo] = y.shape as [number, number, number, number];
  const M = O / C;
  const w = int8Weights(op, f, O, "the filter");
  const bias = int32Bias(graph, op, 2, O);
  const clampQ = outputClamp(op, y);
  const { multiplier, shift } = channelMultipliers(op, inQ.scale, w.scales, clampQ.outScale, O);
  const inputOffset = -inQ.zeroPoint;
  const { outputOffset, activationMin, activationMax } = clampQ;
  const [sh, sw] = op.stride;
  const [dh, dw] = op.dilation;
  const { top, left } = op.pad;
  const xi = op.inputs[0]!;
  const yi = op.outputs[0]!;

  const weights = Int8Array.from(w.data);
  const taps = kh * kw;
  const grouped = channelMajor(weights, taps, O);
  const gop: GeneralConvOp = {
    kind: "conv", outChannels: O, kernel: [kh, kw], stride: [sh, sw], dilation: [dh, dw], pad: { ...op.pad }, groups: C, weights: grouped, bias,
    requant: { scheme: "tflite", rounding: "double", multiplier, shift, outputZeroPoint: outputOffset, min: activationMin, max: activationMax },
  };
  const general = generalCall({ height: H, width: W, channels: C, layout: "HWC", zeroPoint: inQ.zeroPoint, dtype: "int8" }, gop, Ho * Wo * O);
  const common = { multiplier, shift, inputOffset, outputOffset, activationMin, activationMax };
  // What the deployment carries: the weights as the kernel holds them where it is the depthwise kernel.
  const params = M === 1 && dh === 1 && dw === 1 && general
    ? { ...common, weights: grouped, weightsLayout: "[C][kh][kw]", bias, depthMultiplier: 1, kernel: "wasm depthwise" }
    : { ...common, weights, weightsLayout: "[1][kh][kw][C*M]", bias, depthMultiplier: M, kernel: general ? "wasm general" : "typescript" };
  return {
    op,
    params,
    run(values: Array<TensorData | undefined>, ctx: RunContext) {
      const out = outputFor(ctx, y) as Int8Array;
      if (runBatches(general, ctx, valueOf(values, xi) as Int8Array, N, H * W * C, out, Ho * Wo * O)) {
        values[yi] = out;
        return;
      }
      const xo = withOffset(valueOf(values, xi) as Int8Array, inputOffset);
      // Per output pixel, all O accumulators at once: each tap inside the input adds one filter
      // row (contiguous over output channels) times the input pixel's channels.
      const acc = new Float64Array(O);
      for (let b = 0; b < N; b++) {
        for (let oy = 0; oy < Ho; oy++) {
          const iy0 = oy * sh - top;
          for (let ox = 0; ox < Wo; ox++) {
            const ix0 = ox * sw - left;
            acc.fill(0);
            for (let ky = 0; ky < kh; ky++) {
              const iy = iy0 + ky * dh;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ix0 + kx * dw;
                if (ix < 0 || ix >= W) continue;
                const xb = ((b * H + iy) * W + ix) * C;
                const wb = (ky * kw + kx) * O;
                for (let c = 0, oc = 0; c < C; c++) {
                  const v = xo[xb + c]!;
                  for (let m = 0; m < M; m++, oc++) acc[oc] += weights[wb + oc]! * v;
                }
              }
            }
            const pBase = ((b * Ho + oy) * Wo + ox) * O;
            for (let oc = 0; oc < O; oc++) {
              const a = bias ? acc[oc]! + bias[oc]! : acc[oc]!;
              out[pBase + oc] = requant(a, multiplier[oc]!, shift[oc]!, outputOffset, activationMin, activationMax);
            }
          }
        }
      }
      values[yi] = out;
    },
  };
}
