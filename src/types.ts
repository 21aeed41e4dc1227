// The public data types of dwpw, exactly as SPEC.md §4 names them. Everything else in the
// package is written against these; do not change their shape.

/** Memory order of an activation tensor: `HWC` channel fastest, `CHW` planar. */
export type Layout = "HWC" | "CHW";

/** Element type of an activation tensor, as implied by its typed array. */
export type Dtype = "int8" | "uint8";

/** One feature map (batch 1). `data` is an `Int8Array` for int8, a `Uint8Array` for uint8. */
export interface Tensor {
  data: Int8Array | Uint8Array;
  height: number;
  width: number;
  channels: number;
  layout: Layout;
  zeroPoint: number;
}

/** Explicit padding in pixels on each side. */
export interface Padding {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

/** TFLite / TFLite Micro / CMSIS-NN fixed-point requantization (SPEC §3 `tflite`). */
export interface TfliteRequant {
  scheme: "tflite";
  rounding?: "double" | "single";
  multiplier: Int32Array | number[];
  shift: Int32Array | number[];
  outputZeroPoint: number;
  min: number;
  max: number;
}

/** ONNX Runtime QLinearConv / XNNPACK float32-scale requantization (SPEC §3 `onnx`). */
export interface OnnxRequant {
  scheme: "onnx";
  scale: Float32Array | number[];
  outputZeroPoint: number;
  min: number;
  max: number;
}

/** PULP-NN batch-norm + ReLU requantization. */
export interface PulpBnRequant {
  scheme: "pulp-bn";
  k: Int32Array | number[];
  lambda: Int32Array | number[];
  shift: number;
}

/** PULP-NN ReLU-only requantization with an int16 multiplier. */
export interface PulpQuantRequant {
  scheme: "pulp-quant";
  mult: number;
  shift: number;
}

/** PULP-NN plain shift. */
export interface PulpShiftRequant {
  scheme: "pulp-shift";
  shift: number;
}

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

export type Requant =
  | TfliteRequant
  | OnnxRequant
  | PulpBnRequant
  | PulpQuantRequant
  | PulpShiftRequant
  | GapSq8Requant;

export type Scheme = Requant["scheme"];

/** Depthwise KxK convolution, depth multiplier 1. Weights `[C][kh][kw]`. */
export interface DepthwiseOp {
  kind: "depthwise";
  kernel: [number, number];
  stride: [number, number];
  pad: Padding;
  weights: Int8Array;
  bias?: Int32Array | null;
  requant: Requant;
}

/** Pointwise 1x1 convolution. Weights `[Cout][Cin]`. */
export interface PointwiseOp {
  kind: "pointwise";
  outChannels: number;
  weights: Int8Array;
  bias?: Int32Array | null;
  requant: Requant;
}

export type ConvOp = DepthwiseOp | PointwiseOp;
