// Typed views of graph constants and new arrays for a tensor's dtype, shared by every target's ops.
import { numel, type DType, type Graph, type GraphTensor } from "../graph/types.js";
import type { RunContext, TensorData, TensorFormat } from "./types.js";

/** The tensor at `index` (which must exist). */
export function tensorAt(graph: Graph, index: number): GraphTensor {
  const t = graph.tensors[index];
  if (!t) throw new Error(`internal: no tensor ${index}`);
  return t;
}

/** A typed array over a constant's bytes, by dtype (copied when unaligned for the view). */
export function constData(t: GraphTensor): TensorData {
  if (!t.data) throw new Error(`internal: tensor ${t.index} ("${t.name}") is not a constant`);
  return viewAs(t.dtype, t.data);
}

/** Raw little-endian bytes as a typed array of `dtype`. */
export function viewAs(dtype: DType, bytes: Uint8Array): TensorData {
  const aligned = (n: number) => (bytes.byteOffset % n === 0 ? bytes : bytes.slice());
  switch (dtype) {
    case "int8":
      return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    case "uint8":
    case "bool":
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    case "int16": {
      const b = aligned(2);
      return new Int16Array(b.buffer, b.byteOffset, b.length / 2);
    }
    case "int32": {
      const b = aligned(4);
      return new Int32Array(b.buffer, b.byteOffset, b.length / 4);
    }
    case "float32": {
      const b = aligned(4);
      return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
    }
    case "int64": {
      const b = aligned(8);
      return new BigInt64Array(b.buffer, b.byteOffset, b.length / 8);
    }
  }
}

/** A zeroed array for `n` elements of `dtype`. */
export function allocData(dtype: DType, n: number): TensorData {
  switch (dtype) {
    case "int8":
      return new Int8Array(n);
    case "uint8":
    case "bool":
      return new Uint8Array(n);
    case "int16":
      return new Int16Array(n);
    case "int32":
      return new Int32Array(n);
    case "float32":
      return new Float32Array(n);
    case "int64":
      return new BigInt64Array(n);
  }
}

/** A zeroed array for a graph tensor. */
export function allocFor(t: GraphTensor): TensorData {
  return allocData(t.dtype, numel(t.shape));
}

/** The array a layer writes all of output `t` into: the run's (stale values), or a new one. */
export function outputFor(ctx: RunContext, t: GraphTensor): TensorData {
  return ctx.output ? ctx.output(t) : allocFor(t);
}

/** The data of tensor `i` during a run (which must have been computed). */
export function valueOf(values: Array<TensorData | undefined>, i: number): TensorData {
  const v = values[i];
  if (!v) throw new Error(`internal: tensor ${i} was read before it was computed`);
  return v;
}

/** The single per-tensor scale and zero point of a quantized tensor. */
export function perTensor(t: GraphTensor): { scale: number; zeroPoint: number } {
  if (!t.quant) throw new RangeError(`tensor ${t.index} ("${t.name}") has no quantization`);
  return { scale: t.quant.scale[0]!, zeroPoint: t.quant.zeroPoint[0]! };
}

/** Every tensor as stored in the file (per-tensor quantization of activations): the formats of a
 * target that keeps the model's own quantization. */
export function fileFormats(graph: Graph): TensorFormat[] {
  return graph.tensors.map((t) => {
    const f: TensorFormat = { dtype: t.dtype, shape: t.shape.slice() };
    if (t.quant && t.quant.scale.length === 1) {
      f.scale = t.quant.scale[0]!;
      f.zeroPoint = t.quant.zeroPoint[0]!;
    }
    return f;
  });
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}
