// Minimal ONNX protobuf encoder: just the messages a QLinearConv test model needs.
// Field numbers follow onnx/onnx.proto (proto2); repeated scalars are written unpacked,
// which is proto2's default and what every protobuf parser accepts.

const utf8 = new TextEncoder();

/** ONNX TensorProto.DataType values used here. */
export const DataType = Object.freeze({ FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 });

const AttrType = Object.freeze({ FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 });

/** Base-128 varint of an int64 (negative numbers as 10-byte two's complement). */
function varint(n) {
  let v = BigInt.asUintN(64, BigInt(n));
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return out;
}

/** Accumulates one message's fields, in the order written. */
class Writer {
  constructor() {
    this.chunks = [];
  }
  #tag(field, wireType) {
    this.chunks.push(Uint8Array.from(varint((field << 3) | wireType)));
  }
  int(field, n) {
    this.#tag(field, 0);
    this.chunks.push(Uint8Array.from(varint(n)));
    return this;
  }
  float(field, x) {
    this.#tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, x, true);
    this.chunks.push(b);
    return this;
  }
  bytes(field, u8) {
    this.#tag(field, 2);
    this.chunks.push(Uint8Array.from(varint(u8.length)), u8);
    return this;
  }
  string(field, s) {
    return this.bytes(field, utf8.encode(s));
  }
  finish() {
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** TensorProto with little-endian raw_data (typed arrays are little-endian on every Node host we run on). */
export function tensor(name, dataType, dims, values) {
  const w = new Writer();
  for (const d of dims) w.int(1, d); // dims
  w.int(2, dataType); // data_type
  w.string(8, name); // name
  w.bytes(9, new Uint8Array(values.buffer, values.byteOffset, values.byteLength)); // raw_data
  return w.finish();
}

/** AttributeProto of type INT. */
export function attrInt(name, i) {
  return new Writer().string(1, name).int(20, AttrType.INT).int(3, i).finish();
}

/** AttributeProto of type FLOAT. */
export function attrFloat(name, f) {
  return new Writer().string(1, name).int(20, AttrType.FLOAT).float(2, f).finish();
}

/** AttributeProto of type STRING. */
export function attrString(name, s) {
  return new Writer().string(1, name).int(20, AttrType.STRING).string(4, s).finish();
}

/** AttributeProto of type TENSOR (e.g. a Constant node's `value`). */
export function attrTensor(name, tensorBytes) {
  return new Writer().string(1, name).int(20, AttrType.TENSOR).bytes(5, tensorBytes).finish();
}

/** AttributeProto of type INTS. */
export function attrInts(name, ints) {
  const w = new Writer().string(1, name).int(20, AttrType.INTS);
  for (const i of ints) w.int(8, i);
  return w.finish();
}

/** NodeProto; `inputs` may contain "" for an omitted optional input; `domain` e.g. "com.microsoft". */
export function node(opType, inputs, outputs, attributes = [], name = "", domain = "") {
  const w = new Writer();
  for (const s of inputs) w.string(1, s);
  for (const s of outputs) w.string(2, s);
  if (name) w.string(3, name);
  w.string(4, opType);
  for (const a of attributes) w.bytes(5, a);
  if (domain) w.string(7, domain);
  return w.finish();
}

/** ValueInfoProto for a dense tensor; a string entry of `shape` is a symbolic dim (dim_param). */
export function valueInfo(name, elemType, shape) {
  const dims = new Writer();
  for (const d of shape) {
    // TensorShapeProto.dim{dim_value | dim_param}
    dims.bytes(1, typeof d === "string" ? new Writer().string(2, d).finish() : new Writer().int(1, d).finish());
  }
  const tensorType = new Writer().int(1, elemType).bytes(2, dims.finish()).finish(); // TypeProto.Tensor
  const type = new Writer().bytes(1, tensorType).finish(); // TypeProto.tensor_type
  return new Writer().string(1, name).bytes(2, type).finish();
}

/** GraphProto. */
export function graph({ name, nodes, initializers, inputs, outputs }) {
  const w = new Writer();
  for (const n of nodes) w.bytes(1, n);
  w.string(2, name);
  for (const t of initializers) w.bytes(5, t);
  for (const v of inputs) w.bytes(11, v);
  for (const v of outputs) w.bytes(12, v);
  return w.finish();
}

/** ModelProto importing the default ("ai.onnx") opset at `opset`, plus `extraOpsets`
 * (e.g. `[{ domain: "com.microsoft", version: 1 }]`). */
export function model({ graph: g, opset, irVersion = 7, producer = "dwpw make-fixtures", extraOpsets = [] }) {
  const w = new Writer()
    .int(1, irVersion) // ir_version
    .string(2, producer) // producer_name
    .bytes(7, g); // graph
  for (const { domain, version } of [{ domain: "", version: opset }, ...extraOpsets]) {
    w.bytes(8, new Writer().string(1, domain).int(2, version).finish()); // opset_import
  }
  return w.finish();
}
