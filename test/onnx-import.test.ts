// The ONNX reader and the graph import: the decoder against protobufjs, and every error a model
// can earn (unsupported ops naming node and op type, QDQ groups ONNX Runtime would run in float,
// Relu/Clip that ORT does not fold, dynamic shapes, external data), plus the run API's inputs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../src/index.js";
import { OnnxError, UnsupportedOpError, decodeModel, loadOnnx } from "../src/onnx/index.js";
import * as P from "../scripts/onnx/proto.mjs";
import { MODELS_DIR, modelBytes, smallFixtures } from "./helpers/models.js";

beforeAll(async () => {
  await init();
});

// ---------------------------------------------------------------------------------------------
// The decoder agrees with protobufjs (the subset of onnx.proto dwpw reads).

const ONNX_SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: { fields: { irVersion: { type: "int64", id: 1 }, producerName: { type: "string", id: 2 }, graph: { type: "GraphProto", id: 7 }, opsetImport: { rule: "repeated", type: "OperatorSetIdProto", id: 8 } } },
        OperatorSetIdProto: { fields: { domain: { type: "string", id: 1 }, version: { type: "int64", id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: "repeated", type: "NodeProto", id: 1 }, name: { type: "string", id: 2 }, initializer: { rule: "repeated", type: "TensorProto", id: 5 },
            input: { rule: "repeated", type: "ValueInfoProto", id: 11 }, output: { rule: "repeated", type: "ValueInfoProto", id: 12 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: "repeated", type: "string", id: 1 }, output: { rule: "repeated", type: "string", id: 2 }, name: { type: "string", id: 3 },
            opType: { type: "string", id: 4 }, attribute: { rule: "repeated", type: "AttributeProto", id: 5 }, domain: { type: "string", id: 7 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: "string", id: 1 }, f: { type: "float", id: 2 }, i: { type: "int64", id: 3 }, s: { type: "bytes", id: 4 },
            floats: { rule: "repeated", type: "float", id: 7 }, ints: { rule: "repeated", type: "int64", id: 8 }, type: { type: "int32", id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: "repeated", type: "int64", id: 1 }, dataType: { type: "int32", id: 2 }, name: { type: "string", id: 8 }, rawData: { type: "bytes", id: 9 },
          },
        },
        ValueInfoProto: { fields: { name: { type: "string", id: 1 }, type: { type: "TypeProto", id: 2 } } },
        TypeProto: { fields: { tensorType: { type: "TypeProtoTensor", id: 1 } } },
        TypeProtoTensor: { fields: { elemType: { type: "int32", id: 1 }, shape: { type: "TensorShapeProto", id: 2 } } },
        TensorShapeProto: { fields: { dim: { rule: "repeated", type: "Dimension", id: 1 } } },
        Dimension: { fields: { dimValue: { type: "int64", id: 1 }, dimParam: { type: "string", id: 2 } } },
      },
    },
  },
};

const ModelType = protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType("onnx.ModelProto");

describe("ONNX decoder", () => {
  const files = smallFixtures().flatMap(({ fixture }) => [fixture.forms.qlinear, fixture.forms.qdq]);
  it.each(files)("%s decodes like protobufjs", (file) => {
    const bytes = modelBytes(MODELS_DIR, file);
    const mine = decodeModel(bytes);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const ref = ModelType.toObject(ModelType.decode(bytes), { longs: Number, defaults: true }) as any;
    expect(mine.irVersion).toBe(ref.irVersion);
    expect(mine.opsets).toEqual(ref.opsetImport.map((o: { domain: string; version: number }) => ({ domain: o.domain, version: o.version })));
    const g = ref.graph;
    expect(mine.graph.name).toBe(g.name);
    expect(mine.graph.nodes.length).toBe(g.node.length);
    mine.graph.nodes.forEach((n, i) => {
      const r = g.node[i];
      expect([n.name, n.opType, n.domain, n.inputs, n.outputs]).toEqual([r.name, r.opType, r.domain, r.input, r.output]);
      n.attributes.forEach((a, k) => {
        const ra = r.attribute[k];
        expect([a.name, a.type, a.i, a.ints]).toEqual([ra.name, ra.type, ra.i, ra.ints]);
        expect(a.f).toBe(ra.f);
      });
    });
    expect(mine.graph.initializers.length).toBe(g.initializer.length);
    mine.graph.initializers.forEach((t, i) => {
      const r = g.initializer[i];
      expect([t.name, t.dataType, t.dims]).toEqual([r.name, r.dataType, r.dims]);
      expect(Buffer.from(t.rawData!).equals(Buffer.from(r.rawData))).toBe(true);
    });
    const io = (v: { name: string; elemType?: number; shape?: unknown[] }) => [v.name, v.elemType, v.shape];
    const rio = (v: { name: string; type: { tensorType: { elemType: number; shape: { dim: Array<{ dimValue: number; dimParam: string }> } } } }) => [
      v.name, v.type.tensorType.elemType, v.type.tensorType.shape.dim.map((d) => (d.dimParam ? d.dimParam : d.dimValue)),
    ];
    expect(mine.graph.inputs.map(io)).toEqual(g.input.map(rio));
    expect(mine.graph.outputs.map(io)).toEqual(g.output.map(rio));
  });

  it("decodes packed and unpacked repeated fields, negative int64 and unknown fields alike", () => {
    const w = protobuf.Writer.create();
    // A TensorProto with packed dims, a negative int32_data, an unknown field 99 (fixed64).
    w.uint32((1 << 3) | 2).fork().int64(2).int64(3).ldelim();
    w.uint32((2 << 3) | 0).int32(6);
    w.uint32((5 << 3) | 2).fork().int32(-5).int32(7).int32(-2147483648).int32(2147483647).int32(0).int32(1).ldelim();
    w.uint32((99 << 3) | 1).fixed64(123);
    w.uint32((8 << 3) | 2).string("t");
    const tensor = w.finish();
    const model = P.model({
      opset: 13,
      graph: P.graph({
        name: "g",
        nodes: [P.node("Identity", ["x"], ["y"], [], "id")],
        initializers: [tensor],
        inputs: [P.valueInfo("x", P.DataType.INT8, ["N", 4])],
        outputs: [P.valueInfo("y", P.DataType.INT8, ["N", 4])],
      }),
    });
    const m = decodeModel(model);
    const t = m.graph.initializers[0]!;
    expect(t.dims).toEqual([2, 3]);
    expect(t.int32Data).toEqual([-5, 7, -2147483648, 2147483647, 0, 1]);
    expect(m.graph.inputs[0]!.shape).toEqual(["N", 4]);
  });
});

// ---------------------------------------------------------------------------------------------
// Errors

const F = P.DataType.FLOAT;
const I8 = P.DataType.INT8;
const U8 = P.DataType.UINT8;
const I32 = P.DataType.INT32;
const sF = (n: string, v: number) => P.tensor(n, F, [], Float32Array.of(v));
const sI8 = (n: string, v: number) => P.tensor(n, I8, [], Int8Array.of(v));
const sU8 = (n: string, v: number) => P.tensor(n, U8, [], Uint8Array.of(v));

function model(nodes: Uint8Array[], inits: Uint8Array[], inputs: Uint8Array[], outputs: Uint8Array[], ms = false): Uint8Array {
  return P.model({ opset: 13, extraOpsets: ms ? [{ domain: "com.microsoft", version: 1 }] : [], graph: P.graph({ name: "g", nodes, initializers: inits, inputs, outputs }) });
}

/** DQ(x) -> Conv 1x1 (4 -> 4) -> [act] -> Q(y) in QDQ form, int8 or uint8, with the output zero point `yz`. */
function qdqConv(o: { act?: "Relu" | "Clip"; clip?: [number, number]; yz?: number; dtype?: "int8" | "uint8"; noQ?: boolean; floatConv?: boolean; ys?: number } = {}): Uint8Array {
  const dt = o.dtype ?? "int8";
  const T = dt === "int8" ? I8 : U8;
  const z = dt === "int8" ? sI8 : sU8;
  const inits = [sF("xs", 0.05), z("xz", 0), sF("ys", o.ys ?? 0.02), z("yz", o.yz ?? 0), P.tensor("w", I8, [4, 4, 1, 1], new Int8Array(16).map((_, i) => i - 8)), sF("ws", 0.01), sI8("wz", 0)];
  const nodes = [
    P.node("DequantizeLinear", ["x", "xs", "xz"], ["x.dq"], [], "dq_x"),
    P.node("DequantizeLinear", ["w", "ws", "wz"], ["w.dq"], [], "dq_w"),
    P.node("Conv", [o.floatConv ? "xf" : "x.dq", "w.dq"], ["c"], [P.attrInts("kernel_shape", [1, 1])], "conv"),
  ];
  let t = "c";
  if (o.act === "Relu") {
    nodes.push(P.node("Relu", ["c"], ["r"], [], "relu"));
    t = "r";
  } else if (o.act === "Clip") {
    inits.push(sF("lo", o.clip![0]), sF("hi", o.clip![1]));
    nodes.push(P.node("Clip", ["c", "lo", "hi"], ["r"], [], "clip"));
    t = "r";
  }
  if (o.noQ) {
    return model(nodes, inits, [P.valueInfo("x", T, [1, 4, 2, 2]), ...(o.floatConv ? [P.valueInfo("xf", F, [1, 4, 2, 2])] : [])], [P.valueInfo(t, F, [1, 4, 2, 2])]);
  }
  nodes.push(P.node("QuantizeLinear", [t, "ys", "yz"], ["y"], [], "q_y"));
  return model(nodes, inits, [P.valueInfo("x", T, [1, 4, 2, 2]), ...(o.floatConv ? [P.valueInfo("xf", F, [1, 4, 2, 2])] : [])], [P.valueInfo("y", T, [1, 4, 2, 2])]);
}

function expectError(bytes: Uint8Array, kind: typeof OnnxError, pattern: RegExp): void {
  let err: unknown = null;
  try {
    loadOnnx(bytes);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(kind);
  expect((err as Error).message).toMatch(pattern);
}

describe("import errors", () => {
  it("an unsupported op names the node and its op type", () => {
    const m = model([P.node("Softmax", ["x"], ["y"], [], "head/softmax")], [], [P.valueInfo("x", F, [1, 10])], [P.valueInfo("y", F, [1, 10])]);
    let err: unknown = null;
    try {
      loadOnnx(m);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect((err as UnsupportedOpError).node).toBe("head/softmax");
    expect((err as UnsupportedOpError).opType).toBe("Softmax");
    expect((err as Error).message).toMatch(/^node "head\/softmax" \(Softmax\): unsupported op/);
  });

  it("an unsupported com.microsoft op and an unknown domain are named too", () => {
    const m = model([P.node("QLinearSigmoid", ["x", "s", "z", "s", "z"], ["y"], [], "sig", "com.microsoft")], [sF("s", 0.1), sI8("z", 0)], [P.valueInfo("x", I8, [1, 4])], [P.valueInfo("y", I8, [1, 4])], true);
    expectError(m, UnsupportedOpError, /node "sig" \(QLinearSigmoid\): unsupported op of domain com.microsoft/);
    const m2 = model([P.node("Frob", ["x"], ["y"], [], "frob", "example.org")], [], [P.valueInfo("x", I8, [1, 4])], [P.valueInfo("y", I8, [1, 4])]);
    expectError(m2, UnsupportedOpError, /node "frob" \(Frob\): unsupported op domain "example.org"/);
  });

  it("an unnamed node is named by its op type and position", () => {
    const m = model([P.node("Identity", ["x"], ["t"]), P.node("Tanh", ["t"], ["y"])], [], [P.valueInfo("x", I8, [1, 4])], [P.valueInfo("y", I8, [1, 4])]);
    expectError(m, UnsupportedOpError, /node "Tanh_1" \(Tanh\)/);
  });

  it("QDQ: a Relu folds only when the output zero point is the type's minimum (as ORT's ReluQuantFusion)", () => {
    expect(loadOnnx(qdqConv({ act: "Relu", yz: -128 })).layers.map((l) => l.kind)).toEqual(["pointwise"]);
    expect(loadOnnx(qdqConv({ act: "Relu", yz: 0, dtype: "uint8" })).layers.map((l) => l.kind)).toEqual(["pointwise"]);
    expectError(qdqConv({ act: "Relu", yz: 0 }), UnsupportedOpError, /node "relu" \(Relu\): ONNX Runtime folds a Relu .* only when its zero point is -128 \(here 0\)/);
  });

  it("QDQ: a Clip folds only when the quantized range lies inside it (as ORT's ClipQuantFusion)", () => {
    // uint8, zero point 0, scale 6/255: the range is [0, 6] exactly.
    expect(loadOnnx(qdqConv({ act: "Clip", clip: [0, 6], yz: 0, dtype: "uint8", ys: Math.fround(6 / 255) })).layers).toHaveLength(1);
    expectError(qdqConv({ act: "Clip", clip: [0, 6], yz: 0, dtype: "uint8", ys: 0.03 }), UnsupportedOpError, /node "clip" \(Clip\): Clip \[0, 6\] is narrower/);
    expectError(qdqConv({ act: "Clip", clip: [0, 6], yz: 10, dtype: "uint8", ys: 0.01 }), UnsupportedOpError, /Clip \[0, 6\] is narrower/);
  });

  it("QDQ: a Conv whose output is not quantized, or whose input is float, is an error naming it", () => {
    expectError(qdqConv({ noQ: true }), UnsupportedOpError, /node "conv" \(Conv\): its output is not quantized \(it is a graph output\)/);
    expectError(qdqConv({ floatConv: true }), UnsupportedOpError, /node "conv" \(Conv\): input "xf" is a float tensor/);
  });

  it("dynamic spatial dims, batch > 1 and external data are clear errors; a symbolic batch is 1", () => {
    const id = (shape: Array<number | string>) => model([P.node("Identity", ["x"], ["y"], [], "id")], [], [P.valueInfo("x", I8, shape)], [P.valueInfo("y", I8, shape)]);
    expect(loadOnnx(id(["N", 4, 2, 2])).inputs[0]!.shape).toEqual([1, 4, 2, 2]);
    expectError(id([1, 4, "H", 2]), OnnxError, /symbolic or unknown dimension "H" at axis 2/);
    expectError(id([2, 4, 2, 2]), OnnxError, /batch 2; dwpw runs batch 1/);
    expect(loadOnnx(id([1, 4, "H", 2]), { inputShapes: { x: [1, 4, 3, 2] } }).inputs[0]!.shape).toEqual([1, 4, 3, 2]);
  });

  it("not an ONNX file, empty, truncated: OnnxError saying so", () => {
    expectError(new Uint8Array(0), OnnxError, /empty/);
    expectError(new TextEncoder().encode("hello, world"), OnnxError, /corrupt|not an ONNX model/);
    const good = readFileSync(join(MODELS_DIR, "v1-int8-sym.qlinear.onnx"));
    expectError(new Uint8Array(good.subarray(0, good.length - 7)), OnnxError, /^corrupt or truncated ONNX file: message opset_import\[1\] declares \d+ bytes but only \d+ remain/);
    // A corrupted length inside the graph: the error names the path to it.
    const bad = new Uint8Array(good);
    const at = bad.indexOf(0x0a, 40); // a length-delimited field 1 (a node) somewhere inside the graph
    bad[at + 1] = 0xff;
    bad[at + 2] = 0x7f;
    expectError(bad, OnnxError, /corrupt or truncated ONNX file: .* in ModelProto\.graph/);
  });
});

// ---------------------------------------------------------------------------------------------
// Graph forms and the run API

describe("import: graph forms", () => {
  it("Constant nodes, Reshape (0 and -1), Squeeze and Unsqueeze on quantized tensors", () => {
    const nodes = [
      P.node("Constant", [], ["shape"], [P.attrTensor("value", P.tensor("", P.DataType.INT64, [2], BigInt64Array.of(0n, -1n)))], "c"),
      P.node("Reshape", ["x", "shape"], ["r"], [], "reshape"),
      P.node("Unsqueeze", ["r", "axes"], ["u"], [], "unsqueeze"),
      P.node("Squeeze", ["u", "axes"], ["y"], [], "squeeze"),
    ];
    const m = model(nodes, [P.tensor("axes", P.DataType.INT64, [1], BigInt64Array.of(2n))], [P.valueInfo("x", I8, [1, 2, 3, 2])], [P.valueInfo("y", I8, [1, 12])]);
    const net = loadOnnx(m);
    expect(net.layers.map((l) => l.kind)).toEqual(["reshape", "reshape", "reshape"]);
    const x = Int8Array.from({ length: 12 }, (_, i) => i - 6);
    const r = net.run({ x }, { layers: true });
    expect(r.outputs.y!.shape).toEqual([1, 12]);
    expect(Array.from(r.outputs.y!.data)).toEqual(Array.from(x));
    expect(r.layers!.map((l) => l.output.shape)).toEqual([[1, 12], [1, 12, 1], [1, 12]]);
  });

  it("QLinearConv with uint8 weights and a zero point 128 runs as int8 weights minus 128", () => {
    const wU8 = Uint8Array.from({ length: 16 }, (_, i) => 120 + i);
    const mk = (wT: number, w: Int8Array | Uint8Array, wz: Uint8Array) =>
      model(
        [P.node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["y"], [P.attrInts("kernel_shape", [1, 1])], "conv")],
        [sF("xs", 0.05), sU8("xz", 128), sF("ys", 0.1), sU8("yz", 128), P.tensor("w", wT, [4, 4, 1, 1], w), sF("ws", 0.02), P.tensor("wz", wT, [], wz)],
        [P.valueInfo("x", U8, [1, 4, 2, 2])],
        [P.valueInfo("y", U8, [1, 4, 2, 2])],
      );
    const a = loadOnnx(mk(U8, wU8, Uint8Array.of(128)));
    const b = loadOnnx(mk(I8, Int8Array.from(wU8, (v) => v - 128), Uint8Array.of(0)));
    const x = Uint8Array.from({ length: 16 }, (_, i) => i * 15);
    expect(Array.from(a.run(x).outputs.y!.data)).toEqual(Array.from(b.run(x).outputs.y!.data));
    // A weight that does not fit int8 after the zero point is refused, naming the node.
    expectError(mk(U8, Uint8Array.from({ length: 16 }, () => 255), Uint8Array.of(0)), UnsupportedOpError, /node "conv" \(QLinearConv\): weight 255 minus zero point 0 does not fit int8/);
  });

  it("a dwpw Tensor input: HWC or CHW, for a quantized input or in place of the first QuantizeLinear", () => {
    const f = smallFixtures().find((x) => x.name === "v1-int8-sym")!.fixture;
    const net = loadOnnx(modelBytes(MODELS_DIR, f.forms.qlinear));
    const xf = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.sin(i) * 1.2);
    const full = net.run(xf, { layers: true });
    const q = full.layers!.find((l) => l.kind === "quantize")!.output;
    const chw = { data: q.data as Int8Array, height: 32, width: 32, channels: 3, layout: "CHW" as const, zeroPoint: q.zeroPoint! };
    const hwc = { ...chw, layout: "HWC" as const, data: new Int8Array(3 * 32 * 32) };
    for (let c = 0; c < 3; c++) for (let i = 0; i < 32 * 32; i++) hwc.data[i * 3 + c] = chw.data[c * 1024 + i]!;
    const want = Array.from(Object.values(full.outputs)[0]!.data);
    expect(Array.from(Object.values(net.run(chw).outputs)[0]!.data)).toEqual(want);
    expect(Array.from(Object.values(net.run(hwc).outputs)[0]!.data)).toEqual(want);
    expect(() => net.run({ ...chw, zeroPoint: 5 })).toThrow(/zeroPoint is 5 but the model's is 0/);
    expect(() => net.run(new Float32Array(7))).toThrow(/has 7 values, expected 3072/);
    expect(() => net.run(new Int8Array(3072))).toThrow(/float32: pass a Float32Array/);
  });

  it("run options are checked", () => {
    const net = loadOnnx(modelBytes(MODELS_DIR, "v1-int8-auto.qlinear.onnx"));
    const x = new Int8Array(net.inputs[0]!.shape.reduce((a, b) => a * b, 1));
    expect(() => net.run(x, { addRounding: "banker" as never })).toThrow(/addRounding must be one of ort-x86, ort-wasm/);
    expect(() => net.run(x, { engine: "gpu" as never })).toThrow(/engine must be "wasm" or "reference"/);
    expect(() => net.run(x, { engine: "reference", blocks: true })).toThrow(/needs engine "wasm"/);
    expect(() => loadOnnx(modelBytes(MODELS_DIR, "v1-int8-auto.qlinear.onnx"), { addRounding: "x" as never })).toThrow(RangeError);
  });
});
