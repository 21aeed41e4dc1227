// Hostile input to every public function. Each bad call must throw a RangeError
// or TypeError naming the field (never a WebAssembly trap, another error, a hang, or a result),
// and a valid call right after every rejected one must still give the reference's exact bytes.
//
// Valid cases and their hostile variants come from scripts/soak.mjs (shared with `npm run soak`):
// fast-check draws the seed and the mutation, so a failure prints a reproducible counterexample.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import * as dwpw from "../src/index.js";
import type { ConvOp, Tensor } from "../src/index.js";
import { createEngine, type Engine } from "../src/engine.js";
import {
  Rng,
  applicableSchedules,
  blockOutputLayout,
  cleanRejection,
  cloneCase,
  mutationsFor,
  randomBlock,
  randomLayer,
  referenceBlock,
  tensorDiff,
} from "../scripts/soak.mjs";

type Case = { input: Tensor; op: ConvOp };
type BlockCase = { input: Tensor; ops: [ConvOp, ConvOp] };
type Entry = { name: string; kinds: Array<"depthwise" | "pointwise">; run: (i: Tensor, o: ConvOp) => Tensor; isReference?: boolean };

let scalar: Engine;
let simd: Engine;
beforeAll(async () => {
  await dwpw.init();
  scalar = await createEngine({ simd: false });
  simd = await createEngine({ simd: true });
});

const BOTH: Array<"depthwise" | "pointwise"> = ["depthwise", "pointwise"];
const ENTRIES: Entry[] = [
  { name: "depthwise", kinds: ["depthwise"], run: (i, o) => dwpw.depthwise(i, o as dwpw.DepthwiseOp) },
  { name: "pointwise", kinds: ["pointwise"], run: (i, o) => dwpw.pointwise(i, o as dwpw.PointwiseOp) },
  { name: "conv", kinds: BOTH, run: (i, o) => dwpw.conv(i, o) },
  { name: "reference.depthwise", kinds: ["depthwise"], run: (i, o) => dwpw.reference.depthwise(i, o as dwpw.DepthwiseOp), isReference: true },
  { name: "reference.pointwise", kinds: ["pointwise"], run: (i, o) => dwpw.reference.pointwise(i, o as dwpw.PointwiseOp), isReference: true },
  { name: "reference.conv", kinds: BOTH, run: (i, o) => dwpw.reference.conv(i, o), isReference: true },
  { name: "scalar engine", kinds: BOTH, run: (i, o) => scalar.conv(i, o) },
  { name: "simd engine", kinds: BOTH, run: (i, o) => simd.conv(i, o) },
];

/** What a valid case must give: the reference for the kernels, the scalar kernels for the reference. */
function expected(e: Entry, c: Case): Tensor {
  return e.isReference ? scalar.conv(c.input, c.op) : dwpw.reference.conv(c.input, c.op);
}

function rejection(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return null;
}

const describeError = (e: unknown) => (e instanceof Error ? `${e.constructor.name}: ${e.message}` : `no error (${String(e)})`);

describe("hostile layers: every entry point rejects each mutation cleanly, and the next valid call is exact", () => {
  for (const e of ENTRIES) {
    it(e.name, () => {
      fc.assert(
        fc.property(fc.integer(), fc.nat(), fc.nat(), (seed, k, mi) => {
          const rng = new Rng(seed);
          const c = randomLayer(rng, e.kinds[k % e.kinds.length]) as Case;
          const muts = mutationsFor(c);
          const m = muts[mi % muts.length];
          const bad = cloneCase(c) as Case;
          m.apply(bad, rng);
          const err = rejection(() => e.run(bad.input, bad.op));
          expect(cleanRejection(err, m.field), `${m.name}: ${describeError(err)}`).toBe(true);
          expect(tensorDiff(e.run(c.input, c.op), expected(e, c)), `valid call after "${m.name}"`).toBe("");
        }),
        { numRuns: 120 },
      );
    });
  }

  it("covers every mutation at least once", () => {
    // Seeds chosen by fast-check may miss a rare mutation; walk them all deterministically too.
    const rng = new Rng(7);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const c = randomLayer(rng) as Case;
      for (const m of mutationsFor(c)) {
        if (seen.has(`${m.name}/${c.op.kind}`) && rng.chance(0.9)) continue;
        seen.add(`${m.name}/${c.op.kind}`);
        const bad = cloneCase(c) as Case;
        m.apply(bad, rng);
        const err = rejection(() => dwpw.conv(bad.input, bad.op));
        expect(cleanRejection(err, m.field), `${m.name}: ${describeError(err)}`).toBe(true);
        const err2 = rejection(() => dwpw.reference.conv(bad.input, bad.op));
        expect(cleanRejection(err2, m.field), `reference, ${m.name}: ${describeError(err2)}`).toBe(true);
      }
    }
    expect(seen.size).toBeGreaterThan(40);
  });

  it("reference.depthwise/pointwise(null, op) name the field `input`", () => {
    const c = randomLayer(new Rng(1), "depthwise") as Case;
    const p = randomLayer(new Rng(1), "pointwise") as Case;
    for (const f of [() => dwpw.reference.depthwise(null as never, c.op as never), () => dwpw.reference.pointwise(undefined as never, p.op as never)]) {
      expect(cleanRejection(rejection(f), "input must be a tensor object")).toBe(true);
    }
  });

  it("the wrong entry point for the op's kind is a TypeError naming op.kind", () => {
    const rng = new Rng(3);
    const dw = randomLayer(rng, "depthwise") as Case;
    const pw = randomLayer(rng, "pointwise") as Case;
    for (const f of [() => dwpw.depthwise(pw.input, pw.op as never), () => dwpw.pointwise(dw.input, dw.op as never),
      () => dwpw.reference.depthwise(pw.input, pw.op as never), () => dwpw.reference.pointwise(dw.input, dw.op as never)]) {
      const err = rejection(f);
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toContain("op.kind");
    }
  });
});

/** Paths into a layer case that fuzzing replaces with arbitrary values. */
const LAYER_PATHS = [
  "input", "input.data", "input.height", "input.width", "input.channels", "input.layout", "input.zeroPoint",
  "op", "op.kind", "op.kernel", "op.kernel.0", "op.stride", "op.stride.1", "op.pad", "op.pad.top", "op.pad.right",
  "op.outChannels", "op.weights", "op.bias", "op.requant", "op.requant.scheme", "op.requant.multiplier", "op.requant.shift",
  "op.requant.rounding", "op.requant.min", "op.requant.max", "op.requant.outputZeroPoint", "op.requant.scale",
  "op.requant.k", "op.requant.lambda", "op.requant.mult", "op.requant.norm", "op.requant.relu", "op.requant.biasNorm",
  "op.requant.actScale", "op.requant.actNorm",
];

function setPath(root: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let o: unknown = root;
  for (const k of keys.slice(0, -1)) {
    if (typeof o !== "object" || o === null) return;
    o = (o as Record<string, unknown>)[k];
  }
  if (typeof o === "object" && o !== null) (o as Record<string, unknown>)[keys[keys.length - 1] as string] = value;
}

/** Arbitrary values, with the numbers and arrays that sit near the limits over-represented. */
const hostileValue = fc.oneof(
  fc.anything({ maxDepth: 2, withTypedArray: true, withSparseArray: true, withBigInt: true, withNullPrototype: true }),
  fc.constantFrom(0, -1, 1, 0.5, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31), 2 ** 31 - 1, 2 ** 53, 65536, 65537, 127, 128, 255, 256, -128, -129, 30, 31, 32, -31, -32),
  fc.constantFrom(null, undefined, "", "HWC", "CHW", "tflite", "depthwise", true, [], [1], [3, 3], [0, 0], [1.5, 1]),
  fc.integer({ min: 0, max: 64 }).map((n) => new Int8Array(n)),
  fc.integer({ min: 0, max: 64 }).map((n) => new Uint8Array(n)),
  fc.integer({ min: 0, max: 64 }).map((n) => new Int32Array(n)),
);

describe("arbitrary values in any field: the same acceptance as the reference, exact bytes or a clean rejection", () => {
  it("conv vs reference.conv (SIMD and scalar)", () => {
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom(...LAYER_PATHS), hostileValue, (seed, path, value) => {
        const c = cloneCase(randomLayer(new Rng(seed))) as Case;
        setPath(c as unknown as Record<string, unknown>, path, value);
        let want: Tensor | null = null;
        const refErr = rejection(() => (want = dwpw.reference.conv(c.input, c.op)));
        for (const run of [() => dwpw.conv(c.input, c.op), () => scalar.conv(c.input, c.op)]) {
          let got: Tensor | null = null;
          const err = rejection(() => (got = run()));
          if (refErr === null) {
            expect(err, `${path} = ${fc.stringify(value)} accepted by the reference: ${describeError(err)}`).toBeNull();
            expect(tensorDiff(got, want)).toBe("");
          } else {
            expect(err instanceof RangeError || err instanceof TypeError, `${path}: ${describeError(err)}`).toBe(true);
            expect((err as Error).message).toBe((refErr as Error).message);
          }
        }
        if (refErr !== null) {
          expect(refErr instanceof RangeError || refErr instanceof TypeError, `${path}: ${describeError(refErr)}`).toBe(true);
          expect((refErr as Error).message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 600 },
    );
    // And a valid call afterwards is still exact.
    const c = randomLayer(new Rng(99)) as Case;
    expect(tensorDiff(dwpw.conv(c.input, c.op), dwpw.reference.conv(c.input, c.op))).toBe("");
  });

  it("wholly arbitrary arguments are rejected with a RangeError or TypeError", () => {
    const fns = [dwpw.depthwise, dwpw.pointwise, dwpw.conv, dwpw.reference.depthwise, dwpw.reference.pointwise, dwpw.reference.conv] as Array<(a: unknown, b: unknown) => unknown>;
    fc.assert(
      fc.property(fc.constantFrom(...fns.keys()), hostileValue, hostileValue, (i, a, b) => {
        const err = rejection(() => fns[i]!(a, b));
        expect(err instanceof RangeError || err instanceof TypeError, describeError(err)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

// ---- Blocks and plans -----------------------------------------------------------------------

type BlockMutation = { name: string; field: string; apply: (c: BlockCase & { options: Record<string, unknown> }, rng: InstanceType<typeof Rng>) => void };

const BLOCK_MUTATIONS: BlockMutation[] = [
  { name: "ops not a pair", field: "ops", apply: (c, r) => void (c.ops = r.pick([null, [], [c.ops[0]], [...c.ops, c.ops[1]], "dw-pw"]) as never) },
  { name: "two ops of one kind", field: "ops", apply: (c) => void (c.ops = [c.ops[0], c.ops[0]]) },
  { name: "second op does not take the first's output", field: "ops[1]", apply: (c) => void (c.ops[1] = { ...c.ops[1], weights: new Int8Array(c.ops[1].weights.length + 1) }) },
  { name: "first op broken", field: "ops[0].weights", apply: (c) => void (c.ops[0] = { ...c.ops[0], weights: new Int8Array(c.ops[0].weights.length + 1) }) },
  { name: "options not an object", field: "options", apply: (c, r) => void (c.options = r.pick([5, "fast", true]) as never) },
  { name: "schedule unknown", field: "options.schedule", apply: (c, r) => void (c.options.schedule = r.pick(["fused", "dw-pw", "", 3, null])) },
  {
    name: "schedule of the other order", field: "options.schedule",
    apply: (c) => void (c.options.schedule = c.ops[0].kind === "depthwise" ? "pw-dw/HWC-HWC-HWC/rows" : "dw-pw/HWC-HWC-HWC/rows"),
  },
  { name: "tiling without schedule", field: "options.tiling", apply: (c) => void (delete c.options.schedule, (c.options.tiling = { rows: 1 })) },
  { name: "tiling key unknown", field: "options.tiling", apply: (c) => void ((c.options.schedule = "unfused"), (c.options.tiling = { rows: 1 })) },
  { name: "tiling value bad", field: "options.tiling.dwRows", apply: (c, r) => void ((c.options.schedule = "unfused"), (c.options.tiling = { dwRows: r.pick([0, -1, 1.5, NaN, Infinity, "2"]) })) },
  { name: "maxRowsPerStep bad", field: "options.maxRowsPerStep", apply: (c, r) => void (c.options.maxRowsPerStep = r.pick([0, -1, 1.5, NaN, "2"])) },
  { name: "memory not an object", field: "options.memory", apply: (c, r) => void (c.options.memory = r.pick([null, 5, "gap8"])) },
  { name: "l1 bad", field: "memory.l1", apply: (c, r) => void (c.options.memory = { l1: r.pick([0, -1, 1.5, NaN, Infinity, "64000", 2 ** 31 + 1, 1e300]) }) },
  { name: "l1Usable above l1", field: "memory.l1Usable", apply: (c) => void (c.options.memory = { l1: 1000, l1Usable: 1001 }) },
  { name: "l2 bad", field: "memory.l2", apply: (c, r) => void (c.options.memory = { l2: r.pick([0, -5, 0.5, NaN, "512000"]) }) },
  { name: "dma preset unknown", field: "memory.dma", apply: (c, r) => void (c.options.memory = { dma: r.pick(["gap8", "toString", "__proto__", "constructor", "hasOwnProperty", 3]) }) },
  {
    name: "dma model field bad", field: "memory.dma.",
    apply: (c, r) => {
      const d: Record<string, unknown> = { bytesPerCycle: 8, cyclesPerCommand: 10, layoutBytesPerCycle: 1, layoutCyclesPerChannel: 10 };
      d[r.pick(Object.keys(d))] = r.pick([NaN, -1, Infinity, "8", undefined]);
      c.options.memory = { dma: d };
    },
  },
  { name: "doubleBuffer not boolean", field: "memory.doubleBuffer", apply: (c, r) => void (c.options.memory = { doubleBuffer: r.pick(["yes", 1, null]) }) },
];

function exactBlock(c: BlockCase, options: Record<string, unknown>): string {
  const r = dwpw.block(c.input, c.ops, options);
  return tensorDiff(r.output, referenceBlock(dwpw, c.input, c.ops, blockOutputLayout(r.report.schedule, c.input.layout)));
}

describe("hostile blocks and plans", () => {
  for (const [name, run] of [["block", dwpw.block], ["plan", dwpw.plan]] as const) {
    it(`${name}: every mutation of ops or options is rejected cleanly; the next valid block is exact`, () => {
      fc.assert(
        fc.property(fc.integer(), fc.nat(), (seed, mi) => {
          const rng = new Rng(seed);
          const c = randomBlock(rng) as BlockCase;
          const order = c.ops[0].kind === "depthwise" ? "dw-pw" : "pw-dw";
          const options: Record<string, unknown> = { schedule: rng.pick(applicableSchedules(dwpw.SCHEDULES, order, c.input.layout)) };
          const m = BLOCK_MUTATIONS[mi % BLOCK_MUTATIONS.length]!;
          const bad = { ...(cloneCase(c) as BlockCase), options: cloneCase(options) as Record<string, unknown> };
          m.apply(bad, rng);
          const err = rejection(() => (run as (a: unknown, b: unknown, o: unknown) => unknown)(bad.input, bad.ops, bad.options));
          expect(cleanRejection(err, m.field), `${m.name}: ${describeError(err)}`).toBe(true);
          expect(exactBlock(c, options), `valid block after "${m.name}"`).toBe("");
        }),
        { numRuns: 150 },
      );
    });
  }

  it("layer mutations inside a block name ops[0] or ops[1]", () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat(), fc.boolean(), (seed, mi, second) => {
        const rng = new Rng(seed);
        const c = randomBlock(rng) as BlockCase;
        const which = second ? 1 : 0;
        // Reuse the layer mutations that touch only the op, with "op" renamed to the op's place.
        const layerInput = which === 0 ? c.input : dwpw.reference.conv(c.input, c.ops[0]);
        const layer = { input: layerInput, op: c.ops[which] } as Case;
        const muts = mutationsFor(layer).filter((m: { field: string; name: string }) => m.field.startsWith("op") && !/pulp|gap/.test(m.name));
        const m = muts[mi % muts.length];
        const bad = cloneCase(layer) as Case;
        m.apply(bad, rng);
        const ops = [...c.ops] as [ConvOp, ConvOp];
        ops[which] = bad.op;
        const err = rejection(() => dwpw.block(c.input, ops));
        expect(cleanRejection(err, m.field.replace(/^op/, `ops[${which}]`)), `${m.name} in ops[${which}]: ${describeError(err)}`).toBe(true);
        expect(exactBlock(c, { schedule: "unfused" })).toBe("");
      }),
      { numRuns: 150 },
    );
  });

  it("arbitrary options never give anything but a result or a clean rejection", () => {
    const c = randomBlock(new Rng(11)) as BlockCase;
    const options = fc.oneof(
      hostileValue,
      fc.record({ schedule: fc.oneof(hostileValue, fc.constantFrom(...dwpw.SCHEDULES)), tiling: hostileValue, memory: hostileValue, maxRowsPerStep: hostileValue }, { requiredKeys: [] }),
      fc.record({ memory: fc.record({ l1: hostileValue, l1Usable: hostileValue, l2: hostileValue, dma: hostileValue, doubleBuffer: hostileValue }, { requiredKeys: [] }) }),
    );
    fc.assert(
      fc.property(options, (o) => {
        for (const run of [dwpw.plan, dwpw.block] as Array<(a: unknown, b: unknown, o: unknown) => unknown>) {
          let out: unknown = null;
          const err = rejection(() => (out = run(c.input, c.ops, o)));
          if (err !== null) {
            expect(err instanceof RangeError || err instanceof TypeError, describeError(err)).toBe(true);
          } else if (run === dwpw.block) {
            const r = out as { output: Tensor; report: dwpw.TransferReport };
            expect(tensorDiff(r.output, referenceBlock(dwpw, c.input, c.ops, blockOutputLayout(r.report.schedule, c.input.layout)))).toBe("");
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

// ---- The other public functions -------------------------------------------------------------

describe("quantization helpers, padding, check, init and createEngine", () => {
  const clean = (e: unknown) => e === null || e instanceof RangeError || e instanceof TypeError;

  it("tfliteMultipliers and onnxScales: results or RangeError/TypeError; multipliers always in the validated range", () => {
    const scale = fc.oneof(fc.double(), fc.constantFrom(0, 1e-45, 1e-38, 3.4e38, 3.5e38, NaN, Infinity, -1), hostileValue);
    const scales = fc.oneof(
      fc.record({ input: scale, weights: fc.oneof(fc.array(scale, { maxLength: 4 }), hostileValue), output: scale }),
      hostileValue,
    );
    fc.assert(
      fc.property(scales, fc.oneof(fc.constantFrom("double", "single", undefined)), (s, rounding) => {
        let t: { multiplier: Int32Array; shift: Int32Array } | null = null;
        const e1 = rejection(() => (t = dwpw.tfliteMultipliers(s as never, rounding as never)));
        expect(clean(e1), describeError(e1)).toBe(true);
        if (t) {
          const { multiplier, shift } = t as { multiplier: Int32Array; shift: Int32Array };
          for (const m of multiplier) expect(m === 0 || (m >= 2 ** 30 && m <= 2 ** 31 - 1)).toBe(true);
          for (const x of shift) expect(Number.isInteger(x)).toBe(true);
        }
        const e2 = rejection(() => dwpw.onnxScales(s as never));
        expect(clean(e2), describeError(e2)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it("padding.same/valid/symmetric on valid sizes give non-negative integer pads and the SAME output size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), (h, w, kh, kw, sh, sw) => {
          const p = dwpw.padding.same([h, w], [kh, kw], [sh, sw]);
          for (const v of Object.values(p)) expect(Number.isInteger(v) && v >= 0).toBe(true);
          expect(Math.floor((h + p.top + p.bottom - kh) / sh) + 1).toBe(Math.ceil(h / sh));
          expect(Math.floor((w + p.left + p.right - kw) / sw) + 1).toBe(Math.ceil(w / sw));
        }),
      { numRuns: 300 },
    );
    expect(dwpw.padding.valid()).toEqual({ top: 0, left: 0, bottom: 0, right: 0 });
  });

  it("padding helpers with hostile arguments: whatever they return, a depthwise op using it is exact or cleanly rejected", () => {
    const c = randomLayer(new Rng(5), "depthwise") as Case;
    fc.assert(
      fc.property(hostileValue, hostileValue, hostileValue, (a, b, s) => {
        let pad: unknown = null;
        const e = rejection(() => (pad = dwpw.padding.same(a as never, b as never, s as never)));
        expect(clean(e), describeError(e)).toBe(true);
        const e2 = rejection(() => (pad = dwpw.padding.symmetric(a as never)));
        expect(clean(e2), describeError(e2)).toBe(true);
        const op = { ...c.op, pad } as ConvOp;
        let got: Tensor | null = null;
        const e3 = rejection(() => (got = dwpw.conv(c.input, op)));
        if (e3 === null) expect(tensorDiff(got, dwpw.reference.conv(c.input, op))).toBe("");
        else expect(clean(e3), describeError(e3)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  // The helpers validate their own arguments, so a bad one is named where it is passed.
  it("padding.same with NaN sizes or zero strides throws a RangeError", () => {
    expect(rejection(() => dwpw.padding.same([NaN, 5], [3, 3], [1, 1]))).toBeInstanceOf(RangeError);
    expect(rejection(() => dwpw.padding.same([5, 5], [3, 3], [0, 0]))).toBeInstanceOf(RangeError);
  });
  it("padding.symmetric(-1) throws a RangeError", () => {
    expect(rejection(() => dwpw.padding.symmetric(-1))).toBeInstanceOf(RangeError);
  });
  it("onnxScales/tfliteMultipliers reject scales whose ratio leaves float32 / the shift range", () => {
    expect(rejection(() => dwpw.onnxScales({ input: 3e38, weights: [3e38], output: 1e-45 }))).toBeInstanceOf(RangeError); // gives [Infinity]
    expect(rejection(() => dwpw.tfliteMultipliers({ input: 3e38, weights: [3e38], output: 1e-45 }))).toBeInstanceOf(RangeError); // gives shift 405
  });
  it("tfliteMultipliers(null) and an unknown rounding name the argument", () => {
    expect(cleanRejection(rejection(() => dwpw.tfliteMultipliers(null as never)), "scales")).toBe(true);
    expect(cleanRejection(rejection(() => dwpw.tfliteMultipliers({ input: 1, weights: [1], output: 1 }, "banana" as never)), "rounding")).toBe(true);
  });

  it("check: findings or RangeError/TypeError for arbitrary subjects and options, in bounded time", () => {
    const c = randomLayer(new Rng(8)) as Case;
    const subject = fc.oneof(
      hostileValue,
      fc.record({ input: fc.oneof(hostileValue, fc.constant(c.input)), op: fc.oneof(hostileValue, fc.constant(c.op)) }),
      fc.record({ input: fc.constant(c.input), ops: fc.oneof(hostileValue, fc.tuple(fc.constant(c.op), hostileValue)) }),
      fc.array(fc.record({ input: fc.oneof(hostileValue, fc.constant(c.input)), op: fc.oneof(hostileValue, fc.constant(c.op)) }), { maxLength: 3 }),
    );
    const options = fc.oneof(hostileValue, fc.record({ target: fc.constantFrom("pulp-nn", "dory-fused", "x"), schedule: hostileValue, pointwise: hostileValue }, { requiredKeys: ["target"] }));
    fc.assert(
      fc.property(subject, options, (s, o) => {
        const t0 = performance.now();
        let out: unknown = null;
        const e = rejection(() => (out = dwpw.check(s as never, o as never)));
        expect(clean(e), describeError(e)).toBe(true);
        if (e === null) expect(Array.isArray(out)).toBe(true);
        expect(performance.now() - t0).toBeLessThan(2000);
      }),
      { numRuns: 300 },
    );
  });

  it("init is idempotent, also when called concurrently", async () => {
    const before = dwpw.defaultEngine();
    await Promise.all([dwpw.init(), dwpw.init(), dwpw.init()]);
    expect(dwpw.defaultEngine()).toBe(before);
  });

  it("createEngine(null) / { simd: \"no\" } name options.simd", async () => {
    await expect(createEngine(null as never)).rejects.toThrow(/options/);
    await expect(createEngine({ simd: "no" } as never)).rejects.toThrow(/options.simd/); // today: a SIMD engine
  });

  it("createEngine: an engine or a RangeError/TypeError for arbitrary options; every engine made is exact", async () => {
    const c = randomLayer(new Rng(12)) as Case;
    const want = dwpw.reference.conv(c.input, c.op);
    const samples = fc.sample(fc.oneof(hostileValue, fc.record({ simd: hostileValue }, { requiredKeys: [] })), { numRuns: 40, seed: 42 });
    for (const o of [...samples, undefined, {}, { simd: false }, { simd: true }]) {
      let engine: Engine | null = null;
      let err: unknown = null;
      try {
        engine = await createEngine(o as never);
      } catch (e) {
        err = e;
      }
      expect(clean(err), `${fc.stringify(o)}: ${describeError(err)}`).toBe(true);
      if (engine) expect(tensorDiff(engine.conv(c.input, c.op), want)).toBe("");
    }
  });
});
