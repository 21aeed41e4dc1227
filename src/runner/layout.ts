// The model's own layout at the edges of a run. A graph's 4-D tensors are NHWC; a graph whose file
// is NCHW (`Graph.sourceLayout`, ONNX) takes its inputs and returns its values in NCHW with the
// file's shapes, so these transposes are the only place the two layouts meet.
import type { Graph, GraphTensor } from "../graph/types.js";
import { allocData } from "../targets/tensors.js";
import type { TensorData } from "../targets/types.js";

/** Whether tensor `t` is presented in NCHW while the graph holds it NHWC. */
export function presentedNchw(graph: Graph, t: { shape: readonly number[] } | GraphTensor): boolean {
  return graph.sourceLayout === "NCHW" && t.shape.length === 4;
}

/** NHWC `[N, H, W, C]` as the file's NCHW shape `[N, C, H, W]`. */
export function nchwShape(shape: readonly number[]): number[] {
  return [shape[0]!, shape[3]!, shape[1]!, shape[2]!];
}

/** The bytes of an NHWC tensor of `shape` (NHWC) in NCHW order. */
export function nhwcToNchw(data: TensorData, shape: readonly number[]): TensorData {
  const [N, H, W, C] = shape as [number, number, number, number];
  if (C === 1 || H * W === 1) return data.slice();
  const out = allocData(dtypeOf(data), data.length);
  const HW = H * W;
  for (let n = 0; n < N; n++) {
    const base = n * HW * C;
    for (let p = 0; p < HW; p++) for (let c = 0; c < C; c++) (out as Int8Array)[base + c * HW + p] = (data as Int8Array)[base + p * C + c]!;
  }
  return out;
}

/** The bytes of an NCHW tensor whose NHWC shape is `shape`, in NHWC order. */
export function nchwToNhwc(data: TensorData, shape: readonly number[]): TensorData {
  const [N, H, W, C] = shape as [number, number, number, number];
  if (C === 1 || H * W === 1) return data.slice();
  const out = allocData(dtypeOf(data), data.length);
  const HW = H * W;
  for (let n = 0; n < N; n++) {
    const base = n * HW * C;
    for (let p = 0; p < HW; p++) for (let c = 0; c < C; c++) (out as Int8Array)[base + p * C + c] = (data as Int8Array)[base + c * HW + p]!;
  }
  return out;
}

function dtypeOf(d: TensorData) {
  if (d instanceof Int8Array) return "int8" as const;
  if (d instanceof Uint8Array) return "uint8" as const;
  if (d instanceof Int16Array) return "int16" as const;
  if (d instanceof Int32Array) return "int32" as const;
  if (d instanceof Float32Array) return "float32" as const;
  return "int64" as const;
}
