// CONV_2D and DEPTHWISE_CONV_2D as ONNX Runtime's QLinearConv computes them: per output pixel and
// channel `acc = bias + sum of (w - wZeroPoint) * (x - xZeroPoint)` over the taps inside the input
// (padding taps add nothing) in int32 with wrap-around, then MLAS's requantization with the float32
// scale `f32(f32(xScale * wScale[c]) / yScale)` (SPEC §3 `onnx`). A depthwise convolution is a
// QLinearConv with one group per input channel (`multiplier` outputs each). Depthwise layers with
// multiplier 1 and 1x1 stride-1 convolutions run on the WebAssembly kernels with the `onnx` scheme;
// everything else in TypeScript, on NHWC bytes.
import type { Conv2dOp, DepthwiseConv2dOp, Graph } from "../../graph/types.js";
import { requantizeOnnx } from "../../network/arith.js";
import type { ConvOp, OnnxRequant, Tensor } from "../../types.js";
import { MAX_ELEMENTS, layerOf } from "../../validate.js";
import { kernelOpWith } from "../tflite/kernel-op.js";
import { valueOf } from "../tensors.js";
import type { LoweredLayer, RunContext, TensorData } from "../types.js";
import { input, newQ8, output } from "./common.js";
import { weightedParams, type WeightedParams } from "./weighted.js";

/** The `onnx` requant of a kernel layer: the per-channel scales and the activation's clamp. */
function onnxRequant(p: WeightedParams): OnnxRequant {
  return { scheme: "onnx", scale: p.scale, outputZeroPoint: p.y.zeroPoint, min: p.min, max: p.max };
}

/** The kernel op of a depthwise (multiplier 1) or 1x1 stride-1 layer, when the kernels take it. */
function kernelLayer(op: Conv2dOp | DepthwiseConv2dOp, graph: Graph, p: WeightedParams, shape: { height: number; width: number; channels: number }): ConvOp | null {
  if (p.wZeroPoint.some((z) => z !== 0) || p.raw instanceof Uint8Array || p.x.dtype !== "int8" || p.y.dtype !== "int8") return null;
  const k = kernelOpWith(op, graph, () => onnxRequant(p));
  if (!k || shape.height * shape.width * shape.channels > MAX_ELEMENTS) return null;
  try {
    layerOf({ ...shape, zeroPoint: p.x.zeroPoint, layout: "HWC", dtype: "int8" }, k);
    return k;
  } catch {
    return null;
  }
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

  const k = kernelLayer(op, graph, p, { height: H, width: W, channels: C });
  if (k) {
    const inSize = H * W * C;
    const outSize = Ho * Wo * O;
    return {
      op,
      params: { ...common, weights: k.weights, weightsLayout: k.kind === "depthwise" ? "[C][kh][kw]" : "[Cout][Cin]", kernel: `wasm ${k.kind}` },
      run(values: Array<TensorData | undefined>, ctx: RunContext) {
        const xd = valueOf(values, xi) as Int8Array;
        const out = new Int8Array(N * outSize);
        for (let b = 0; b < N; b++) {
          const t: Tensor = { data: xd.subarray(b * inSize, (b + 1) * inSize), height: H, width: W, channels: C, layout: "HWC", zeroPoint: p.x.zeroPoint };
          const r = ctx.conv(t, k);
          if (r.height !== Ho || r.width !== Wo) throw new Error(`internal: op ${op.index} gave ${r.height}x${r.width}, the model says ${Ho}x${Wo}`);
          out.set(r.data as Int8Array, b * outSize);
        }
        values[yi] = out;
      },
    };
  }

  const [sh, sw] = op.stride;
  const [dh, dw] = op.dilation;
  const { top, left } = op.pad;
  const perGroup = O / group;
  const { w, scale, bias, min, max } = p;
  const zx = p.x.zeroPoint;
  const zy = p.y.zeroPoint;
  return {
    op,
    params: { ...common, weights: p.raw, weightsLayout: depthwise ? "[1][kh][kw][C*multiplier]" : "[O][kh][kw][I/group]", kernel: "typescript" },
    run(values: Array<TensorData | undefined>) {
      const xd = valueOf(values, xi) as Int8Array | Uint8Array;
      const xs = new Int16Array(xd.length);
      for (let i = 0; i < xd.length; i++) xs[i] = xd[i]! - zx;
      const out = newQ8(p.y.dtype, N * Ho * Wo * O);
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
