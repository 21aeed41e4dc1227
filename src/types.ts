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

// The requantization schemes' types live with the rest of each scheme, in src/schemes/<name>.ts;
// `Requant` is the union over the list in src/schemes/index.ts.
export type { TfliteRequant } from "./schemes/tflite.js";
export type { OnnxRequant } from "./schemes/onnx.js";
export type { PulpBnRequant } from "./schemes/pulp-bn.js";
export type { PulpQuantRequant } from "./schemes/pulp-quant.js";
export type { PulpShiftRequant } from "./schemes/pulp-shift.js";
export type { GapSq8Requant } from "./schemes/gap-sq8.js";
import type { Requant } from "./schemes/index.js";
export type { Requant };

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
