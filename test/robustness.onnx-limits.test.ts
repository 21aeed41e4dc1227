// Hostile ONNX files aimed at the import's bounds: many nodes sharing one name (de-duplicated in
// linear time), each of ONNX_LIMITS exceeded by one, layers whose tensors are too large for
// NETWORK_LIMITS (a convolution with huge pads, a fully connected layer, an add), and Add shapes
// that do not broadcast. Each is an OnnxError from loadOnnx naming the limit or the layer and
// field, raised while the file is read or the network built, before any run allocates.
import { describe, expect, it } from "vitest";
import { NETWORK_LIMITS, ONNX_LIMITS, OnnxError, loadOnnx } from "../src/index.js";
import * as P from "../scripts/onnx/proto.mjs";

const F = P.DataType.FLOAT, I8 = P.DataType.INT8, I32 = P.DataType.INT32;
const scalarF = (name: string, v: number) => P.tensor(name, F, [], Float32Array.of(v));
const scalarQ = (name: string) => P.tensor(name, I8, [], Int8Array.of(0));
const QPARAMS = [scalarF("xs", 0.05), scalarQ("xz"), scalarF("ys", 0.1), scalarQ("yz")];

function rejection(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return null;
}

/** A QLinearConv node of `cin` -> `cout` channels with a `k`x`k` kernel and its initializers (prefix `p`). */
function qconv(p: string, x: string, y: string, cin: number, cout: number, k: number, attrs: Uint8Array[] = [], name = p) {
  return {
    node: P.node("QLinearConv", [x, "xs", "xz", `${p}w`, `${p}ws`, `${p}wz`, "ys", "yz", `${p}b`], [y], [P.attrInts("kernel_shape", [k, k]), ...attrs], name),
    inits: [
      P.tensor(`${p}w`, I8, [cout, cin, k, k], new Int8Array(cout * cin * k * k).fill(1)),
      P.tensor(`${p}ws`, F, [cout], new Float32Array(cout).fill(0.02)),
      P.tensor(`${p}wz`, I8, [cout], new Int8Array(cout)),
      P.tensor(`${p}b`, I32, [cout], new Int32Array(cout)),
    ],
  };
}

function modelOf(nodes: Uint8Array[], inits: Uint8Array[], inShape: number[], outputs: Array<[string, number[]]>, extra: { ms?: boolean } = {}): Uint8Array {
  return P.model({
    opset: 13,
    extraOpsets: extra.ms ? [{ domain: "com.microsoft", version: 1 }] : [],
    graph: P.graph({
      name: "g",
      nodes,
      initializers: [...QPARAMS, ...inits],
      inputs: [P.valueInfo("x", I8, inShape)],
      outputs: outputs.map(([n, s]) => P.valueInfo(n, I8, s)),
    }),
  });
}

function expectOnnxError(bytes: Uint8Array, message: RegExp): OnnxError {
  const err = rejection(() => loadOnnx(bytes));
  expect(err, String(err)).toBeInstanceOf(OnnxError);
  expect((err as Error).message).toMatch(message);
  return err as OnnxError;
}

describe("names: nodes that share one name get short unique names, in linear time", () => {
  it("10,000 chained convs all named \"same\" load (this took 287 s when names were padded with _)", () => {
    const N = 10_000;
    const c = qconv("", "x", "t1", 4, 4, 1, [], "same");
    const nodes: Uint8Array[] = [];
    for (let i = 0; i < N; i++) {
      nodes.push(P.node("QLinearConv", [i === 0 ? "x" : `t${i}`, "xs", "xz", "w", "ws", "wz", "xs", "xz", "b"], [i === N - 1 ? "y" : `t${i + 1}`], [P.attrInts("kernel_shape", [1, 1])], "same"));
    }
    const net = loadOnnx(modelOf(nodes, c.inits, [1, 4, 4, 4], [["y", [1, 4, 4, 4]]]));
    const names = net.layers.map((l) => l.name);
    expect(new Set(names).size).toBe(N);
    expect(names[0]).toBe("same");
    expect(names[1]).toBe("same_2");
    expect(names[N - 1]).toBe(`same_${N}`);
    expect(Math.max(...names.map((n) => n.length))).toBeLessThanOrEqual("same_".length + 5);
  });

  it("10,000 fan-out nodes reading one tensor, all named \"fan\", load with unique names", () => {
    const N = 10_000;
    const c = qconv("", "x", "t1", 4, 4, 1);
    const nodes = Array.from({ length: N }, (_, i) => P.node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "xs", "xz", "b"], [`y${i}`], [P.attrInts("kernel_shape", [1, 1])], "fan"));
    const net = loadOnnx(modelOf(nodes, c.inits, [1, 4, 4, 4], [["y0", [1, 4, 4, 4]], [`y${N - 1}`, [1, 4, 4, 4]]]));
    const names = net.layers.map((l) => l.name);
    expect(new Set(names).size).toBe(N);
    expect(names[N - 1]).toBe(`fan_${N}`);
  });

  it("a name that already has the suffix a duplicate would get is skipped over", () => {
    const c = qconv("", "x", "t1", 4, 4, 1);
    const names = ["a", "a_2", "a", "a"];
    const nodes = names.map((n, i) => P.node("QLinearConv", [i === 0 ? "x" : `t${i}`, "xs", "xz", "w", "ws", "wz", "xs", "xz", "b"], [i === names.length - 1 ? "y" : `t${i + 1}`], [P.attrInts("kernel_shape", [1, 1])], n));
    const net = loadOnnx(modelOf(nodes, c.inits, [1, 4, 4, 4], [["y", [1, 4, 4, 4]]]));
    expect(net.layers.map((l) => l.name)).toEqual(["a", "a_2", "a_3", "a_4"]);
  });
});

describe("ONNX_LIMITS: each bound exceeded is an OnnxError naming it, raised while the file is read", () => {
  const identity = (i: number, name = "") => P.node("Identity", ["x"], [`y${i}`], [], name);

  it(`more than ${ONNX_LIMITS.nodes} nodes`, () => {
    const nodes = Array.from({ length: ONNX_LIMITS.nodes + 1 }, (_, i) => identity(i));
    expectOnnxError(modelOf(nodes, [], [1, 4, 4, 4], [["y0", [1, 4, 4, 4]]]), /more nodes than the 100000/);
  });

  it(`more than ${ONNX_LIMITS.attributesPerNode} attributes on one node`, () => {
    const attrs = Array.from({ length: ONNX_LIMITS.attributesPerNode + 1 }, (_, i) => P.attrInt(`a${i}`, i));
    expectOnnxError(modelOf([P.node("Identity", ["x"], ["y"], attrs)], [], [1, 4, 4, 4], [["y", [1, 4, 4, 4]]]), /attribute has more than 256 entries/);
  });

  it(`an attribute of more than ${ONNX_LIMITS.attributeValues} values`, () => {
    const ints = new Array<number>(ONNX_LIMITS.attributeValues + 1).fill(1);
    expectOnnxError(modelOf([P.node("Identity", ["x"], ["y"], [P.attrInts("pads", ints)])], [], [1, 4, 4, 4], [["y", [1, 4, 4, 4]]]), /attribute has more than 1048576 entries/);
  });

  it(`a name of more than ${ONNX_LIMITS.stringBytes} bytes`, () => {
    expectOnnxError(modelOf([identity(0, "n".repeat(ONNX_LIMITS.stringBytes + 1))], [], [1, 4, 4, 4], [["y0", [1, 4, 4, 4]]]), /string name of 65537 bytes/);
  });

  it(`a shape of more than ${ONNX_LIMITS.rank} dimensions`, () => {
    expectOnnxError(modelOf([identity(0)], [], new Array(ONNX_LIMITS.rank + 1).fill(1), [["y0", [1]]]), /shape has more than 64 entries/);
  });

  it(`more than ${ONNX_LIMITS.repeatedValues} repeated values in the file`, () => {
    // One packed int64 field (dims of an initializer) of 2^24 + 1 one-byte varints.
    const n = ONNX_LIMITS.repeatedValues + 1;
    const packed = new Uint8Array(n).fill(1);
    const lenBytes: number[] = [];
    for (let v = n; ; v >>>= 7) {
      if (v < 0x80) {
        lenBytes.push(v);
        break;
      }
      lenBytes.push((v & 0x7f) | 0x80);
    }
    const t = new Uint8Array(1 + lenBytes.length + n);
    t.set([0x0a, ...lenBytes]); // field 1 (dims), wire type LEN
    t.set(packed, 1 + lenBytes.length);
    expectOnnxError(modelOf([identity(0)], [t], [1, 4, 4, 4], [["y0", [1, 4, 4, 4]]]), /more repeatedValues than the 16777216/);
  });

  it(`subgraphs nested more than ${ONNX_LIMITS.graphDepth} deep`, () => {
    let g = P.graph({ name: "leaf", nodes: [], initializers: [], inputs: [], outputs: [] });
    for (let d = 0; d <= ONNX_LIMITS.graphDepth + 1; d++) {
      // AttributeProto of type GRAPH (5): name, type, g (field 6).
      const a = concat([field(1, new TextEncoder().encode("body")), Uint8Array.of(0xa0, 0x01, 5), field(6, g)]);
      g = P.graph({ name: `g${d}`, nodes: [P.node("If", ["c"], ["o"], [a])], initializers: [], inputs: [], outputs: [] });
    }
    const m = P.model({ opset: 13, graph: g });
    expectOnnxError(m, /nests subgraphs more than 8 deep/);
  });
});

function field(num: number, bytes: Uint8Array): Uint8Array {
  const len: number[] = [];
  for (let v = bytes.length; ; v >>>= 7) {
    if (v < 0x80) {
      len.push(v);
      break;
    }
    len.push((v & 0x7f) | 0x80);
  }
  return concat([Uint8Array.of((num << 3) | 2, ...len), bytes]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe("NETWORK_LIMITS: every layer's tensors are checked at load, naming the layer and the field", () => {
  const heapGrowth = (f: () => void): number => {
    const h0 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    f();
    return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - h0;
  };

  it("a stem convolution with pads [20000, 20000, 0, 0] on 224x224: its output is too large", () => {
    const c = qconv("s", "x", "y", 3, 64, 3, [P.attrInts("pads", [20000, 0, 20000, 0])], "stem");
    const bytes = modelOf([c.node], c.inits, [1, 3, 224, 224], [["y", [1, 64, 40222, 222]]]);
    const grew = heapGrowth(() => expectOnnxError(bytes, /layer "stem" \(QLinearConv\) output: .* has 571474176 elements; at most 268435456/));
    expect(grew).toBeLessThan(64 * 2 ** 20);
  });

  it("pads of 2^62 name the pad", () => {
    const c = qconv("s", "x", "y", 3, 8, 3, [P.attrInts("pads", [2 ** 62, 0, 0, 0])], "stem");
    expectOnnxError(modelOf([c.node], c.inits, [1, 3, 8, 8], [["y", [1, 8, 8, 6]]]), /layer "stem" \(QLinearConv\): pad\.top must be an integer in \[0, 65536\]/);
  });

  it("a padded input past the limit is named as such, even when the output is small (stride)", () => {
    const c = qconv("s", "x", "y", 3, 8, 3, [P.attrInts("pads", [60000, 60000, 0, 0]), P.attrInts("strides", [60000, 60000])], "stem");
    expectOnnxError(modelOf([c.node], c.inits, [1, 3, 8, 8], [["y", [1, 8, 2, 2]]]), /layer "stem" \(QLinearConv\): pads: the padded input 3x60008x60008/);
  });

  it("a depthwise layer's op is checked by the kernels' own rules at load (pad over 65536)", () => {
    const c = qconv("d", "x", "y", 1, 4, 3, [P.attrInt("group", 4), P.attrInts("pads", [70000, 0, 0, 0])], "dw");
    // Weights [4, 1, 3, 3] for a depthwise 4-channel layer.
    const inits = [P.tensor("dw", I8, [4, 1, 3, 3], new Int8Array(36).fill(1)), ...c.inits.slice(1)];
    expectOnnxError(modelOf([c.node], inits, [1, 4, 8, 8], [["y", [1, 4, 70006, 6]]]), /layer "dw" \(QLinearConv\) op\.pad\.top must be an integer in \[0, 65536\]/);
  });

  it("a fully connected layer whose weights are declared past the limit is refused without allocating them", () => {
    // QLinearMatMul [1, K] x [K, N] with K * N > 2^28, the weights' dims declared but only 16 bytes present.
    const K = 1 << 15, N = 1 << 14;
    const inits = [P.tensor("b", I8, [K, N], new Int8Array(16)), scalarF("bs", 0.01), scalarQ("bz")];
    const mm = P.node("QLinearMatMul", ["x", "xs", "xz", "b", "bs", "bz", "ys", "yz"], ["y"], [], "fc");
    expectOnnxError(modelOf([mm], inits, [1, K], [["y", [1, N]]]), /initializer "b": raw_data has 16 bytes|elements/);
    expect(NETWORK_LIMITS.tensorElements).toBe(2 ** 28);
  });

  it("QLinearAdd and QDQ Add shapes that do not broadcast are an OnnxError naming the node", () => {
    const a = qconv("a", "x", "t", 4, 4, 1);
    const add = P.node("QLinearAdd", ["t", "xs", "xz", "k", "xs", "xz", "ys", "yz"], ["y"], [], "add", "com.microsoft");
    const k = P.tensor("k", I8, [1, 3, 4, 4], new Int8Array(48));
    expectOnnxError(modelOf([a.node, add], [...a.inits, k], [1, 4, 4, 4], [["y", [1, 4, 4, 4]]], { ms: true }), /node "add" \(QLinearAdd\): shapes \[1, 4, 4, 4\] and \[1, 3, 4, 4\] do not broadcast/);
  });
});
