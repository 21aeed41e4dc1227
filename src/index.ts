// dwpw: bit-exact int8 depthwise-separable convolution blocks, as deployed on ultra-low-power
// microcontrollers, emulated in WebAssembly SIMD. See SPEC.md for the contract.
import { defaultEngine } from "./runtime.js";
import type { ConvOp, DepthwiseOp, PointwiseOp, Tensor } from "./types.js";
import { planBlock, runBlock, type BlockOptions, type TransferReport } from "./scratchpad/index.js";

export type * from "./types.js";
export { Engine, createEngine } from "./engine.js";
export type { FullyConnectedOp, GeneralConvOp, GeneralInputShape, PreparedGeneral, Rows } from "./general.js";
export { init, defaultEngine } from "./runtime.js";
export { fusionReport, formatReport, bestFused } from "./fusion-report.js";
export type { NetworkReport, BlockRow, ReportOptions } from "./fusion-report.js";
export { mobilenetV1, mobilenetV2 } from "./presets/mobilenet.js";
export { reference } from "./reference/index.js";
export { padding, tfliteMultipliers, onnxScales } from "./quant.js";
export { toLayout } from "./layout.js";

/** Depthwise KxK convolution on the WebAssembly kernels; output in the input's layout. */
export function depthwise(input: Tensor, op: DepthwiseOp): Tensor {
  return defaultEngine().depthwise(input, op);
}

/** Pointwise 1x1 convolution on the WebAssembly kernels; output in the input's layout. */
export function pointwise(input: Tensor, op: PointwiseOp): Tensor {
  return defaultEngine().pointwise(input, op);
}

/** Either convolution, dispatched on `op.kind`. */
export function conv(input: Tensor, op: ConvOp): Tensor {
  return defaultEngine().conv(input, op);
}

export { check } from "./check/index.js";
export { DMA_PRESETS, GAP8_MEMORY, SCHEDULES } from "./scratchpad/index.js";
export type { BlockOptions, DmaModel, MemoryConfig, TransferReport } from "./scratchpad/index.js";

/**
 * Runs a depthwise-separable block (depthwise then pointwise, or the reverse) on the model of
 * GAP8's L1/L2 scratchpad and DMA; returns the output and the transfer report counted by the model.
 */
export function block(input: Tensor, ops: [ConvOp, ConvOp], options?: BlockOptions): { output: Tensor; report: TransferReport } {
  return runBlock(defaultEngine(), input, ops, options);
}

/** The transfer report `block` would give, computed in closed form without running anything. */
export function plan(input: Tensor, ops: [ConvOp, ConvOp], options?: BlockOptions): TransferReport {
  return planBlock(input, ops, options);
}

// Model import (ONNX, TFLite) and the network runners.
export { loadOnnx, OnnxError } from "./onnx/index.js";
// The limits an ONNX file and a network's layers are checked against (each bound documented where it is defined).
export { ONNX_LIMITS } from "./onnx/index.js";
export { NETWORK_LIMITS } from "./network/index.js";
export { UnsupportedOpError } from "./graph/errors.js";
export { loadModel, loadTflite, TfliteError, TFLITE_LIMITS } from "./import/index.js";
export type { TfliteLoadOptions } from "./import/index.js";
export { GraphNetwork } from "./runner/network.js";
export type { GraphInput, GraphRunOptions, GraphValueSpec, LoweredLayerInfo } from "./runner/network.js";
export type { GraphLayerOutput, GraphRunResult, GraphValue } from "./runner/run.js";
export { TARGETS } from "./targets/index.js";
export { compare, randomInputs } from "./compare/index.js";
export { formatCompare } from "./compare/format.js";
export type { CompareOptions, CompareReport, LayerDrift, OutputDrift } from "./compare/index.js";
export type { TargetName } from "./targets/index.js";
export type * from "./graph/types.js";
export type { LoadOptions, ImportOptions } from "./onnx/index.js";
export { Network, ADD_ROUNDINGS } from "./network/index.js";
export type { AddRounding, BlockRun, BlockUnit, InputValue, Layer, LayerKind, LayerOutput, NetworkCheck, NetworkGraph, NetworkInput, NetworkLayer, NetworkValue, QParams, RunOptions, RunResult, ValueSpec } from "./network/index.js";
export { U8S8_MODES } from "./network/index.js";
export type { U8S8Mode } from "./network/index.js";

// Throughput mode: a batch spread over worker threads.
export { WorkerPool, layersPool, networkPool } from "./pool/pool.js";
export type { PoolOptions } from "./pool/pool.js";
