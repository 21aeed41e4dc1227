// Arguments whose accessors answer one value when first read and another afterwards (a getter that
// counts its reads). Every public entry reads what it was given once, before validating, and
// computes from that snapshot only; so each call below must give exactly what the same call gives
// on plain values equal to the first answers, and read each changing field at most once. Before
// snapshots, these calls trapped (height 6 then 65536), returned 600 rows computed from stale
// memory (6 then 600), computed with the previous call's weights (right weights, then 1 byte),
// with an out-of-range zero point (0 then 1e6), or returned a tensor with layout "bogus".
//
// The package runs from the private JavaScript build (test/helpers/robustness.ts) so that the
// worker pools, whose workers load JavaScript, run the same code as the other entries.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as Dwpw from "../src/index.js";
import type { ConvOp, DepthwiseOp, PointwiseOp, Tensor } from "../src/types.js";
import { ROOT, compiledPackage } from "./helpers/robustness.js";

let lib: typeof Dwpw;
let scalar: Dwpw.Engine;
let validate: typeof import("../src/validate.js");
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  const dir = compiledPackage();
  lib = (await import(pathToFileURL(join(dir, "index.js")).href)) as typeof Dwpw;
  validate = (await import(pathToFileURL(join(dir, "validate.js")).href)) as typeof import("../src/validate.js");
  await lib.init();
  scalar = await lib.createEngine({ simd: false });
}, 120_000);

afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

// ---- The base layer pair: 6x5x8 int8 HWC, depthwise 3x3 (pad 1) then pointwise 8 -> 4 ----------
const H = 6, W = 5, C = 8, CO = 4;
const requant = (n: number) => ({ scheme: "tflite" as const, multiplier: new Array(n).fill(1_500_000_000), shift: new Array(n).fill(-6), outputZeroPoint: 3, min: -128, max: 127 });
const baseInput = (): Tensor => ({ data: Int8Array.from({ length: H * W * C }, (_, i) => ((i * 37) % 256) - 128), height: H, width: W, channels: C, layout: "HWC", zeroPoint: 0 });
const baseDw = (): DepthwiseOp => ({
  kind: "depthwise", kernel: [3, 3], stride: [1, 1], pad: { top: 1, left: 1, bottom: 1, right: 1 },
  weights: Int8Array.from({ length: C * 9 }, (_, i) => ((i * 11) % 255) - 127), bias: Int32Array.from({ length: C }, (_, i) => i * 100 - 300), requant: requant(C),
});
const basePw = (): PointwiseOp => ({ kind: "pointwise", outChannels: CO, weights: Int8Array.from({ length: CO * C }, (_, i) => ((i * 29) % 255) - 127), bias: null, requant: requant(CO) });

/** A copy of `o` whose `key` answers `first` on the first read and `later` on every other; counts reads. */
function flipping<T extends object>(o: T, key: string, first: unknown, later: unknown): { value: T; reads: () => number } {
  let n = 0;
  const copy = { ...o } as Record<string, unknown>;
  Object.defineProperty(copy, key, { enumerable: true, configurable: true, get: () => (n++ === 0 ? first : later) });
  return { value: copy as T, reads: () => n };
}

/** The changing field of each case: where it is, its first (valid) answer and its later one. */
interface Flip {
  name: string;
  target: "input" | "op";
  key: string;
  first: (input: Tensor, op: ConvOp) => unknown;
  later: (input: Tensor, op: ConvOp) => unknown;
}

const FLIPS: Flip[] = [
  { name: "height 6 then 65536", target: "input", key: "height", first: (i) => i.height, later: () => 65536 },
  { name: "height 6 then 600", target: "input", key: "height", first: (i) => i.height, later: (i) => i.height * 100 },
  { name: "weights right then a 1-byte array", target: "op", key: "weights", first: (_, o) => o.weights, later: () => new Int8Array(1) },
  { name: "zeroPoint 0 then 1e6", target: "input", key: "zeroPoint", first: (i) => i.zeroPoint, later: () => 1e6 },
  { name: 'layout "HWC" then "bogus"', target: "input", key: "layout", first: (i) => i.layout, later: () => "bogus" },
];

/** Something comparable out of a result: bytes and geometry of tensors, JSON of the rest. */
function outcome(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (ArrayBuffer.isView(x) ? `${x.constructor.name}[${Array.from(x as Int8Array).join(",")}]` : x));
}

/** One entry point: runs (input, op) — `op` is the layer the flip applies to — and returns its outcome. */
interface Entry {
  name: string;
  /** The op the entry takes (the other op of the block stays plain). */
  op: "dw" | "pw";
  run(input: Tensor, op: ConvOp): unknown;
}

const other = (op: ConvOp): [ConvOp, ConvOp] => (op.kind === "depthwise" ? [op, basePw()] : [basePw(), op]);
const pwInput = (): Tensor => baseInput(); // pointwise reads the same 8-channel input

const ENTRIES: Entry[] = [
  { name: "depthwise", op: "dw", run: (i, o) => lib.depthwise(i, o as DepthwiseOp) },
  { name: "pointwise", op: "pw", run: (i, o) => lib.pointwise(i, o as PointwiseOp) },
  { name: "conv", op: "dw", run: (i, o) => lib.conv(i, o) },
  { name: "reference.depthwise", op: "dw", run: (i, o) => lib.reference.depthwise(i, o as DepthwiseOp) },
  { name: "reference.pointwise", op: "pw", run: (i, o) => lib.reference.pointwise(i, o as PointwiseOp) },
  { name: "reference.conv", op: "pw", run: (i, o) => lib.reference.conv(i, o) },
  { name: "Engine.conv (scalar build)", op: "dw", run: (i, o) => scalar.conv(i, o) },
  {
    // prepare takes a layer checked earlier: the input it is given is read once, and must be the one checked.
    name: "Engine.prepare",
    op: "dw",
    run: (i, o) => {
      const k = scalar.prepare(i, validate.checkConv(i, o));
      k.run();
      return k.output();
    },
  },
  { name: "block", op: "dw", run: (i, o) => lib.block(i, other(o)).output },
  { name: "block (pw first)", op: "pw", run: (i, o) => lib.block(i, [o, { ...baseDw(), weights: baseDw().weights.subarray(0, CO * 9), bias: null, requant: requant(CO) }]).output },
  { name: "plan", op: "dw", run: (i, o) => lib.plan(i, other(o)) },
  { name: "check", op: "dw", run: (i, o) => lib.check({ input: i, ops: other(o) }, { target: "pulp-nn" }) },
  { name: "check (one layer)", op: "pw", run: (i, o) => lib.check({ input: i, op: o }, { target: "dory-fused" }) },
];

describe("values that change after the first read: every entry computes from its first answers", () => {
  for (const flip of FLIPS) {
    describe(flip.name, () => {
      for (const e of ENTRIES) {
        it(e.name, () => {
          const input = e.op === "pw" ? pwInput() : baseInput();
          const op = e.op === "pw" ? basePw() : baseDw();
          // Engine.prepare reads its input twice by design (checkConv, then prepare): a second
          // answer that differs is refused there; the first answers alone must give the plain bytes.
          const expected = outcome(e.run(input, op));
          const f = flip.target === "input"
            ? flipping(input, flip.key, flip.first(input, op), flip.later(input, op))
            : flipping(op, flip.key, flip.first(input, op), flip.later(input, op));
          const args: [Tensor, ConvOp] = flip.target === "input" ? [f.value as Tensor, op] : [input, f.value as ConvOp];
          if (e.name === "Engine.prepare" && flip.target === "input") {
            let err: unknown = null;
            let got: unknown;
            try {
              got = e.run(...args);
            } catch (x) {
              err = x;
            }
            if (err === null) expect(outcome(got)).toBe(expected);
            else expect(err instanceof RangeError || err instanceof TypeError, String(err)).toBe(true);
            expect(f.reads()).toBeLessThanOrEqual(2);
          } else {
            expect(outcome(e.run(...args))).toBe(expected);
            expect(f.reads(), "the changing field is read once").toBe(1);
          }
          // And the engines' next plain call is exact.
          expect(outcome(lib.conv(baseInput(), baseDw()))).toBe(outcome(lib.reference.conv(baseInput(), baseDw())));
        });
      }
    });
  }

  it("a Proxy input whose answers change per read is read once per field", () => {
    const reads = new Map<PropertyKey, number>();
    const input = baseInput();
    const p = new Proxy(input, {
      get(t, k, r) {
        const n = (reads.get(k) ?? 0) + 1;
        reads.set(k, n);
        if (k === "height" && n > 1) return 65536;
        if (k === "channels" && n > 1) return 1;
        return Reflect.get(t, k, r);
      },
    });
    expect(outcome(lib.conv(p, baseDw()))).toBe(outcome(lib.conv(baseInput(), baseDw())));
    for (const [k, n] of reads) expect(n, String(k)).toBe(1);
  });

  it("options whose answers change: block/plan read memory, tiling and schedule once", () => {
    const expected = outcome(lib.plan(baseInput(), [baseDw(), basePw()], { schedule: "unfused", tiling: { dwRows: 2 }, memory: { l1Usable: 20000 } }));
    const mem = flipping({}, "l1Usable", 20000, 1);
    const tiling = flipping({}, "dwRows", 2, 1e9);
    const opts = flipping({ memory: mem.value, tiling: tiling.value }, "schedule", "unfused", "dw-pw/HWC-HWC-HWC/rows");
    expect(outcome(lib.plan(baseInput(), [baseDw(), basePw()], opts.value))).toBe(expected);
    expect([mem.reads(), tiling.reads(), opts.reads()]).toEqual([1, 1, 1]);
  });
});

// ---- Worker pools and the ONNX network's input -----------------------------------------------
const MODEL = join(ROOT, "fixtures", "models", "odd-int8.qlinear.onnx");

/** A quantized Tensor the network takes (for a float input: the output of its QuantizeLinear). */
function networkTensor(net: Dwpw.Network): Tensor {
  const spec = net.inputs[0]!;
  let target = spec;
  if (!spec.quant) {
    const q = net.layers.find((l) => l.kind === "quantize" && l.inputs[0] === spec.name)!;
    target = net.graph.values.get(q.output)!;
  }
  const [, c, h, w] = target.shape as [number, number, number, number];
  const n = c * h * w;
  const data = target.quant!.dtype === "int8" ? Int8Array.from({ length: n }, (_, i) => ((i * 13) % 256) - 128) : Uint8Array.from({ length: n }, (_, i) => (i * 13) % 256);
  return { data, height: h, width: w, channels: c, layout: "HWC", zeroPoint: target.quant!.zeroPoint };
}

const INPUT_FLIPS = FLIPS.filter((f) => f.target === "input");

describe("the network's run input and the worker pools read their inputs once", () => {
  it("Network.run: each input flip gives the plain run's outputs", () => {
    const net = lib.loadOnnx(new Uint8Array(readFileSync(MODEL)));
    const t = networkTensor(net);
    const expected = outcome(net.run(t).outputs);
    for (const flip of INPUT_FLIPS) {
      const f = flipping(t, flip.key, flip.first(t, baseDw()), flip.later(t, baseDw()));
      expect(outcome(net.run(f.value).outputs), flip.name).toBe(expected);
      expect(f.reads(), flip.name).toBe(1);
      // As a record by input name, too.
      const g = flipping(t, flip.key, flip.first(t, baseDw()), flip.later(t, baseDw()));
      expect(outcome(net.run({ [net.inputs[0]!.name]: g.value }).outputs), `${flip.name} (record)`).toBe(expected);
      expect(g.reads()).toBe(1);
    }
  });

  it("Network.run: an onLayer callback that changes the input's bytes mid-run does not change the result", () => {
    const net = lib.loadOnnx(new Uint8Array(readFileSync(MODEL)));
    const t = networkTensor(net);
    const expected = outcome(net.run(t).outputs);
    const mine = { ...t, data: t.data.slice() };
    const got = net.run(mine, { onLayer: () => void mine.data.fill(7) });
    expect(outcome(got.outputs)).toBe(expected);
  });

  it("layersPool: flipping ops at creation and flipping inputs at run give one thread's bytes", async () => {
    const expected = outcome(lib.conv(lib.conv(baseInput(), baseDw()), basePw()));
    const w = flipping(baseDw(), "weights", baseDw().weights, new Int8Array(1));
    const pool = await lib.layersPool([w.value, basePw()], { workers: 1 });
    open.push(pool);
    expect(w.reads()).toBe(1);
    for (const flip of INPUT_FLIPS) {
      const input = baseInput();
      const f = flipping(input, flip.key, flip.first(input, baseDw()), flip.later(input, baseDw()));
      const [out] = await pool.run([f.value]);
      expect(outcome(out), flip.name).toBe(expected);
      expect(f.reads(), flip.name).toBe(1);
    }
  }, 60_000);

  it("networkPool: flipping inputs give one thread's outputs; the model bytes are copied when the pool is made", async () => {
    const bytes = new Uint8Array(readFileSync(MODEL));
    const net = lib.loadOnnx(bytes);
    const t = networkTensor(net);
    const expected = outcome(net.run(t).outputs);
    const starting = lib.networkPool(bytes, { workers: 1 });
    bytes.fill(0); // the workers start after this: they must load the copy taken when the pool was made
    const pool = await starting;
    open.push(pool);
    for (const flip of INPUT_FLIPS) {
      const f = flipping(t, flip.key, flip.first(t, baseDw()), flip.later(t, baseDw()));
      const [r] = await pool.run([f.value]);
      expect(outcome(r!.outputs), flip.name).toBe(expected);
      expect(f.reads(), flip.name).toBe(1);
    }
  }, 60_000);
});
