// The kernels' public API and engine behaviour: init() and the default engine, rejection of every
// invalid input class (with a correct call right after each), memory that stops growing and never
// leaks across calls, and no state carried from one call to the next.
//
// The first tests here rely on vitest running each test file in its own module scope: nothing in
// this file calls init() before them, so the default engine does not exist yet.
import fc from "fast-check";
import { assert, describe, expect, it } from "vitest";
import { createEngine } from "../src/engine.js";
import { conv, defaultEngine, depthwise, init, pointwise } from "../src/index.js";
import { toLayout } from "../src/layout.js";
import { checkConv } from "../src/validate.js";
import { reference } from "../src/reference/index.js";
import type { ConvOp, DepthwiseOp, Layout, PointwiseOp, Requant, Tensor } from "../src/types.js";
import { SCHEMES, anyCaseArb, buildCase, caseArb, depthwiseGeometry, pointwiseGeometry, type CaseSpec } from "./helpers/cases.js";
import { describeEngines, expectSameTensor } from "./helpers/kernels.js";

const P30 = 2 ** 30;
const I32_MIN = -0x80000000;
const I32_MAX = 0x7fffffff;

/** Deterministic valid cases of every scheme and kind, for "a correct call right after". */
const validCases = fc.sample(anyCaseArb(), { numRuns: 400, seed: 20240611 }).map(buildCase);
/**
 * A fixed sequence of mixed calls for the memory and repeatability test: mostly small ones (which
 * fit the initial memory), with about one in thirty large enough to make the memory grow.
 */
const bigCaseArb = fc.oneof(
  ...SCHEMES.flatMap((s) => [
    caseArb(s, "depthwise", depthwiseGeometry(40, 67, 7)),
    caseArb(s, "pointwise", pointwiseGeometry(16, fc.integer({ min: 64, max: 160 }))),
  ]),
);
const mixed = fc.sample(fc.oneof({ arbitrary: anyCaseArb(), weight: 30 }, { arbitrary: bigCaseArb, weight: 1 }), { numRuns: 2000, seed: 424242 }).map(buildCase);

/** The reference output of a case, computed once per case object (the suites run once per build). */
const referenceOutputs = new WeakMap<object, Tensor>();
function referenceOf(c: { input: Tensor; op: ConvOp }): Tensor {
  let out = referenceOutputs.get(c);
  if (!out) referenceOutputs.set(c, (out = reference.conv(c.input, c.op)));
  return out;
}

/** Runs case `c` with `run` and checks the result against the reference. */
function expectValid(run: (input: Tensor, op: ConvOp) => Tensor, c: { input: Tensor; op: ConvOp }, context: string): void {
  expectSameTensor(run(c.input, c.op), referenceOf(c), context);
}

/** Whether two typed arrays hold the same values (faster than a deep equality on big arrays). */
function sameValues(a: ArrayLike<number> | undefined, b: ArrayLike<number> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe("init and the default engine", () => {
  const c = buildCase(fc.sample(caseArb("tflite-double", "depthwise"), { numRuns: 1, seed: 1 })[0]);
  const dw = c.op as DepthwiseOp;

  it("using the kernels before init() throws an Error that says to call init()", () => {
    expect(() => depthwise(c.input, dw)).toThrow(Error);
    expect(() => depthwise(c.input, dw)).toThrow(/init\(\)/);
    expect(() => conv(c.input, dw)).toThrow(/init\(\)/);
    expect(() => defaultEngine()).toThrow(/init\(\)/);
  });

  it("init() is idempotent: concurrent and repeated calls resolve and keep one engine", async () => {
    const results = await Promise.all([init(), init(), init()]);
    expect(results).toEqual([undefined, undefined, undefined]);
    const e = defaultEngine();
    await init();
    expect(defaultEngine()).toBe(e);
    expect(e.simd).toBe(true); // Node 20 has WebAssembly SIMD
  });

  it("depthwise, pointwise and conv give the reference's bytes after init()", () => {
    for (const v of validCases.slice(0, 60)) {
      expectValid(conv, v, "conv");
      if (v.op.kind === "depthwise") expectValid((i, o) => depthwise(i, o as DepthwiseOp), v, "depthwise");
      else expectValid((i, o) => pointwise(i, o as PointwiseOp), v, "pointwise");
    }
  });

  it("depthwise() and pointwise() refuse the other kind of op", () => {
    const pw = validCases.find((v) => v.op.kind === "pointwise")!;
    expect(() => depthwise(pw.input, pw.op as unknown as DepthwiseOp)).toThrow(TypeError);
    expect(() => depthwise(pw.input, pw.op as unknown as DepthwiseOp)).toThrow("op.kind");
    expect(() => pointwise(c.input, dw as unknown as PointwiseOp)).toThrow("op.kind");
  });
});

// A base case that every invalid variant below changes in one field: a 5x6x11 int8 HWC input.
const base = (): { input: Tensor; dw: DepthwiseOp; pw: PointwiseOp } => {
  const input: Tensor = {
    data: Int8Array.from({ length: 5 * 6 * 11 }, (_, i) => ((i * 37) % 256) - 128),
    height: 5, width: 6, channels: 11, layout: "HWC", zeroPoint: 3,
  };
  const requant: Requant = { scheme: "tflite", multiplier: [P30 + 12345], shift: [-7], outputZeroPoint: -2, min: -128, max: 127 };
  const dw: DepthwiseOp = {
    kind: "depthwise", kernel: [3, 2], stride: [2, 1], pad: { top: 1, left: 0, bottom: 1, right: 1 },
    weights: Int8Array.from({ length: 11 * 6 }, (_, i) => ((i * 53) % 256) - 128), bias: Int32Array.from({ length: 11 }, (_, i) => i * 1000 - 5000), requant,
  };
  const pw: PointwiseOp = {
    kind: "pointwise", outChannels: 7, weights: Int8Array.from({ length: 7 * 11 }, (_, i) => ((i * 29) % 256) - 128), bias: null, requant,
  };
  return { input, dw, pw };
};
const u8 = (t: Tensor, zeroPoint = 0): Tensor => ({ ...t, data: Uint8Array.from(t.data, (v) => v + 128), zeroPoint });
const tfl = (o: Record<string, unknown>) => ({ ...base().dw.requant, ...o }) as unknown as Requant;
const onnx = (o: Record<string, unknown>) => ({ scheme: "onnx", scale: [0.01], outputZeroPoint: 0, min: -128, max: 127, ...o }) as unknown as Requant;
const dwWith = (o: Record<string, unknown>) => ({ ...base().dw, ...o }) as unknown as DepthwiseOp;
const pwWith = (o: Record<string, unknown>) => ({ ...base().pw, ...o }) as unknown as PointwiseOp;

/** A typed array of a subclass whose `length` claims `n` elements (it holds fewer). */
function lyingLength<T extends Int8Array>(a: T, n: number): T {
  class Lying extends (a.constructor as typeof Int8Array) {
    override get length(): number {
      return n;
    }
  }
  const l = new Lying(a.length);
  l.set(a);
  return l as unknown as T;
}

type Bad = [name: string, input: () => Tensor, op: () => ConvOp, error: typeof RangeError | typeof TypeError, field: string];
const withInput = (o: Record<string, unknown>): (() => Tensor) => () => ({ ...base().input, ...o }) as unknown as Tensor;
const baseInput = () => base().input;

/** Every class of bad input, each changing one field of the base case. */
const BAD: Bad[] = [
  // The input tensor.
  ["input not an object", () => null as unknown as Tensor, () => base().dw, TypeError, "input"],
  ["data too short", withInput({ data: new Int8Array(5 * 6 * 11 - 1) }), () => base().dw, RangeError, "input.data"],
  ["data too long", withInput({ data: new Int8Array(5 * 6 * 11 + 1) }), () => base().dw, RangeError, "input.data"],
  ["data an Int16Array", withInput({ data: new Int16Array(330) }), () => base().dw, TypeError, "input.data"],
  ["data a Uint8ClampedArray", withInput({ data: new Uint8ClampedArray(330) }), () => base().dw, TypeError, "input.data"],
  ["data a Float32Array", withInput({ data: new Float32Array(330) }), () => base().dw, TypeError, "input.data"],
  ["data a plain array", withInput({ data: new Array(330).fill(0) }), () => base().dw, TypeError, "input.data"],
  ["data missing", withInput({ data: undefined }), () => base().dw, TypeError, "input.data"],
  ["data a Proxy of an Int8Array", withInput({ data: new Proxy(new Int8Array(330), {}) }), () => base().dw, TypeError, "input.data"],
  ["data whose length getter lies", withInput({ data: lyingLength(new Int8Array(100), 330) }), () => base().dw, TypeError, "input.data"],
  ["NaN height", withInput({ height: NaN }), () => base().dw, RangeError, "input.height"],
  ["fractional width", withInput({ width: 5.5 }), () => base().dw, RangeError, "input.width"],
  ["zero channels", withInput({ channels: 0 }), () => base().dw, RangeError, "input.channels"],
  ["negative height", withInput({ height: -5 }), () => base().dw, RangeError, "input.height"],
  ["infinite width", withInput({ width: Infinity }), () => base().dw, RangeError, "input.width"],
  ["height as a string", withInput({ height: "5" }), () => base().dw, TypeError, "input.height"],
  ["too many elements", withInput({ height: 65536, width: 65536, channels: 1 }), () => base().dw, RangeError, "input"],
  ["bad layout", withInput({ layout: "NHWC" }), () => base().dw, RangeError, "input.layout"],
  ["lower-case layout", withInput({ layout: "hwc" }), () => base().dw, RangeError, "input.layout"],
  ["int8 zero point 128", withInput({ zeroPoint: 128 }), () => base().dw, RangeError, "input.zeroPoint"],
  ["int8 zero point -129", withInput({ zeroPoint: -129 }), () => base().dw, RangeError, "input.zeroPoint"],
  ["uint8 zero point -1", () => u8(base().input, -1), () => base().dw, RangeError, "input.zeroPoint"],
  ["uint8 zero point 256", () => u8(base().input, 256), () => base().dw, RangeError, "input.zeroPoint"],
  ["fractional zero point", withInput({ zeroPoint: 0.5 }), () => base().dw, RangeError, "input.zeroPoint"],
  // The op's geometry, weights and bias.
  ["op not an object", baseInput, () => null as unknown as ConvOp, TypeError, "op"],
  ["unknown kind", baseInput, () => dwWith({ kind: "conv2d" }), RangeError, "op.kind"],
  ["missing kind", baseInput, () => dwWith({ kind: undefined }), RangeError, "op.kind"],
  ["kernel taller than the padded input", baseInput, () => dwWith({ kernel: [8, 2], weights: new Int8Array(11 * 16) }), RangeError, "op.kernel"],
  ["kernel wider than the padded input", baseInput, () => dwWith({ kernel: [3, 8], weights: new Int8Array(11 * 24) }), RangeError, "op.kernel"],
  ["zero kernel", baseInput, () => dwWith({ kernel: [0, 2] }), RangeError, "op.kernel"],
  ["kernel not a pair", baseInput, () => dwWith({ kernel: [3] }), TypeError, "op.kernel"],
  ["stride 0", baseInput, () => dwWith({ stride: [1, 0] }), RangeError, "op.stride"],
  ["fractional stride", baseInput, () => dwWith({ stride: [1.5, 1] }), RangeError, "op.stride"],
  ["negative pad", baseInput, () => dwWith({ pad: { top: 0, left: -1, bottom: 0, right: 0 } }), RangeError, "op.pad.left"],
  ["NaN pad", baseInput, () => dwWith({ pad: { top: 0, left: 0, bottom: NaN, right: 0 } }), RangeError, "op.pad.bottom"],
  ["pad missing", baseInput, () => dwWith({ pad: undefined }), TypeError, "op.pad"],
  ["depthwise weights too short", baseInput, () => dwWith({ weights: new Int8Array(65) }), RangeError, "op.weights"],
  ["depthwise weights too long", baseInput, () => dwWith({ weights: new Int8Array(67) }), RangeError, "op.weights"],
  ["weights a Uint8Array", baseInput, () => dwWith({ weights: new Uint8Array(66) }), TypeError, "op.weights"],
  ["weights whose length getter lies", baseInput, () => dwWith({ weights: lyingLength(new Int8Array(6), 66) }), TypeError, "op.weights"],
  ["bias a Proxy", baseInput, () => dwWith({ bias: new Proxy(new Int32Array(11), {}) }), TypeError, "op.bias"],
  ["weights a plain array", baseInput, () => dwWith({ weights: new Array(66).fill(1) }), TypeError, "op.weights"],
  ["pointwise weights length", baseInput, () => pwWith({ weights: new Int8Array(7 * 11 + 1) }), RangeError, "op.weights"],
  ["zero outChannels", baseInput, () => pwWith({ outChannels: 0, weights: new Int8Array(0) }), RangeError, "op.outChannels"],
  ["fractional outChannels", baseInput, () => pwWith({ outChannels: 7.5 }), RangeError, "op.outChannels"],
  ["bias too short", baseInput, () => dwWith({ bias: new Int32Array(10) }), RangeError, "op.bias"],
  ["pointwise bias of Cin entries", baseInput, () => pwWith({ bias: new Int32Array(11) }), RangeError, "op.bias"],
  ["bias a Float32Array", baseInput, () => dwWith({ bias: new Float32Array(11) }), TypeError, "op.bias"],
  ["bias a Uint32Array", baseInput, () => dwWith({ bias: new Uint32Array(11) }), TypeError, "op.bias"],
  ["bias a plain array", baseInput, () => dwWith({ bias: new Array(11).fill(0) }), TypeError, "op.bias"],
  // Requantization parameters.
  ["requant missing", baseInput, () => dwWith({ requant: undefined }), TypeError, "op.requant"],
  ["unknown scheme", baseInput, () => dwWith({ requant: { scheme: "float" } }), RangeError, "op.requant.scheme"],
  ["multiplier 2^30 - 1", baseInput, () => dwWith({ requant: tfl({ multiplier: [P30 - 1] }) }), RangeError, "op.requant.multiplier"],
  ["multiplier 2^31", baseInput, () => dwWith({ requant: tfl({ multiplier: [2 ** 31] }) }), RangeError, "op.requant.multiplier"],
  ["multiplier -1", baseInput, () => dwWith({ requant: tfl({ multiplier: [-1] }) }), RangeError, "op.requant.multiplier"],
  ["multiplier -2^31", baseInput, () => dwWith({ requant: tfl({ multiplier: Int32Array.of(I32_MIN) }) }), RangeError, "op.requant.multiplier"],
  ["multiplier NaN", baseInput, () => dwWith({ requant: tfl({ multiplier: [NaN] }) }), RangeError, "op.requant.multiplier"],
  ["multiplier count", baseInput, () => dwWith({ requant: tfl({ multiplier: new Array(10).fill(P30) }) }), RangeError, "op.requant.multiplier"],
  ["multiplier a Float64Array", baseInput, () => dwWith({ requant: tfl({ multiplier: Float64Array.of(P30) }) }), TypeError, "op.requant.multiplier"],
  ["a bad multiplier in a later channel", baseInput, () => dwWith({ requant: tfl({ multiplier: [...new Array(10).fill(P30), 5] }) }), RangeError, "op.requant.multiplier[10]"],
  ["shift 31", baseInput, () => dwWith({ requant: tfl({ shift: [31] }) }), RangeError, "op.requant.shift"],
  ["shift -32", baseInput, () => dwWith({ requant: tfl({ shift: [-32] }) }), RangeError, "op.requant.shift"],
  ["fractional shift", baseInput, () => dwWith({ requant: tfl({ shift: [-1.5] }) }), RangeError, "op.requant.shift"],
  ["rounding", baseInput, () => dwWith({ requant: tfl({ rounding: "nearest" }) }), RangeError, "op.requant.rounding"],
  ["min > max", baseInput, () => dwWith({ requant: tfl({ min: 10, max: 9 }) }), RangeError, "op.requant.min"],
  ["min below int8", baseInput, () => dwWith({ requant: tfl({ min: -129 }) }), RangeError, "op.requant.min"],
  ["max above uint8", baseInput, () => dwWith({ requant: tfl({ min: 0, max: 256 }) }), RangeError, "op.requant.max"],
  ["min/max spanning both dtypes", baseInput, () => dwWith({ requant: tfl({ min: -1, max: 200 }) }), RangeError, "op.requant.min"],
  ["min fractional", baseInput, () => dwWith({ requant: tfl({ min: -1.5 }) }), RangeError, "op.requant.min"],
  ["max missing", baseInput, () => dwWith({ requant: tfl({ max: undefined }) }), TypeError, "op.requant.max"],
  ["output zero point outside int8", baseInput, () => dwWith({ requant: tfl({ outputZeroPoint: 128 }) }), RangeError, "op.requant.outputZeroPoint"],
  ["output zero point outside uint8", baseInput, () => dwWith({ requant: tfl({ min: 0, max: 255, outputZeroPoint: -1 }) }), RangeError, "op.requant.outputZeroPoint"],
  ["onnx NaN scale", baseInput, () => dwWith({ requant: onnx({ scale: [NaN] }) }), RangeError, "op.requant.scale"],
  ["onnx Infinity scale", baseInput, () => dwWith({ requant: onnx({ scale: [Infinity] }) }), RangeError, "op.requant.scale"],
  ["onnx -Infinity scale in channel 3", baseInput, () => dwWith({ requant: onnx({ scale: Float32Array.from({ length: 11 }, (_, i) => (i === 3 ? -Infinity : 0.1)) }) }), RangeError, "op.requant.scale[3]"],
  ["onnx scale beyond float32", baseInput, () => dwWith({ requant: onnx({ scale: [1e39] }) }), RangeError, "op.requant.scale"],
  ["onnx scale a string", baseInput, () => dwWith({ requant: onnx({ scale: ["0.5"] }) }), TypeError, "op.requant.scale"],
  ["onnx scale count", baseInput, () => dwWith({ requant: onnx({ scale: [0.1, 0.2] }) }), RangeError, "op.requant.scale"],
  ["onnx min > max", baseInput, () => dwWith({ requant: onnx({ min: 5, max: -5 }) }), RangeError, "op.requant.min"],
  ["pulp-shift on int8 input", baseInput, () => dwWith({ requant: { scheme: "pulp-shift", shift: 4 } }), TypeError, "input.data"],
  ["pulp-bn on int8 input", baseInput, () => dwWith({ requant: { scheme: "pulp-bn", k: [1], lambda: [0], shift: 4 } }), TypeError, "input.data"],
  ["pulp-quant on int8 input", baseInput, () => dwWith({ requant: { scheme: "pulp-quant", mult: 1, shift: 4 } }), TypeError, "input.data"],
  ["pulp-shift with a zero point", () => u8(base().input, 128), () => dwWith({ requant: { scheme: "pulp-shift", shift: 4 } }), RangeError, "input.zeroPoint"],
  ["pulp-quant with a zero point", () => u8(base().input, 1), () => pwWith({ requant: { scheme: "pulp-quant", mult: 1, shift: 4 } }), RangeError, "input.zeroPoint"],
  ["pulp shift 32", () => u8(base().input), () => dwWith({ requant: { scheme: "pulp-shift", shift: 32 } }), RangeError, "op.requant.shift"],
  ["pulp shift -1", () => u8(base().input), () => dwWith({ requant: { scheme: "pulp-bn", k: [1], lambda: [0], shift: -1 } }), RangeError, "op.requant.shift"],
  ["pulp-quant mult 32768", () => u8(base().input), () => dwWith({ requant: { scheme: "pulp-quant", mult: 32768, shift: 0 } }), RangeError, "op.requant.mult"],
  ["pulp-quant mult -32769", () => u8(base().input), () => dwWith({ requant: { scheme: "pulp-quant", mult: -32769, shift: 0 } }), RangeError, "op.requant.mult"],
  ["pulp-bn k beyond int32", () => u8(base().input), () => dwWith({ requant: { scheme: "pulp-bn", k: [2 ** 31], lambda: [0], shift: 0 } }), RangeError, "op.requant.k"],
  ["pulp-bn lambda count", () => u8(base().input), () => pwWith({ requant: { scheme: "pulp-bn", k: [1], lambda: [0, 0], shift: 0 } }), RangeError, "op.requant.lambda"],
  ["gap-sq8 on uint8 input", () => u8(base().input), () => dwWith({ requant: { scheme: "gap-sq8", scale: [1], norm: [0] } }), TypeError, "input.data"],
  ["gap-sq8 with a zero point", baseInput, () => dwWith({ requant: { scheme: "gap-sq8", scale: [1], norm: [0] } }), RangeError, "input.zeroPoint"],
  ["gap-sq8 scale 256", withInput({ zeroPoint: 0 }), () => dwWith({ requant: { scheme: "gap-sq8", scale: [256], norm: [0] } }), RangeError, "op.requant.scale"],
  ["gap-sq8 norm 32", withInput({ zeroPoint: 0 }), () => dwWith({ requant: { scheme: "gap-sq8", scale: [1], norm: [32] } }), RangeError, "op.requant.norm"],
  ["gap-sq8 biasNorm 32", withInput({ zeroPoint: 0 }), () => dwWith({ requant: { scheme: "gap-sq8", scale: [1], norm: [0], biasNorm: 32 } }), RangeError, "op.requant.biasNorm"],
  ["gap-sq8 actScale 256", withInput({ zeroPoint: 0 }), () => dwWith({ requant: { scheme: "gap-sq8", scale: [1], norm: [0], relu: true, actScale: 256 } }), RangeError, "op.requant.actScale"],
  ["gap-sq8 actNorm -1", withInput({ zeroPoint: 0 }), () => dwWith({ requant: { scheme: "gap-sq8", scale: [1], norm: [0], relu: true, actNorm: -1 } }), RangeError, "op.requant.actNorm"],
  ["gap-sq8 relu not a boolean", withInput({ zeroPoint: 0 }), () => dwWith({ requant: { scheme: "gap-sq8", scale: [1], norm: [0], relu: 1 } }), TypeError, "op.requant.relu"],
];

/**
 * A depthwise call that validation accepts and the reference computes quickly (output 1 x 3 x C:
 * columns 0 and 2 are all padding, column 1 the pixel), but whose kernel scratch is huge: each
 * packed row holds the 2^16 pad pixels on either side.
 */
const widePadCases = new Map<number, { input: Tensor; op: DepthwiseOp }>();
function widePadCase(channels: number): { input: Tensor; op: DepthwiseOp } {
  let c = widePadCases.get(channels);
  if (!c) {
    c = {
      input: { data: new Int8Array(channels).fill(5), height: 1, width: 1, channels, layout: "HWC", zeroPoint: 0 },
      op: {
        kind: "depthwise", kernel: [1, 1], stride: [1, 65536], pad: { top: 0, left: 65536, bottom: 0, right: 65536 },
        weights: new Int8Array(channels).fill(1), requant: { scheme: "onnx", scale: [1], outputZeroPoint: 0, min: -128, max: 127 },
      },
    };
    widePadCases.set(channels, c);
  }
  return c;
}

describeEngines("engine API", (engine) => {
  it("accepts the base case of the invalid-input table", () => {
    const b = base();
    expectValid((i, o) => engine().conv(i, o), { input: b.input, op: b.dw }, "base dw");
    expectValid((i, o) => engine().conv(i, o), { input: b.input, op: b.pw }, "base pw");
  });

  describe("each invalid input class throws an error naming the field, and the next valid call is right", () => {
    it.each(BAD.map((b, i) => [...b, i] as const))("%s", (_name, input, op, kind, field, i) => {
      const e = engine();
      const before = e.arena.memoryBytes;
      let err: unknown = null;
      try {
        e.conv(input(), op());
      } catch (x) {
        err = x;
      }
      expect(err, "the call must throw").toBeInstanceOf(kind);
      expect((err as Error).message).toContain(field);
      expect(e.arena.memoryBytes, "a rejected call must not grow memory").toBe(before);
      // A valid call right after, of another shape and scheme each time.
      const v = validCases[i % validCases.length];
      expectValid((x, o) => e.conv(x, o), v, "valid call after the rejected one");
    });
  });

  it("depthwise() and pointwise() check the kind; conv() dispatches on it", () => {
    const b = base();
    expect(() => engine().depthwise(b.input, b.pw as unknown as DepthwiseOp)).toThrow(TypeError);
    expect(() => engine().pointwise(b.input, b.dw as unknown as PointwiseOp)).toThrow("op.kind");
    expectSameTensor(engine().depthwise(b.input, b.dw), engine().conv(b.input, b.dw));
    expectSameTensor(engine().pointwise(b.input, b.pw), engine().conv(b.input, b.pw));
  });

  // The depthwise kernel's scratch holds the input rows padded horizontally, about
  // H * (padL + W + padR) * roundUp(C, 8) * 2 bytes: here 131073 * C * 2, which reaches 2^31 at
  // C = 8192 and 2^32 at C = 16384. Before validation bounded it, the size came back from wasm as a
  // negative i32 or wrapped mod 2^32: the kernel trapped, or (C >= 32768) returned wrong bytes.
  for (const channels of [8192, 16384, 32768, 65536]) {
    it(`1x1x${channels} with pads of 2^16 left and right: a RangeError (or the reference's bytes), never a trap`, () => {
      const c = widePadCase(channels);
      const before = engine().arena.memoryBytes;
      let out: Tensor;
      try {
        out = engine().conv(c.input, c.op);
      } catch (err) {
        expect(err).toBeInstanceOf(RangeError);
        expect(engine().arena.memoryBytes).toBe(before);
        return;
      }
      expectSameTensor(out, referenceOf(c), "oversized depthwise");
    });
  }

  it("after an oversized call (whatever it did), valid calls are still right", () => {
    for (const channels of [8192, 16384, 32768]) {
      try {
        engine().conv(widePadCase(channels).input, widePadCase(channels).op);
      } catch {
        // Covered above.
      }
      for (const v of validCases.slice(0, 20)) expectValid((x, o) => engine().conv(x, o), v, "after the oversized call");
    }
  });

  it("takes typed-array views at any offset (input data, weights, bias) and does not modify its arguments", () => {
    for (const [k, v] of validCases.slice(0, 80).entries()) {
      const off = 1 + (k % 7);
      const view = <T extends Int8Array | Uint8Array | Int32Array>(a: T): T => {
        const Ctor = a.constructor as { new (n: number): T };
        const big = new Ctor(a.length + off + 3);
        (big as Int32Array).fill(k % 2 ? -1 : 0x55); // guard bytes around the view
        (big as Int32Array).set(a, off);
        return big.subarray(off, off + a.length) as T;
      };
      const input = { ...v.input, data: view(v.input.data) };
      const op = { ...v.op, weights: view(v.op.weights), ...(v.op.bias ? { bias: view(v.op.bias) } : {}) } as ConvOp;
      const out = engine().conv(input, op);
      expectSameTensor(out, referenceOf(v), `views at offset ${off}`);
      expect(out.data.byteOffset).toBe(0);
      expect(out.data.buffer.byteLength).toBe(out.data.length);
      expect(sameValues(input.data, v.input.data), "input data unchanged").toBe(true);
      expect(sameValues(op.weights, v.op.weights), "weights unchanged").toBe(true);
      expect(sameValues(op.bias ?? undefined, v.op.bias ?? undefined), "bias unchanged").toBe(true);
    }
  });

  it("2,000 mixed calls: memory only grows to the largest call's need so far, then never; repeats give identical bytes", async () => {
    const cases = mixed;
    // What each call alone needs: the memory of a fresh engine after that one call.
    const alone: number[] = [];
    for (const c of cases) {
      const fresh = await createEngine({ simd: engine().simd });
      fresh.conv(c.input, c.op);
      alone.push(fresh.arena.memoryBytes);
    }
    const e = await createEngine({ simd: engine().simd });
    const first: Tensor[] = [];
    let bound = e.arena.memoryBytes;
    cases.forEach((c, i) => {
      first.push(e.conv(c.input, c.op));
      bound = Math.max(bound, alone[i]);
      if (e.arena.memoryBytes !== bound) assert.fail(`after call ${i}, memory is ${e.arena.memoryBytes} bytes; the calls so far need ${bound}`);
    });
    const peak = e.arena.memoryBytes;
    // The sequence must make the memory grow (several times), or this test shows little.
    expect(new Set(alone).size, "distinct memory sizes the calls need").toBeGreaterThanOrEqual(3);
    expect(peak).toBe(Math.max(...alone));
    // Every output against the reference, then the whole sequence again in another order.
    cases.forEach((c, i) => expectSameTensor(first[i], referenceOf(c), `call ${i}`));
    const order = fc.sample(fc.shuffledSubarray(cases.map((_, i) => i), { minLength: cases.length }), { numRuns: 1, seed: 9 })[0];
    for (const i of order) {
      expectSameTensor(e.conv(cases[i].input, cases[i].op), first[i], `repeat of call ${i}`);
      if (e.arena.memoryBytes !== peak) assert.fail(`memory grew from ${peak} to ${e.arena.memoryBytes} on the repeat of call ${i}`);
    }
  });

  it("a call never sees the previous call's weights, bias or parameters (A, B, A gives A's bytes twice)", () => {
    const arb = fc.tuple(anyCaseArb(), anyCaseArb());
    fc.assert(
      fc.property(arb, ([a, b]: [CaseSpec, CaseSpec]) => {
        const A = buildCase(a);
        const B = buildCase(b);
        const e = engine();
        const a1 = e.conv(A.input, A.op);
        const b1 = e.conv(B.input, B.op);
        const a2 = e.conv(A.input, A.op);
        expectSameTensor(a2, a1, "A after B");
        expectSameTensor(a1, reference.conv(A.input, A.op), "A");
        expectSameTensor(b1, reference.conv(B.input, B.op), "B");
      }),
      { numRuns: 150 },
    );
  });

  it("a prepared call computes the reference's bytes, and refuses to run or read after the engine's next call", () => {
    const [A, B] = validCases.slice(0, 2) as [ReturnType<typeof buildCase>, ReturnType<typeof buildCase>];
    const e = engine();
    const k = e.prepare(A.input, checkConv(A.input, A.op));
    k.run();
    expectSameTensor(k.output(), referenceOf(A), "prepared A");
    k.run(); // repeatable while nothing else ran
    expectSameTensor(k.output(), referenceOf(A), "prepared A again");
    e.conv(B.input, B.op); // reuses the memory A's buffers were in
    expect(() => k.run()).toThrow(/stale/);
    expect(() => k.output()).toThrow(/stale/);
    const k2 = e.prepare(B.input, checkConv(B.input, B.op));
    e.prepare(A.input, checkConv(A.input, A.op));
    expect(() => k2.run()).toThrow(/stale/);
    expectSameTensor(e.conv(B.input, B.op), referenceOf(B), "a call after the refused ones");
  });

  it("a call without bias after one with a large bias, and narrow channels after wide ones, are unaffected", () => {
    const b = base();
    const x = b.input;
    const noBias = { ...b.dw, bias: null };
    const bigBias = { ...b.dw, bias: new Int32Array(11).fill(I32_MAX) };
    const expected = reference.conv(x, noBias);
    engine().conv(x, bigBias);
    expectSameTensor(engine().conv(x, noBias), expected, "no bias after a big bias");
    // A 3-channel call after a 67-channel one: the padded channel lanes must not carry over.
    const wide: Tensor = { data: Int8Array.from({ length: 4 * 4 * 67 }, (_, i) => (i * 7) % 128), height: 4, width: 4, channels: 67, layout: "CHW", zeroPoint: -1 };
    const narrow: Tensor = { ...wide, data: wide.data.slice(0, 4 * 4 * 3), channels: 3 };
    const wideOp: DepthwiseOp = { ...b.dw, weights: new Int8Array(67 * 6).fill(127), bias: new Int32Array(67).fill(1 << 20) };
    const narrowOp: DepthwiseOp = { ...b.dw, weights: Int8Array.of(1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8, -8, 9, -9), bias: null };
    const want = reference.conv(narrow, narrowOp);
    engine().conv(wide, wideOp);
    expectSameTensor(engine().conv(narrow, narrowOp), want, "3 channels after 67");
    const pwWide: PointwiseOp = { kind: "pointwise", outChannels: 67, weights: new Int8Array(67 * 67).fill(-128), bias: new Int32Array(67).fill(-12345), requant: b.pw.requant };
    const pwNarrow: PointwiseOp = { kind: "pointwise", outChannels: 5, weights: Int8Array.from({ length: 15 }, (_, i) => i - 7), requant: b.pw.requant };
    const want2 = reference.conv(narrow, pwNarrow);
    engine().conv(wide, pwWide);
    expectSameTensor(engine().conv(narrow, pwNarrow), want2, "pointwise 3->5 after 67->67");
  });

  it("engines are independent: each has its own memory", async () => {
    const other = await createEngine({ simd: engine().simd });
    expect(other.wasm.memory).not.toBe(engine().wasm.memory);
    const v = validCases[3];
    expectSameTensor(other.conv(v.input, v.op), engine().conv(v.input, v.op));
  });

  it("layouts: the same case in HWC and CHW gives the same tensor up to layout", () => {
    for (const v of validCases.slice(0, 100)) {
      const outs = (["HWC", "CHW"] as Layout[]).map((l) => engine().conv(toLayout(v.input, l), v.op));
      expect(outs.map((o) => o.layout)).toEqual(["HWC", "CHW"]);
      expectSameTensor(toLayout(outs[1], "HWC"), outs[0]);
    }
  });
});
