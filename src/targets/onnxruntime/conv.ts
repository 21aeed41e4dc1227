// CONV_2D and DEPTHWISE_CONV_2D as ONNX Runtime's QLinearConv computes them: per output pixel and
// channel `acc = bias + sum of (w - wZeroPoint) * (x - xZeroPoint)` over the taps inside the input
// (padding taps add nothing) in int32 with wrap-around, then MLAS's requantization with the float32
// scale `f32(f32(xScale * wScale[c]) / yScale)` (SPEC §3 `onnx`). A depthwise convolution is a
// QLinearConv with one group per input channel (`multiplier` outputs each). With int8 weights of
// zero point 0 every geometry runs on the kernels with the `onnx` scheme, prepared once per runner
// (src/targets/tflite/general-op.ts: depthwise on the depthwise kernel, the rest on the pointwise
// GEMM, im2col for other than 1x1 stride 1); TypeScript loops, on NHWC bytes, for the other layers
// and for a run without a general runner.
import type { Conv2dOp, DepthwiseConv2dOp, Graph } from "../../graph/types.js";
import type { GeneralConvOp } from "../../general.js";
import { requantizeOnnx } from "../../network/arith.js";
import type { OnnxRequant } from "../../types.js";
import { outputFor, valueOf } from "../tensors.js";
import { generalCall, runBatches } from "../tflite/general-op.js";
import { channelMajor } from "../tflite/kernel-op.js";
import type { LoweredLayer, RunContext, TensorData } from "../types.js";
import { input, output } from "./common.js";
import { weightedParams, type WeightedParams } from "./weighted.js";

/** The `onnx` requant of a kernel layer: the per-channel scales and the activation's clamp. */
function onnxRequant(p: WeightedParams): OnnxRequant {
  return { scheme: "onnx", scale: p.scale, outputZeroPoint: p.y.zeroPoint, min: p.min, max: p.max };
}

function lowerConvCommon(op: Conv2dOp | DepthwiseConv2dOp, graph: Graph): LoweredLayer {
  const xt = input(graph, op, 0, "the input");
  const wt = input(graph, op, 1, "the weights");
  const yt = output(graph, op);
  const [N, H, W, C] = xt.shape as [number, number, number, number];
  const [, Ho, Wo, O] = yt.shape as [number, number, number, number];
  const depthwise = op.kind === "depthwiseConv2d";
  const [, kh, kw] = wt.shape as [number, number, number, number];
  const Ig = depthwise ? 1 : wt.shape[3]!;
  const group = depthwise ? C : C / Ig;
  const p = weightedParams(op, graph, O);
  const xi = op.inputs[0]!;
  const yi = op.outputs[0]!;
  const common = {
    onnxOp: "QLinearConv", group, inputZeroPoint: p.x.zeroPoint, weightZeroPoint: p.wZeroPoint,
    bias: p.bias, scale: p.scale, outputZeroPoint: p.y.zeroPoint, min: p.min, max: p.max,
  };

  // The kernels' weights: [O][kh][kw][Ig] as the file holds a CONV_2D's; a depthwise filter's
  // [1][kh][kw][C*M] transposed once to [C*M][kh][kw][1].
  const raw = p.raw;
  const kernelWeights = raw instanceof Int8Array && p.wZeroPoint.every((z) => z === 0) ? (depthwise ? channelMajor(raw, kh * kw, O) : raw) : null;
  const gop: GeneralConvOp | null = kernelWeights && {
    kind: "conv", outChannels: O, kernel: [kh, kw], stride: [op.stride[0], op.stride[1]], dilation: [op.dilation[0], op.dilation[1]], pad: { ...op.pad },
    groups: group, weights: kernelWeights, bias: p.bias, requant: onnxRequant(p),
  };
  const general = gop && generalCall({ height: H, width: W, channels: C, layout: "HWC", zeroPoint: p.x.zeroPoint, dtype: p.x.dtype }, gop, Ho * Wo * O, p.y.dtype);
  const pointwise = kh === 1 && kw === 1 && op.stride[0] === 1 && op.stride[1] === 1 && group === 1 && op.pad.top + op.pad.bottom + op.pad.left + op.pad.right === 0;
  const onDepthwiseKernel = depthwise && op.dilation[0] === 1 && op.dilation[1] === 1;
  // What the deployment carries: the weights as the kernel holds them where it is the depthwise or
  // pointwise kernel, else as the file has them.
  const kernel = !general ? "typescript" : pointwise ? "wasm pointwise" : onDepthwiseKernel && O === C ? "wasm depthwise" : "wasm general";
  const weights = kernel === "wasm depthwise" || kernel === "wasm pointwise" ? gop!.weights : raw;
  const weightsLayout = kernel === "wasm depthwise" ? "[C][kh][kw]" : kernel === "wasm pointwise" ? "[Cout][Cin]" : depthwise ? "[1][kh][kw][C*multiplier]" : "[O][kh][kw][I/group]";
  const inSize = H * W * C;
  const outSize = Ho * Wo * O;

  const [sh, sw] = op.stride;
  const [dh, dw] = op.dilation;
  const { top, left } = op.pad;
  const perGroup = O / group;
  const { w, scale, bias, min, max } = p;
  const zx = p.x.zeroPoint;
  const zy = p.y.zeroPoint;
  return {
    op,
    params: { ...common, weights, weightsLayout, kernel },
    run(values: Array<TensorData | undefined>, ctx: RunContext) {
      const xd = valueOf(values, xi) as Int8Array | Uint8Array;
      const out = outputFor(ctx, yt) as Int8Array | Uint8Array;
      if (runBatches(general, ctx, xd, N, inSize, out, outSize)) {
        values[yi] = out;
        return;
      }
      const xs = new Int16Array(xd.length);
      for (let i = 0; i < xd.length; i++) xs[i] = xd[i]! - zx;
      let at = 0;
      for (let b = 0; b < N; b++) {
        for (let oy = 0; oy < Ho; oy++) {
          const iy0 = oy * sh - top;
          for (let ox = 0; ox < Wo; ox++) {
            const ix0 = ox * sw - left;
            for (let oc = 0; oc < O; oc++) {
              const g = Math.floor(oc / perGroup);
              // Exact in a double (far below 2^53), wrapped to int32 once: the same as wrapping each add.
              let acc = 0;
              for (let ky = 0; ky < kh; ky++) {
                const iy = iy0 + ky * dh;
                if (iy < 0 || iy >= H) continue;
                const row = (b * H + iy) * W;
                for (let kx = 0; kx < kw; kx++) {
                  const ix = ix0 + kx * dw;
                  if (ix < 0 || ix >= W) continue;
                  const xb = (row + ix) * C + g * Ig;
                  if (depthwise) acc += w[(ky * kw + kx) * O + oc]! * xs[xb]!;
                  else {
                    const wb = ((oc * kh + ky) * kw + kx) * Ig;
                    for (let i = 0; i < Ig; i++) acc += w[wb + i]! * xs[xb + i]!;
                  }
                }
              }
              acc |= 0;
              if (bias) acc = (acc + bias[oc]!) | 0;
              out[at++] = requantizeOnnx(acc, scale[oc]!, zy, min, max);
            }
          }
        }
      }
      values[yi] = out;
    },
  };
}

export function lowerConv2d(op: Conv2dOp, graph: Graph): LoweredLayer {
  return lowerConvCommon(op, graph);
}

export function lowerDepthwiseConv2d(op: DepthwiseConv2dOp, graph: Graph): LoweredLayer {
  return lowerConvCommon(op, graph);
}
