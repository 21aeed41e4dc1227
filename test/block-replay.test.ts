// A block prepared once (PreparedBlock, what the ONNX runner keeps per block of a network): its
// first run walks the schedule on the model and records it, later runs replay the record in one
// WebAssembly call. Every run, recorded or replayed, must give the reference's bytes layer by
// layer and plan()'s report field by field, on new input values, between other calls on the same
// engine, on another engine, and after a refused call. And the weight loads the replay counts
// without copying them are the ones nothing reads in L1.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { block, createEngine, defaultEngine, init, plan, reference, SCHEDULES, toLayout } from "../src/index.js";
import type { BlockOptions, MemoryConfig } from "../src/index.js";
import { PreparedBlock } from "../src/scratchpad/index.js";
import { describeBlock } from "../src/scratchpad/block.js";
import { execute } from "../src/scratchpad/execute.js";
import { resolveMemory } from "../src/scratchpad/memory.js";
import { choosePlan } from "../src/scratchpad/plan.js";
import { schedule } from "../src/scratchpad/schedules.js";
import { TRACE_OP, TRANSFER_KIND } from "../src/wasm/interface.generated.js";
import type { ConvOp, Layout, Tensor } from "../src/types.js";
import { BLOCK_SCHEMES, makeBlock, type BlockCase, type Order } from "./helpers/blocks.js";
import { Rng } from "./helpers/kernels.js";

beforeAll(async () => {
  await init();
});

const layerByLayer = (input: Tensor, ops: [ConvOp, ConvOp]): Tensor => reference.conv(reference.conv(input, ops[0]), ops[1]);

/** The output in the reference's layout, as plain numbers (a mismatch prints the first bytes). */
function expectSameBytes(got: Tensor, want: Tensor, what: string): void {
  const g = toLayout(got, want.layout);
  expect([g.height, g.width, g.channels, g.zeroPoint, g.data.constructor], what).toEqual([want.height, want.width, want.channels, want.zeroPoint, want.data.constructor]);
  const i = g.data.findIndex((v, j) => v !== want.data[j]);
  expect(i, `${what}: first differing byte`).toBe(-1);
}

/** Another input of the same shape, dtype and zero point, with other values. */
function otherValues(t: Tensor, seed: number): Tensor {
  const g = new Rng(seed);
  const n = t.data.length;
  const data = t.data instanceof Int8Array ? Int8Array.from({ length: n }, () => g.int(-128, 127)) : Uint8Array.from({ length: n }, () => g.int(0, 255));
  return { ...t, data };
}

const order = (s: string): Order => s.split("/")[0] as Order;
const inputLayout = (s: string): Layout => s.split("/")[1]!.split("-")[0] as Layout;
const COMBOS = SCHEDULES.flatMap((s) =>
  s === "unfused"
    ? (["dw-pw", "pw-dw"] as const).flatMap((o) => (["HWC", "CHW"] as const).map((layout) => ({ schedule: s, order: o, layout })))
    : [{ schedule: s, order: order(s), layout: inputLayout(s) }],
);

/** Blocks of up to 14x14 with odd channel counts, strides and padding on every side. */
function specArb(o: Order, layout: Layout, scheme: string): fc.Arbitrary<BlockCase> {
  return fc
    .record({
      kernel: fc.constantFrom<[number, number]>([3, 3], [5, 5], [1, 1], [2, 3]),
      stride: fc.constantFrom<[number, number]>([1, 1], [2, 2], [1, 2]),
      height: fc.integer({ min: 1, max: 14 }),
      width: fc.integer({ min: 1, max: 14 }),
      channels: fc.integer({ min: 1, max: 41 }),
      outChannels: fc.integer({ min: 1, max: 40 }),
      pads: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 4, maxLength: 4 }),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    })
    .map(({ kernel, stride, height, width, channels, outChannels, pads, seed }) => {
      const [t, l, b, r] = pads.map((p, i) => p % kernel[i % 2 === 0 ? 0 : 1]!) as [number, number, number, number];
      return {
        order: o, layout, scheme, kernel, stride, channels, outChannels, seed,
        pad: { top: t, left: l, bottom: b, right: r },
        height: Math.max(height, kernel[0] - t - b),
        width: Math.max(width, kernel[1] - l - r),
      };
    });
}

/** A small L1 (many tiles, windows that slide, weights that stream) with or without double buffering, or GAP8's. */
const memoryArb: fc.Arbitrary<Partial<MemoryConfig> | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.record({ l1: fc.constant(64000), l1Usable: fc.integer({ min: 1500, max: 6000 }), doubleBuffer: fc.boolean() }),
);

/** A prepared block, or null when its schedule does not fit the memory (the planner's refusal, tested elsewhere). */
function prepare(input: Tensor, ops: [ConvOp, ConvOp], opts: BlockOptions): PreparedBlock | null {
  try {
    return new PreparedBlock(input, ops, opts);
  } catch (e) {
    if (e instanceof Error && e.name === "L1OverflowError") return null;
    throw e;
  }
}

describe("a prepared block: recorded, then replayed", () => {
  for (const combo of COMBOS) {
    it(`${combo.schedule} [${combo.order}, ${combo.layout}]: every scheme, new inputs, other calls in between`, () => {
      let replayed = 0;
      const arb = fc.record({ scheme: fc.constantFrom(...BLOCK_SCHEMES), memory: memoryArb, other: fc.integer({ min: 0, max: 2 ** 31 - 1 }) })
        .chain(({ scheme, memory, other }) => fc.record({ spec: specArb(combo.order, combo.layout, scheme), memory: fc.constant(memory), other: fc.constant(other) }));
      fc.assert(
        fc.property(arb, ({ spec, memory, other }) => {
          const { input, ops } = makeBlock(spec);
          const opts: BlockOptions = { schedule: combo.schedule, ...(memory ? { memory } : {}) };
          const pb = prepare(input, ops, opts);
          if (!pb) return;
          const want = plan(input, ops, opts);
          const engine = defaultEngine();
          const first = pb.run(engine, input);
          expectSameBytes(first.output, layerByLayer(input, ops), "recorded run");
          expect(first.report).toStrictEqual(want);
          // New values: the record holds no value of the first input.
          const input2 = otherValues(input, other);
          const second = pb.run(engine, input2);
          expectSameBytes(second.output, layerByLayer(input2, ops), "replay on new values");
          expect(second.report).toStrictEqual(want);
          // Other calls on the engine reuse its memory between the runs.
          const o = makeBlock({ ...spec, seed: other, scheme: BLOCK_SCHEMES[other % BLOCK_SCHEMES.length]! });
          try {
            block(o.input, o.ops);
          } catch (e) {
            if (!(e instanceof Error && e.name === "L1OverflowError")) throw e;
          }
          engine.conv(o.input, o.ops[0]);
          const third = pb.run(engine, input);
          expectSameBytes(third.output, first.output, "replay after other calls");
          expect(third.report).toStrictEqual(want);
          expect(pb.runs).toEqual({ walked: 1, replayed: 2 });
          replayed++;
        }),
        { numRuns: 10, seed: 0x5eed + combo.schedule.length },
      );
      // Most drawn blocks fit: the replays above were not all skipped.
      expect(replayed).toBeGreaterThan(3);
    });
  }

  it("a record is kept per engine: another engine walks again and gives the same bytes", async () => {
    const spec = {
      order: "dw-pw", layout: "HWC", scheme: BLOCK_SCHEMES[0]!, height: 13, width: 11, channels: 37, outChannels: 23,
      kernel: [3, 3], stride: [2, 2], pad: { top: 1, left: 0, bottom: 1, right: 2 }, seed: 11,
    } as const satisfies BlockCase;
    const { input, ops } = makeBlock({ ...spec, kernel: [3, 3], stride: [2, 2], pad: { ...spec.pad } });
    const opts = { memory: { l1Usable: 3000, l1: 64000 } };
    const pb = new PreparedBlock(input, ops, opts);
    const want = layerByLayer(input, ops);
    const scalar = await createEngine({ simd: false });
    for (const e of [defaultEngine(), defaultEngine(), scalar, scalar, defaultEngine()]) {
      const r = pb.run(e, input);
      expectSameBytes(r.output, want, "run");
      expect(r.report).toStrictEqual(plan(input, ops, opts));
    }
    expect(pb.runs).toEqual({ walked: 3, replayed: 2 });
  });

  it("refuses an input of another shape, dtype, layout or zero point with a RangeError; the next run is right", () => {
    const { input, ops } = makeBlock({
      order: "pw-dw", layout: "CHW", scheme: BLOCK_SCHEMES[1]!, height: 9, width: 7, channels: 19, outChannels: 21,
      kernel: [3, 3], stride: [1, 1], pad: { top: 1, left: 1, bottom: 1, right: 1 }, seed: 5,
    });
    const pb = new PreparedBlock(input, ops, { memory: { l1Usable: 2500, l1: 64000 } });
    const e = defaultEngine();
    pb.run(e, input);
    const wrong: Tensor[] = [
      { ...input, height: 8, data: input.data.subarray(0, 8 * 7 * 19) },
      { ...input, layout: "HWC" },
      { ...input, zeroPoint: input.zeroPoint + 1 },
      { ...input, data: input.data instanceof Int8Array ? new Uint8Array(input.data.length) : new Int8Array(input.data.length) },
    ];
    for (const w of wrong) expect(() => pb.run(e, w)).toThrow(RangeError);
    const input2 = otherValues(input, 99);
    expectSameBytes(pb.run(e, input2).output, layerByLayer(input2, ops), "after refusals");
    expect(pb.runs).toEqual({ walked: 1, replayed: 1 });
  });

  it("writes into a given output array of the output's size and dtype, and refuses another", () => {
    const { input, ops } = makeBlock({
      order: "dw-pw", layout: "CHW", scheme: BLOCK_SCHEMES[2]!, height: 10, width: 12, channels: 17, outChannels: 33,
      kernel: [3, 3], stride: [1, 1], pad: { top: 1, left: 1, bottom: 1, right: 1 }, seed: 8,
    });
    const pb = new PreparedBlock(input, ops);
    const want = layerByLayer(input, ops);
    const e = defaultEngine();
    const n = want.data.length;
    const out = want.data instanceof Int8Array ? new Int8Array(n) : new Uint8Array(n);
    for (let k = 0; k < 2; k++) {
      const r = pb.run(e, input, out);
      expect(r.output.data).toBe(out);
      expectSameBytes(r.output, want, `run ${k}`);
    }
    expect(() => pb.run(e, input, out.subarray(1))).toThrow(/output buffer/);
  });
});

describe("the replay's weight loads", () => {
  it("counts a streamed pointwise tile's weights without copying them; copies a streamed depthwise tile's, which its kernel reads in L1", () => {
    // dw-pw in rows, 3 depthwise and 4 pointwise channels per tile: both layers' weights stream.
    const { input, ops } = makeBlock({
      order: "dw-pw", layout: "HWC", scheme: BLOCK_SCHEMES[0]!, height: 6, width: 5, channels: 7, outChannels: 10,
      kernel: [3, 3], stride: [1, 1], pad: { top: 1, left: 1, bottom: 1, right: 1 }, seed: 3,
    });
    const blk = describeBlock(input, ops);
    const mem = resolveMemory();
    const planned = choosePlan(blk, mem, { schedule: "dw-pw/HWC-HWC-HWC/rows", tiling: { rows: 1, outChannels: 4, dwChannels: 3 } });
    const r = execute(defaultEngine(), blk, input, schedule(planned.schedule), planned, mem, { record: true });
    // The weight loads of the record, by size: 3 or 1 depthwise channels (9 bytes each), 4 or 2 pointwise (7 each).
    const loads = { copied: [] as number[], unread: [] as number[] };
    const w = r.recorded!.words;
    for (let p = 0; p < w.length; ) {
      const op = Object.values(TRACE_OP).find((o) => o.code === w[p])!;
      if ((op === TRACE_OP.linear || op === TRACE_OP.linearUnread) && w[p + 1] === TRANSFER_KIND.weights) {
        (op === TRACE_OP.linear ? loads.copied : loads.unread).push(w[p + 4]!);
      }
      p += 1 + (op.words >= 0 ? op.words : 2 + w[p + 2]!);
    }
    // 6 steps: 3 depthwise loads (3, 3, 1 channels) and 3 pointwise loads (4, 4, 2 channels) each.
    expect(loads.copied).toEqual(Array.from({ length: 6 }, () => [27, 27, 9]).flat());
    expect(loads.unread).toEqual(Array.from({ length: 6 }, () => [28, 28, 14]).flat());
    expectSameBytes(r.output, layerByLayer(input, ops), "recorded run");
  });
});
