// The general convolution layers the benchmark times (stems, 3x3 convolutions, strided 1x1,
// grouped, depthwise with a multiplier, fully connected), with deterministic data.
import { Engine } from "../src/engine.js";
import { generalLayerFor, type FullyConnectedOp, type GeneralConvOp, type GeneralExports, type GeneralInputShape } from "../src/general.js";
import type { KernelExports } from "../src/wasm/module.js";
import { HEADER_BYTES, channelParams, writeHeader } from "../src/wasm/params.js";
import { Rng } from "../src/rng.js";
import type { Requant } from "../src/types.js";

export interface GeneralLayerSpec {
  name: string;
  shape: GeneralInputShape;
  op: GeneralConvOp | FullyConnectedOp;
  macs: number;
}

function requantFor(scheme: "onnx" | "tflite-double", O: number, rng: Rng): Requant {
  if (scheme === "onnx") return { scheme: "onnx", scale: Float32Array.from({ length: O }, () => 0.0005 + rng.float() * 0.001), outputZeroPoint: 3, min: -128, max: 127 };
  return { scheme: "tflite", multiplier: Int32Array.from({ length: O }, () => rng.int(2 ** 30, 2 ** 31 - 1)), shift: Int32Array.from({ length: O }, () => rng.int(-12, -8)), outputZeroPoint: 3, min: -128, max: 127 };
}

function conv(name: string, scheme: "onnx" | "tflite-double", H: number, W: number, C: number, O: number, k: number, s: number, pad: [number, number, number, number], groups = 1): GeneralLayerSpec {
  const rng = new Rng(H * 31 + C * 7 + O);
  const Ig = C / groups;
  const Ho = Math.floor((H + pad[0] + pad[2] - k) / s) + 1, Wo = Math.floor((W + pad[1] + pad[3] - k) / s) + 1;
  const weights = Int8Array.from({ length: O * k * k * Ig }, () => rng.int(-128, 127));
  const bias = Int32Array.from({ length: O }, () => rng.int(-5000, 5000));
  return {
    name: `${name} ${scheme}`,
    shape: { height: H, width: W, channels: C, layout: "HWC", zeroPoint: -3, dtype: "int8" },
    op: { kind: "conv", outChannels: O, kernel: [k, k], stride: [s, s], pad: { top: pad[0], left: pad[1], bottom: pad[2], right: pad[3] }, groups, weights, bias, requant: requantFor(scheme, O, rng) },
    macs: Ho * Wo * O * k * k * Ig,
  };
}

function fc(name: string, scheme: "onnx" | "tflite-double", rows: number, I: number, O: number): GeneralLayerSpec {
  const rng = new Rng(I + O);
  return {
    name: `${name} ${scheme}`,
    shape: { height: rows, width: 1, channels: I, layout: "HWC", zeroPoint: -3, dtype: "int8" },
    op: { kind: "fullyConnected", outFeatures: O, weights: Int8Array.from({ length: O * I }, () => rng.int(-128, 127)), bias: Int32Array.from({ length: O }, () => rng.int(-5000, 5000)), requant: requantFor(scheme, O, rng) },
    macs: rows * I * O,
  };
}

export function generalLayers(): GeneralLayerSpec[] {
  const out: GeneralLayerSpec[] = [];
  for (const scheme of ["tflite-double", "onnx"] as const) {
    out.push(
      conv("stem 224x224x3 -> 32, 3x3 s2", scheme, 224, 224, 3, 32, 3, 2, [0, 0, 1, 1]),
      conv("3x3 56x56x64 -> 64", scheme, 56, 56, 64, 64, 3, 1, [1, 1, 1, 1]),
      conv("3x3 s2 28x28x128 -> 256", scheme, 28, 28, 128, 256, 3, 2, [0, 0, 1, 1]),
      conv("1x1 s2 56x56x64 -> 128", scheme, 56, 56, 64, 128, 1, 2, [0, 0, 0, 0]),
      conv("grouped(4) 3x3 28x28x128 -> 128", scheme, 28, 28, 128, 128, 3, 1, [1, 1, 1, 1], 4),
      conv("depthwise x2 3x3 56x56x32 -> 64", scheme, 56, 56, 32, 64, 3, 1, [1, 1, 1, 1], 32),
      fc("fc 1280 -> 1000", scheme, 1, 1280, 1000),
    );
  }
  return out;
}

/** The layer's buffers placed once in `w`'s memory; `run` is the bare kernel call. */
export function placeGeneral(w: KernelExports & GeneralExports, l: GeneralLayerSpec, x: Int8Array): { run: () => void; out: () => Uint8Array } {
  const layer = generalLayerFor(l.shape, l.op);
  const a = new Engine(w, true).arena;
  const taps = layer.kh * layer.kw * (layer.channels / layer.groups);
  const O = layer.outChannels;
  const p = channelParams(layer.requant, layer.bias);
  a.reset();
  const src = a.alloc(x.length), raw = a.alloc(layer.weights.length), packed = a.alloc(w.convWeightBytes(O, taps, layer.groups));
  const bias = a.alloc(p.bias?.length ?? 0), pa = a.alloc(p.a?.length ?? 0), pb = a.alloc(p.b?.length ?? 0), hdr = a.alloc(HEADER_BYTES);
  const outN = layer.outHeight * layer.outWidth * O;
  const dst = a.alloc(outN), scratch = a.alloc(w.convScratchBytes(O, taps, layer.groups));
  a.commit();
  a.write(src, x);
  a.write(raw, layer.weights);
  if (p.bias) a.write(bias, p.bias);
  if (p.a) a.write(pa, p.a);
  if (p.b) a.write(pb, p.b);
  writeHeader(w.memory, hdr, layer.requant, p.bias ? bias : 0, pa, pb);
  w.convPackWeights(raw, O, taps, layer.groups, layer.weightZeroPoint, packed);
  const { height: H, width: W, channels: C, outHeight: Ho, outWidth: Wo } = layer;
  return {
    run: () => w.convGeneral(src, W * C, C, 1, H, W, C, 1, layer.inZeroPoint, layer.kh, layer.kw, layer.sh, layer.sw, layer.dh, layer.dw, layer.pad.top, layer.pad.left, Ho, Wo, layer.groups, O, packed, layer.weightZeroPoint, hdr, dst, Wo * O, O, 1, scratch),
    out: () => new Uint8Array(w.memory.buffer, dst, outN).slice(),
  };
}

