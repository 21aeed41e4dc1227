// The `onnxruntime` and `onnxruntime-wasm` targets on TFLite models: "the same quantized graph,
// converted to ONNX and run by ONNX Runtime". The strongest check is ONNX Runtime itself: each
// .tflite in ../shared/tflite whose ops ONNX Runtime runs with its quantized kernels (QLinearConv,
// QGemm, QLinearAdd, QLinearGlobalAveragePool, QuantizeLinear / DequantizeLinear) or as byte ops
// is written as the equivalent QLinear ONNX model (test/helpers/graph-to-onnx.ts), run by
// onnxruntime-node (CPU) and onnxruntime-web (WebAssembly, in Node) on the same inputs, and every
// byte of every tensor must equal dwpw's run of the .tflite. The float-path ops are checked against
// an independent float32 computation written here.
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import { init, loadTflite } from "../src/index.js";
import { UnsupportedOpError } from "../src/graph/errors.js";
import type { Graph } from "../src/graph/types.js";
import { reference } from "../src/reference/index.js";
import { bindGraphInputs } from "../src/runner/inputs.js";
import { runLowered } from "../src/runner/run.js";
import { lowerGraph } from "../src/targets/index.js";
import type { GraphNetwork } from "../src/runner/network.js";
import { graphToOnnx } from "./helpers/graph-to-onnx.js";
import { SHARED_TFLITE, sharedMissing, skipMeta } from "./helpers/tflite-dumps.js";
import { rng } from "./helpers/blocks.js";

type Ort = typeof import("onnxruntime-node");
let ort: Ort | null = null;
try {
  ort = createRequire(import.meta.url)("onnxruntime-node") as Ort;
} catch {
  ort = null;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let ortWeb: any = null;

beforeAll(async () => {
  await init();
  try {
    ortWeb = await import("onnxruntime-web");
    ortWeb.env.wasm.numThreads = 1;
  } catch {
    ortWeb = null;
  }
});

const GENERATED = `${SHARED_TFLITE}generated/models/`;
const REAL = `${SHARED_TFLITE}models/`;
const load = (path: string) => loadTflite(readFileSync(path));
/** The models come from ../shared (see test/helpers/shared.ts); the suites reading them skip without it. */
const noModels = sharedMissing("tflite/models", "tflite/generated/models");
const generated = (): string[] => (noModels ? [] : readdirSync(GENERATED));
const noOrt = ort ? null : "onnxruntime-node is not installed";

/** Models whose every op is one of ONNX Runtime's quantized kernels or a byte op. */
const QUANTIZED_KERNEL_MODELS = generated()
  .filter((f) => /^(conv2d|dw|fc|add|maxpool|pad|reshape|concat_channels_same|concat_height|quantize|dequantize)_.*\.tflite$/.test(f) || /global/.test(f))
  .sort();
/** Whole networks: checked up to their first float-path op (the softmax at the end). */
const NETWORKS = [
  ...generated().filter((f) => f.startsWith("net_")).map((f) => GENERATED + f),
  `${REAL}person_detect.tflite`,
  `${REAL}micro_speech_quantized.tflite`,
  `${REAL}hello_world_int8.tflite`,
];

/** Random inputs in each input's dtype (the model's own NHWC bytes). */
function randomInputs(net: GraphNetwork, seed: number): Record<string, Int8Array | Uint8Array | Float32Array> {
  const r = rng(seed);
  const out: Record<string, Int8Array | Uint8Array | Float32Array> = {};
  for (const s of net.inputs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    out[s.name] =
      s.dtype === "float32"
        ? Float32Array.from({ length: n }, () => Math.fround((r() * 2 - 1) * 4))
        : s.dtype === "uint8"
          ? Uint8Array.from({ length: n }, () => Math.floor(r() * 256))
          : Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128);
  }
  return out;
}

/** Every tensor of a dwpw run by tensor index. */
function dwpwTensors(net: GraphNetwork, feed: Record<string, ArrayBufferView>, target: "onnxruntime" | "onnxruntime-wasm", engine: "wasm" | "reference") {
  const res = net.run(feed as never, { target, engine, layers: true });
  const m = new Map<number, ArrayBufferView>();
  for (const l of res.layers!) m.set(l.output.index, l.output.data);
  return m;
}

function bytesOf(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** Index of the first differing byte, or -1. */
function firstDiff(a: ArrayBufferView, b: ArrayBufferView): number {
  const x = bytesOf(a);
  const y = bytesOf(b);
  if (x.length !== y.length) return Math.min(x.length, y.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function runOrt(runtime: any, bytes: Uint8Array, g: Graph, feed: Record<string, ArrayBufferView>, options: Record<string, unknown>) {
  const s = await runtime.InferenceSession.create(bytes, options);
  const ortFeed: Record<string, unknown> = {};
  for (const i of g.inputs) {
    const t = g.tensors[i]!;
    ortFeed[`t${i}`] = new runtime.Tensor(t.dtype, feed[t.name], t.shape);
  }
  const out = await s.run(ortFeed);
  await s.release?.();
  return out as Record<string, { data: ArrayBufferView }>;
}

async function checkAgainstOrt(path: string, wholeGraph: boolean) {
  const net = load(path);
  const g = net.graph;
  const onnx = graphToOnnx(g);
  if (wholeGraph) expect(onnx.stoppedAt, `the ONNX writer stopped at op ${onnx.stoppedAt?.index} (${onnx.stoppedAt?.opcode})`).toBeNull();
  expect(onnx.covered.length).toBeGreaterThan(0);
  let compared = 0;
  for (const seed of [1, 2]) {
    const feed = randomInputs(net, seed * 7919 + path.length);
    const mine = {
      x86: [dwpwTensors(net, feed, "onnxruntime", "wasm"), dwpwTensors(net, feed, "onnxruntime", "reference")],
      wasm: [dwpwTensors(net, feed, "onnxruntime-wasm", "wasm")],
    };
    for (const level of ["disabled", "all"]) {
      const out = await runOrt(ort, onnx.bytes, g, feed, { graphOptimizationLevel: level, intraOpNumThreads: 1 });
      for (const i of onnx.covered) {
        for (const [k, m] of mine.x86.entries()) {
          const d = firstDiff(m.get(i)!, out[`t${i}`]!.data);
          expect(d, `${path} seed ${seed} level ${level} engine ${k ? "reference" : "wasm"}: tensor ${i} ("${g.tensors[i]!.name}") differs from onnxruntime-node at byte ${d}`).toBe(-1);
          compared++;
        }
      }
    }
    if (ortWeb) {
      const out = await runOrt(ortWeb, onnx.bytes, g, feed, { graphOptimizationLevel: "all", executionProviders: ["wasm"] });
      for (const i of onnx.covered) {
        const d = firstDiff(mine.wasm[0]!.get(i)!, out[`t${i}`]!.data);
        expect(d, `${path} seed ${seed}: onnxruntime-wasm tensor ${i} ("${g.tensors[i]!.name}") differs from onnxruntime-web at byte ${d}`).toBe(-1);
      }
    }
  }
  return { compared, stoppedAt: onnx.stoppedAt };
}

describe.skipIf(noOrt ?? noModels)("onnxruntime targets on .tflite models, against ONNX Runtime itself", skipMeta(noOrt ?? noModels), () => {
  for (const f of QUANTIZED_KERNEL_MODELS) {
    it(`${f}: every tensor equals onnxruntime-node (and onnxruntime-web for onnxruntime-wasm)`, async () => {
      await checkAgainstOrt(GENERATED + f, true);
    });
  }
  for (const p of NETWORKS) {
    it(`${p.split("/").pop()}: every tensor up to the first float-path op equals ONNX Runtime`, async () => {
      const { stoppedAt } = await checkAgainstOrt(p, false);
      // Only the float-path ops at the end are left out.
      expect(stoppedAt === null || ["softmax", "mean"].includes(stoppedAt.kind), `stopped at ${stoppedAt?.kind}`).toBe(true);
    }, 120_000);
  }
});

// ---- QLinearAdd: the one place the two targets differ ----

interface AddP {
  sa: number;
  za: number;
  sb: number;
  zb: number;
  sc: number;
  zc: number;
}

/**
 * Three ADDs on NHWC [1, 64, 64, 16] tensors, each covering every (a, b) byte pair: op 0 a + b;
 * op 1 a per-channel constant [1, 1, 1, 16] (first operand) + b (in NHWC, not one value per span:
 * the general x86 formula); op 2 a per-pixel [1, 64, 64, 1] first operand + b (one value per span:
 * x86 folds it first).
 */
function addStressGraph(p: AddP[], perChannel: Int8Array): Graph {
  const shape = [1, 64, 64, 16];
  const q = (s: number, z: number) => ({ scale: Float32Array.of(s), zeroPoint: Int32Array.of(z), axis: 0 });
  const t = (index: number, name: string, sh: number[], quant: ReturnType<typeof q>, data: Uint8Array | null = null) => ({ index, name, dtype: "int8" as const, shape: sh, quant, data, variable: false });
  const [p0, p1, p2] = p as [AddP, AddP, AddP];
  return {
    format: "tflite",
    name: "add-stress",
    tensors: [
      t(0, "a", shape, q(p0.sa, p0.za)),
      t(1, "b", shape, q(p0.sb, p0.zb)),
      t(2, "sum", shape, q(p0.sc, p0.zc)),
      t(3, "per_channel", [1, 1, 1, 16], q(p1.sa, p1.za), new Uint8Array(perChannel.buffer.slice(0))),
      t(4, "b1", shape, q(p1.sb, p1.zb)),
      t(5, "channel_sum", shape, q(p1.sc, p1.zc)),
      t(6, "per_pixel", [1, 64, 64, 1], q(p2.sa, p2.za)),
      t(7, "b2", shape, q(p2.sb, p2.zb)),
      t(8, "pixel_sum", shape, q(p2.sc, p2.zc)),
    ],
    ops: [
      { index: 0, opcode: "ADD", kind: "add", activation: "none", inputs: [0, 1], outputs: [2] },
      { index: 1, opcode: "ADD", kind: "add", activation: "none", inputs: [3, 4], outputs: [5] },
      { index: 2, opcode: "ADD", kind: "add", activation: "none", inputs: [6, 7], outputs: [8] },
    ],
    inputs: [0, 1, 4, 6, 7],
    outputs: [2, 5, 8],
  };
}

describe.skipIf(noOrt)("QLinearAdd rounding: x86-64 (onnxruntime) and WebAssembly (onnxruntime-wasm)", skipMeta(noOrt), () => {
  it("every (a, b) byte pair, with per-channel and per-pixel first operands, equals onnxruntime-node and onnxruntime-web; the two targets differ", async () => {
    const { addWasm, addX86, addX86Constants, addX86ScalarA } = await import("../src/network/arith.js");
    const { GraphNetwork } = await import("../src/runner/network.js");
    const r = rng(0x0add);
    const f32 = Math.fround;
    const params = (): AddP => ({
      sa: f32(Math.exp(-7 + 5 * r())), sb: f32(Math.exp(-7 + 5 * r())), sc: f32(Math.exp(-6 + 4 * r())),
      za: Math.floor(r() * 256) - 128, zb: Math.floor(r() * 256) - 128, zc: Math.floor(r() * 256) - 128,
    });
    const full = (p: AddP) => ({ ...p, lo: -128, hi: 127 });
    type K = ReturnType<typeof addX86Constants>;
    const x86 = (a: number, b: number, k: K) => addX86(a, b, k.rA, k.rB, k.fixed, -128, 127);
    const x86A = (a: number, b: number, k: K) => addX86ScalarA(a, b, k.rA, k.rB, k.fixed, -128, 127);
    /** Parameters where two candidate formulas disagree on at least `min` byte pairs (a, b). */
    const telling = (f: (a: number, b: number, k: K, p: AddP) => number, g: (a: number, b: number, k: K, p: AddP) => number, min: number) => {
      for (let tries = 0; tries < 5000; tries++) {
        const p = params();
        const k = addX86Constants(full(p));
        let d = 0;
        for (let a = -128; a < 128 && d < min; a++) for (let b = -128; b < 128; b++) if (f(a, b, k, p) !== g(a, b, k, p)) d++;
        if (d >= min) return { p, k };
      }
      throw new Error("no telling parameters found");
    };
    const t0 = telling(x86, (a, b, _k, p) => addWasm(a, b, full(p)), 2);
    const t1 = telling(x86, x86A, 2);
    const t2 = telling(x86, x86A, 2);
    // Per-channel constants at the `a` values where the two x86 orders disagree for op 1.
    const tellingA: number[] = [];
    for (let a = -128; a < 128; a++) for (let b = -128; b < 128; b++) if (x86(a, b, t1.k) !== x86A(a, b, t1.k) && !tellingA.includes(a)) tellingA.push(a);
    const perChannel = Int8Array.from({ length: 16 }, (_, c) => tellingA[c % tellingA.length]!);
    const g = addStressGraph([t0.p, t1.p, t2.p], perChannel);
    const net = new GraphNetwork(g);
    const n = 64 * 64 * 16;
    const feed = {
      a: Int8Array.from({ length: n }, (_, i) => -128 + (i >> 8)),
      b: Int8Array.from({ length: n }, (_, i) => -128 + (i & 255)),
      // Every channel sees every byte value (16 times).
      b1: Int8Array.from({ length: n }, (_, i) => -128 + ((i >> 4) & 255)),
      // Pixel p holds a = p mod 256; its 16 channels hold 16 * (p >> 8) + c: every pair once.
      per_pixel: Int8Array.from({ length: n / 16 }, (_, p) => -128 + (p & 255)),
      b2: Int8Array.from({ length: n }, (_, i) => -128 + 16 * ((i >> 4) >> 8) + (i & 15)),
    };
    const mineX86 = dwpwTensors(net, feed, "onnxruntime", "wasm");
    const mineWasm = dwpwTensors(net, feed, "onnxruntime-wasm", "wasm");
    const lowered = net.lower("onnxruntime");
    expect(lowered.map((l) => l.params.aPerSpan)).toEqual([false, false, true]);
    expect(firstDiff(mineX86.get(2)!, mineWasm.get(2)!), "the parameters should tell the two roundings apart").not.toBe(-1);
    const onnx = graphToOnnx(g);
    for (const level of ["disabled", "all"]) {
      const out = await runOrt(ort, onnx.bytes, g, feed, { graphOptimizationLevel: level, intraOpNumThreads: 1 });
      for (const i of [2, 5, 8]) expect(firstDiff(mineX86.get(i)!, out[`t${i}`]!.data), `level ${level}: tensor ${i} differs from onnxruntime-node`).toBe(-1);
    }
    expect(ortWeb, "onnxruntime-web did not load").not.toBeNull();
    const web = await runOrt(ortWeb, onnx.bytes, g, feed, { graphOptimizationLevel: "all", executionProviders: ["wasm"] });
    for (const i of [2, 5, 8]) expect(firstDiff(mineWasm.get(i)!, web[`t${i}`]!.data), `tensor ${i} differs from onnxruntime-web`).toBe(-1);
  }, 120_000);
});

// ---- the float path, against an independent float32 computation ----

const f32 = Math.fround;
function rhe(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}
const dq = (q: number, s: number, z: number) => f32((q - z) * s);
const qz = (x: number, s: number, z: number) => {
  let v = f32(x / s);
  if (!(v >= -128 - z)) v = -128 - z;
  if (v > 127 - z) v = 127 - z;
  return rhe(v) + z;
};

/** One op's expected output: dequantize, the float op written out here, quantize. */
function expectedFloatPath(g: Graph, op: Graph["ops"][number], values: Map<number, ArrayLike<number>>): Int8Array | Float32Array {
  const T = (i: number) => g.tensors[i]!;
  const real = (i: number) => {
    const t = T(i);
    const v = values.get(i) ?? (t.data ? new Int8Array(t.data.slice().buffer) : undefined);
    if (!v) throw new Error(`no value for ${i}`);
    return t.dtype === "float32" ? Array.from(v) : Array.from(v, (q) => dq(q, t.quant!.scale[0]!, t.quant!.zeroPoint[0]!));
  };
  const y = T(op.outputs[0]!);
  const n = y.shape.reduce((a, b) => a * b, 1);
  let out: number[];
  const x = real(op.inputs[0]!);
  switch (op.kind) {
    case "mul":
    case "sub": {
      const b = real(op.inputs[1]!);
      // Broadcasting here is only ever a trailing [1, 1, 1, C] (or a same-shape) operand.
      out = Array.from({ length: n }, (_, i) => {
        const u = x.length === n ? x[i]! : x[i % x.length]!;
        const v = b.length === n ? b[i]! : b[i % b.length]!;
        return f32(op.kind === "mul" ? u * v : u - v);
      });
      break;
    }
    case "mean": {
      // Reduce H and W of NHWC, in pixel order.
      const [N, H, W, C] = T(op.inputs[0]!).shape as [number, number, number, number];
      out = [];
      for (let b = 0; b < N; b++)
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let p = 0; p < H * W; p++) s = f32(s + x[(b * H * W + p) * C + c]!);
          out.push(f32(s / (H * W)));
        }
      break;
    }
    case "softmax": {
      const inner = y.shape[y.shape.length - 1]!;
      const beta = f32(op.beta);
      out = [];
      for (let r = 0; r < n; r += inner) {
        const row = x.slice(r, r + inner).map((v) => (beta === 1 ? v : f32(beta * v)));
        const m = Math.max(...row);
        const e = row.map((v) => f32(Math.exp(f32(v - m))));
        let s = 0;
        for (const v of e) s = f32(s + v);
        out.push(...e.map((v) => f32(v / s)));
      }
      break;
    }
    case "logistic":
      out = x.map((v) => f32(1 / (1 + Math.exp(-v))));
      break;
    case "tanh":
      out = x.map((v) => f32(Math.tanh(v)));
      break;
    case "hardSwish":
      out = x.map((v) => f32(v * Math.min(1, Math.max(0, f32(f32(f32(1 / 6) * v) + 0.5)))));
      break;
    case "leakyRelu":
      out = x.map((v) => (v >= 0 ? v : f32(f32(op.alpha) * v)));
      break;
    case "relu":
      out = x.map((v) => Math.max(0, v));
      break;
    case "relu6":
      out = x.map((v) => Math.min(6, Math.max(0, v)));
      break;
    case "averagePool2d": {
      const [N, H, W, C] = T(op.inputs[0]!).shape as [number, number, number, number];
      const [, Ho, Wo] = y.shape as [number, number, number, number];
      out = [];
      for (let b = 0; b < N; b++)
        for (let oy = 0; oy < Ho; oy++)
          for (let ox = 0; ox < Wo; ox++)
            for (let c = 0; c < C; c++) {
              let s = 0;
              let cnt = 0;
              for (let ky = 0; ky < op.filter[0]; ky++)
                for (let kx = 0; kx < op.filter[1]; kx++) {
                  const iy = oy * op.stride[0] - op.pad.top + ky;
                  const ix = ox * op.stride[1] - op.pad.left + kx;
                  if (iy < 0 || ix < 0 || iy >= H || ix >= W) continue;
                  s = f32(s + x[((b * H + iy) * W + ix) * C + c]!);
                  cnt++;
                }
              out.push(f32(s / cnt));
            }
      break;
    }
    case "concatenation": {
      // Along the last axis.
      const parts = op.inputs.map((i) => ({ v: real(i), c: T(i).shape[T(i).shape.length - 1]! }));
      out = [];
      const rows = n / y.shape[y.shape.length - 1]!;
      for (let r = 0; r < rows; r++) for (const p of parts) out.push(...p.v.slice(r * p.c, (r + 1) * p.c));
      break;
    }
    case "quantize":
      out = x;
      break;
    default:
      throw new Error(`no float path written for ${op.kind}`);
  }
  if ("activation" in op && op.activation !== "none") {
    const [lo, hi] = op.activation === "relu" ? [0, Infinity] : op.activation === "relu6" ? [0, 6] : [-1, 1];
    out = out.map((v) => Math.min(hi, Math.max(lo, v)));
  }
  if (y.dtype === "float32") return Float32Array.from(out);
  return Int8Array.from(out, (v) => qz(v, y.quant!.scale[0]!, y.quant!.zeroPoint[0]!));
}

const FLOAT_PATH_MODELS = generated()
  .filter((f) => /^(avgpool_(2x2|3x3)|mul|sub|mean|softmax_beta|logistic|tanh|hard_swish|leaky_relu|relu|relu6|concat_channels_requantized)/.test(f))
  .sort();

describe.skipIf(noModels)("the float path (DequantizeLinear -> float32 op -> QuantizeLinear)", skipMeta(noModels), () => {
  it("covers the ops ONNX Runtime has no quantized kernel for here", () => {
    expect(FLOAT_PATH_MODELS.length).toBeGreaterThanOrEqual(25);
  });
  for (const f of FLOAT_PATH_MODELS) {
    it(`${f}: every tensor equals an independent float32 computation, on both targets`, () => {
      const net = load(GENERATED + f);
      const g = net.graph;
      for (const l of net.lower("onnxruntime")) if (l.kind !== "quantize" && l.kind !== "concatenation") expect(l.params.path).toBe("float");
      for (const seed of [1, 2, 3]) {
        const feed = randomInputs(net, seed * 31 + f.length);
        const values = new Map<number, ArrayLike<number>>();
        for (const i of g.inputs) values.set(i, feed[g.tensors[i]!.name]! as ArrayLike<number>);
        for (const op of g.ops) values.set(op.outputs[0]!, expectedFloatPath(g, op, values));
        for (const target of ["onnxruntime", "onnxruntime-wasm"] as const) {
          const got = dwpwTensors(net, feed, target, "wasm");
          for (const op of g.ops) {
            const i = op.outputs[0]!;
            const d = firstDiff(got.get(i)!, values.get(i) as unknown as ArrayBufferView);
            expect(d, `${f} seed ${seed} ${target}: tensor ${i} (${op.kind}) differs at byte ${d}`).toBe(-1);
          }
        }
      }
    });
  }
});

describe.skipIf(noModels)("what the onnxruntime targets refuse, and what lower() shows", skipMeta(noModels), () => {
  it("SVDF and int16 tensors are UnsupportedOpErrors naming the op", () => {
    const svdf = load(`${REAL}keyword_scrambled_8bit.tflite`);
    // Its first op already reads an int16 tensor; the SVDF ops on their own are refused by name.
    expect(() => svdf.lower("onnxruntime")).toThrow(UnsupportedOpError);
    const g = svdf.graph;
    const onlySvdf = { ...g, ops: g.ops.filter((o) => o.kind === "svdf") };
    expect(onlySvdf.ops.length).toBeGreaterThan(0);
    expect(() => lowerGraph(onlySvdf, "onnxruntime")).toThrow(/op \d+ \(SVDF\): SVDF/);
    const int16 = load(`${GENERATED}softmax_int8_in_int16_out_1x10.tflite`);
    expect(() => int16.run(new Int8Array(10), { target: "onnxruntime-wasm" })).toThrow(/op 0 \(SOFTMAX\).*int16/);
  });

  it("lower() shows QLinearConv's per-channel float32 scales, zero points and clamp bounds", () => {
    const net = load(`${GENERATED}conv2d_3x3_s1_same_c3to8_relu6.tflite`);
    const g = net.graph;
    const [conv] = net.lower("onnxruntime");
    const op = g.ops[0]!;
    const x = g.tensors[op.inputs[0]!]!.quant!;
    const w = g.tensors[op.inputs[1]!]!.quant!;
    const y = g.tensors[op.outputs[0]!]!.quant!;
    const p = conv!.params;
    expect(p.onnxOp).toBe("QLinearConv");
    expect(p.scale).toBeInstanceOf(Float32Array);
    expect(Array.from(p.scale as Float32Array)).toEqual(Array.from(w.scale, (s) => f32(f32(x.scale[0]! * s) / y.scale[0]!)));
    expect(p.inputZeroPoint).toBe(x.zeroPoint[0]);
    expect(p.outputZeroPoint).toBe(y.zeroPoint[0]);
    // RELU6: the bounds QuantizeLinear gives for 0 and 6.
    expect([p.min, p.max]).toEqual([Math.max(-128, y.zeroPoint[0]!), Math.min(127, rhe(f32(6 / y.scale[0]!)) + y.zeroPoint[0]!)]);
    // The targets differ only in QLinearAdd.
    const v2 = load(`${GENERATED}net_mobilenet_v2_like.tflite`);
    const a = v2.lower("onnxruntime");
    const b = v2.lower("onnxruntime-wasm");
    a.forEach((l, i) => {
      if (l.kind !== "add") expect(b[i]!.params).toEqual(l.params);
      else expect(b[i]!.params.rounding).not.toEqual(l.params.rounding);
    });
  });

  it("every convolution and fully connected layer of int8 weights runs on the WebAssembly kernels, with the bytes of the reference engine and of the TypeScript loops", () => {
    const files = QUANTIZED_KERNEL_MODELS.filter((f) => /^(conv2d|dw|fc)_/.test(f)).map((f) => GENERATED + f);
    const seen = new Set<string>();
    for (const path of [...files, `${GENERATED}net_mobilenet_v2_like.tflite`]) {
      const net = load(path);
      const lowered = lowerGraph(net.graph, "onnxruntime");
      for (const l of lowered.layers) {
        if (!["conv2d", "depthwiseConv2d", "fullyConnected"].includes(l.op.kind)) continue;
        expect(l.params.kernel, `${path}: op ${l.op.index} (${l.op.kind})`).not.toBe("typescript");
        seen.add(String(l.params.kernel));
      }
      const feed = randomInputs(net, 5);
      const a = dwpwTensors(net, feed, "onnxruntime", "wasm");
      const b = dwpwTensors(net, feed, "onnxruntime", "reference");
      // A run context without a general runner: every weighted layer takes its TypeScript loops.
      const loops = runLowered(lowered, bindGraphInputs(net.graph, feed as never), { layers: true, ctx: { conv: reference.conv } });
      const c = new Map(loops.layers!.map((l) => [l.output.index, l.output.data] as const));
      for (const [i, v] of a) {
        expect(firstDiff(v, b.get(i)!), `${path}: tensor ${i}, kernels against the reference engine`).toBe(-1);
        expect(firstDiff(v, c.get(i)!), `${path}: tensor ${i}, kernels against the TypeScript loops`).toBe(-1);
      }
    }
    expect([...seen].sort()).toEqual(["wasm depthwise", "wasm general", "wasm pointwise"]);
  });
});
