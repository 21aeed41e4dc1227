// Depthwise-separable blocks on the GAP8 scratchpad model (SPEC §5):
// (1) every schedule x layout x scheme x random shapes, memories and forced tilings gives the bytes
//     of `reference` run layer by layer, and `plan` equals the executed report field by field;
// (2) a layer that fits L1 whole moves its input, output, weights and parameters exactly once;
// (3) the automatic schedule choice, and the paper's direction on MobileNet-like blocks;
// (4) argument errors, each followed by a good call; (5) determinism and no memory growth.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { block, defaultEngine, init, plan, reference, SCHEDULES, toLayout } from "../src/index.js";
import type { BlockOptions, MemoryConfig, TransferReport } from "../src/index.js";
import type { ConvOp, DepthwiseOp, Layout, Padding, PointwiseOp, Tensor } from "../src/types.js";
import { BLOCK_SCHEMES, makeBlock, paramBytesPerChannelByHand, type BlockScheme, type BlockCase, type Order } from "./helpers/blocks.js";

/** Runs per property (schedule x layout x scheme); BLOCK_RUNS overrides (in Node; the suite also runs in a browser). */
const RUNS = Number((typeof process === "undefined" ? undefined : process.env?.BLOCK_RUNS) ?? 48);
const FUSED = SCHEDULES.filter((s) => s !== "unfused");
/** GAP8 L1 minus the default usable part: what `l1` without `l1Usable` keeps back. */
const GAP8_USABLE = 36700;
const BIG_L1: Partial<MemoryConfig> = { l1: 4_000_000, l1Usable: 4_000_000 };

beforeAll(async () => {
  await init();
});

// ---------------------------------------------------------------------------------------------
// Helpers

/** Order and block-input layout a fused schedule name says it runs. */
function scheduleShape(name: string): { order: Order; layout: Layout } {
  const [order, layouts] = name.split("/") as [Order, string];
  return { order, layout: layouts.split("-")[0] as Layout };
}

/** The schedules that apply to a block (unfused always; a fused one only with its order and input layout). */
function applicableSchedules(order: Order, layout: Layout): string[] {
  return SCHEDULES.filter((s) => s === "unfused" || (scheduleShape(s).order === order && scheduleShape(s).layout === layout));
}

/** The usable L1 a memory override leaves, by hand (SPEC §5 defaults). */
function usableL1(m: Partial<MemoryConfig> | undefined): number {
  if (m?.l1Usable !== undefined) return m.l1Usable;
  if (m?.l1 !== undefined) return Math.max(m.l1 - (64000 - GAP8_USABLE), 1);
  return GAP8_USABLE;
}

/** Null when `got` is `want` (shape, zero point, dtype, bytes), else a description of the first difference. */
function tensorDiff(got: Tensor, want: Tensor): string | null {
  const g = toLayout(got, want.layout);
  for (const k of ["height", "width", "channels", "zeroPoint", "layout"] as const) {
    if (g[k] !== want[k]) return `${k}: got ${g[k]}, want ${want[k]}`;
  }
  if (g.data.constructor !== want.data.constructor) return `dtype: got ${g.data.constructor.name}, want ${want.data.constructor.name}`;
  if (g.data.length !== want.data.length) return `length: got ${g.data.length}, want ${want.data.length}`;
  const i = g.data.findIndex((v, j) => v !== want.data[j]);
  if (i < 0) return null;
  const C = want.channels, W = want.width, H = want.height;
  const [y, x, c] = want.layout === "HWC" ? [Math.floor(i / (W * C)), Math.floor(i / C) % W, i % C] : [Math.floor(i / W) % H, i % W, Math.floor(i / (H * W))];
  let n = 0;
  for (let j = 0; j < want.data.length; j++) if (g.data[j] !== want.data[j]) n++;
  return `${n} bytes differ; first at (y ${y}, x ${x}, c ${c}): got ${g.data[i]}, want ${want.data[i]}`;
}

/** The reference run layer by layer. */
const layerByLayer = (input: Tensor, ops: [ConvOp, ConvOp]): Tensor => reference.conv(reference.conv(input, ops[0]), ops[1]);

/** Shapes of a block by hand: [input, intermediate, output] as [H, W, C] and the depthwise geometry. */
function shapes(spec: Pick<BlockCase, "order" | "height" | "width" | "channels" | "outChannels" | "kernel" | "stride" | "pad">) {
  const { height: H, width: W, channels: C, outChannels: Co, kernel: [kh, kw], stride: [sh, sw], pad } = spec;
  const ho = Math.floor((H + pad.top + pad.bottom - kh) / sh) + 1;
  const wo = Math.floor((W + pad.left + pad.right - kw) / sw) + 1;
  if (spec.order === "dw-pw") return { mid: [ho, wo, C], out: [ho, wo, Co], dwIn: [H, W, C], dwOut: [ho, wo, C], dwC: C };
  return { mid: [H, W, Co], out: [ho, wo, Co], dwIn: [H, W, Co], dwOut: [ho, wo, Co], dwC: Co };
}
const vol = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** The overflow message's numbers: "... needs N bytes, D more than the U usable". */
const OVERFLOW = /needs (\d+) bytes, (\d+) more than the (\d+) usable/;

/** Checks an L1OverflowError and returns the bytes it says are needed. */
function checkOverflow(e: unknown, usable: number): number {
  expect(e).toBeInstanceOf(RangeError);
  const err = e as RangeError;
  expect(err.name).toBe("L1OverflowError");
  const m = OVERFLOW.exec(err.message);
  expect(m, err.message).not.toBeNull();
  const [need, more, u] = [Number(m![1]), Number(m![2]), Number(m![3])];
  expect(u).toBe(usable);
  expect(more).toBeGreaterThan(0);
  expect(need - u).toBe(more);
  return need;
}

const isOverflow = (e: unknown): boolean => e instanceof Error && e.name === "L1OverflowError";

// ---------------------------------------------------------------------------------------------
// Arbitraries

const padArb = (k: number) => fc.integer({ min: 0, max: k - 1 });
const kernelArb = fc.oneof(
  { weight: 5, arbitrary: fc.constant<[number, number]>([3, 3]) },
  { weight: 4, arbitrary: fc.constant<[number, number]>([5, 5]) },
  { weight: 1, arbitrary: fc.constant<[number, number]>([1, 1]) },
  { weight: 1, arbitrary: fc.constant<[number, number]>([2, 3]) },
);
const strideArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<[number, number]>([1, 1], [2, 2]) },
  { weight: 1, arbitrary: fc.constantFrom<[number, number]>([1, 2], [2, 1]) },
);
const channelsArb = fc.oneof(fc.integer({ min: 0, max: 19 }).map((k) => 2 * k + 1), fc.integer({ min: 1, max: 40 }));

/** A random block shape for an order, layout and scheme (H fixed up so the output is never empty). */
function specArb(order: Order, layout: Layout, scheme: BlockScheme): fc.Arbitrary<BlockCase> {
  return fc
    .record({ kernel: kernelArb, stride: strideArb, seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }) })
    .chain(({ kernel, stride, seed }) =>
      fc.record({
        height: fc.integer({ min: 1, max: 14 }),
        width: fc.integer({ min: 1, max: 14 }),
        channels: channelsArb,
        outChannels: fc.integer({ min: 1, max: 40 }),
        pad: fc.record({ top: padArb(kernel[0]), bottom: padArb(kernel[0]), left: padArb(kernel[1]), right: padArb(kernel[1]) }),
        kernel: fc.constant(kernel),
        stride: fc.constant(stride),
        seed: fc.constant(seed),
      }),
    )
    .map((s) => ({
      ...s,
      order,
      layout,
      scheme,
      height: Math.max(s.height, s.kernel[0] - s.pad.top - s.pad.bottom),
      width: Math.max(s.width, s.kernel[1] - s.pad.left - s.pad.right),
    }));
}

const dmaArb = fc.oneof(
  fc.constantFrom<MemoryConfig["dma"]>("dory-gap8", "match-gap9"),
  fc.record({
    bytesPerCycle: fc.constantFrom(1, 2, 4, 8, 3.5),
    cyclesPerCommand: fc.constantFrom(0, 10, 100, 920, 12.5),
    layoutBytesPerCycle: fc.constantFrom(0.5, 1, 2),
    layoutCyclesPerChannel: fc.constantFrom(0, 12, 7.25),
  }),
);

/** Default GAP8, a small usable L1 (1,500..8,000 B), or GAP8 sizes with other DMA / buffering. */
const memoryArb: fc.Arbitrary<Partial<MemoryConfig> | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 4,
    arbitrary: fc.record(
      { l1: fc.constant(64000), l1Usable: fc.integer({ min: 1500, max: 8000 }), doubleBuffer: fc.boolean(), dma: dmaArb },
      { requiredKeys: ["l1Usable"] },
    ),
  },
  { weight: 2, arbitrary: fc.record({ doubleBuffer: fc.boolean(), dma: dmaArb }, { requiredKeys: [] }) },
  // Only `l1`: the usable part is l1 minus GAP8's 27,300 B of stacks.
  { weight: 1, arbitrary: fc.record({ l1: fc.integer({ min: 28_800, max: 36_000 }), doubleBuffer: fc.boolean() }, { requiredKeys: ["l1"] }) },
);

const TILING_KEYS: Record<string, string[]> = {
  dwpw: ["rows", "outChannels", "dwChannels"],
  pwdwRows: ["rows", "outChannels"],
  pwdwChannels: ["channels", "inputRows"],
  unfused: ["dwRows", "dwChannels", "pwRows", "pwOutChannels"],
};
function tilingKeys(schedule: string): string[] {
  if (schedule === "unfused") return TILING_KEYS.unfused!;
  if (schedule.startsWith("dw-pw")) return TILING_KEYS.dwpw!;
  return schedule.endsWith("/rows") ? TILING_KEYS.pwdwRows! : TILING_KEYS.pwdwChannels!;
}

/** Forced tile sizes: absent (searched), 1, small awkward values, or beyond the tensor (clamped). */
const tileValueArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constant(1) },
  { weight: 3, arbitrary: fc.integer({ min: 2, max: 7 }) },
  { weight: 1, arbitrary: fc.integer({ min: 8, max: 60 }) },
);
function tilingArb(schedule: string): fc.Arbitrary<Record<string, number> | undefined> {
  const keys = tilingKeys(schedule);
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 4,
      arbitrary: fc.tuple(...keys.map(() => tileValueArb)).map((vals) => {
        const t: Record<string, number> = {};
        vals.forEach((v, i) => v !== undefined && (t[keys[i]!] = v));
        return t;
      }),
    },
  );
}

/** The largest meaningful value of each tiling key, by hand: forced values beyond it are clamped. */
function tilingLimit(spec: BlockCase, key: string): number {
  const s = shapes(spec);
  const dwOutH = s.dwOut[0]!, pwIn = spec.order === "dw-pw" ? s.mid : [spec.height, spec.width, spec.channels];
  switch (key) {
    case "rows":
    case "dwRows":
      return dwOutH;
    case "outChannels":
    case "channels":
    case "pwOutChannels":
      return spec.outChannels;
    case "inputRows":
    case "pwRows":
      return pwIn[0]!;
    case "dwChannels":
      return s.dwC;
  }
  throw new Error(`unknown key ${key}`);
}

// ---------------------------------------------------------------------------------------------
// (1) Bit-exactness and plan == executed report, property-based

const stats = { run: 0, overflow: 0, bySchedule: {} as Record<string, { run: number; overflow: number }> };

interface Combo {
  schedule: string;
  order: Order;
  layout: Layout;
}
const COMBOS: Combo[] = [
  ...FUSED.map((s) => ({ schedule: s, ...scheduleShape(s) })),
  ...(["dw-pw", "pw-dw"] as const).flatMap((order) => (["HWC", "CHW"] as const).map((layout) => ({ schedule: "unfused", order, layout }))),
];

describe("test helpers", () => {
  it("tensorDiff sees one changed byte, a changed zero point and a changed dtype; not a layout change", () => {
    const { input } = makeBlock({
      order: "dw-pw", layout: "HWC", scheme: "onnx-int8", height: 3, width: 4, channels: 5, outChannels: 2,
      kernel: [3, 3], stride: [1, 1], pad: { top: 1, left: 1, bottom: 1, right: 1 }, seed: 1,
    });
    expect(tensorDiff(input, input)).toBeNull();
    expect(tensorDiff(toLayout(input, "CHW"), input)).toBeNull();
    const data = Int8Array.from(input.data);
    data[2 * 4 * 5 + 3 * 5 + 4] = (data[2 * 4 * 5 + 3 * 5 + 4]! ^ 1) << 24 >> 24;
    expect(tensorDiff({ ...input, data }, input)).toMatch(/1 bytes differ; first at \(y 2, x 3, c 4\)/);
    expect(tensorDiff({ ...input, zeroPoint: input.zeroPoint + 1 }, input)).toMatch(/zeroPoint/);
    expect(tensorDiff({ ...input, data: Uint8Array.from(input.data) }, input)).toMatch(/dtype/);
  });
});

describe("block: every schedule gives the reference's bytes and plan()'s report", () => {
  COMBOS.forEach((combo, ci) => {
    describe(`${combo.schedule} [${combo.order}, ${combo.layout} input]`, () => {
      BLOCK_SCHEMES.forEach((scheme, si) => {
        it(scheme, () => {
          const arb = fc.record({
            spec: specArb(combo.order, combo.layout, scheme),
            memory: memoryArb,
            tiling: tilingArb(combo.schedule),
            maxRowsPerStep: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 6 }) }),
          });
          fc.assert(
            fc.property(arb, ({ spec, memory, tiling, maxRowsPerStep }) => {
              const { input, ops } = makeBlock(spec);
              const opts: BlockOptions = { schedule: combo.schedule };
              if (memory !== undefined) opts.memory = memory;
              if (tiling !== undefined) opts.tiling = tiling;
              if (maxRowsPerStep !== undefined) opts.maxRowsPerStep = maxRowsPerStep;
              const usable = usableL1(memory);
              const tally = (stats.bySchedule[combo.schedule] ??= { run: 0, overflow: 0 });
              let res: { output: Tensor; report: TransferReport };
              try {
                res = block(input, ops, opts);
              } catch (e) {
                if (!isOverflow(e)) throw e;
                const need = checkOverflow(e, usable);
                // plan() refuses the same options with the same figures.
                let planErr: unknown = null;
                try {
                  plan(input, ops, opts);
                } catch (pe) {
                  planErr = pe;
                }
                expect(checkOverflow(planErr, usable)).toBe(need);
                stats.overflow++;
                tally.overflow++;
                return;
              }
              stats.run++;
              tally.run++;
              const { output, report } = res;
              const diff = tensorDiff(output, layerByLayer(input, ops));
              expect(diff, "block output vs reference layer by layer").toBeNull();
              expect(report).toStrictEqual(plan(input, ops, opts));
              expect(report.schedule).toBe(combo.schedule);
              expect(report.peakL1Bytes).toBeLessThanOrEqual(usable);
              expect(report.peakL1Bytes).toBeGreaterThan(0);
              const s = shapes(spec);
              // Every output byte is written to L2 exactly once, whatever the tiling.
              expect(report.l1ToL2.output).toBe(vol(s.out));
              if (combo.schedule === "unfused") {
                expect(report.l1ToL2.intermediate).toBe(vol(s.mid));
                expect(report.l2ToL1.intermediate).toBeGreaterThan(0);
              } else {
                expect(report.l2ToL1.intermediate).toBe(0);
                expect(report.l1ToL2.intermediate).toBe(0);
              }
              expect(report.activationBytes).toBe(report.l2ToL1.input + report.l2ToL1.intermediate + report.l1ToL2.intermediate + report.l1ToL2.output);
              // Each weight is moved at least once.
              expect(report.l2ToL1.weights).toBeGreaterThanOrEqual(s.dwC * spec.kernel[0] * spec.kernel[1] + spec.channels * spec.outChannels);
              // Forced tile sizes are kept, clamped to the tensor.
              expect(Object.keys(report.tiling).sort()).toEqual([...tilingKeys(combo.schedule)].sort());
              for (const [k, v] of Object.entries(tiling ?? {})) expect(report.tiling[k], `tiling.${k}`).toBe(Math.min(v, tilingLimit(spec, k)));
              expect(output.layout).toBe(combo.schedule === "unfused" ? spec.layout : (combo.schedule.split("/")[1]!.split("-")[1] as Layout));
            }),
            { seed: 0xb10c + 97 * ci + si, numRuns: RUNS },
          );
        });
      });
    });
  });

  it("ran most cases; the ones that did not fit were refused with an L1OverflowError", () => {
    const total = stats.run + stats.overflow;
    if (total === 0) return; // the properties were filtered out
    console.log(`block properties: ${stats.run} run, ${stats.overflow} refused (L1OverflowError)`, JSON.stringify(stats.bySchedule));
    expect(stats.overflow).toBeGreaterThan(0);
    expect(stats.run).toBeGreaterThan(0.6 * total);
    for (const [s, t] of Object.entries(stats.bySchedule)) expect(t.run, `${s} ran ${t.run} of ${t.run + t.overflow}`).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// L1 overflow: the error says by how many bytes, and that many more bytes are enough

describe("block: a tiling that cannot fit L1 is refused with the shortfall in bytes", () => {
  const spec: BlockCase = {
    order: "pw-dw", layout: "HWC", scheme: "tflite-double", height: 6, width: 7, channels: 9, outChannels: 31,
    kernel: [3, 3], stride: [1, 1], pad: { top: 1, left: 1, bottom: 1, right: 1 }, seed: 3,
  };

  it("every schedule, 60 usable bytes: RangeError named L1OverflowError with need - usable bytes", () => {
    for (const order of ["dw-pw", "pw-dw"] as const) {
      for (const layout of ["HWC", "CHW"] as const) {
        const { input, ops } = makeBlock({ ...spec, order, layout });
        for (const schedule of applicableSchedules(order, layout)) {
          const memory = { l1: 64000, l1Usable: 60 };
          expect(() => block(input, ops, { schedule, memory }), schedule).toThrow(RangeError);
          let err: unknown;
          try {
            block(input, ops, { schedule, memory });
          } catch (e) {
            err = e;
          }
          checkOverflow(err, 60);
          expect((err as Error).message).toContain(schedule);
        }
      }
    }
  });

  it("a fully forced tiling that overflows by D bytes fits with D more bytes and not with D - 1", () => {
    const { input, ops } = makeBlock(spec);
    const forced: Record<string, Record<string, number>> = {
      "pw-dw/HWC-HWC-CHW/rows": { rows: 3, outChannels: 7 },
      "pw-dw/HWC-HWC-HWC/rows": { rows: 2, outChannels: 31 },
      "pw-dw/HWC-HWC-CHW/channels": { channels: 5, inputRows: 4 },
      "pw-dw/HWC-HWC-HWC/channels": { channels: 31, inputRows: 6 },
      unfused: { pwRows: 4, pwOutChannels: 9, dwRows: 2, dwChannels: 13 },
    };
    for (const [schedule, tiling] of Object.entries(forced)) {
      let err: unknown;
      try {
        plan(input, ops, { schedule, tiling, memory: { l1: 64000, l1Usable: 500 } });
      } catch (e) {
        err = e;
      }
      const need = checkOverflow(err, 500);
      const r = block(input, ops, { schedule, tiling, memory: { l1: 64000, l1Usable: need } }).report;
      expect(r.peakL1Bytes, schedule).toBe(need);
      expect(() => plan(input, ops, { schedule, tiling, memory: { l1: 64000, l1Usable: need - 1 } }), schedule).toThrow(/ 1 more than/);
    }
  });

  // The shortfall must be the block's, not one layer's: with `need` usable bytes the block fits.
  it("the reported need is enough for every schedule (searched tiling, also unfused where both layers overflow)", () => {
    const arb = fc.constantFrom(...COMBOS).chain((combo) =>
      fc.record({
        combo: fc.constant(combo),
        spec: specArb(combo.order, combo.layout, "tflite-double"),
        usable: fc.integer({ min: 8, max: 400 }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ combo, spec: s, usable }) => {
        const { input, ops } = makeBlock(s);
        const memory = { l1: 64000, l1Usable: usable };
        let err: unknown = null;
        try {
          plan(input, ops, { schedule: combo.schedule, memory });
        } catch (e) {
          err = e;
        }
        if (err === null) return;
        const need = checkOverflow(err, usable);
        let again: unknown = null;
        try {
          const r = plan(input, ops, { schedule: combo.schedule, memory: { l1: 64000, l1Usable: need } });
          expect(r.peakL1Bytes).toBeLessThanOrEqual(need);
        } catch (e) {
          again = e;
        }
        expect(again === null ? null : `"${(err as Error).message}" but with ${need} usable: "${(again as Error).message}"`).toBeNull();
      }),
      { seed: 0x0f10, numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// (2) A block that fits L1 whole moves everything once

describe("block: with an L1 that holds everything, each tensor and weight moves exactly once", () => {
  const cases: Array<Omit<BlockCase, "order" | "layout" | "seed" | "scheme">> = [
    { height: 9, width: 7, channels: 13, outChannels: 21, kernel: [3, 3], stride: [1, 1], pad: { top: 1, left: 1, bottom: 1, right: 1 } },
    { height: 11, width: 6, channels: 5, outChannels: 17, kernel: [5, 5], stride: [2, 2], pad: { top: 2, left: 1, bottom: 2, right: 3 } },
    { height: 10, width: 8, channels: 7, outChannels: 3, kernel: [3, 3], stride: [2, 1], pad: { top: 0, left: 2, bottom: 0, right: 0 } },
    { height: 4, width: 13, channels: 1, outChannels: 40, kernel: [2, 3], stride: [1, 2], pad: { top: 1, left: 0, bottom: 0, right: 2 } },
  ];
  /** Rows of a depthwise input any window reads, by hand (kernel at least as tall as the stride). */
  const rowsRead = (H: number, ho: number, kh: number, sh: number, pt: number) => Math.min(H, (ho - 1) * sh - pt + kh) - Math.max(0, -pt);

  for (const order of ["dw-pw", "pw-dw"] as const) {
    for (const layout of ["HWC", "CHW"] as const) {
      for (const schedule of applicableSchedules(order, layout)) {
        it(`${schedule} [${order}, ${layout}]`, () => {
          cases.forEach((c, i) => {
            for (const scheme of BLOCK_SCHEMES) {
              const spec: BlockCase = { ...c, order, layout, scheme, seed: 1000 + i };
              const { input, ops } = makeBlock(spec);
              const { output, report } = block(input, ops, { schedule, memory: BIG_L1 });
              const tag = `${schedule} case ${i} ${scheme} ${JSON.stringify(report.tiling)}`;
              expect(tensorDiff(output, layerByLayer(input, ops)), tag).toBeNull();
              expect(report, tag).toStrictEqual(plan(input, ops, { schedule, memory: BIG_L1 }));
              const { height: H, width: W, channels: C, outChannels: Co, kernel: [kh, kw], stride: [sh], pad } = c;
              const s = shapes(spec);
              const [ho, wo] = [s.out[0]!, s.out[1]!];
              const dw = (order === "dw-pw" ? ops[0] : ops[1]) as DepthwiseOp;
              const pw = (order === "dw-pw" ? ops[1] : ops[0]) as PointwiseOp;
              const dwC = order === "dw-pw" ? C : Co;
              // The depthwise layer reads only the rows its windows cover; all other layers read everything.
              const dwRows = rowsRead(H, ho, kh, sh, pad.top);
              const midBytes = vol(s.mid);
              let input_: number, midIn: number;
              if (schedule === "unfused") {
                input_ = order === "dw-pw" ? dwRows * W * C : H * W * C;
                midIn = order === "dw-pw" ? midBytes : dwRows * W * Co;
              } else {
                input_ = order === "dw-pw" || schedule.endsWith("/rows") ? dwRows * W * C : H * W * C;
                midIn = 0;
              }
              expect(report.l2ToL1.input, `${tag}: input`).toBe(input_);
              expect(report.l1ToL2.output, `${tag}: output`).toBe(ho * wo * Co);
              expect(report.l2ToL1.weights, `${tag}: weights`).toBe(dwC * kh * kw + C * Co);
              expect(report.l2ToL1.params, `${tag}: params`).toBe(dwC * paramBytesPerChannelByHand(dw) + Co * paramBytesPerChannelByHand(pw));
              expect(report.l2ToL1.intermediate, `${tag}: intermediate in`).toBe(midIn);
              expect(report.l1ToL2.intermediate, `${tag}: intermediate out`).toBe(schedule === "unfused" ? midBytes : 0);
              expect(report.activationBytes).toBe(input_ + midIn + (schedule === "unfused" ? midBytes : 0) + ho * wo * Co);
              expect(report.peakL1Bytes).toBeLessThanOrEqual(4_000_000);
            }
          });
        });
      }
    }
  }

  it("the first case by hand: 9x7x13 -> DW 3x3 pad 1 -> PW 21, tflite, unfused and fused", () => {
    const spec: BlockCase = { ...cases[0]!, order: "dw-pw", layout: "HWC", scheme: "tflite-double", seed: 5 };
    const { input, ops } = makeBlock(spec);
    const bias = (ops[0].bias ? 4 : 0) * 13 + (ops[1].bias ? 4 : 0) * 21;
    const fused = block(input, ops, { schedule: "dw-pw/HWC-HWC-HWC/rows", memory: BIG_L1 }).report;
    expect(fused.l2ToL1).toEqual({ input: 819, intermediate: 0, weights: 117 + 273, params: 8 * 34 + bias });
    expect(fused.l1ToL2).toEqual({ intermediate: 0, output: 1323 });
    const unfused = block(input, ops, { schedule: "unfused", memory: BIG_L1 }).report;
    expect(unfused.l2ToL1).toEqual({ input: 819, intermediate: 819, weights: 390, params: 8 * 34 + bias });
    expect(unfused.l1ToL2).toEqual({ intermediate: 819, output: 1323 });
  });
});

describe("block: DMA counts and costs by hand (SPEC §5 cost rules)", () => {
  // 4x5x3 -> DW 3x3 pad 1 -> PW 6, pulp-shift with an int32 bias on both layers: params are the biases only.
  const spec: BlockCase = {
    order: "dw-pw", layout: "HWC", scheme: "pulp-shift", height: 4, width: 5, channels: 3, outChannels: 6,
    kernel: [3, 3], stride: [1, 1], pad: { top: 1, left: 1, bottom: 1, right: 1 }, seed: 21,
  };
  const withBias = (layout: Layout) => {
    const { input, ops } = makeBlock({ ...spec, layout });
    return { input, ops: [{ ...ops[0], bias: new Int32Array(3).fill(7) }, { ...ops[1], bias: new Int32Array(6).fill(-9) }] as [ConvOp, ConvOp] };
  };
  const run = (layout: Layout, options: BlockOptions) => {
    const { input, ops } = withBias(layout);
    const r = block(input, ops, options);
    expect(tensorDiff(r.output, layerByLayer(input, ops))).toBeNull();
    expect(r.report).toStrictEqual(plan(input, ops, options));
    return r.report;
  };

  it("fused, one step: six 1D/contiguous commands; cycles = 10 per command + ceil(bytes / 8)", () => {
    const r = run("HWC", { schedule: "dw-pw/HWC-HWC-HWC/rows", tiling: { rows: 4, outChannels: 6, dwChannels: 3 } });
    // dw weights 27 B, dw bias 12 B, pw weights 18 B, pw bias 24 B, input 60 B, output 120 B.
    expect(r.l2ToL1).toEqual({ input: 60, intermediate: 0, weights: 45, params: 36 });
    expect(r.l1ToL2).toEqual({ intermediate: 0, output: 120 });
    expect(r.dmaCommands).toBe(6);
    expect(r.dmaCycles).toBe(6 * 10 + 4 + 2 + 3 + 3 + 8 + 15);
    expect(r.tiles).toBe(1);
    // L1: 27 | 12 | 18 | 24 | window 4x5x3 | intermediate 4x5x3 | output 4x5x6, each 4-byte aligned.
    expect(r.peakL1Bytes).toBe(28 + 12 + 20 + 24 + 60 + 60 + 120);
    // L2: input 60, output 120, weights 27 -> 28 and 18 -> 20, biases 12 and 24.
    expect(r.l2Bytes).toBe(60 + 120 + 28 + 20 + 12 + 24);
    expect(r.fitsL2).toBe(true);
    expect(r.dma).toBe("dory-gap8");
    const g9 = run("HWC", { schedule: "dw-pw/HWC-HWC-HWC/rows", tiling: { rows: 4, outChannels: 6, dwChannels: 3 }, memory: { dma: "match-gap9" } });
    expect(g9.dmaCycles).toBe(6 * 920 + 35);
    expect(g9.dma).toBe("match-gap9");
    const custom = run("HWC", {
      schedule: "dw-pw/HWC-HWC-HWC/rows", tiling: { rows: 4, outChannels: 6, dwChannels: 3 },
      memory: { l2: 200, dma: { bytesPerCycle: 4, cyclesPerCommand: 3, layoutBytesPerCycle: 1, layoutCyclesPerChannel: 1 } },
    });
    expect(custom.dmaCycles).toBe(6 * 3 + 7 + 3 + 5 + 6 + 15 + 30);
    expect(custom.dma).toBe("custom");
    expect(custom.fitsL2).toBe(false);
  });

  it("unfused CHW: the depthwise output (HWC in L1) goes back to CHW L2 byte by byte, one command per channel", () => {
    const t = { dwRows: 4, dwChannels: 3, pwRows: 4, pwOutChannels: 6 };
    const r = run("CHW", { schedule: "unfused", tiling: t });
    expect(r.l2ToL1).toEqual({ input: 60, intermediate: 60, weights: 45, params: 36 });
    expect(r.l1ToL2).toEqual({ intermediate: 60, output: 120 });
    // 7 ordinary commands + 3 per-channel layout commands.
    expect(r.dmaCommands).toBe(10);
    expect(r.dmaCycles).toBe(7 * 10 + (4 + 2 + 8 + 8 + 3 + 3 + 15) + (3 * 10 + 60));
    const g9 = run("CHW", { schedule: "unfused", tiling: t, memory: { dma: "match-gap9" } });
    expect(g9.dmaCycles).toBe(7 * 920 + 43 + (3 * 12 + 60));
    expect(r.tiles).toBe(2);
  });

  it("unfused HWC with a channel tile: one 2D command per row of a strided output tile", () => {
    const r = run("HWC", { schedule: "unfused", tiling: { dwRows: 4, dwChannels: 3, pwRows: 4, pwOutChannels: 2 } });
    // DW: weights, bias, input HWC -> CHW L1 (3 per-channel commands), output whole (1).
    // PW: input whole (1); per 2-channel tile: weights, bias, and 4 row commands for the 4x5x2 output.
    expect(r.dmaCommands).toBe(1 + 1 + 3 + 1 + 1 + 3 * (1 + 1 + 4));
    expect(r.dmaCycles).toBe(14 + 12 + (30 + 60) + 18 + 18 + 3 * (11 + 11 + (40 + 5)));
    expect(r.l2ToL1).toEqual({ input: 60, intermediate: 60, weights: 45, params: 36 });
    expect(r.tiles).toBe(1 + 3);
  });
});

describe("scratchpad model: out-of-budget L1 is an error, never a silent write", () => {
  it("l1Alloc refuses beyond the usable size, dmaBox refuses views outside allocated L1 or the L2 region", () => {
    const { wasm: w, arena } = defaultEngine();
    arena.reset();
    const l2 = arena.alloc(256), l1 = arena.alloc(112), ctr = arena.alloc(12 * 8);
    arena.commit();
    const bytes = arena.bytes(l1, 112);
    bytes.fill(0xaa);
    w.spReset(l1, 100, l2, 256, ctr, 8, 10, 1, 10);
    const counters = () => Array.from(new Float64Array(w.memory.buffer, ctr, 12));
    expect(w.l1Alloc(60)).toBe(l1);
    expect(w.l1Shortfall(50)).toBe(10);
    expect(w.l1Alloc(50)).toBe(0);
    expect(w.l1Alloc(38)).toBe(l1 + 60);
    expect(w.l1Alloc(1)).toBe(0); // 98 rounds up to 100, +1 is over
    const before = counters();
    // 16 bytes into L1 at offset 90: past the 98 allocated bytes.
    expect(w.dmaBox(1, 0, l2, 16, 16, 1, l1 + 90, 16, 16, 1, 1, 1, 16)).toBe(2);
    expect(Array.from(arena.bytes(l1 + 90, 22))).toEqual(new Array(22).fill(0xaa));
    // From L2 past its end.
    expect(w.dmaBox(1, 0, l2 + 250, 16, 16, 1, l1, 16, 16, 1, 1, 1, 16)).toBe(3);
    expect(counters()).toEqual(before);
    // A good copy is counted: weights, 20 bytes, one command, 10 + ceil(20 / 8) cycles.
    expect(w.dmaLinear(2, l2, l1, 20)).toBe(0);
    const c = counters();
    expect([c[2], c[9], c[10], c[11]]).toEqual([20, 1, 13, 98]);
  });

  it("dmaBox moves exactly the box's bytes, for every run length and stride pattern", () => {
    // Runs of 1..70 bytes and 129..131 (the copy is done in pieces of 16, 8, 4 and 1 bytes, the
    // last piece overlapping), and 511..513, 1000 (from 512 bytes, one memory.copy): every byte of
    // the box arrives, and no byte around it changes.
    const { wasm: w, arena } = defaultEngine();
    const lengths = [...Array.from({ length: 70 }, (_, i) => i + 1), 129, 130, 131, 511, 512, 513, 1000];
    for (const chans of lengths) {
      for (const [name, l2v, l1v] of [
        // [row, px, ch] of the L2 and L1 views of a 2 x 3 x chans box
        ["HWC strided -> dense", [5 * (chans + 7), chans + 7, 1], [3 * chans, chans, 1]],
        ["HWC dense -> dense", [3 * chans, chans, 1], [3 * chans, chans, 1]],
        ["HWC rows apart", [3 * chans + 5, chans, 1], [3 * chans + 2, chans, 1]],
        ["CHW planes", [3, 1, 2 * 3 + 4], [3, 1, 2 * 3]],
      ] as const) {
        const extent = (v: readonly number[]) => v[0]! * 1 + v[1]! * 2 + v[2]! * (chans - 1) + 1;
        const l2Bytes = extent(l2v) + 64, l1Bytes = extent(l1v) + 64;
        arena.reset();
        const l2 = arena.alloc(l2Bytes), l1 = arena.alloc(l1Bytes), ctr = arena.alloc(12 * 8);
        arena.commit();
        const src = arena.bytes(l2, l2Bytes);
        for (let i = 0; i < l2Bytes; i++) src[i] = (i * 37 + chans) & 255;
        arena.bytes(l1, l1Bytes).fill(0xee);
        w.spReset(l1, l1Bytes, l2, l2Bytes, ctr, 8, 10, 1, 10);
        expect(w.l1Alloc(l1Bytes)).toBe(l1);
        expect(w.dmaBox(1, 0, l2, l2v[0], l2v[1], l2v[2], l1, l1v[0], l1v[1], l1v[2], 2, 3, chans)).toBe(0);
        const want = new Uint8Array(l1Bytes).fill(0xee);
        for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) for (let c = 0; c < chans; c++) {
          want[y * l1v[0] + x * l1v[1] + c * l1v[2]] = src[y * l2v[0] + x * l2v[1] + c * l2v[2]]!;
        }
        const got = arena.bytes(l1, l1Bytes);
        const firstDiff = want.findIndex((b, i) => got[i] !== b);
        expect(firstDiff, `${name}, ${chans} channels: first differing L1 byte`).toBe(-1);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// (3) The automatic choice, and the paper's direction

describe("block: without a schedule, the one that moves the fewest activation bytes is chosen", () => {
  it("the choice is applicable and no applicable schedule beats it (bytes, then cycles)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Order>("dw-pw", "pw-dw"),
        fc.constantFrom<Layout>("HWC", "CHW"),
        fc.constantFrom<BlockScheme>(...BLOCK_SCHEMES),
        memoryArb,
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (order, layout, scheme, memory, seed) => {
          // Shapes from the seed, so the chooser sees non-square, odd and strided blocks.
          const r = (lo: number, hi: number, k: number) => lo + (Math.imul(seed ^ (k * 0x9e3779b9), 2654435761) >>> 0) % (hi - lo + 1);
          const k = r(0, 3, 1) < 2 ? 3 : 5;
          const pad: Padding = { top: r(0, k - 1, 2), left: r(0, k - 1, 3), bottom: r(0, k - 1, 4), right: r(0, k - 1, 5) };
          const spec: BlockCase = {
            order, layout, scheme, seed, kernel: [k, k], stride: [r(1, 2, 6), r(1, 2, 7)], pad,
            height: Math.max(r(1, 14, 8), k), width: Math.max(r(1, 14, 9), k), channels: r(1, 40, 10), outChannels: r(1, 40, 11),
          };
          const { input, ops } = makeBlock(spec);
          const options: BlockOptions = memory === undefined ? {} : { memory };
          const probes = applicableSchedules(order, layout).map((schedule) => {
            try {
              return plan(input, ops, { ...options, schedule });
            } catch (e) {
              if (!isOverflow(e)) throw e;
              return null;
            }
          });
          const feasible = probes.filter((p): p is TransferReport => p !== null);
          if (feasible.length === 0) {
            expect(() => plan(input, ops, options)).toThrow(RangeError);
            return;
          }
          const { output, report } = block(input, ops, options);
          expect(tensorDiff(output, layerByLayer(input, ops))).toBeNull();
          expect(report).toStrictEqual(plan(input, ops, options));
          expect(applicableSchedules(order, layout)).toContain(report.schedule);
          // The chosen schedule's report is the report that schedule gives when asked for by name.
          expect(report).toStrictEqual(feasible.find((p) => p.schedule === report.schedule));
          for (const p of feasible) {
            expect(p.activationBytes, `${p.schedule} moves fewer activation bytes than ${report.schedule}`).toBeGreaterThanOrEqual(report.activationBytes);
            if (p.activationBytes === report.activationBytes) {
              expect(p.dmaCycles, `${p.schedule} ties on bytes with fewer cycles than ${report.schedule}`).toBeGreaterThanOrEqual(report.dmaCycles);
            }
          }
        },
      ),
      { seed: 0xc4015e, numRuns: 60 },
    );
  });

  /** Activation bytes of the best fused schedule and of unfused, under default GAP8 memory. */
  function fusedVsUnfused(input: Tensor, ops: [ConvOp, ConvOp], order: Order) {
    const fused = applicableSchedules(order, input.layout)
      .filter((s) => s !== "unfused")
      .map((schedule) => plan(input, ops, { schedule }));
    const best = fused.reduce((a, b) => (b.activationBytes < a.activationBytes ? b : a));
    const unfused = plan(input, ops, { schedule: "unfused" });
    const auto = plan(input, ops);
    return { best, unfused, auto };
  }

  it("MobileNetV1-like stride-1 block (28x28x64, DW 3x3 pad 1, PW 64, HWC): fused moves about half the activation bytes", () => {
    const spec: BlockCase = {
      order: "dw-pw", layout: "HWC", scheme: "tflite-double", height: 28, width: 28, channels: 64, outChannels: 64,
      kernel: [3, 3], stride: [1, 1], pad: { top: 1, left: 1, bottom: 1, right: 1 }, seed: 11,
    };
    const { input, ops } = makeBlock(spec);
    const { best, unfused, auto } = fusedVsUnfused(input, ops, "dw-pw");
    const ratio = best.activationBytes / unfused.activationBytes;
    expect(ratio).toBeGreaterThanOrEqual(0.45);
    expect(ratio).toBeLessThanOrEqual(0.55);
    // Unfused moves at least input + intermediate twice + output; fused at least input + output.
    const t = 28 * 28 * 64;
    expect(unfused.activationBytes).toBeGreaterThanOrEqual(4 * t);
    expect(best.activationBytes).toBeGreaterThanOrEqual(2 * t);
    expect(auto.schedule).not.toBe("unfused");
    expect(auto.activationBytes).toBe(best.activationBytes);
    // And the run of the chosen schedule is bit-exact and counted as planned.
    const run = block(input, ops);
    expect(tensorDiff(run.output, layerByLayer(input, ops))).toBeNull();
    expect(run.report).toStrictEqual(auto);
  });

  it("pw-dw expansion block (14x14x16, PW 96, DW 3x3 pad 1): fused beats unfused by more than 52.97%", () => {
    for (const layout of ["HWC", "CHW"] as const) {
      const spec: BlockCase = {
        order: "pw-dw", layout, scheme: "pulp-bn", height: 14, width: 14, channels: 16, outChannels: 96,
        kernel: [3, 3], stride: [1, 1], pad: { top: 1, left: 1, bottom: 1, right: 1 }, seed: 12,
      };
      const { input, ops } = makeBlock(spec);
      const { best, unfused, auto } = fusedVsUnfused(input, ops, "pw-dw");
      expect(1 - best.activationBytes / unfused.activationBytes, layout).toBeGreaterThan(0.5297);
      expect(auto.schedule).not.toBe("unfused");
      const run = block(input, ops);
      expect(tensorDiff(run.output, layerByLayer(input, ops))).toBeNull();
      expect(run.report).toStrictEqual(auto);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// (4) Errors, each followed by a good call

describe("block: bad arguments are refused with an error naming the field", () => {
  const spec: BlockCase = {
    order: "dw-pw", layout: "HWC", scheme: "onnx-int8", height: 7, width: 5, channels: 9, outChannels: 11,
    kernel: [3, 3], stride: [2, 1], pad: { top: 1, left: 0, bottom: 2, right: 1 }, seed: 77,
  };
  const good = makeBlock(spec);
  const goodCHW = makeBlock({ ...spec, layout: "CHW" });
  const goodPwDw = makeBlock({ ...spec, order: "pw-dw" });

  /** After an error, a good call still gives the exact bytes and the planned report. */
  function goodCallStillExact(): void {
    for (const { input, ops } of [good, goodCHW, goodPwDw]) {
      const { output, report } = block(input, ops, { memory: { l1Usable: 3000 } });
      expect(tensorDiff(output, layerByLayer(input, ops))).toBeNull();
      expect(report).toStrictEqual(plan(input, ops, { memory: { l1Usable: 3000 } }));
    }
  }

  function expectError(f: () => unknown, type: typeof RangeError | typeof TypeError, pattern: RegExp | string): void {
    let err: unknown = null;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err, `expected ${type.name} matching ${pattern}`).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(pattern);
  }

  /** Both entry points refuse the call the same way. */
  function bothRefuse(input: Tensor, ops: [ConvOp, ConvOp], options: unknown, type: typeof RangeError | typeof TypeError, pattern: RegExp | string) {
    expectError(() => block(input, ops, options as BlockOptions), type, pattern);
    expectError(() => plan(input, ops, options as BlockOptions), type, pattern);
    goodCallStillExact();
  }

  it("unknown schedule name: RangeError naming options.schedule and the choices", () => {
    bothRefuse(good.input, good.ops, { schedule: "dw-pw/HWC-HWC-CHW/rows" }, RangeError, /options\.schedule.*unfused/);
    bothRefuse(good.input, good.ops, { schedule: "fused" }, RangeError, /options\.schedule/);
    bothRefuse(good.input, good.ops, { schedule: 3 }, RangeError, /options\.schedule/);
  });

  it("a schedule that does not apply (order or layout): RangeError", () => {
    bothRefuse(good.input, good.ops, { schedule: "pw-dw/HWC-HWC-CHW/rows" }, RangeError, /options\.schedule/); // wrong order
    bothRefuse(good.input, good.ops, { schedule: "dw-pw/CHW-CHW-HWC/rows" }, RangeError, /options\.schedule/); // wrong layout
    bothRefuse(goodCHW.input, goodCHW.ops, { schedule: "dw-pw/HWC-HWC-HWC/rows" }, RangeError, /options\.schedule/);
    const pwdwCHW = makeBlock({ ...spec, order: "pw-dw", layout: "CHW" });
    for (const s of ["pw-dw/HWC-HWC-CHW/rows", "pw-dw/HWC-HWC-HWC/rows", "pw-dw/HWC-HWC-CHW/channels", "pw-dw/HWC-HWC-HWC/channels"]) {
      bothRefuse(pwdwCHW.input, pwdwCHW.ops, { schedule: s }, RangeError, /options\.schedule/);
    }
    bothRefuse(goodPwDw.input, goodPwDw.ops, { schedule: "pw-dw/CHW-CHW-CHW/channels" }, RangeError, /options\.schedule/);
  });

  it("forced tiling: unknown key or non-positive value: RangeError naming options.tiling.<key>", () => {
    bothRefuse(good.input, good.ops, { schedule: "unfused", tiling: { rows: 2 } }, RangeError, /options\.tiling\.rows/);
    bothRefuse(good.input, good.ops, { schedule: "dw-pw/HWC-HWC-HWC/rows", tiling: { channels: 2 } }, RangeError, /options\.tiling\.channels/);
    bothRefuse(good.input, good.ops, { schedule: "dw-pw/HWC-HWC-HWC/rows", tiling: { rows: 0 } }, RangeError, /options\.tiling\.rows/);
    bothRefuse(good.input, good.ops, { schedule: "dw-pw/HWC-HWC-HWC/rows", tiling: { outChannels: -3 } }, RangeError, /options\.tiling\.outChannels/);
    bothRefuse(good.input, good.ops, { schedule: "unfused", tiling: { dwRows: 1.5 } }, RangeError, /options\.tiling\.dwRows/);
    bothRefuse(good.input, good.ops, { schedule: "unfused", tiling: { pwRows: Number.NaN } }, RangeError, /options\.tiling\.pwRows/);
    bothRefuse(goodPwDw.input, goodPwDw.ops, { schedule: "pw-dw/HWC-HWC-HWC/channels", tiling: { inputRows: 0 } }, RangeError, /options\.tiling\.inputRows/);
  });

  it("bad maxRowsPerStep or options objects: RangeError / TypeError naming the field", () => {
    bothRefuse(good.input, good.ops, { maxRowsPerStep: 0 }, RangeError, /options\.maxRowsPerStep/);
    bothRefuse(good.input, good.ops, { maxRowsPerStep: 2.5 }, RangeError, /options\.maxRowsPerStep/);
    bothRefuse(good.input, good.ops, { memory: null }, TypeError, /options\.memory/);
    bothRefuse(good.input, good.ops, { schedule: "unfused", tiling: 3 }, TypeError, /options\.tiling/);
    bothRefuse(good.input, good.ops, 7, TypeError, /options/);
  });

  it("forced tiling without a schedule: RangeError", () => {
    bothRefuse(good.input, good.ops, { tiling: { rows: 2 } }, RangeError, /options\.tiling/);
  });

  it("bad memory configs: RangeError naming memory.*", () => {
    bothRefuse(good.input, good.ops, { memory: { l1: 1000, l1Usable: 2000 } }, RangeError, /memory\.l1Usable/);
    bothRefuse(good.input, good.ops, { memory: { l1: -64000 } }, RangeError, /memory\.l1\b/);
    bothRefuse(good.input, good.ops, { memory: { l1Usable: -1 } }, RangeError, /memory\.l1Usable/);
    bothRefuse(good.input, good.ops, { memory: { l1Usable: 0 } }, RangeError, /memory\.l1Usable/);
    bothRefuse(good.input, good.ops, { memory: { l2: 0 } }, RangeError, /memory\.l2/);
    bothRefuse(good.input, good.ops, { memory: { l1: 1.5 } }, RangeError, /memory\.l1\b/);
    bothRefuse(good.input, good.ops, { memory: { dma: "gap9" } }, RangeError, /memory\.dma/);
    bothRefuse(good.input, good.ops, { memory: { dma: { bytesPerCycle: 0, cyclesPerCommand: 1, layoutBytesPerCycle: 1, layoutCyclesPerChannel: 1 } } }, RangeError, /memory\.dma\.bytesPerCycle/);
    bothRefuse(good.input, good.ops, { memory: { dma: { bytesPerCycle: 8, cyclesPerCommand: -1, layoutBytesPerCycle: 1, layoutCyclesPerChannel: 1 } } }, RangeError, /memory\.dma\.cyclesPerCommand/);
  });

  it("ops that are not one depthwise and one pointwise: RangeError", () => {
    const [dw, pw] = good.ops as [DepthwiseOp, PointwiseOp];
    // Two depthwise layers chain fine shape-wise, two pointwise too (Cin 9 -> 9 -> 11).
    bothRefuse(good.input, [dw, { ...dw }], {}, RangeError, /depthwise and one pointwise/);
    const pw9 = makeBlock({ ...spec, outChannels: 9, order: "pw-dw" }).ops[0] as PointwiseOp;
    bothRefuse(good.input, [pw9, pw], {}, RangeError, /depthwise and one pointwise/);
    // Not a pair at all.
    expectError(() => block(good.input, [dw] as unknown as [ConvOp, ConvOp]), TypeError, /ops/);
    expectError(() => block(good.input, [dw, pw, pw] as unknown as [ConvOp, ConvOp]), TypeError, /ops/);
    goodCallStillExact();
  });

  it("a second op that does not take the first op's output: RangeError naming ops[1]", () => {
    const [dw, pw] = good.ops as [DepthwiseOp, PointwiseOp];
    // dw-pw: the pointwise weights must be outChannels x C.
    bothRefuse(good.input, [dw, { ...pw, weights: new Int8Array(pw.weights.length + 11) }], {}, RangeError, /ops\[1\]\.weights/);
    bothRefuse(good.input, [dw, { ...pw, bias: new Int32Array(3) }], {}, RangeError, /ops\[1\]\.bias/);
    // pw-dw: the depthwise weights must cover the pointwise output channels.
    const [pw2, dw2] = goodPwDw.ops as [PointwiseOp, DepthwiseOp];
    bothRefuse(goodPwDw.input, [pw2, { ...dw2, weights: new Int8Array(9 * 9) }], {}, RangeError, /ops\[1\]\.weights/);
    // A scheme that cannot take the intermediate's dtype (pulp needs uint8; onnx int8 gives int8).
    bothRefuse(good.input, [dw, { ...pw, requant: { scheme: "pulp-shift", shift: 3 } }], {}, TypeError, /ops\[0\] output/);
    // A first op that does not fit the input names ops[0].
    bothRefuse(good.input, [{ ...dw, weights: new Int8Array(3) }, pw], {}, RangeError, /ops\[0\]\.weights/);
  });
});

// ---------------------------------------------------------------------------------------------
// (5) Determinism and no leaks

describe("block: repeated calls are deterministic and do not grow memory", () => {
  it("200 mixed calls: the first call repeats byte for byte, memory stops growing after the largest", () => {
    const engine = defaultEngine();
    const calls: Array<{ input: Tensor; ops: [ConvOp, ConvOp]; options: BlockOptions }> = [];
    for (let i = 0; i < 200; i++) {
      const r = (lo: number, hi: number, k: number) => lo + (Math.imul((i + 1) * 7919 ^ (k * 0x9e3779b9), 2654435761) >>> 0) % (hi - lo + 1);
      const order: Order = r(0, 1, 1) ? "dw-pw" : "pw-dw";
      const layout: Layout = r(0, 1, 2) ? "HWC" : "CHW";
      const k = r(0, 1, 3) ? 3 : 5;
      const big = i === 97; // one call clearly larger than every other
      const spec: BlockCase = {
        order, layout, scheme: BLOCK_SCHEMES[r(0, BLOCK_SCHEMES.length - 1, 4)]!, seed: i,
        height: big ? 40 : Math.max(r(1, 14, 5), k), width: big ? 40 : Math.max(r(1, 14, 6), k),
        channels: big ? 48 : r(1, 40, 7), outChannels: big ? 64 : r(1, 40, 8),
        kernel: [k, k], stride: [r(1, 2, 9), r(1, 2, 10)], pad: { top: r(0, k - 1, 11), left: r(0, k - 1, 12), bottom: r(0, k - 1, 13), right: r(0, k - 1, 14) },
      };
      const choices = [undefined, ...applicableSchedules(order, layout)];
      const schedule = choices[r(0, choices.length - 1, 15)];
      const memory = [undefined, { l1Usable: 6000 }, { doubleBuffer: true, dma: "match-gap9" as const }][r(0, 2, 16)];
      const options: BlockOptions = big ? {} : { ...(schedule ? { schedule } : {}), ...(memory ? { memory } : {}) };
      calls.push({ ...makeBlock(spec), options });
    }
    const snapshot = (c: (typeof calls)[number]) => {
      try {
        const { output, report } = block(c.input, c.ops, c.options);
        return { bytes: Array.from(output.data), layout: output.layout, report };
      } catch (e) {
        if (!isOverflow(e)) throw e;
        return { error: (e as Error).message };
      }
    };
    const first = snapshot(calls[0]!);
    expect("error" in first).toBe(false);
    const results = calls.map(snapshot);
    expect(results.filter((r) => "error" in r).length).toBeLessThan(100);
    expect(snapshot(calls[0]!)).toStrictEqual(first);
    expect(results[0]).toStrictEqual(first);
    // Memory grew to hold the largest call; a second pass over all 200 never grows it again.
    snapshot(calls[97]!);
    const after = engine.arena.memoryBytes;
    calls.forEach((c, i) => {
      expect(snapshot(c), `call ${i} repeated`).toStrictEqual(results[i]);
      expect(engine.arena.memoryBytes, `memory grew at call ${i}`).toBe(after);
    });
    expect(snapshot(calls[0]!)).toStrictEqual(first);
  });
});
