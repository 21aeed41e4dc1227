// dwpw: bit-exact int8 depthwise-separable convolution blocks, as deployed on ultra-low-power
// microcontrollers, emulated in WebAssembly SIMD. See SPEC.md for the contract.
import { defaultEngine } from "./runtime.js";
import type { ConvOp, DepthwiseOp, PointwiseOp, Tensor } from "./types.js";
import { planBlock, runBlock, type BlockOptions, type TransferReport } from "./scratchpad/index.js";

export type * from "./types.js";
export { Engine, createEngine } from "./engine.js";
export { init, defaultEngine } from "./runtime.js";
export { fusionReport, formatReport, bestFused } from "./report.js";
export type { NetworkReport, BlockRow, ReportOptions } from "./report.js";
export { mobilenetV1, mobilenetV2 } from "./networks/mobilenet.js";
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

// ONNX import and the network runner (issue 5).
export { loadOnnx, OnnxError, UnsupportedOpError } from "./onnx/index.js";
export type { LoadOptions, ImportOptions } from "./onnx/index.js";
export { Network, ADD_ROUNDINGS } from "./network/index.js";
export type { AddRounding, BlockRun, BlockUnit, InputValue, Layer, LayerKind, LayerOutput, NetworkCheck, NetworkGraph, NetworkInput, NetworkValue, QParams, RunOptions, RunResult, ValueSpec } from "./network/index.js";
export { U8S8_MODES } from "./network/index.js";
export type { U8S8Mode } from "./network/index.js";

// Throughput mode: a batch spread over worker threads (issue 4).
export { WorkerPool, layersPool, networkPool } from "./pool/pool.js";
export type { PoolOptions } from "./pool/pool.js";
