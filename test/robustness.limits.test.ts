// Limits: sizes beyond what WebAssembly memory (or the modelled L1/L2) can hold,
// typed arrays that lie about their extent, views the kernels must read correctly (shared,
// resizable, offset), and state that must never leak from one call into the next.
//
// Nothing here allocates the sizes it talks about: a 60000 x 60000 tensor is a small typed array
// (or a Proxy) that claims to be one, and the checks must reject it before anything is allocated.
import { beforeAll, describe, expect, it } from "vitest";
import * as dwpw from "../src/index.js";
import type { ConvOp, DepthwiseOp, PointwiseOp, Tensor } from "../src/index.js";
import { createEngine, type Engine } from "../src/engine.js";
import { MAX_MEMORY_BYTES } from "../src/wasm/arena.js";
import { MAX_ELEMENTS } from "../src/validate.js";
import { Rng, blockOutputLayout, randomBlock, randomLayer, referenceBlock, tensorDiff } from "../scripts/soak.mjs";

type Case = { input: Tensor; op: ConvOp };

let scalar: Engine;
let simd: Engine;
beforeAll(async () => {
  await dwpw.init();
  scalar = await createEngine({ simd: false });
  simd = await createEngine({ simd: true });
});

const rq = { scheme: "tflite" as const, multiplier: [1 << 30], shift: [-1], outputZeroPoint: 0, min: -128, max: 127 };
const tensor = (data: Int8Array | Uint8Array, height: number, width: number, channels: number, layout: "HWC" | "CHW" = "HWC"): Tensor =>
  ({ data, height, width, channels, layout, zeroPoint: 0 });
const dwOp = (c: number, k = 3, extra: Partial<DepthwiseOp> = {}): DepthwiseOp => ({
  kind: "depthwise", kernel: [k, k], stride: [1, 1], pad: { top: 1, left: 1, bottom: 1, right: 1 },
  weights: new Int8Array(c * k * k).map((_, i) => (i * 7) % 255 - 127), requant: rq, ...extra,
});
const pwOp = (c: number, co: number, extra: Partial<PointwiseOp> = {}): PointwiseOp => ({
  kind: "pointwise", outChannels: co, weights: new Int8Array(c * co).map((_, i) => (i * 5) % 255 - 127), requant: rq, ...extra,
});
const ramp = (n: number) => new Int8Array(n).map((_, i) => (i * 37) % 256 - 128);

function rejection(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return null;
}

/** Every way of running one layer: both engines, the default engine's entry points, the reference. */
const runners = (): Array<[string, (i: Tensor, o: ConvOp) => unknown]> => [
  ["conv", (i, o) => dwpw.conv(i, o)],
  ["scalar", (i, o) => scalar.conv(i, o)],
  ["simd", (i, o) => simd.conv(i, o)],
  ["reference", (i, o) => dwpw.reference.conv(i, o)],
];

/** A valid layer whose bytes every engine must still reproduce after a rejection. */
function expectStillExact(seed = 1): void {
  const c = randomLayer(new Rng(seed)) as Case;
  const want = dwpw.reference.conv(c.input, c.op);
  for (const e of [dwpw.defaultEngine(), scalar, simd]) expect(tensorDiff(e.conv(c.input, c.op), want)).toBe("");
}

const memories = () => [dwpw.defaultEngine(), scalar, simd].map((e) => e.arena.memoryBytes);

describe("sizes beyond the limits are rejected before anything is allocated", () => {
  it("a 60000 x 60000 x 1 tensor held in 16 bytes: the size error comes before the length error", () => {
    const before = memories();
    const huge = tensor(new Int8Array(16), 60000, 60000, 1);
    for (const [name, run] of runners()) {
      const err = rejection(() => run(huge, dwOp(1)));
      expect(err, name).toBeInstanceOf(RangeError);
      expect((err as Error).message, name).toMatch(/^input has 3600000000 elements; at most 268435456/);
    }
    for (const run of [dwpw.block, dwpw.plan] as Array<(i: Tensor, o: [ConvOp, ConvOp]) => unknown>) {
      expect(rejection(() => run(huge, [dwOp(1), pwOp(1, 1)]))).toBeInstanceOf(RangeError);
    }
    expect(memories()).toEqual(before);
    expectStillExact();
  });

  it("a Proxy claiming 3.6e9 elements is rejected on its claimed size without reading it", () => {
    const reads: PropertyKey[] = [];
    const data = new Proxy(new Int8Array(16), {
      get(t, k) {
        reads.push(k);
        return k === "length" ? 3.6e9 : Reflect.get(t, k);
      },
    });
    const err = rejection(() => dwpw.conv(tensor(data, 60000, 60000, 1), dwOp(1)));
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toMatch(/elements; at most/);
    expect(reads.filter((k) => typeof k === "string" && /^\d+$/.test(k))).toEqual([]); // no element read
    expectStillExact();
  });

  it("every dimension past 65536, and element counts past 2^28, are RangeErrors naming the field", () => {
    const cases: Array<[Tensor, ConvOp, RegExp]> = [
      [tensor(new Int8Array(1), 65537, 1, 1), dwOp(1, 1), /input\.height/],
      [tensor(new Int8Array(1), 1, 2 ** 31, 1), dwOp(1, 1), /input\.width/],
      [tensor(new Int8Array(1), 1, 1, 1e300), dwOp(1, 1), /input\.channels/],
      [tensor(new Int8Array(1), 16384, 16384, 2), dwOp(2, 1), /input has 536870912 elements/],
      [tensor(new Int8Array(16384), 128, 128, 1), { ...pwOp(1, 1), outChannels: 65536 }, /output of 128x128x65536 is too large/],
      [tensor(new Int8Array(4097), 1, 1, 4097), { ...pwOp(1, 1), outChannels: 65536 }, /op\.weights of 65536x4097 is too large/],
      [tensor(new Int8Array(1), 1, 1, 1), pwOp(1, 65537), /op\.outChannels/],
      [tensor(new Int8Array(1), 1, 1, 1), dwOp(1, 1, { stride: [2 ** 31, 1] }), /op\.stride\[0\]/],
      [tensor(new Int8Array(1), 1, 1, 1), dwOp(1, 1, { pad: { top: 0, left: 0, bottom: 65537, right: 0 } }), /op\.pad\.bottom/],
    ];
    const before = memories();
    for (const [input, op, msg] of cases) {
      for (const [name, run] of runners()) {
        const err = rejection(() => run(input, op));
        expect(err, `${name} ${msg}`).toBeInstanceOf(RangeError);
        expect((err as Error).message, name).toMatch(msg);
      }
    }
    expect(memories()).toEqual(before);
    expectStillExact(2);
  });

  it("REGRESSION: huge horizontal padding used to wrap the kernel's 32-bit scratch size and trap", () => {
    // Before the fix: RuntimeError "memory access out of bounds" (H*(W+pads)*8*2 bytes wrapped mod 2^32).
    const input = tensor(new Int8Array(4096).fill(3), 4096, 1, 1);
    const op = dwOp(1, 1, { stride: [65536, 65536], pad: { top: 0, left: 65536, bottom: 0, right: 65536 } });
    for (const [name, run] of runners()) {
      const err = rejection(() => run(input, op));
      expect(err, name).toBeInstanceOf(RangeError);
      expect((err as Error).message, name).toMatch(/^op\.pad: the padded input 4096x131073x1 is too large/);
    }
    const err = rejection(() => dwpw.block(input, [op, pwOp(1, 1)]));
    expect((err as Error).message).toMatch(/^ops\[0\]\.pad/);
    expectStillExact(3);
  });

  it("padding far wider than the input, within the limit, is still exact", () => {
    const input = tensor(ramp(6), 2, 3, 1);
    const op = dwOp(1, 2, { stride: [1, 9000], pad: { top: 1, left: 65536, bottom: 0, right: 40000 } });
    const want = dwpw.reference.conv(input, op);
    expect(want.width).toBe(Math.floor((65536 + 3 + 40000 - 2) / 9000) + 1);
    for (const e of [dwpw.defaultEngine(), scalar, simd]) expect(tensorDiff(e.conv(input, op), want)).toBe("");
  });

  it("a block whose L1 cannot be placed in WebAssembly memory is a RangeError before memory grows; plan still answers", () => {
    const c = randomBlock(new Rng(4)) as { input: Tensor; ops: [ConvOp, ConvOp] };
    const before = dwpw.defaultEngine().arena.memoryBytes;
    // Before the fix: the arena's 16-byte rounding, done with 32-bit bit operations, turned a
    // 2^31-byte L1 into a negative size and the model trapped with "memory access out of bounds".
    for (const memory of [{ l1: 2 ** 31, l1Usable: 2 ** 31 }, { l1: 2 ** 31, l1Usable: 2 ** 31 - 100 }]) {
      const err = rejection(() => dwpw.block(c.input, c.ops, { schedule: "unfused", memory }));
      expect(err).toBeInstanceOf(RangeError);
      expect((err as Error).message).toMatch(/WebAssembly memory/);
      expect(dwpw.defaultEngine().arena.memoryBytes).toBe(before);
      expect(dwpw.plan(c.input, c.ops, { schedule: "unfused", memory }).schedule).toBe("unfused");
    }
    const r = dwpw.block(c.input, c.ops, { schedule: "unfused" });
    expect(tensorDiff(r.output, referenceBlock(dwpw, c.input, c.ops, c.input.layout))).toBe("");
  });

  it("the arena refuses sizes that are not non-negative integers or that exceed its bound, without growing", () => {
    const a = scalar.arena;
    const before = a.memoryBytes;
    for (const bad of [-1, -(2 ** 31), 1.5, NaN, Infinity, 2 ** 31 + 1, 2 ** 53]) {
      a.reset();
      expect(rejection(() => a.alloc(bad)), String(bad)).toBeInstanceOf(RangeError);
    }
    a.reset();
    a.alloc(MAX_MEMORY_BYTES); // allowed on its own, but the arena's base comes on top:
    expect(rejection(() => a.commit())).toBeInstanceOf(RangeError);
    a.reset();
    expect(a.memoryBytes).toBe(before);
    expectStillExact(4);
  });

  it("a block whose tensors exceed the configured L2 runs, exact, and says so (fitsL2: false)", () => {
    // By design (fusion-report.ts runs MobileNet blocks larger than GAP8's 512 kB L2): not an error.
    const c = randomBlock(new Rng(9)) as { input: Tensor; ops: [ConvOp, ConvOp] };
    const r = dwpw.block(c.input, c.ops, { schedule: "unfused", memory: { l2: 1 } });
    expect(r.report.fitsL2).toBe(false);
    expect(dwpw.plan(c.input, c.ops, { schedule: "unfused", memory: { l2: 1 } }).fitsL2).toBe(false);
    expect(tensorDiff(r.output, referenceBlock(dwpw, c.input, c.ops, c.input.layout))).toBe("");
  });

  it("MAX_ELEMENTS and MAX_MEMORY_BYTES are what the README section states", () => {
    expect(MAX_ELEMENTS).toBe(2 ** 28);
    expect(MAX_MEMORY_BYTES).toBe(2 ** 31);
  });
});

describe("typed arrays that lie about their extent are rejected; honest views of every kind are exact", () => {
  // The first call leaves its bytes in WebAssembly memory; a lying call must never return them.
  const prime = () => dwpw.conv(tensor(new Int8Array(16).fill(77), 4, 4, 1), dwOp(1, 1, { pad: { top: 0, left: 0, bottom: 0, right: 0 } }));

  class LongerInt8 extends Int8Array {
    override get length(): number {
      return 16;
    }
  }
  class OtherBuffer extends Int8Array {
    override get buffer(): ArrayBuffer {
      return new ArrayBuffer(64);
    }
  }
  class LongerInt32 extends Int32Array {
    override get length(): number {
      return 4;
    }
  }
  const liars: Array<[string, () => [Tensor, ConvOp], RegExp]> = [
    ["subclass with a longer length", () => [tensor(new LongerInt8([1, 2]), 4, 4, 1), dwOp(1, 1)], /^input\.data must be a plain typed array/],
    ["subclass with another buffer", () => [tensor(new OtherBuffer(16), 4, 4, 1), dwOp(1, 1)], /^input\.data must be a plain typed array/],
    ["Proxy with a longer length", () => [tensor(new Proxy(new Int8Array(2), { get: (t, k) => (k === "length" ? 16 : Reflect.get(t, k)) }), 4, 4, 1), dwOp(1, 1)], /^input\.data must be a plain typed array/],
    ["honest Proxy", () => [tensor(new Proxy(new Int8Array(16), {}), 4, 4, 1), dwOp(1, 1)], /^input\.data must be a plain typed array/],
    ["imitation (Object.create)", () => [tensor(Object.create(Int8Array.prototype) as Int8Array, 4, 4, 1), dwOp(1, 1)], /^input\.data must be a plain typed array/],
    ["weights with a longer length", () => [tensor(new Int8Array(16), 4, 4, 1), dwOp(1, 3, { weights: new (class extends Int8Array { override get length() { return 9; } })(1) })], /^op\.weights must be a plain typed array/],
    ["bias with a longer length", () => [tensor(new Int8Array(64), 4, 4, 4), pwOp(4, 4, { bias: new LongerInt32(1) })], /^op\.bias must be a plain typed array/],
  ];
  for (const [name, make, msg] of liars) {
    it(name, () => {
      prime();
      const [input, op] = make();
      for (const [r, run] of runners()) {
        const err = rejection(() => run(input, op));
        expect(err, r).toBeInstanceOf(TypeError);
        expect((err as Error).message, r).toMatch(msg);
      }
      expect(rejection(() => dwpw.block(input, op.kind === "depthwise" ? [op, pwOp(input.channels, 1)] : [op, dwOp(op.outChannels)]))).toBeInstanceOf(TypeError);
      expectStillExact(5);
    });
  }

  /** Copies of the case's arrays placed in other kinds of buffers / at odd offsets. */
  function views(c: Case): Array<[string, Case]> {
    const place = <T extends Int8Array | Uint8Array | Int32Array>(a: T, how: "shared" | "offset" | "resizable"): T => {
      const C = a.constructor as { new (b: ArrayBufferLike, o: number, n: number): T; BYTES_PER_ELEMENT: number };
      const off = how === "offset" ? 3 * C.BYTES_PER_ELEMENT : 0;
      const bytes = a.byteLength + off + 8;
      const buf = how === "shared" ? new SharedArrayBuffer(bytes) : how === "resizable" ? new (ArrayBuffer as unknown as { new (n: number, o: object): ArrayBuffer })(bytes, { maxByteLength: bytes * 2 }) : new ArrayBuffer(bytes);
      new Uint8Array(buf).fill(0x5a); // garbage around the view must not be read
      const v = new C(buf, off, a.length);
      v.set(a as never);
      return v;
    };
    return (["shared", "offset", "resizable"] as const).map((how) => {
      const op = { ...c.op, weights: place(c.op.weights, how) } as ConvOp;
      if (c.op.bias) op.bias = place(c.op.bias, how);
      return [how, { input: { ...c.input, data: place(c.input.data, how) }, op }];
    });
  }

  it("SharedArrayBuffer-backed, offset (subarray-like) and resizable-buffer views give the same bytes as plain arrays", () => {
    const rng = new Rng(21);
    for (let i = 0; i < 60; i++) {
      const c = randomLayer(rng) as Case;
      const want = dwpw.reference.conv(c.input, c.op);
      for (const [how, v] of views(c)) {
        for (const [r, run] of runners()) expect(tensorDiff(run(v.input, v.op) as Tensor, want), `${how} on ${r}`).toBe("");
      }
    }
  });

  it("subarray views of a larger tensor, and Node Buffers (pooled, offset), are read at their offset", () => {
    const rng = new Rng(22);
    for (let i = 0; i < 40; i++) {
      const c = randomLayer(rng) as Case;
      const want = dwpw.reference.conv(c.input, c.op);
      const n = c.input.data.length;
      const big = new (c.input.data.constructor as Int8ArrayConstructor)(n + 37).fill(99);
      big.set(c.input.data, 17);
      const sub = { ...c.input, data: big.subarray(17, 17 + n) };
      expect(tensorDiff(dwpw.conv(sub, c.op), want)).toBe("");
      expect(tensorDiff(scalar.conv(sub, c.op), want)).toBe("");
      if (c.input.data instanceof Uint8Array) {
        const buf = Buffer.from(c.input.data); // small Buffers come from a shared pool at an offset
        expect(tensorDiff(dwpw.conv({ ...c.input, data: buf }, c.op), want)).toBe("");
      }
    }
  });

  it("a detached buffer is a clean RangeError (its length is 0)", () => {
    const ab = new ArrayBuffer(16);
    const data = new Int8Array(ab);
    structuredClone(ab, { transfer: [ab] });
    expect(rejection(() => dwpw.conv(tensor(data, 4, 4, 1), dwOp(1, 1)))).toBeInstanceOf(RangeError);
    expectStillExact(6);
  });
});

describe("no state leaks between calls", () => {
  it("a small call after a large one with other weights, bias, scheme and layout is exact on every engine", () => {
    const rng = new Rng(31);
    for (let i = 0; i < 40; i++) {
      const big = randomLayer(rng, undefined, true) as Case;
      const small = randomLayer(rng) as Case;
      for (const e of [dwpw.defaultEngine(), scalar, simd]) {
        e.conv(big.input, big.op);
        expect(tensorDiff(e.conv(small.input, small.op), dwpw.reference.conv(small.input, small.op))).toBe("");
      }
    }
  });

  it("a block after another block (other schedule, tiling, weights) is exact, and kernels after blocks too", () => {
    const rng = new Rng(32);
    for (let i = 0; i < 30; i++) {
      const a = randomBlock(rng, true) as { input: Tensor; ops: [ConvOp, ConvOp] };
      const b = randomBlock(rng) as { input: Tensor; ops: [ConvOp, ConvOp] };
      dwpw.block(a.input, a.ops, { memory: { l1Usable: 36700 } });
      const r = dwpw.block(b.input, b.ops, { schedule: "unfused" });
      expect(tensorDiff(r.output, referenceBlock(dwpw, b.input, b.ops, blockOutputLayout(r.report.schedule, b.input.layout)))).toBe("");
      const l = randomLayer(rng) as Case;
      expect(tensorDiff(dwpw.conv(l.input, l.op), dwpw.reference.conv(l.input, l.op))).toBe("");
    }
  });

  it("repeating one call 300 times gives the same bytes and does not grow memory after the first", () => {
    const c = randomLayer(new Rng(33), "depthwise", true) as Case;
    const b = randomBlock(new Rng(34), true) as { input: Tensor; ops: [ConvOp, ConvOp] };
    const first = dwpw.conv(c.input, c.op);
    const firstBlock = dwpw.block(b.input, b.ops).output;
    const mem = memories();
    for (let i = 0; i < 300; i++) {
      expect(tensorDiff(dwpw.conv(c.input, c.op), first)).toBe("");
      if (i % 10 === 0) expect(tensorDiff(dwpw.block(b.input, b.ops).output, firstBlock)).toBe("");
    }
    expect(memories()).toEqual(mem);
  });
});
