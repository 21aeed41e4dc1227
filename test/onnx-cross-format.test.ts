// An ONNX model under targets other than ONNX Runtime (src/import/onnx/): converted to the
// format-neutral graph with the file's real scales, it must compute what the same network written
// as a .tflite computes under tflite-micro, byte for byte; under the onnxruntime graph target it
// must equal ONNX's own runner (two independent emulations of ONNX Runtime); values come back in
// ONNX's NCHW shapes, named by tensor.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { DataType, attrInt, attrInts, graph as graphProto, model as modelProto, node, tensor, valueInfo } from "../scripts/onnx/proto.mjs";
import { writeModel } from "../scripts/tflite/write-model.mjs";
import { UnsupportedOpError, init, loadOnnx, loadTflite } from "../src/index.js";
import { compare, randomInputs } from "../src/compare/index.js";
import { toGraph } from "../src/import/onnx/to-graph.js";
import { bindGraphInputs } from "../src/runner/inputs.js";
import { GraphNetwork } from "../src/runner/network.js";
import { runLowered } from "../src/runner/run.js";
import { reference } from "../src/reference/index.js";
import { lowerGraph } from "../src/targets/index.js";
import { Rng } from "../src/rng.js";
import { MODELS_DIR } from "./helpers/models.js";

const f32 = Math.fround;

beforeAll(async () => {
  await init();
});

/** One network's integers and scales, written both as QLinear ONNX and as TFLite. */
function makeTwin(seed: number) {
  const rng = new Rng(seed);
  const int = (lo: number, hi: number) => lo + (rng.u32() % (hi - lo + 1));
  const ints8 = (n: number) => Int8Array.from({ length: n }, () => int(-127, 127));
  const bias = (n: number) => Int32Array.from({ length: n }, () => int(-3000, 3000));
  const scales = (n: number, base: number) => Float32Array.from({ length: n }, () => f32(base * (0.5 + (rng.u32() % 1000) / 1000)));
  const q = (scale: number, zp: number) => ({ scale: f32(scale), zp });
  const C0 = 3, H = 8, C1 = 8, C2 = 16, N = 10;
  const xq = q(0.02, -5);
  const stem = { w: ints8(C1 * C0 * 9), ws: scales(C1, 0.01), b: bias(C1), y: q(0.05, -128) }; // ONNX [O][I][3][3]
  const dw = { w: ints8(C1 * 9), ws: scales(C1, 0.02), b: bias(C1), y: q(0.04, 3) }; // [C][1][3][3]
  const pw1 = { w: ints8(C2 * C1), ws: scales(C2, 0.01), b: bias(C2), y: q(0.03, -2) };
  const pw2 = { w: ints8(C2 * C1), ws: scales(C2, 0.012), b: bias(C2), y: q(0.035, 4) };
  const addY = q(0.06, -1);
  const gapY = q(0.02, 0);
  const fc = { w: ints8(N * C2), ws: scales(1, 0.015), b: bias(N), y: q(0.1, 7) };

  // ---- ONNX (QLinear form, NCHW) ----
  const inits: Uint8Array[] = [];
  const f = (name: string, v: number) => inits.push(tensor(name, DataType.FLOAT, [], Float32Array.of(v)));
  const i8 = (name: string, dims: number[], v: Int8Array) => inits.push(tensor(name, DataType.INT8, dims, v));
  const i32 = (name: string, dims: number[], v: Int32Array) => inits.push(tensor(name, DataType.INT32, dims, v));
  const qp = (name: string, p: { scale: number; zp: number }) => {
    f(`${name}_s`, p.scale);
    i8(`${name}_z`, [], Int8Array.of(p.zp));
  };
  const MS = "com.microsoft";
  qp("x", xq);
  const conv = (name: string, input: string, inQ: string, l: { w: Int8Array; ws: Float32Array; b: Int32Array; y: { scale: number; zp: number } }, dims: number[], attrs: Uint8Array[]) => {
    i8(`${name}_w`, dims, l.w);
    inits.push(tensor(`${name}_ws`, DataType.FLOAT, [l.ws.length], l.ws));
    i8(`${name}_wz`, [l.ws.length], new Int8Array(l.ws.length));
    i32(`${name}_b`, [dims[0]!], l.b);
    qp(name, l.y);
    return node("QLinearConv", [input, `${inQ}_s`, `${inQ}_z`, `${name}_w`, `${name}_ws`, `${name}_wz`, `${name}_s`, `${name}_z`, `${name}_b`], [name], attrs, name);
  };
  const nodes = [
    // TFLite's SAME for a stride-2 3x3 on 8 pixels pads 0 before and 1 after.
    conv("stem", "x", "x", stem, [C1, C0, 3, 3], [attrInts("strides", [2, 2]), attrInts("pads", [0, 0, 1, 1])]),
    conv("dw", "stem", "stem", dw, [C1, 1, 3, 3], [attrInt("group", C1), attrInts("pads", [1, 1, 1, 1])]),
    conv("pw1", "dw", "dw", pw1, [C2, C1, 1, 1], []),
    conv("pw2", "dw", "dw", pw2, [C2, C1, 1, 1], []),
  ];
  qp("sum", addY);
  nodes.push(node("QLinearAdd", ["pw1", "pw1_s", "pw1_z", "pw2", "pw2_s", "pw2_z", "sum_s", "sum_z"], ["sum"], [], "add", MS));
  qp("gap", gapY);
  nodes.push(node("QLinearGlobalAveragePool", ["sum", "sum_s", "sum_z", "gap_s", "gap_z"], ["gap"], [attrInt("channels_last", 0)], "pool", MS));
  nodes.push(node("Flatten", ["gap"], ["flat"], [attrInt("axis", 1)], "flatten"));
  i8("fc_w", [N, C2], fc.w);
  f("fc_ws", fc.ws[0]!);
  i8("fc_wz", [], Int8Array.of(0));
  i32("fc_b", [N], fc.b);
  qp("logits", fc.y);
  nodes.push(node("QGemm", ["flat", "gap_s", "gap_z", "fc_w", "fc_ws", "fc_wz", "fc_b", "logits_s", "logits_z"], ["logits"], [attrInt("transB", 1)], "fc", MS));
  const onnx = modelProto({
    graph: graphProto({ name: `twin-${seed}`, nodes, initializers: inits, inputs: [valueInfo("x", DataType.INT8, [1, C0, H, H])], outputs: [valueInfo("logits", DataType.INT8, [1, N])] }),
    opset: 13,
    extraOpsets: [{ domain: MS, version: 1 }],
  });

  // ---- TFLite (NHWC), the same integers ----
  const toOhwi = (w: Int8Array, O: number, I: number, k: number) => {
    const out = new Int8Array(w.length);
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) for (let t = 0; t < k * k; t++) out[(o * k * k + t) * I + i] = w[(o * I + i) * k * k + t]!;
    return out;
  };
  const dwW = new Int8Array(9 * C1);
  for (let c = 0; c < C1; c++) for (let t = 0; t < 9; t++) dwW[t * C1 + c] = dw.w[c * 9 + t]!;
  const act = (name: string, shape: number[], p: { scale: number; zp: number }) => ({ name, shape, dtype: "int8", quant: { scale: [p.scale], zeroPoint: [p.zp] } });
  const weight = (name: string, shape: number[], data: Int8Array, ws: Float32Array, axis: number) => ({ name, shape, dtype: "int8", data, quant: { scale: Array.from(ws), zeroPoint: Array.from(ws, () => 0), axis } });
  const biasT = (name: string, data: Int32Array, sIn: number, ws: Float32Array) => ({ name, shape: [data.length], dtype: "int32", data, quant: { scale: Array.from(ws, (s) => f32(sIn * s)), zeroPoint: Array.from(ws, () => 0) } });
  const tensors = [
    act("x", [1, H, H, C0], xq), // 0
    weight("stem_w", [C1, 3, 3, C0], toOhwi(stem.w, C1, C0, 3), stem.ws, 0), // 1
    biasT("stem_b", stem.b, xq.scale, stem.ws), // 2
    act("stem", [1, 4, 4, C1], stem.y), // 3
    weight("dw_w", [1, 3, 3, C1], dwW, dw.ws, 3), // 4
    biasT("dw_b", dw.b, stem.y.scale, dw.ws), // 5
    act("dw", [1, 4, 4, C1], dw.y), // 6
    weight("pw1_w", [C2, 1, 1, C1], pw1.w, pw1.ws, 0), // 7
    biasT("pw1_b", pw1.b, dw.y.scale, pw1.ws), // 8
    act("pw1", [1, 4, 4, C2], pw1.y), // 9
    weight("pw2_w", [C2, 1, 1, C1], pw2.w, pw2.ws, 0), // 10
    biasT("pw2_b", pw2.b, dw.y.scale, pw2.ws), // 11
    act("pw2", [1, 4, 4, C2], pw2.y), // 12
    act("sum", [1, 4, 4, C2], addY), // 13
    { name: "axes", shape: [2], dtype: "int32", data: Int32Array.of(1, 2) }, // 14
    act("gap", [1, 1, 1, C2], gapY), // 15
    { name: "flat_shape", shape: [2], dtype: "int32", data: Int32Array.of(1, C2) }, // 16
    act("flat", [1, C2], gapY), // 17
    weight("fc_w", [N, C2], fc.w, fc.ws, 0), // 18
    biasT("fc_b", fc.b, gapY.scale, fc.ws), // 19
    act("logits", [1, N], fc.y), // 20
  ];
  const tflite = writeModel({
    tensors,
    inputs: [0],
    outputs: [20],
    operators: [
      { op: "CONV_2D", inputs: [0, 1, 2], outputs: [3], options: { padding: "SAME", stride: [2, 2], activation: "RELU" } },
      { op: "DEPTHWISE_CONV_2D", inputs: [3, 4, 5], outputs: [6], options: { padding: "SAME" } },
      { op: "CONV_2D", inputs: [6, 7, 8], outputs: [9], options: { padding: "VALID" } },
      { op: "CONV_2D", inputs: [6, 10, 11], outputs: [12], options: { padding: "VALID" } },
      { op: "ADD", inputs: [9, 12], outputs: [13] },
      { op: "MEAN", inputs: [13, 14], outputs: [15], options: { keepDims: true } },
      { op: "RESHAPE", inputs: [15, 16], outputs: [17] },
      { op: "FULLY_CONNECTED", inputs: [17, 18, 19], outputs: [20] },
    ],
  });
  return { onnx, tflite, inputShape: [1, C0, H, H] };
}

/** NHWC bytes of a 4-D [N, H, W, C] tensor in NCHW order. */
function nchwOf(data: ArrayLike<number>, shape: number[]): number[] {
  if (shape.length !== 4) return Array.from(data);
  const [n, h, w, c] = shape as [number, number, number, number];
  const out = new Array<number>(data.length);
  for (let b = 0; b < n; b++) for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) out[((b * c + k) * h * w) + p] = data[(b * h * w + p) * c + k]!;
  return out;
}

function nhwcOf(data: Int8Array, shape: number[]): Int8Array {
  const [n, c, h, w] = shape as [number, number, number, number];
  const out = new Int8Array(data.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let p = 0; p < h * w; p++) out[(b * h * w + p) * c + k] = data[(b * c + k) * h * w + p]!;
  return out;
}

describe("an ONNX model under tflite-micro equals the same network written as a .tflite", () => {
  for (const seed of [1, 2, 3]) {
    test(`conv stem, depthwise, pointwise, add, global pool, FC (seed ${seed})`, () => {
      const twin = makeTwin(seed);
      const onnx = loadOnnx(twin.onnx);
      const tfl = loadTflite(twin.tflite);
      for (const k of [0, 1, 2]) {
        const x = (randomInputs(onnx, 1, seed * 10 + k)[0] as Record<string, Int8Array>).x!;
        for (const engine of ["wasm", "reference"] as const) {
          const a = onnx.run(x, { target: "tflite-micro", layers: true, engine });
          const b = tfl.run(nhwcOf(x, twin.inputShape), { layers: true, engine });
          const byName = new Map(b.layers!.map((l) => [l.output.name, l.output]));
          expect(a.layers!.map((l) => l.output.name)).toEqual(["stem", "dw", "pw1", "pw2", "sum", "gap", "flat", "logits"]);
          for (const l of a.layers!) {
            const t = byName.get(l.output.name)!;
            expect(Array.from(l.output.data), `${l.output.name} (${engine})`).toEqual(nchwOf(t.data as Int8Array, t.shape));
            expect([l.output.scale, l.output.zeroPoint]).toEqual([t.scale, t.zeroPoint]);
          }
          expect(Array.from(a.outputs.logits!.data)).toEqual(Array.from(b.outputs.logits!.data));
        }
        // The onnxruntime default is untouched by the cross-format path, and differs from it
        // only where the float quotient and the multiplier/shift round apart.
        const ort = onnx.run(x);
        expect(ort.outputs.logits!.shape).toEqual([1, 10]);
      }
      // cmsis-nn computes TFLite Micro's bytes for these ops.
      const x = (randomInputs(onnx, 1, 99)[0] as Record<string, Int8Array>).x!;
      expect(onnx.run(x, { target: "cmsis-nn" }).outputs.logits!.data).toEqual(onnx.run(x, { target: "tflite-micro" }).outputs.logits!.data);
    });
  }

  test("lower() shows TFLite's multipliers for tflite-micro and ORT's quotients for onnxruntime", () => {
    const onnx = loadOnnx(makeTwin(1).onnx);
    const tfl = loadTflite(makeTwin(1).tflite);
    const a = onnx.lower("tflite-micro").filter((l) => l.kind === "conv2d" || l.kind === "depthwiseConv2d" || l.kind === "fullyConnected");
    const b = tfl.lower("tflite-micro").filter((l) => l.kind === "conv2d" || l.kind === "depthwiseConv2d" || l.kind === "fullyConnected");
    expect(a.map((l) => [l.name, l.params.multiplier, l.params.shift])).toEqual(b.map((l) => [l.name, l.params.multiplier, l.params.shift]));
    const ort = onnx.lower("onnxruntime");
    expect(ort.find((l) => l.layer === "stem")!.params.scale).toBeInstanceOf(Float32Array);
    expect(ort.map((l) => l.name)).toEqual(["stem", "dw", "pw1", "pw2", "sum", "gap", "flat", "logits"]);
  });
});

describe("ONNX under the onnxruntime graph target equals ONNX's own runner", () => {
  const files = readdirSync(MODELS_DIR).filter((f) => f.endsWith(".onnx")).sort();
  for (const file of files) {
    test(file, () => {
      const net = loadOnnx(readFileSync(join(MODELS_DIR, file)));
      let converted;
      try {
        // A global pool as the full-window pool the onnxruntime target runs as QLinearGlobalAveragePool.
        converted = toGraph(net.graph, { globalPool: "averagePool2d" });
      } catch (e) {
        // add-stress reads one graph input with a different quantization in each add: a graph
        // (like a .tflite) gives each tensor one quantization, so the conversion refuses by name.
        expect(file).toMatch(/^add-stress/);
        expect(e).toBeInstanceOf(UnsupportedOpError);
        expect((e as Error).message).toMatch(/^node "add1"/);
        return;
      }
      const lowered = lowerGraph(converted.graph, "onnxruntime");
      for (const input of randomInputs(net, 3, 5)) {
        const want = net.run(input as never, { layers: true });
        const got = runLowered(lowered, bindGraphInputs(converted.graph, input as never), { layers: true, ctx: { conv: reference.conv, general: reference } });
        const byName = new Map(got.layers!.map((l) => [l.output.name, l.output]));
        for (const l of want.layers!) {
          const g = byName.get(l.output.name);
          expect(g, l.output.name).toBeDefined();
          expect(g!.shape).toEqual(l.output.shape);
          expect(Array.from(g!.data as ArrayLike<number>), `${file}: ${l.layer} (${l.kind})`).toEqual(Array.from(l.output.data));
        }
      }
    });
  }
});

describe("targets, compare and presentation of an ONNX network", () => {
  test("compare(onnxNet, 2, { targets: [onnxruntime, tflite-micro] }) reports drift per layer by tensor name", () => {
    const net = loadOnnx(makeTwin(2).onnx);
    const r = compare(net, 2, { targets: ["onnxruntime", "tflite-micro"] });
    expect(r.reference).toBe("onnxruntime");
    expect(r.layers.map((l) => l.name)).toEqual(["stem", "dw", "pw1", "pw2", "sum", "gap", "flat", "logits"]);
    for (const l of r.layers) {
      expect(l.index).toBeUndefined();
      expect(Object.keys(l.byTarget).sort()).toEqual(["onnxruntime", "tflite-micro"]);
      expect(l.byTarget.onnxruntime!.differing).toBe(0);
    }
    expect(r.layers[0]!.arithmetic?.["tflite-micro"]).toBeTruthy();
    expect(r.outputs[0]!.byTarget["tflite-micro"]!.top1Agreement).toBeGreaterThanOrEqual(0);
  });

  test("inputs and every value are NCHW with ONNX's shapes; no TFLite index", () => {
    const twin = makeTwin(3);
    const net = loadOnnx(twin.onnx);
    const x = (randomInputs(net, 1, 4)[0] as Record<string, Int8Array>).x!;
    const r = net.run(x, { target: "tflite-micro", layers: true });
    const ort = net.run(x, { layers: true });
    expect(r.layers!.map((l) => l.output.shape)).toEqual(ort.layers!.map((l) => l.output.shape));
    expect(r.layers![0]!.output.shape).toEqual([1, 8, 4, 4]);
    expect("index" in r.layers![0]!.output).toBe(false);
    // The graph runner itself presents the converted graph in NCHW.
    const g = new GraphNetwork(net.toGraph());
    expect(g.inputs[0]!.shape).toEqual([1, 3, 8, 8]);
    const gr = g.run(x, { target: "tflite-micro", layers: true });
    expect(gr.layers!.find((l) => l.output.name === "stem")!.output.shape).toEqual([1, 8, 4, 4]);
    expect(gr.layers!.every((l) => l.output.index === undefined)).toBe(true);
    expect(Array.from(gr.outputs.logits!.data)).toEqual(Array.from(r.outputs.logits!.data));
    // A Tensor input in any layout means the same bytes.
    const t = { data: nhwcOf(x, [1, 3, 8, 8]), height: 8, width: 8, channels: 3, layout: "HWC" as const, zeroPoint: -5 };
    expect(Array.from(net.run(t, { target: "tflite-micro" }).outputs.logits!.data)).toEqual(Array.from(r.outputs.logits!.data));
  });

  test("a reshape that reorders bytes goes through NCHW order", () => {
    // Flatten of a 4-D tensor with channels and pixels > 1: NCHW order, whatever the graph's layout.
    const inits = [
      tensor("s", DataType.FLOAT, [], Float32Array.of(0.5)), tensor("z", DataType.INT8, [], Int8Array.of(0)),
      tensor("w", DataType.INT8, [2, 3, 1, 1], Int8Array.of(1, 0, 0, 0, 1, 0)), tensor("ws", DataType.FLOAT, [], Float32Array.of(2)),
      tensor("wz", DataType.INT8, [], Int8Array.of(0)),
    ];
    const nodes = [
      node("QLinearConv", ["x", "s", "z", "w", "ws", "wz", "s", "z"], ["c"], [], "pw"),
      node("Flatten", ["c"], ["flat"], [attrInt("axis", 1)], "flatten"),
    ];
    const bytes = modelProto({ graph: graphProto({ name: "flat", nodes, initializers: inits, inputs: [valueInfo("x", DataType.INT8, [1, 3, 2, 2])], outputs: [valueInfo("flat", DataType.INT8, [1, 8])] }), opset: 13 });
    const net = loadOnnx(bytes);
    const x = Int8Array.from({ length: 12 }, (_, i) => i - 6);
    const want = Array.from(net.run(x).outputs.flat!.data);
    expect(Array.from(net.run(x, { target: "tflite-micro" }).outputs.flat!.data)).toEqual(want);
    expect(want.slice(0, 4)).toEqual([-12, -10, -8, -6]); // channel 0 (2x the input channel 0) first: NCHW order
  });

  test("a target that cannot take the model refuses, naming the ONNX node", () => {
    const net = loadOnnx(readFileSync(join(MODELS_DIR, "odd-uint8.qlinear.onnx")));
    const x = randomInputs(net, 1)[0] as never;
    expect(() => net.run(x, { target: "tflite-micro" })).toThrow(UnsupportedOpError);
    expect(() => net.run(x, { target: "tflite-micro" })).toThrow(/^node "stem" \(QLinearConv\): target tflite-micro: .*uint8/);
    expect(() => net.lower("cmsis-nn")).toThrow(UnsupportedOpError);
    expect(() => net.run(x, { target: "nope" as never })).toThrow(RangeError);
    expect(() => net.run(x, { target: "tflite-micro", addRounding: "ort-wasm" })).toThrow(/onnxruntime targets only/);
  });

  test("target onnxruntime-wasm is the ort-wasm rounding of the existing runner", () => {
    const net = loadOnnx(readFileSync(join(MODELS_DIR, "v2-int8.qlinear.onnx")));
    const x = randomInputs(net, 1, 3)[0] as never;
    expect(net.run(x, { target: "onnxruntime-wasm" })).toEqual(net.run(x, { addRounding: "ort-wasm" }));
    expect(net.run(x, { target: "onnxruntime" })).toEqual(net.run(x, { addRounding: "ort-x86" }));
    expect(() => net.run(x, { target: "onnxruntime", addRounding: "ort-wasm" })).toThrow(RangeError);
  });
});
