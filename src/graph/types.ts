// The format-neutral quantized graph: what an importer makes of a model file, before any target
// chooses an arithmetic. Tensors keep the quantization stored in the file (float32 scales and zero
// points, per tensor or per axis); ops keep their attributes. Nothing here says how to requantize:
// that is a target's job (src/targets), and the runner (src/runner) executes what a target lowers.
//
// Activations are NHWC (batch first, channels last), TFLite's order; 2-D tensors are
// [batch, features]. Convolution weights: CONV_2D `[O][kh][kw][I/groups]`, DEPTHWISE_CONV_2D
// `[1][kh][kw][C*multiplier]`, FULLY_CONNECTED `[O][I]`.

/** Element types a graph tensor can hold. */
export type DType = "float32" | "int8" | "uint8" | "int16" | "int32" | "int64" | "bool";

/** `real = scale[i] * (q - zeroPoint[i])`; one entry for per-tensor, else one per index of `axis`. */
export interface Quantization {
  /** float32 values, as stored. */
  scale: Float32Array;
  zeroPoint: Int32Array;
  /** The axis the per-channel entries run along (meaningful when there are several). */
  axis: number;
  /** The real range the converter recorded (TFLite `min`/`max`), when the file stores one. */
  min?: Float32Array;
  max?: Float32Array;
}

export interface GraphTensor {
  /** Position in the graph's tensor list (the TFLite tensor index for a `.tflite`). */
  index: number;
  name: string;
  dtype: DType;
  shape: number[];
  quant: Quantization | null;
  /** Constant contents (little-endian raw bytes), or null for a runtime tensor. */
  data: Uint8Array | null;
  /** A state tensor that keeps its value between runs (TFLite variable tensors). */
  variable: boolean;
}

/** A fused activation as the file states it; each target derives its own clamp from it. */
export type Activation = "none" | "relu" | "relu6" | "reluN1To1";

/** Explicit padding in pixels (resolved from SAME/VALID at import: shapes are static). */
export interface Pad4 {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

interface OpBase {
  /** Position in the graph's op list (TFLite operator index: also the execution order). */
  index: number;
  /** The operator's name in the source format (e.g. `CONV_2D`, `QLinearConv`). */
  opcode: string;
  /** Tensor indices; -1 marks an absent optional input (e.g. no bias). */
  inputs: number[];
  outputs: number[];
}

export interface Conv2dOp extends OpBase {
  kind: "conv2d";
  stride: [number, number];
  dilation: [number, number];
  pad: Pad4;
  activation: Activation;
}

export interface DepthwiseConv2dOp extends OpBase {
  kind: "depthwiseConv2d";
  stride: [number, number];
  dilation: [number, number];
  pad: Pad4;
  depthMultiplier: number;
  activation: Activation;
}

export interface FullyConnectedOp extends OpBase {
  kind: "fullyConnected";
  keepNumDims: boolean;
  activation: Activation;
}

export interface Pool2dOp extends OpBase {
  kind: "averagePool2d" | "maxPool2d";
  filter: [number, number];
  stride: [number, number];
  pad: Pad4;
  activation: Activation;
}

export interface ElementwiseOp extends OpBase {
  kind: "add" | "sub" | "mul";
  activation: Activation;
}

export interface MeanOp extends OpBase {
  kind: "mean";
  /** Reduced axes, normalized to 0..rank-1, sorted, unique. */
  axes: number[];
  keepDims: boolean;
}

export interface SoftmaxOp extends OpBase {
  kind: "softmax";
  beta: number;
}

export interface ConcatenationOp extends OpBase {
  kind: "concatenation";
  /** Normalized to 0..rank-1. */
  axis: number;
  activation: Activation;
}

export interface PadOp extends OpBase {
  kind: "pad";
  /** [before, after] per dimension. */
  paddings: Array<[number, number]>;
}

export interface TransposeOp extends OpBase {
  kind: "transpose";
  perm: number[];
}

export interface LeakyReluOp extends OpBase {
  kind: "leakyRelu";
  alpha: number;
}

export interface SvdfOp extends OpBase {
  kind: "svdf";
  rank: number;
  activation: Activation;
}

/** Ops whose only attribute is their kind. */
export interface SimpleOp extends OpBase {
  kind: "reshape" | "quantize" | "dequantize" | "relu" | "relu6" | "reluN1To1" | "logistic" | "tanh" | "hardSwish";
}

export type GraphOp =
  | Conv2dOp
  | DepthwiseConv2dOp
  | FullyConnectedOp
  | Pool2dOp
  | ElementwiseOp
  | MeanOp
  | SoftmaxOp
  | ConcatenationOp
  | PadOp
  | TransposeOp
  | LeakyReluOp
  | SvdfOp
  | SimpleOp;

export type OpKind = GraphOp["kind"];

/** An imported model: its tensors, its ops in execution order, its inputs and outputs. */
export interface Graph {
  format: "tflite" | "onnx";
  name: string;
  tensors: GraphTensor[];
  ops: GraphOp[];
  /** Tensor indices of the graph inputs, in order. */
  inputs: number[];
  /** Tensor indices of the graph outputs, in order. */
  outputs: number[];
  /**
   * The layout the model's own file gives its 4-D tensors, which a run takes inputs in and returns
   * values in (absent: NHWC, as stored). A graph converted from ONNX keeps its 4-D tensors NHWC
   * like every other graph and says `NCHW` here: the runner transposes at the edges only.
   */
  sourceLayout?: "NHWC" | "NCHW";
}

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Bytes per element of a dtype. */
export const DTYPE_BYTES: Record<DType, number> = { float32: 4, int8: 1, uint8: 1, int16: 2, int32: 4, int64: 8, bool: 1 };
