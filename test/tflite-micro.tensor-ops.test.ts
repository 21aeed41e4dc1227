// TFLite Micro's weight-free ops on variants the TFLM dumps in ../shared do not reach: broadcasting
// the other way round, more dimensions, other axes, PADV2 constants, CONCATENATION along axis 0, and
// the variants TFLM refuses. Expected values are computed here, independently: TFLM's integer
// formulas are re-derived with BigInt (exact 64-bit products), index mappings are written out.
import { describe, expect, test } from "vitest";
import { UnsupportedOpError } from "../src/graph/errors.js";
import type { Activation, DType, Graph, GraphOp, GraphTensor } from "../src/graph/types.js";
import { GraphNetwork } from "../src/runner/network.js";
import type { TensorData } from "../src/targets/types.js";

// ---- a tiny graph builder ----------------------------------------------------------------------

interface TensorSpec {
  shape: number[];
  dtype?: DType;
  scale?: number;
  zeroPoint?: number;
  data?: TensorData;
}

/** A graph of one op: tensors 0..k-1 are the inputs (or constants), the last is the output. */
function oneOp(
  opcode: string,
  extra: Record<string, unknown>,
  ins: TensorSpec[],
  out: TensorSpec,
): GraphNetwork {
  const mk = (s: TensorSpec, index: number): GraphTensor => ({
    index,
    name: `t${index}`,
    dtype: s.dtype ?? "int8",
    shape: s.shape,
    quant: s.scale === undefined ? null : { scale: Float32Array.of(s.scale), zeroPoint: Int32Array.of(s.zeroPoint ?? 0), axis: 0 },
    data: s.data ? new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength) : null,
    variable: false,
  });
  const tensors = [...ins.map(mk), mk(out, ins.length)];
  const op = { index: 0, opcode, inputs: ins.map((_, i) => i), outputs: [ins.length], ...extra } as unknown as GraphOp;
  const graph: Graph = {
    format: "tflite",
    name: "test",
    tensors,
    ops: [op],
    inputs: ins.map((s, i) => (s.data ? -1 : i)).filter((i) => i >= 0),
    outputs: [ins.length],
  };
  return new GraphNetwork(graph);
}

function run(net: GraphNetwork, inputs: TensorData[]): TensorData {
  const byName: Record<string, TensorData> = {};
  net.inputs.forEach((spec, k) => (byName[spec.name] = inputs[k]!));
  const r = net.run(byName, { target: "tflite-micro", engine: "reference" });
  return Object.values(r.outputs)[0]!.data;
}

/** Deterministic int8 values (mulberry32). */
function randomInt8(n: number, seed: number): Int8Array {
  let a = seed;
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((t ^ (t >>> 14)) >>> 24) - 128;
  }
  return out;
}

const numel = (s: number[]) => s.reduce((p, d) => p * d, 1);

/** Row-major index of `idx` in `shape`, where size-1 dimensions broadcast. */
function broadcastIndex(idx: number[], shape: number[]): number {
  const pad = idx.length - shape.length;
  let o = 0;
  for (let d = 0; d < shape.length; d++) o = o * shape[d]! + (shape[d] === 1 ? 0 : idx[d + pad]!);
  return o;
}

function unravel(i: number, shape: number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

// ---- TFLite's integer arithmetic, re-derived with BigInt --------------------------------------

/** frexp + round(q * 2^31), as TFLite's QuantizeMultiplier. */
function quantizeMultiplier(real: number): [bigint, number] {
  if (real === 0) return [0n, 0];
  let e = 0;
  let q = real;
  while (q >= 1) {
    q /= 2;
    e++;
  }
  while (q < 0.5) {
    q *= 2;
    e--;
  }
  let m = Math.floor(q * 2 ** 31 + 0.5);
  if (m === 2 ** 31) {
    m /= 2;
    e++;
  }
  return [BigInt(m), e];
}

/** x / 2^e rounded to nearest, ties away from zero. */
function roundShift(x: bigint, e: number): bigint {
  if (e === 0) return x;
  const d = 1n << BigInt(e);
  const neg = x < 0n;
  const a = neg ? -x : x;
  const q = (a + d / 2n) / d;
  return neg ? -q : q;
}

/** gemmlowp's SaturatingRoundingDoublingHighMul on int32 values. */
function srdhm(a: bigint, b: bigint): bigint {
  if (a === -(2n ** 31n) && b === a) return 2n ** 31n - 1n;
  const ab = a * b;
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  const s = ab + nudge;
  // C's int64 division truncates toward zero.
  return s >= 0n ? s / (1n << 31n) : -(-s / (1n << 31n));
}

/** MultiplyByQuantizedMultiplier (double rounding). */
function mulQ(x: bigint, m: bigint, shift: number): bigint {
  const left = Math.max(shift, 0);
  const right = Math.max(-shift, 0);
  return roundShift(srdhm(x << BigInt(left), m), right);
}

const clampTo = (v: bigint, lo: number, hi: number) => Number(v < BigInt(lo) ? BigInt(lo) : v > BigInt(hi) ? BigInt(hi) : v);

/** TFLM's quantized ADD / SUB of one pair of values (left shift 20, double-precision multipliers). */
function addSubRef(kind: "add" | "sub", s1: number, z1: number, s2: number, z2: number, so: number, zo: number) {
  const f = (x: number) => Math.fround(x);
  let r1: number, r2: number, ro: number;
  if (kind === "add") {
    const tm = 2 * Math.max(s1, s2);
    [r1, r2, ro] = [s1 / tm, s2 / tm, tm / (2 ** 20 * so)];
  } else {
    const tm = f(2 * Math.max(s1, s2));
    [r1, r2, ro] = [f(s1 / tm), f(s2 / tm), f(tm / f(2 ** 20 * so))];
  }
  const [m1, e1] = quantizeMultiplier(r1);
  const [m2, e2] = quantizeMultiplier(r2);
  const [mo, eo] = quantizeMultiplier(ro);
  return (x: number, y: number) => {
    const a = mulQ(BigInt(x - z1) << 20n, m1, e1);
    const b = mulQ(BigInt(y - z2) << 20n, m2, e2);
    return clampTo(mulQ(kind === "add" ? a + b : a - b, mo, eo) + BigInt(zo), -128, 127);
  };
}

// ---- elementwise broadcasting -----------------------------------------------------------------

describe("ADD / SUB / MUL broadcasting", () => {
  const cases: Array<{ kind: "add" | "sub" | "mul"; a: number[]; b: number[] }> = [
    { kind: "add", a: [1, 1, 1, 8], b: [1, 3, 4, 8] }, // the broadcast input first
    { kind: "add", a: [2, 3, 1, 5], b: [1, 1, 4, 1] }, // both broadcast
    { kind: "add", a: [2, 1, 3, 2, 4], b: [1, 2, 1, 2, 1] }, // 5-D
    { kind: "add", a: [4], b: [2, 3, 4] }, // lower rank
    { kind: "sub", a: [1, 1, 1, 6], b: [1, 2, 3, 6] },
    { kind: "sub", a: [1, 2, 3, 6], b: [1, 2, 1, 1] },
    { kind: "mul", a: [1, 1, 1, 6], b: [1, 2, 3, 6] },
    { kind: "mul", a: [1, 3, 4, 1], b: [1, 1, 1, 5] },
  ];
  const [s1, z1, s2, z2, so, zo] = [0.031, -7, 0.047, 12, 0.052, 3].map((v, i) => (i % 2 === 0 ? Math.fround(v) : v)) as number[];
  for (const c of cases) {
    test(`${c.kind} [${c.a}] with [${c.b}]`, () => {
      const outShape: number[] = [];
      const rank = Math.max(c.a.length, c.b.length);
      for (let d = 0; d < rank; d++) outShape.push(Math.max(c.a[c.a.length - rank + d] ?? 1, c.b[c.b.length - rank + d] ?? 1));
      const opcode = c.kind.toUpperCase();
      const net = oneOp(opcode, { kind: c.kind, activation: "none" as Activation }, [
        { shape: c.a, scale: s1!, zeroPoint: z1 },
        { shape: c.b, scale: s2!, zeroPoint: z2 },
      ], { shape: outShape, scale: so!, zeroPoint: zo });
      const x = randomInt8(numel(c.a), 1);
      const y = randomInt8(numel(c.b), 2);
      const got = run(net, [x, y]) as Int8Array;
      let f: (p: number, q: number) => number;
      if (c.kind === "mul") {
        const [m, e] = quantizeMultiplier((s1! * s2!) / so!);
        f = (p, q) => clampTo(mulQ(BigInt((p - z1!) * (q - z2!)), m, e) + BigInt(zo!), -128, 127);
      } else {
        f = addSubRef(c.kind, s1!, z1!, s2!, z2!, so!, zo!);
      }
      const want = new Int8Array(numel(outShape));
      for (let i = 0; i < want.length; i++) {
        const idx = unravel(i, outShape);
        want[i] = f(x[broadcastIndex(idx, c.a)]!, y[broadcastIndex(idx, c.b)]!);
      }
      expect(Array.from(got)).toEqual(Array.from(want));
    });
  }

  test("MUL broadcasting over 5 dimensions is refused (TFLM's broadcast is 4-D)", () => {
    const net = oneOp("MUL", { kind: "mul", activation: "none" }, [
      { shape: [2, 1, 3, 2, 4], scale: 0.1 },
      { shape: [1, 2, 1, 2, 1], scale: 0.1 },
    ], { shape: [2, 2, 3, 2, 4], scale: 0.1 });
    expect(() => net.lower("tflite-micro")).toThrow(UnsupportedOpError);
  });

  test("int16 ADD is refused by name", () => {
    const net = oneOp("ADD", { kind: "add", activation: "none" }, [
      { shape: [1, 4], dtype: "int16", scale: 0.1 },
      { shape: [1, 4], dtype: "int16", scale: 0.1 },
    ], { shape: [1, 4], dtype: "int16", scale: 0.1 });
    expect(() => net.lower("tflite-micro")).toThrow(/op 0 \(ADD\).*int16/);
  });
});

// ---- MEAN over other axes -----------------------------------------------------------------------

describe("MEAN", () => {
  /** QuantizedMeanOrSum, re-derived: the multiplier takes 1/count with floor(log2(count)) more bits. */
  function meanRef(x: Int8Array, shape: number[], axes: number[], si: number, zi: number, so: number, zo: number) {
    const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const sums = new Array<number>(numel(outShape)).fill(0);
    for (let i = 0; i < x.length; i++) {
      const idx = unravel(i, shape).map((v, d) => (axes.includes(d) ? 0 : v));
      sums[broadcastIndex(idx, outShape)]! += x[i]!;
    }
    const count = axes.reduce((p, a) => p * shape[a]!, 1);
    const [m, e] = quantizeMultiplier(si / so);
    const bits = Math.min(31 - Math.clz32(count), 32, 31 + e);
    const m2 = (m << BigInt(bits)) / BigInt(count);
    return Int8Array.from(sums, (s) => clampTo(mulQ(BigInt(s - zi * count), m2, e - bits) + BigInt(zo), -128, 127));
  }

  const cases: Array<{ shape: number[]; axes: number[]; keepDims: boolean }> = [
    { shape: [3, 4, 5, 6], axes: [0], keepDims: false }, // the batch axis
    { shape: [1, 4, 5, 6], axes: [3], keepDims: true }, // channels
    { shape: [2, 7, 10], axes: [1], keepDims: false }, // 3-D
    { shape: [2, 3, 4, 5, 6], axes: [1, 4], keepDims: true }, // 5-D
  ];
  for (const c of cases) {
    for (const [si, zi, so, zo] of [
      [0.03, 5, 0.03, 5], // same quantization: TFLM still rescales
      [0.031, -7, 0.017, 20],
    ] as const) {
      test(`[${c.shape}] over [${c.axes}] ${si === so ? "same params" : "rescaled"}`, () => {
        const outShape = c.keepDims ? c.shape.map((d, i) => (c.axes.includes(i) ? 1 : d)) : c.shape.filter((_, i) => !c.axes.includes(i));
        const net = oneOp(
          "MEAN",
          { kind: "mean", axes: c.axes, keepDims: c.keepDims, inputs: [0, 1] },
          [
            { shape: c.shape, scale: Math.fround(si), zeroPoint: zi },
            { shape: [c.axes.length], dtype: "int32", data: Int32Array.from(c.axes) },
          ],
          { shape: outShape, scale: Math.fround(so), zeroPoint: zo },
        );
        const x = randomInt8(numel(c.shape), 3);
        expect(Array.from(run(net, [x]))).toEqual(Array.from(meanRef(x, c.shape, c.axes, Math.fround(si), zi, Math.fround(so), zo)));
      });
    }
  }

  test("more than two reduced axes are refused (TFLM's scratch holds two)", () => {
    const net = oneOp("MEAN", { kind: "mean", axes: [0, 1, 2], keepDims: false, inputs: [0, 1] }, [
      { shape: [2, 3, 4, 5], scale: 0.1 },
      { shape: [3], dtype: "int32", data: Int32Array.of(0, 1, 2) },
    ], { shape: [5], scale: 0.1 });
    expect(() => net.lower("tflite-micro")).toThrow(UnsupportedOpError);
  });
});

// ---- byte-moving ops ---------------------------------------------------------------------------

describe("TRANSPOSE", () => {
  for (const [shape, perm] of [
    [[2, 3, 4, 5, 6], [4, 0, 3, 1, 2]],
    [[2, 1, 3, 2, 2, 3], [5, 3, 1, 0, 4, 2]],
    [[4, 7], [1, 0]],
    [[1, 3, 5, 8], [0, 3, 1, 2]], // NHWC -> NCHW
  ] as Array<[number[], number[]]>) {
    test(`[${shape}] by [${perm}]`, () => {
      const outShape = perm.map((p) => shape[p]!);
      const net = oneOp("TRANSPOSE", { kind: "transpose", perm, inputs: [0, 1] }, [
        { shape, scale: 0.1, zeroPoint: 2 },
        { shape: [perm.length], dtype: "int32", data: Int32Array.from(perm) },
      ], { shape: outShape, scale: 0.1, zeroPoint: 2 });
      const x = randomInt8(numel(shape), 4);
      const want = new Int8Array(x.length);
      for (let i = 0; i < want.length; i++) {
        const oi = unravel(i, outShape);
        const ii = new Array<number>(shape.length);
        perm.forEach((p, d) => (ii[p] = oi[d]!));
        want[i] = x[broadcastIndex(ii, shape)]!;
      }
      expect(Array.from(run(net, [x]))).toEqual(Array.from(want));
    });
  }
});

describe("PAD / PADV2", () => {
  const paddings: Array<[number, number]> = [[1, 0], [0, 2], [2, 1], [0, 0]];
  const shape = [1, 3, 2, 4];
  const outShape = shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
  const expected = (x: Int8Array, fill: number) => {
    const want = new Int8Array(numel(outShape)).fill(fill);
    for (let i = 0; i < x.length; i++) {
      const idx = unravel(i, shape).map((v, d) => v + paddings[d]![0]);
      want[broadcastIndex(idx, outShape)] = x[i]!;
    }
    return want;
  };
  const padsData = Int32Array.from(paddings.flat());

  test("PADV2 pads with its constant, not the zero point", () => {
    const net = oneOp("PADV2", { kind: "pad", paddings, inputs: [0, 1, 2] }, [
      { shape, scale: 0.05, zeroPoint: -3 },
      { shape: [4, 2], dtype: "int32", data: padsData },
      { shape: [], scale: 0.05, zeroPoint: -3, data: Int8Array.of(-100) },
    ], { shape: outShape, scale: 0.05, zeroPoint: -3 });
    const x = randomInt8(numel(shape), 5);
    expect(Array.from(run(net, [x]))).toEqual(Array.from(expected(x, -100)));
  });

  test("PAD pads with the output zero point, also on the batch axis", () => {
    const net = oneOp("PAD", { kind: "pad", paddings, inputs: [0, 1] }, [
      { shape, scale: 0.05, zeroPoint: 17 },
      { shape: [4, 2], dtype: "int32", data: padsData },
    ], { shape: outShape, scale: 0.05, zeroPoint: 17 });
    const x = randomInt8(numel(shape), 6);
    expect(Array.from(run(net, [x]))).toEqual(Array.from(expected(x, 17)));
  });

  test("a PADV2 constant quantized unlike the output is refused", () => {
    const net = oneOp("PADV2", { kind: "pad", paddings, inputs: [0, 1, 2] }, [
      { shape, scale: 0.05, zeroPoint: -3 },
      { shape: [4, 2], dtype: "int32", data: padsData },
      { shape: [], scale: 0.1, zeroPoint: 0, data: Int8Array.of(1) },
    ], { shape: outShape, scale: 0.05, zeroPoint: -3 });
    expect(() => net.lower("tflite-micro")).toThrow(UnsupportedOpError);
  });
});

describe("CONCATENATION", () => {
  test("along axis 0 of three inputs", () => {
    const shapes = [[2, 3, 4], [1, 3, 4], [3, 3, 4]];
    const net = oneOp("CONCATENATION", { kind: "concatenation", axis: 0, activation: "none" },
      shapes.map((shape) => ({ shape, scale: 0.02, zeroPoint: 4 })), { shape: [6, 3, 4], scale: 0.02, zeroPoint: 4 });
    const xs = shapes.map((s, k) => randomInt8(numel(s), 10 + k));
    const want = Int8Array.from(xs.flatMap((x) => Array.from(x)));
    expect(Array.from(run(net, xs))).toEqual(Array.from(want));
  });

  test("along axis 2 of 3-D inputs", () => {
    const shapes = [[2, 3, 1], [2, 3, 4]];
    const net = oneOp("CONCATENATION", { kind: "concatenation", axis: 2, activation: "none" },
      shapes.map((shape) => ({ shape, scale: 0.02, zeroPoint: 4 })), { shape: [2, 3, 5], scale: 0.02, zeroPoint: 4 });
    const xs = shapes.map((s, k) => randomInt8(numel(s), 20 + k));
    const want: number[] = [];
    for (let r = 0; r < 6; r++) want.push(xs[0]![r]!, ...Array.from(xs[1]!.subarray(r * 4, r * 4 + 4)));
    expect(Array.from(run(net, xs))).toEqual(want);
  });

  test("int8 inputs quantized unlike the output are refused, as TFLM does", () => {
    const net = oneOp("CONCATENATION", { kind: "concatenation", axis: 1, activation: "none" }, [
      { shape: [1, 2], scale: 0.02, zeroPoint: 4 },
      { shape: [1, 2], scale: 0.05, zeroPoint: 4 },
    ], { shape: [1, 4], scale: 0.02, zeroPoint: 4 });
    expect(() => net.lower("tflite-micro")).toThrow(/op 0 \(CONCATENATION\).*QUANTIZE/);
  });
});

// ---- quantize ------------------------------------------------------------------------------

describe("QUANTIZE / DEQUANTIZE", () => {
  test("int16 -> int8 requantizes with one multiplier", () => {
    const [si, zi, so, zo] = [Math.fround(0.0007), 0, Math.fround(0.04), -9];
    const net = oneOp("QUANTIZE", { kind: "quantize" }, [{ shape: [1, 64], dtype: "int16", scale: si, zeroPoint: zi }], { shape: [1, 64], scale: so, zeroPoint: zo });
    const x = Int16Array.from({ length: 64 }, (_, i) => (i * 1031) % 65536 - 32768);
    const [m, e] = quantizeMultiplier(si / so);
    const want = Array.from(x, (v) => clampTo(mulQ(BigInt(v - zi), m, e) + BigInt(zo), -128, 127));
    expect(Array.from(run(net, [x]))).toEqual(want);
  });

  test("int16 DEQUANTIZE", () => {
    const [s, z] = [Math.fround(0.0013), 0];
    const net = oneOp("DEQUANTIZE", { kind: "dequantize" }, [{ shape: [5], dtype: "int16", scale: s, zeroPoint: z }], { shape: [5], dtype: "float32" });
    const x = Int16Array.of(-32768, -1, 0, 1, 32767);
    expect(Array.from(run(net, [x]))).toEqual(Array.from(x, (v) => Math.fround(s * (v - z))));
  });
});

// ---- refused activations -----------------------------------------------------------------------

describe("refused variants", () => {
  test("RELU_N1_TO_1 has no TFLM kernel", () => {
    const net = oneOp("RELU_N1_TO_1", { kind: "reluN1To1" }, [{ shape: [4], scale: 0.01 }], { shape: [4], scale: 0.01 });
    expect(() => net.lower("tflite-micro")).toThrow(/RELU_N1_TO_1/);
  });

  test("int8 SOFTMAX needs TFLM's fixed output quantization", () => {
    const net = oneOp("SOFTMAX", { kind: "softmax", beta: 1 }, [{ shape: [1, 4], scale: 0.1 }], { shape: [1, 4], scale: 0.01, zeroPoint: 0 });
    expect(() => net.lower("tflite-micro")).toThrow(/op 0 \(SOFTMAX\).*1\/256/);
  });

  test("CONCATENATION with a fused activation", () => {
    const net = oneOp("CONCATENATION", { kind: "concatenation", axis: 0, activation: "relu" }, [{ shape: [2], scale: 0.1 }, { shape: [2], scale: 0.1 }], { shape: [4], scale: 0.1 });
    expect(() => net.lower("tflite-micro")).toThrow(UnsupportedOpError);
  });
});
