// What a target makes of a graph: every op lowered to one deployment's integer arithmetic, with the
// constants that deployment carries, ready for the runner (src/runner).
import type { DType, Graph, GraphOp, GraphTensor } from "../graph/types.js";
import type { ConvOp, Tensor } from "../types.js";
import type { FullyConnectedOp, GeneralConvOp, GeneralInputShape, PreparedGeneral } from "../general.js";

/** A tensor's contents at run time, row-major over its shape in the model's own layout. */
export type TensorData = Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array | BigInt64Array;

/** How a target holds one tensor: its dtype and (for a quantized tensor) per-tensor quantization. */
export interface TensorFormat {
  dtype: DType;
  shape: number[];
  /** float32 scale and zero point of a quantized activation; absent for float and raw int tensors. */
  scale?: number;
  zeroPoint?: number;
}

/** Runs depthwise / pointwise convolutions for a layer: the WebAssembly kernels or the reference. */
export type ConvRunner = (input: Tensor, op: ConvOp) => Tensor;

/** Prepares general convolutions and fully connected layers: an `Engine`, or the reference. */
export interface GeneralRunner {
  prepareGeneral(shape: GeneralInputShape, op: GeneralConvOp | FullyConnectedOp): PreparedGeneral;
}

export interface RunContext {
  /** Depthwise (multiplier 1) and pointwise layers go through this. */
  conv: ConvRunner;
  /** Every other convolution and fully connected layers; without it they run in TypeScript. */
  general?: GeneralRunner;
  /**
   * The array for an output a layer writes in full (`outputFor`): the runner's, reused from run to
   * run and holding stale values. Absent, a layer makes a new one.
   */
  output?(t: GraphTensor): TensorData;
}

/** One op in a target's arithmetic. */
export interface LoweredLayer {
  /** The graph op it computes (its index, opcode, inputs and outputs). */
  op: GraphOp;
  /** The integer constants the deployment carries for this layer (what `network.lower()` shows):
   * weights as the target holds them, biases, multipliers, shifts, clamp bounds, tables... */
  params: Record<string, unknown>;
  /** How the deployment computes the layer, in a phrase (its rounding above all): what a drift
   * report gives as the reason two targets part ways. */
  arithmetic?: string;
  /**
   * Computes the op: reads `values[i]` for each input tensor i and stores each output's data in
   * `values[o]` (a new array, or the input's own for ops that only relabel bytes). Constants are
   * already in `values`.
   */
  run(values: Array<TensorData | undefined>, ctx: RunContext): void;
}

/** A graph lowered to one target. */
export interface Lowered {
  target: TargetName;
  graph: Graph;
  /** Per tensor index: how the target holds it. */
  formats: TensorFormat[];
  layers: LoweredLayer[];
  /**
   * Converts the user's bytes for graph input `k` (in the file's quantization) into the target's,
   * or returns them as they are.
   */
  convertInput?(k: number, data: TensorData): TensorData;
}

/** The deployments a graph can be lowered to (SPEC §7). */
export const TARGETS = ["tflite-micro", "cmsis-nn", "litert", "gap8-nntool", "onnxruntime", "onnxruntime-wasm"] as const;
export type TargetName = (typeof TARGETS)[number];

/** A target: lowers a whole graph. */
export type LowerGraph = (graph: Graph) => Lowered;
