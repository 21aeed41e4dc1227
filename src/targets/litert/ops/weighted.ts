// CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED as the XNNPACK delegate runs them for int8:
// the same int32 accumulator as TFLite (bias + sum of w * (x - input zero point)), then XNNPACK's
// "fp32" requantization instead of TFLite's fixed-point multiplier:
//   scale[c] = f32(f32(inputScale * filterScale[c]) / outputScale)       (once, at creation)
//   out      = clamp(rne(f32(f32(acc) * scale[c])) + outputZeroPoint, lo, hi)
// with round-to-nearest-even (magic bias) where TFLite rounds half away from zero twice.
// Ops the delegate does not take fall back to TFLite's own kernels (= the tflite-micro lowering).
// That requantization is the `onnx` scheme of the kernels, on which every convolution and fully
// connected layer runs, prepared once per runner (src/targets/tflite/general-op.ts); the TypeScript
// loops remain for a run without a general runner and for layers no kernel takes.
import { UnsupportedOpError } from "../../../graph/errors.js";
import type { Conv2dOp, DepthwiseConv2dOp, FullyConnectedOp, Graph, GraphOp, GraphTensor } from "../../../graph/types.js";
import { numel } from "../../../graph/types.js";
import type { OpTable } from "../../lowering.js";
import { constData, outputFor, tensorAt, valueOf } from "../../tensors.js";
import type { LoweredLayer, RunContext } from "../../types.js";
import type { FullyConnectedOp as GeneralFc, GeneralConvOp } from "../../../general.js";
import type { OnnxRequant } from "../../../types.js";
import { generalCall, runBatches } from "../../tflite/general-op.js";
import { channelMajor } from "../../tflite/kernel-op.js";
import { MAGIC_BIAS, isQ8Activation, outputBounds, q } from "../xnnpack.js";
import { builtin } from "./builtin.js";

const f32 = Math.fround;

/** Why the delegate would not take a weighted op, or null when it does. */
function notDelegated(graph: Graph, op: GraphOp, filterAxis: number): string | null {
  const x = tensorAt(graph, op.inputs[0]!);
  const w = tensorAt(graph, op.inputs[1]!);
  const y = tensorAt(graph, op.outputs[0]!);
  if (x.dtype !== "int8" || y.dtype !== "int8" || !isQ8Activation(x) || !isQ8Activation(y)) return "input and output are not per-tensor int8";
  if (w.dtype !== "int8" || !w.quant) return "the filter is not int8";
  const wq = w.quant;
  if (wq.scale.length > 1) {
    if (wq.axis !== filterAxis) return `the filter is quantized along dimension ${wq.axis}`;
    if (wq.zeroPoint.some((z) => z !== 0)) return "the filter has non-zero zero points";
  } else if (wq.zeroPoint[0] !== 0) {
    return "the filter has a non-zero zero point";
  }
  for (let i = 0; i < wq.scale.length; i++) if (!(wq.scale[i]! > 0) || !Number.isFinite(wq.scale[i]!)) return "the filter has a non-positive scale";
  const bi = op.inputs[2];
  if (bi !== undefined && bi >= 0) {
    // The delegate only takes an int32 bias with affine quantization along dimension 0 and zero points 0.
    const b = tensorAt(graph, bi);
    if (b.dtype !== "int32") return "the bias is not int32";
    if (!b.quant) return "the bias has no quantization";
    if (b.quant.zeroPoint.some((z) => z !== 0)) return "the bias has non-zero zero points";
  }
  return null;
}

/** The per-output-channel float32 requantization scales, as XNNPACK computes them. */
function channelScales(x: GraphTensor, w: GraphTensor, y: GraphTensor, channels: number): Float32Array {
  const sx = q(x).scale;
  const sy = q(y).scale;
  const ws = w.quant!.scale;
  const out = new Float32Array(channels);
  for (let c = 0; c < channels; c++) out[c] = f32(f32(sx * ws[ws.length > 1 ? c : 0]!) / sy);
  return out;
}

/** The layer constants shared by the three ops: what `network.lower("litert")` shows. */
function requantParams(x: GraphTensor, w: GraphTensor, y: GraphTensor, channels: number, act: Parameters<typeof outputBounds>[0], bias: Int32Array) {
  const scale = channelScales(x, w, y, channels);
  const yq = q(y);
  const [min, max] = outputBounds(act, yq.scale, yq.zeroPoint, y.dtype);
  return {
    kernel: "xnnpack",
    scheme: "xnnpack-fp32" as const,
    inputZeroPoint: q(x).zeroPoint,
    outputZeroPoint: yq.zeroPoint,
    scale,
    magicBias: MAGIC_BIAS,
    min,
    max,
    bias,
  };
}

function biasOf(graph: Graph, op: GraphOp, channels: number): Int32Array {
  const bi = op.inputs[2];
  if (bi === undefined || bi < 0) return new Int32Array(channels);
  return constData(tensorAt(graph, bi)) as Int32Array;
}

/** The fp32 requantization as the kernels' `onnx` scheme. */
function onnxRequant(p: ReturnType<typeof requantParams>): OnnxRequant {
  return { scheme: "onnx", scale: p.scale, outputZeroPoint: p.outputZeroPoint, min: p.min, max: p.max };
}

function conv2d(op: Conv2dOp, graph: Graph): LoweredLayer {
  const bi = op.inputs[2];
  if (bi === undefined || bi < 0) {
    // LiteRT itself cannot run this model: XNNPACK declines a CONV_2D without bias and TFLite's
    // built-in CONV_2D then fails to prepare.
    throw new UnsupportedOpError(op.index, op.opcode, "LiteRT refuses a CONV_2D without a bias (\"Tensor at index 2 was optional but was expected\", node failed to prepare)");
  }
  if (notDelegated(graph, op, 0)) return builtin(op, graph);
  const x = tensorAt(graph, op.inputs[0]!);
  const w = tensorAt(graph, op.inputs[1]!);
  const y = tensorAt(graph, op.outputs[0]!);
  const [N, H, W, C] = x.shape as [number, number, number, number];
  const [O, KH, KW, IG] = w.shape as [number, number, number, number];
  const [, HO, WO] = y.shape as [number, number, number, number];
  const groups = C / IG;
  const OG = O / groups;
  const wd = constData(w) as Int8Array;
  const p = requantParams(x, w, y, O, op.activation, biasOf(graph, op, O));
  const [sh, sw] = op.stride;
  const [dh, dw] = op.dilation;
  const { top, left } = op.pad;
  const { scale, bias, inputZeroPoint: zin, outputZeroPoint: zout } = p;
  const lo = p.min - zout;
  const hi = p.max - zout;
  const requant = onnxRequant(p);
  // [O][kh][kw][IG] is the general kernel's layout.
  const gop: GeneralConvOp = { kind: "conv", outChannels: O, kernel: [KH, KW], stride: [sh, sw], dilation: [dh, dw], pad: { ...op.pad }, groups, weights: Int8Array.from(wd), bias, requant };
  const general = generalCall({ height: H, width: W, channels: C, layout: "HWC", zeroPoint: zin, dtype: "int8" }, gop, HO * WO * O);
  return {
    op,
    params: { ...p, groups },
    run(values, ctx: RunContext) {
      const xd = valueOf(values, op.inputs[0]!) as Int8Array;
      const yd = outputFor(ctx, y) as Int8Array;
      if (runBatches(general, ctx, xd, N, H * W * C, yd, HO * WO * O)) {
        values[op.outputs[0]!] = yd;
        return;
      }
      for (let n = 0; n < N; n++) {
        for (let oy = 0; oy < HO; oy++) {
          for (let ox = 0; ox < WO; ox++) {
            const yBase = ((n * HO + oy) * WO + ox) * O;
            for (let o = 0; o < O; o++) {
              const g = (o / OG) | 0;
              let acc = bias[o]!;
              for (let ky = 0; ky < KH; ky++) {
                const iy = oy * sh - top + ky * dh;
                if (iy < 0 || iy >= H) continue;
                for (let kx = 0; kx < KW; kx++) {
                  const ix = ox * sw - left + kx * dw;
                  if (ix < 0 || ix >= W) continue;
                  const xBase = ((n * H + iy) * W + ix) * C + g * IG;
                  const wBase = ((o * KH + ky) * KW + kx) * IG;
                  for (let i = 0; i < IG; i++) acc = (acc + wd[wBase + i]! * (xd[xBase + i]! - zin)) | 0;
                }
              }
              let v = f32(f32(acc) * scale[o]!);
              v = v < lo ? lo : v > hi ? hi : v;
              yd[yBase + o] = f32(v + MAGIC_BIAS) - MAGIC_BIAS + zout;
            }
          }
        }
      }
      values[op.outputs[0]!] = yd;
    },
  };
}

function depthwiseConv2d(op: DepthwiseConv2dOp, graph: Graph): LoweredLayer {
  const bi = op.inputs[2];
  // Without a bias the delegate declines the op and TFLite's built-in kernel runs it.
  if (bi === undefined || bi < 0 || notDelegated(graph, op, 3)) return builtin(op, graph);
  const x = tensorAt(graph, op.inputs[0]!);
  const w = tensorAt(graph, op.inputs[1]!);
  const y = tensorAt(graph, op.outputs[0]!);
  const [N, H, W, C] = x.shape as [number, number, number, number];
  const [, KH, KW, O] = w.shape as [number, number, number, number];
  const [, HO, WO] = y.shape as [number, number, number, number];
  const mult = O / C;
  const wd = constData(w) as Int8Array;
  const p = requantParams(x, w, y, O, op.activation, biasOf(graph, op, O));
  const [sh, sw] = op.stride;
  const [dh, dw] = op.dilation;
  const { top, left } = op.pad;
  const { scale, bias, inputZeroPoint: zin, outputZeroPoint: zout } = p;
  const lo = p.min - zout;
  const hi = p.max - zout;
  const acc = new Int32Array(O);
  const requant = onnxRequant(p);
  // A convolution of C groups (the depthwise kernel without dilation): weights [C*M][kh][kw][1].
  const grouped = channelMajor(wd, KH * KW, O);
  const gop: GeneralConvOp = { kind: "conv", outChannels: O, kernel: [KH, KW], stride: [sh, sw], dilation: [dh, dw], pad: { ...op.pad }, groups: C, weights: grouped, bias, requant };
  const general = generalCall({ height: H, width: W, channels: C, layout: "HWC", zeroPoint: zin, dtype: "int8" }, gop, HO * WO * O);
  return {
    op,
    params: { ...p, depthMultiplier: mult },
    run(values, ctx: RunContext) {
      const xd = valueOf(values, op.inputs[0]!) as Int8Array;
      const yd = outputFor(ctx, y) as Int8Array;
      if (runBatches(general, ctx, xd, N, H * W * C, yd, HO * WO * O)) {
        values[op.outputs[0]!] = yd;
        return;
      }
      for (let n = 0; n < N; n++) {
        for (let oy = 0; oy < HO; oy++) {
          for (let ox = 0; ox < WO; ox++) {
            acc.set(bias);
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * sh - top + ky * dh;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * sw - left + kx * dw;
                if (ix < 0 || ix >= W) continue;
                const xBase = ((n * H + iy) * W + ix) * C;
                const wBase = (ky * KW + kx) * O;
                for (let o = 0; o < O; o++) acc[o] = acc[o]! + wd[wBase + o]! * (xd[xBase + ((o / mult) | 0)]! - zin);
              }
            }
            const yBase = ((n * HO + oy) * WO + ox) * O;
            for (let o = 0; o < O; o++) {
              let v = f32(f32(acc[o]!) * scale[o]!);
              v = v < lo ? lo : v > hi ? hi : v;
              yd[yBase + o] = f32(v + MAGIC_BIAS) - MAGIC_BIAS + zout;
            }
          }
        }
      }
      values[op.outputs[0]!] = yd;
    },
  };
}

function fullyConnected(op: FullyConnectedOp, graph: Graph): LoweredLayer {
  if (notDelegated(graph, op, 0)) return builtin(op, graph);
  const x = tensorAt(graph, op.inputs[0]!);
  const w = tensorAt(graph, op.inputs[1]!);
  const y = tensorAt(graph, op.outputs[0]!);
  const [O, I] = w.shape as [number, number];
  const rows = numel(x.shape) / I;
  const wd = constData(w) as Int8Array;
  const p = requantParams(x, w, y, O, op.activation, biasOf(graph, op, O));
  const { scale, bias, inputZeroPoint: zin, outputZeroPoint: zout } = p;
  const lo = p.min - zout;
  const hi = p.max - zout;
  const fc: GeneralFc = { kind: "fullyConnected", outFeatures: O, weights: Int8Array.from(wd), bias, requant: onnxRequant(p) };
  const general = Number.isInteger(rows) && rows > 0 ? generalCall({ height: rows, width: 1, channels: I, layout: "HWC", zeroPoint: zin, dtype: "int8" }, fc, rows * O) : null;
  return {
    op,
    params: p,
    run(values, ctx: RunContext) {
      const xd = valueOf(values, op.inputs[0]!) as Int8Array;
      const yd = outputFor(ctx, y) as Int8Array;
      if (xd.length === rows * I && runBatches(general, ctx, xd, 1, rows * I, yd, rows * O)) {
        values[op.outputs[0]!] = yd;
        return;
      }
      for (let r = 0; r < rows; r++) {
        const xBase = r * I;
        for (let o = 0; o < O; o++) {
          let acc = bias[o]!;
          const wBase = o * I;
          for (let i = 0; i < I; i++) acc = (acc + wd[wBase + i]! * (xd[xBase + i]! - zin)) | 0;
          let v = f32(f32(acc) * scale[o]!);
          v = v < lo ? lo : v > hi ? hi : v;
          yd[r * O + o] = f32(v + MAGIC_BIAS) - MAGIC_BIAS + zout;
        }
      }
      values[op.outputs[0]!] = yd;
    },
  };
}

export const WEIGHTED_OPS: OpTable = {
  conv2d,
  depthwiseConv2d,
  fullyConnected,
};
