// Decoding ONNX's ModelProto (onnx/onnx.proto, IR version 3 and later) into plain objects. Only the
// fields an inference import needs are kept; unknown and unused fields are skipped as protobuf
// allows. Field numbers are those of onnx.proto.
import { ONNX_LIMITS as L } from "./limits.js";
import { OnnxError, ReadBudget, Reader, WireType } from "./protobuf.js";

/** TensorProto.DataType values. */
export const DataType = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, BFLOAT16: 16,
} as const;

const DTYPE_NAMES: Record<number, string> = {
  1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string", 9: "bool",
  10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 14: "complex64", 15: "complex128", 16: "bfloat16",
  17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4",
};

/** A readable name of an ONNX element type. */
export function dtypeName(t: number | undefined): string {
  return t === undefined ? "undefined" : (DTYPE_NAMES[t] ?? `type ${t}`);
}

export interface TensorProto {
  name: string;
  dataType: number;
  dims: number[];
  rawData: Uint8Array | null;
  floatData: number[];
  int32Data: number[];
  int64Data: number[];
  doubleData: number[];
  /** Stored in an external file (data_location EXTERNAL). */
  external: boolean;
}

/** AttributeProto.AttributeType values. */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10 } as const;

export interface AttributeProto {
  name: string;
  type: number;
  f: number;
  i: number;
  s: Uint8Array | null;
  t: TensorProto | null;
  g: GraphProto | null;
  floats: number[];
  ints: number[];
  strings: Uint8Array[];
  /** Set when the attribute refers to a function's attribute (not supported in a graph). */
  refAttrName: string;
}

export interface NodeProto {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: AttributeProto[];
}

export interface ValueInfoProto {
  name: string;
  /** Element type of a tensor type, undefined for other types. */
  elemType?: number;
  /** Dims: a number (dim_value), a string (dim_param) or null (unknown); undefined = unknown rank. */
  shape?: Array<number | string | null>;
}

export interface GraphProto {
  name: string;
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
  sparseInitializers: number;
}

export interface OpsetId {
  domain: string;
  version: number;
}

export interface ModelProto {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  opsets: OpsetId[];
  graph: GraphProto;
  /** The model has local functions (FunctionProto); dwpw does not expand them. */
  functions: number;
}

/** A repeated field that grew past `max` entries: an OnnxError naming it. */
function bound(r: Reader, n: number, max: number, what: string): void {
  if (n > max) r.fail(`${what} has more than ${max} entries`);
}

function decodeTensor(r: Reader): TensorProto {
  const t: TensorProto = { name: "", dataType: 0, dims: [], rawData: null, floatData: [], int32Data: [], int64Data: [], doubleData: [], external: false };
  for (let tag = r.tag(); tag; tag = r.tag()) {
    const { field, wire } = tag;
    switch (field) {
      case 1: r.repeatedInt64(wire, t.dims, "dims"); break;
      case 2: r.expect(wire, WireType.VARINT, "data_type"); t.dataType = r.int64(); break;
      case 4: r.repeatedFloat(wire, t.floatData, "float_data"); break;
      case 5: r.repeatedInt64(wire, t.int32Data, "int32_data"); break;
      case 7: r.repeatedInt64(wire, t.int64Data, "int64_data"); break;
      case 8: r.expect(wire, WireType.LEN, "name"); t.name = r.string("name"); break;
      case 9: r.expect(wire, WireType.LEN, "raw_data"); t.rawData = r.bytesField("raw_data"); break;
      case 10: r.repeatedDouble(wire, t.doubleData, "double_data"); break;
      case 13: r.expect(wire, WireType.LEN, "external_data"); r.bytesField("external_data"); t.external = true; break;
      case 14: r.expect(wire, WireType.VARINT, "data_location"); if (r.int64() === 1) t.external = true; break;
      default: r.skip(wire, field);
    }
    bound(r, t.dims.length, L.rank, "dims");
  }
  // Decoded values take memory in proportion: raw bytes as they are, typed values 4 or 8 bytes each.
  const bytes = (t.rawData?.length ?? 0) + 4 * (t.floatData.length + t.int32Data.length) + 8 * (t.int64Data.length + t.doubleData.length);
  r.take("initializerBytes", bytes);
  return t;
}

function decodeAttribute(r: Reader, depth: number): AttributeProto {
  const a: AttributeProto = { name: "", type: 0, f: 0, i: 0, s: null, t: null, g: null, floats: [], ints: [], strings: [], refAttrName: "" };
  for (let tag = r.tag(); tag; tag = r.tag()) {
    const { field, wire } = tag;
    switch (field) {
      case 1: r.expect(wire, WireType.LEN, "name"); a.name = r.string("name"); break;
      case 2: r.expect(wire, WireType.I32, "f"); a.f = r.float32(); break;
      case 3: r.expect(wire, WireType.VARINT, "i"); a.i = r.int64(); break;
      case 4: r.expect(wire, WireType.LEN, "s"); a.s = r.bytesField("s"); break;
      case 5: r.expect(wire, WireType.LEN, "t"); a.t = decodeTensor(r.message("t")); break;
      case 6: r.expect(wire, WireType.LEN, "g"); a.g = decodeGraph(r.message("g"), depth + 1); break;
      case 7: r.repeatedFloat(wire, a.floats, "floats"); break;
      case 8: r.repeatedInt64(wire, a.ints, "ints"); break;
      case 9: r.expect(wire, WireType.LEN, "strings"); a.strings.push(r.bytesField("strings")); break;
      case 20: r.expect(wire, WireType.VARINT, "type"); a.type = r.int64(); break;
      case 21: r.expect(wire, WireType.LEN, "ref_attr_name"); a.refAttrName = r.string("ref_attr_name"); break;
      default: r.skip(wire, field);
    }
    bound(r, Math.max(a.ints.length, a.floats.length, a.strings.length), L.attributeValues, "attribute");
  }
  return a;
}

function decodeNode(r: Reader, depth: number): NodeProto {
  const n: NodeProto = { name: "", opType: "", domain: "", inputs: [], outputs: [], attributes: [] };
  for (let tag = r.tag(); tag; tag = r.tag()) {
    const { field, wire } = tag;
    switch (field) {
      case 1: r.expect(wire, WireType.LEN, "input"); n.inputs.push(r.string("input")); break;
      case 2: r.expect(wire, WireType.LEN, "output"); n.outputs.push(r.string("output")); break;
      case 3: r.expect(wire, WireType.LEN, "name"); n.name = r.string("name"); break;
      case 4: r.expect(wire, WireType.LEN, "op_type"); n.opType = r.string("op_type"); break;
      case 5: r.expect(wire, WireType.LEN, "attribute"); n.attributes.push(decodeAttribute(r.message(`attribute[${n.attributes.length}]`), depth)); break;
      case 7: r.expect(wire, WireType.LEN, "domain"); n.domain = r.string("domain"); break;
      default: r.skip(wire, field);
    }
    bound(r, n.attributes.length, L.attributesPerNode, "attribute");
    bound(r, Math.max(n.inputs.length, n.outputs.length), L.nodeInputs, "input or output");
  }
  return n;
}

function decodeShape(r: Reader): Array<number | string | null> {
  const dims: Array<number | string | null> = [];
  for (let tag = r.tag(); tag; tag = r.tag()) {
    if (tag.field !== 1) {
      r.skip(tag.wire, tag.field);
      continue;
    }
    r.expect(tag.wire, WireType.LEN, "dim");
    const d = r.message(`dim[${dims.length}]`);
    let v: number | string | null = null;
    for (let t2 = d.tag(); t2; t2 = d.tag()) {
      if (t2.field === 1) {
        d.expect(t2.wire, WireType.VARINT, "dim_value");
        v = d.int64();
      } else if (t2.field === 2) {
        d.expect(t2.wire, WireType.LEN, "dim_param");
        v = d.string("dim_param");
      } else d.skip(t2.wire, t2.field);
    }
    dims.push(v);
    bound(r, dims.length, L.rank, "shape");
  }
  return dims;
}

function decodeValueInfo(r: Reader): ValueInfoProto {
  const v: ValueInfoProto = { name: "" };
  for (let tag = r.tag(); tag; tag = r.tag()) {
    const { field, wire } = tag;
    if (field === 1) {
      r.expect(wire, WireType.LEN, "name");
      v.name = r.string("name");
    } else if (field === 2) {
      r.expect(wire, WireType.LEN, "type");
      const type = r.message("type");
      for (let t2 = type.tag(); t2; t2 = type.tag()) {
        if (t2.field !== 1) {
          type.skip(t2.wire, t2.field);
          continue;
        }
        type.expect(t2.wire, WireType.LEN, "tensor_type");
        const tt = type.message("tensor_type");
        for (let t3 = tt.tag(); t3; t3 = tt.tag()) {
          if (t3.field === 1) {
            tt.expect(t3.wire, WireType.VARINT, "elem_type");
            v.elemType = tt.int64();
          } else if (t3.field === 2) {
            tt.expect(t3.wire, WireType.LEN, "shape");
            v.shape = decodeShape(tt.message("shape"));
          } else tt.skip(t3.wire, t3.field);
        }
      }
    } else r.skip(wire, field);
  }
  return v;
}

function decodeGraph(r: Reader, depth: number): GraphProto {
  if (depth > L.graphDepth) throw new OnnxError(`ONNX file nests subgraphs more than ${L.graphDepth} deep (${r.path})`);
  const g: GraphProto = { name: "", nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [], sparseInitializers: 0 };
  for (let tag = r.tag(); tag; tag = r.tag()) {
    const { field, wire } = tag;
    switch (field) {
      case 1: r.expect(wire, WireType.LEN, "node"); r.take("nodes", 1); g.nodes.push(decodeNode(r.message(`node[${g.nodes.length}]`), depth)); break;
      case 2: r.expect(wire, WireType.LEN, "name"); g.name = r.string("name"); break;
      case 5: r.expect(wire, WireType.LEN, "initializer"); r.take("initializers", 1); g.initializers.push(decodeTensor(r.message(`initializer[${g.initializers.length}]`))); break;
      case 11: r.expect(wire, WireType.LEN, "input"); r.take("valueInfos", 1); g.inputs.push(decodeValueInfo(r.message(`input[${g.inputs.length}]`))); break;
      case 12: r.expect(wire, WireType.LEN, "output"); r.take("valueInfos", 1); g.outputs.push(decodeValueInfo(r.message(`output[${g.outputs.length}]`))); break;
      case 13: r.expect(wire, WireType.LEN, "value_info"); r.take("valueInfos", 1); g.valueInfo.push(decodeValueInfo(r.message(`value_info[${g.valueInfo.length}]`))); break;
      case 15: r.expect(wire, WireType.LEN, "sparse_initializer"); r.bytesField("sparse_initializer"); g.sparseInitializers++; break;
      default: r.skip(wire, field);
    }
  }
  return g;
}

/**
 * Decodes an ONNX model file. Throws `OnnxError` for anything that is not a well-formed ModelProto
 * with a graph (truncated or corrupt bytes, another file type).
 */
export function decodeModel(bytes: Uint8Array): ModelProto {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("bytes must be a Uint8Array with the contents of an .onnx file");
  if (bytes.length === 0) throw new OnnxError("the ONNX file is empty");
  if (bytes.length > L.fileBytes) throw new OnnxError(`the ONNX file has ${bytes.length} bytes; at most ${L.fileBytes} are read`);
  const r = new Reader(bytes, "ModelProto", 0, bytes.length, new ReadBudget(L), L.stringBytes);
  const m: ModelProto = { irVersion: 0, producerName: "", producerVersion: "", opsets: [], graph: null as unknown as GraphProto, functions: 0 };
  let graphs = 0;
  for (let tag = r.tag(); tag; tag = r.tag()) {
    const { field, wire } = tag;
    switch (field) {
      case 1: r.expect(wire, WireType.VARINT, "ir_version"); m.irVersion = r.int64(); break;
      case 2: r.expect(wire, WireType.LEN, "producer_name"); m.producerName = r.string("producer_name"); break;
      case 3: r.expect(wire, WireType.LEN, "producer_version"); m.producerVersion = r.string("producer_version"); break;
      case 7:
        r.expect(wire, WireType.LEN, "graph");
        m.graph = decodeGraph(r.message("graph"), 0);
        graphs++;
        break;
      case 8: {
        r.expect(wire, WireType.LEN, "opset_import");
        const o = r.message(`opset_import[${m.opsets.length}]`);
        const id: OpsetId = { domain: "", version: 0 };
        for (let t2 = o.tag(); t2; t2 = o.tag()) {
          if (t2.field === 1) {
            o.expect(t2.wire, WireType.LEN, "domain");
            id.domain = o.string("domain");
          } else if (t2.field === 2) {
            o.expect(t2.wire, WireType.VARINT, "version");
            id.version = o.int64();
          } else o.skip(t2.wire, t2.field);
        }
        m.opsets.push(id);
        bound(r, m.opsets.length, L.opsets, "opset_import");
        break;
      }
      case 25: r.expect(wire, WireType.LEN, "functions"); r.bytesField("functions"); m.functions++; break;
      default: r.skip(wire, field);
    }
  }
  if (graphs === 0 || m.irVersion <= 0) {
    throw new OnnxError(
      `not an ONNX model: ${graphs === 0 ? "no graph" : "no ir_version"} found in ${bytes.length} bytes (is this an .onnx file?)`,
    );
  }
  return m;
}
