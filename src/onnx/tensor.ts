// The values of an ONNX TensorProto (an initializer or a Constant's value) as a typed array.
import { DataType, dtypeName, type TensorProto } from "./model.js";
import { OnnxError } from "./protobuf.js";

export type ConstData = Float32Array | Int8Array | Uint8Array | Int32Array | Float64Array;

/** A constant tensor: its ONNX element type, dims and values (int64 as float64 numbers). */
export interface ConstTensor {
  name: string;
  dataType: number;
  dims: number[];
  data: ConstData;
}

const MAX_CONST_ELEMENTS = 1 << 28;

function elementCount(t: TensorProto, what: string): number {
  let n = 1;
  for (const d of t.dims) {
    if (!Number.isInteger(d) || d < 0) throw new OnnxError(`${what}: invalid dimension ${d}`);
    n *= d;
  }
  if (n > MAX_CONST_ELEMENTS) throw new OnnxError(`${what}: ${n} elements is too large`);
  return n;
}

/** Copies `n` little-endian elements of `size` bytes out of raw_data (which may be unaligned). */
function fromRaw(t: TensorProto, n: number, size: number, what: string): DataView {
  const raw = t.rawData as Uint8Array;
  if (raw.length !== n * size) {
    throw new OnnxError(`${what}: raw_data has ${raw.length} bytes, but dims [${t.dims.join(", ")}] of ${dtypeName(t.dataType)} need ${n * size}`);
  }
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

function checkCount(have: number, n: number, field: string, t: TensorProto, what: string): void {
  if (have !== n) throw new OnnxError(`${what}: ${field} has ${have} values, but dims [${t.dims.join(", ")}] need ${n}`);
}

/** Decodes a TensorProto's values. `what` names it in errors (e.g. `initializer "w"`). */
export function constTensor(t: TensorProto, what = `tensor "${t.name}"`): ConstTensor {
  if (t.external) throw new OnnxError(`${what} stores its data in an external file, which dwpw does not read; save the model with all tensors inside the .onnx file`);
  const n = elementCount(t, what);
  const out = (data: ConstData): ConstTensor => ({ name: t.name, dataType: t.dataType, dims: t.dims.slice(), data });
  const raw = t.rawData !== null;
  switch (t.dataType) {
    case DataType.FLOAT: {
      if (raw) {
        const v = fromRaw(t, n, 4, what);
        const a = new Float32Array(n);
        for (let i = 0; i < n; i++) a[i] = v.getFloat32(4 * i, true);
        return out(a);
      }
      checkCount(t.floatData.length, n, "float_data", t, what);
      return out(Float32Array.from(t.floatData));
    }
    case DataType.UINT8:
    case DataType.INT8: {
      const A = t.dataType === DataType.INT8 ? Int8Array : Uint8Array;
      if (raw) {
        fromRaw(t, n, 1, what);
        const a = new A(n);
        a.set(t.rawData as Uint8Array);
        return out(a);
      }
      checkCount(t.int32Data.length, n, "int32_data", t, what);
      return out(A.from(t.int32Data));
    }
    case DataType.INT32: {
      if (raw) {
        const v = fromRaw(t, n, 4, what);
        const a = new Int32Array(n);
        for (let i = 0; i < n; i++) a[i] = v.getInt32(4 * i, true);
        return out(a);
      }
      checkCount(t.int32Data.length, n, "int32_data", t, what);
      return out(Int32Array.from(t.int32Data));
    }
    case DataType.INT64: {
      if (raw) {
        const v = fromRaw(t, n, 8, what);
        const a = new Float64Array(n);
        for (let i = 0; i < n; i++) a[i] = Number(v.getBigInt64(8 * i, true));
        return out(a);
      }
      checkCount(t.int64Data.length, n, "int64_data", t, what);
      return out(Float64Array.from(t.int64Data));
    }
    case DataType.DOUBLE: {
      if (raw) {
        const v = fromRaw(t, n, 8, what);
        const a = new Float64Array(n);
        for (let i = 0; i < n; i++) a[i] = v.getFloat64(8 * i, true);
        return out(a);
      }
      checkCount(t.doubleData.length, n, "double_data", t, what);
      return out(Float64Array.from(t.doubleData));
    }
    default:
      throw new OnnxError(`${what} has element type ${dtypeName(t.dataType)}, which dwpw does not read`);
  }
}
