// The network IR: what an imported ONNX graph becomes. Every layer is one quantized operation in
// ONNX Runtime's arithmetic (the `onnx` scheme of SPEC §3 and its relatives); depthwise and
// pointwise convolutions are dwpw ops and run on the WebAssembly kernels.
import type { ConvOp, DepthwiseOp, PointwiseOp } from "../types.js";

export type QDtype = "int8" | "uint8";

/** Quantization of one activation tensor (per tensor): real = scale * (q - zeroPoint). */
export interface QParams {
  dtype: QDtype;
  /** A float32 value. */
  scale: number;
  zeroPoint: number;
}

/** A tensor of the graph as the runner sees it. */
export interface ValueSpec {
  name: string;
  /** ONNX dims, batch first; the batch is always 1. */
  shape: number[];
  /** Quantization, or null for a float32 tensor (the float side of QuantizeLinear/DequantizeLinear). */
  quant: QParams | null;
}

/** How QLinearAdd rounds: ONNX Runtime's x86-64 build (AVX2 fused multiply-adds on rescaled
 * inputs, the default) or its WebAssembly build (plain `(sa(a-za) + sb(b-zb)) / sc`). The two differ
 * on about one output in 10^5, so matching ONNX Runtime byte for byte means naming the build. */
export type AddRounding = "ort-x86" | "ort-wasm";
export const ADD_ROUNDINGS: readonly AddRounding[] = ["ort-x86", "ort-wasm"];

/** uint8 x int8 products in pointwise / standard convolution / fully connected layers: `exact`
 * (default), or `ort-x86-u8s8-saturation`: ONNX Runtime's x86-64 MLAS kernels without VNNI
 * (vpmaddubsw), which saturate each adjacent pair of products to int16. */
export type U8S8Mode = "exact" | "ort-x86-u8s8-saturation";
export const U8S8_MODES: readonly U8S8Mode[] = ["exact", "ort-x86-u8s8-saturation"];

/**
 * The quantization a convolution or fully connected layer's file stores, kept next to the float
 * quotient ONNX Runtime's arithmetic bakes from it (`scale`, `requant.scale`), so that another
 * target can derive its own arithmetic from the same numbers (src/import/onnx/to-graph.ts).
 */
export interface FileScales {
  /** The input scale the node reads its input with (float32, as stored). */
  inputScale: number;
  /** Weight scales as stored: one per output channel, or a single per-tensor value. */
  weightScale: Float32Array;
  /** Weight zero points as stored (one, or one per output channel); the layer's weights have them subtracted. */
  weightZeroPoint: Int32Array;
  /** The weights' stored type. */
  weightDtype: QDtype;
  /** The output scale (float32, as stored). */
  outputScale: number;
  /** Gemm's alpha (1 for every other op): ORT multiplies the input scale by it. */
  alpha: number;
  /** What a folded Relu / Clip stood for (`relu` also for a QLinear output whose zero point is the type's minimum). */
  activation: "none" | "relu" | "relu6" | "reluN1To1";
}

interface LayerBase {
  /** Unique layer name: the name of the ONNX node that computes it (or of its first node). */
  name: string;
  /** The ONNX nodes folded into this layer (QDQ form: DequantizeLinear, Conv, Relu, QuantizeLinear...). */
  nodes: string[];
  /** The ONNX op type this layer stands for (e.g. `QLinearConv`, or `Conv` for a folded QDQ group). */
  opType: string;
  /** Runtime inputs (tensor names). */
  inputs: string[];
  /** The output tensor's name. */
  output: string;
}

export interface QuantizeLayer extends LayerBase {
  kind: "quantize";
  quant: QParams;
}

export interface DequantizeLayer extends LayerBase {
  kind: "dequantize";
  quant: QParams;
}

/** A depthwise or pointwise convolution: runs on the dwpw kernels. */
export interface DepthwiseLayer extends LayerBase {
  kind: "depthwise";
  op: DepthwiseOp;
  /** The input zero point the op reads its input with. */
  inZeroPoint: number;
  /** The output's quantization. */
  out: QParams;
  /** A ReLU is part of the layer (its output is clamped at the real 0: zero point = qmin, or a folded Relu/Clip). */
  relu: boolean;
  /** The file's own scales (absent for hand-built layers). */
  fileScales?: FileScales;
}

export interface PointwiseLayer extends LayerBase {
  kind: "pointwise";
  op: PointwiseOp;
  inZeroPoint: number;
  out: QParams;
  relu: boolean;
  /** The file's own scales (absent for hand-built layers). */
  fileScales?: FileScales;
}

/** Any other convolution (a standard KxK convolution such as a stem, grouped, strided 1x1, dilated). */
export interface ConvLayer extends LayerBase {
  kind: "conv";
  inChannels: number;
  outChannels: number;
  group: number;
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  pad: { top: number; left: number; bottom: number; right: number };
  /** `[Cout][Cin/group][kh][kw]`, zero point already subtracted (fits int8). */
  weights: Int8Array;
  bias: Int32Array | null;
  inZeroPoint: number;
  /** Per output channel `f32(f32(xScale * wScale[c]) / yScale)`. */
  scale: Float32Array;
  out: QParams;
  relu: boolean;
  /** The file's own scales (absent for hand-built layers). */
  fileScales?: FileScales;
}

/** QLinearAdd (com.microsoft), with numpy broadcasting. */
export interface AddLayer extends LayerBase {
  kind: "add";
  a: QParams;
  b: QParams;
  out: QParams;
}

/** QLinearGlobalAveragePool (com.microsoft). */
export interface GlobalAveragePoolLayer extends LayerBase {
  kind: "globalAveragePool";
  in: QParams;
  out: QParams;
}

/** QLinearMatMul or QGemm with a constant weight matrix: `y[m][n] = sum_k (a[m][k] - za) * w[n][k] + bias[n]`. */
export interface FullyConnectedLayer extends LayerBase {
  kind: "fullyConnected";
  /** Rows of the input (M) and the reduction length (K); N = outFeatures. */
  rows: number;
  inFeatures: number;
  outFeatures: number;
  /** `[N][K]`, zero point already subtracted (fits int8). */
  weights: Int8Array;
  bias: Int32Array | null;
  inZeroPoint: number;
  /** Per output feature (or one value for all). */
  scale: Float32Array;
  out: QParams;
  /** The file's own scales (absent for hand-built layers). */
  fileScales?: FileScales;
}

/** Reshape / Flatten / Squeeze / Unsqueeze / Identity: same bytes in NCHW order, another shape. */
export interface ReshapeLayer extends LayerBase {
  kind: "reshape";
}

/** One layer of an imported network as the ONNX runner (`Network`) runs it, tagged by `kind`. */
export type NetworkLayer =
  | QuantizeLayer
  | DequantizeLayer
  | DepthwiseLayer
  | PointwiseLayer
  | ConvLayer
  | AddLayer
  | GlobalAveragePoolLayer
  | FullyConnectedLayer
  | ReshapeLayer;

/** @deprecated The old name of `NetworkLayer`, kept for compatibility. */
export type Layer = NetworkLayer;

export type LayerKind = NetworkLayer["kind"];

/** A convolution the dwpw kernels run. */
export type DwPwLayer = DepthwiseLayer | PointwiseLayer;

export function isDwPw(l: NetworkLayer): l is DwPwLayer {
  return l.kind === "depthwise" || l.kind === "pointwise";
}

/** An imported graph: its tensors and its layers in execution order. */
export interface NetworkGraph {
  /** Graph name (or the file's producer when the graph has none). */
  name: string;
  producer: string;
  /** Runtime inputs, in graph order. */
  inputs: ValueSpec[];
  /** Graph outputs, in graph order. */
  outputs: ValueSpec[];
  /** Every tensor a layer reads or writes. */
  values: Map<string, ValueSpec>;
  /** Quantized constants some layers read as tensors (e.g. a QLinearAdd operand), NCHW bytes. */
  constValues: Map<string, Int8Array | Uint8Array>;
  layers: NetworkLayer[];
}

export type { ConvOp };
