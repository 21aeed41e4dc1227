// Hostile model files. Truncated, bit-flipped, oversized and garbage ONNX files,
// graphs with cycles or missing initializers, absurd tensor dimensions: each load gives a clean
// error (OnnxError, a RangeError, or a TypeError) in bounded time and memory, or a network that
// then runs (or is rejected) cleanly. Never a hang, a trap, or another kind of error.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../src/index.js";
import { OnnxError, loadOnnx } from "../src/onnx/index.js";
import type { Network } from "../src/network/network.js";
import * as P from "../scripts/onnx/proto.mjs";
import { ROOT } from "./helpers/robustness.js";

const MODELS = join(ROOT, "fixtures", "models");
const FILES = ["odd-int8.qlinear.onnx", "odd-uint8.qdq.onnx", "v1-int8-auto.qlinear.onnx", "v1-int8-auto.qdq.onnx", "add-stress-int8.qlinear.onnx"];
const bytesOf = (f: string) => new Uint8Array(readFileSync(join(MODELS, f)));

/** Time allowed for one load (or one load and run of a tiny fixture), generous for a loaded CI machine. */
const BOUND_MS = 5000;

beforeAll(async () => {
  await init();
});

function clean(e: unknown): boolean {
  return e instanceof OnnxError || e instanceof RangeError || e instanceof TypeError;
}

const describeError = (e: unknown) => (e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e));

/** A valid input for every graph input (float tensors as floats, quantized ones as their dtype). */
function inputsFor(net: Network): Record<string, Float32Array | Int8Array | Uint8Array> {
  const out: Record<string, Float32Array | Int8Array | Uint8Array> = {};
  for (const spec of net.inputs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(n) || n > 1 << 24) throw new RangeError(`input ${spec.name} too large for the test (${spec.shape})`);
    const q = spec.quant as { dtype?: string } | null;
    out[spec.name] = q === null ? new Float32Array(n).map((_, i) => Math.sin(i)) : q.dtype === "uint8" ? new Uint8Array(n) : new Int8Array(n);
  }
  return out;
}

/** Loads (and, when it loads, runs) `bytes`: a result or a clean error, within the time bound. */
function loadAndRun(bytes: Uint8Array, what: string): "loaded" | "rejected" {
  const t0 = performance.now();
  let net: Network | null = null;
  let err: unknown = null;
  try {
    net = loadOnnx(bytes);
  } catch (e) {
    err = e;
  }
  expect(err === null || clean(err), `${what}: ${describeError(err)}`).toBe(true);
  if (net) {
    try {
      net.run(inputsFor(net));
    } catch (e) {
      expect(clean(e), `${what}, run: ${describeError(e)}`).toBe(true);
    }
  }
  expect(performance.now() - t0, what).toBeLessThan(BOUND_MS);
  return net ? "loaded" : "rejected";
}

describe("ONNX files that are damaged", () => {
  it("the fixtures themselves load and run", () => {
    for (const f of FILES) expect(loadAndRun(bytesOf(f), f)).toBe("loaded");
  });

  it("every truncation is rejected cleanly and quickly", () => {
    for (const f of FILES) {
      const b = bytesOf(f);
      const cuts = new Set<number>([0, 1, 2, 3, b.length - 1, b.length - 2]);
      for (let i = 0; i < 60; i++) cuts.add(Math.floor((i / 60) * b.length));
      let rejected = 0;
      for (const n of cuts) if (loadAndRun(b.subarray(0, n), `${f} cut at ${n}`) === "rejected") rejected++;
      expect(rejected).toBeGreaterThan(cuts.size / 2);
    }
  });

  it("bit flips: a clean error or a network that runs cleanly", () => {
    fc.assert(
      fc.property(fc.constantFrom(...FILES), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }), (f, flips) => {
        const b = bytesOf(f);
        for (const [at, bit] of flips) b[at % b.length] = (b[at % b.length]! ^ (1 << bit)) as number;
        loadAndRun(b, `${f} with bits flipped at ${flips.map(([a, k]) => `${a % b.length}.${k}`).join(",")}`);
      }),
      { numRuns: 150 },
    );
  });

  it("random bytes, empty files, and a large garbage file are OnnxErrors", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => void loadAndRun(b, `random ${b.length} bytes`)),
      { numRuns: 200 },
    );
    for (const b of [new Uint8Array(0), new Uint8Array(1 << 20).fill(0xff), new Uint8Array(1 << 20).fill(0x0a), new TextEncoder().encode("not an onnx file")]) {
      expect(loadAndRun(b, `${b.length} bytes of ${b[0]}`)).toBe("rejected");
    }
  });

  it("loadOnnx of something that is not bytes is a TypeError or OnnxError", () => {
    for (const v of [null, undefined, "model.onnx", 42, {}, [1, 2, 3], new Float32Array(4), new ArrayBuffer(8)]) {
      let err: unknown = null;
      try {
        loadOnnx(v as never);
      } catch (e) {
        err = e;
      }
      expect(clean(err), `${String(v)}: ${describeError(err)}`).toBe(true);
    }
  });

  it("a file concatenated with itself (protobuf merges repeated fields) is clean", () => {
    for (const f of FILES) {
      const b = bytesOf(f);
      const twice = new Uint8Array(2 * b.length);
      twice.set(b);
      twice.set(b, b.length);
      loadAndRun(twice, `${f} twice`);
    }
  });
});

// ---- Hand-made graphs --------------------------------------------------------------------------
const F = P.DataType.FLOAT, I8 = P.DataType.INT8, I32 = P.DataType.INT32;
const scalarF = (name: string, v: number) => P.tensor(name, F, [], Float32Array.of(v));
const scalarQ = (name: string) => P.tensor(name, I8, [], Int8Array.of(0));

/** One QLinearConv (1x1, 4 -> 4 channels) on a 1x4x4x4 int8 input, with the parts a test can replace. */
function convModel(o: { x?: string; out?: string; extraNodes?: Uint8Array[]; dropInit?: string; wDims?: number[]; wData?: Int8Array; inShape?: number[]; nodes?: Uint8Array[] } = {}): Uint8Array {
  const inits = [
    scalarF("xs", 0.05), scalarQ("xz"), scalarF("ys", 0.1), scalarQ("yz"),
    P.tensor("w", I8, o.wDims ?? [4, 4, 1, 1], o.wData ?? new Int8Array(16).fill(3)),
    P.tensor("ws", F, [4], new Float32Array(4).fill(0.02)), P.tensor("wz", I8, [4], new Int8Array(4)),
    P.tensor("b", I32, [4], new Int32Array(4)),
  ].filter((_, i) => ["xs", "xz", "ys", "yz", "w", "ws", "wz", "b"][i] !== o.dropInit);
  const conv = P.node("QLinearConv", [o.x ?? "x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], [o.out ?? "y"], [P.attrInts("kernel_shape", [1, 1])], "conv");
  return P.model({
    opset: 13,
    graph: P.graph({
      name: "g",
      nodes: o.nodes ?? [conv, ...(o.extraNodes ?? [])],
      initializers: inits,
      inputs: [P.valueInfo("x", I8, o.inShape ?? [1, 4, 4, 4])],
      outputs: [P.valueInfo("y", I8, [1, 4, 4, 4])],
    }),
  });
}

function expectRejected(bytes: Uint8Array, what: string, message?: RegExp): void {
  const t0 = performance.now();
  let err: unknown = null;
  try {
    loadOnnx(bytes);
  } catch (e) {
    err = e;
  }
  expect(clean(err), `${what}: ${describeError(err)}`).toBe(true);
  if (message) expect((err as Error).message, what).toMatch(message);
  expect(performance.now() - t0, what).toBeLessThan(BOUND_MS);
}

describe("ONNX graphs that are malformed", () => {
  it("the hand-made model is valid (so the variants below fail for their one defect)", () => {
    expect(loadAndRun(convModel(), "hand-made conv")).toBe("loaded");
  });

  it("a cycle between two nodes is rejected (no hang, no stack overflow)", () => {
    const a = P.node("QLinearConv", ["y2", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["y1"], [P.attrInts("kernel_shape", [1, 1])], "a");
    const b = P.node("QLinearConv", ["y1", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["y2"], [P.attrInts("kernel_shape", [1, 1])], "b");
    const c = P.node("QLinearConv", ["y2", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["y"], [P.attrInts("kernel_shape", [1, 1])], "c");
    expectRejected(convModel({ nodes: [a, b, c] }), "cycle a <-> b");
    const self = P.node("QLinearConv", ["y", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["y"], [P.attrInts("kernel_shape", [1, 1])], "self");
    expectRejected(convModel({ nodes: [self] }), "self-loop");
  });

  it("a long chain of nodes (deep graph) loads in bounded time", () => {
    const nodes: Uint8Array[] = [];
    const N = 400;
    for (let i = 0; i < N; i++) {
      nodes.push(P.node("QLinearConv", [i === 0 ? "x" : `t${i}`, "xs", "xz", "w", "ws", "wz", "xs", "xz", "b"], [i === N - 1 ? "y" : `t${i + 1}`], [P.attrInts("kernel_shape", [1, 1])], `n${i}`));
    }
    loadAndRun(convModel({ nodes }), `${N} chained convs`);
  });

  for (const name of ["w", "ws", "xs", "yz", "b"]) {
    it(`a missing initializer (${name}) is rejected`, () => expectRejected(convModel({ dropInit: name }), `without ${name}`));
  }

  it("an input nobody produces, and an output nobody produces, are rejected", () => {
    expectRejected(convModel({ x: "ghost" }), "conv reads ghost");
    expectRejected(convModel({ out: "z" }), "graph output y never produced");
  });

  it("absurd initializer dimensions are rejected without allocating them", () => {
    const heap0 = process.memoryUsage().heapUsed;
    for (const wDims of [[2 ** 31, 2 ** 31, 1, 1], [1e15, 4, 1, 1], [-4, 4, 1, 1], [4, 4, 65536, 65536], [0, 4, 1, 1], [4, 4, 1]]) {
      expectRejected(convModel({ wDims }), `weights dims ${wDims}`);
    }
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(256 * 2 ** 20);
  });

  it("raw data shorter or longer than the dims say is rejected", () => {
    expectRejected(convModel({ wData: new Int8Array(15) }), "15 weight bytes for 16");
    expectRejected(convModel({ wData: new Int8Array(17) }), "17 weight bytes for 16");
  });

  it("absurd input shapes are rejected at load or at run, without allocating them", () => {
    const heap0 = process.memoryUsage().heapUsed;
    for (const inShape of [[1, 4, 65536, 65536], [1, 4, 2 ** 31, 1], [1, 4, -1, 4], [1, 4, 0, 4], [2, 4, 4, 4], [1, 4, 4]]) {
      let err: unknown = null;
      const t0 = performance.now();
      try {
        const net = loadOnnx(convModel({ inShape }));
        const n = net.inputs[0]!.shape.reduce((a, b) => a * b, 1);
        if (n <= 1 << 20) net.run(inputsFor(net));
        // Too large to allocate: a small input must be rejected on its length, without allocating.
        else net.run(new Int8Array(64));
      } catch (e) {
        err = e;
      }
      expect(err === null || clean(err), `input ${inShape}: ${describeError(err)}`).toBe(true);
      expect(performance.now() - t0).toBeLessThan(BOUND_MS);
    }
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(256 * 2 ** 20);
  });

  it("an unknown op is an OnnxError naming the node", () => {
    const n = P.node("FrobnicateLinear", ["x"], ["y"], [], "frob");
    expectRejected(convModel({ nodes: [n] }), "unknown op", /frob/);
  });
});
