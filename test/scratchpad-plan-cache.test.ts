// The planner's cache (src/scratchpad/plan.ts): a block planned before is not searched again, but
// a call that differs in anything the plan depends on gets its own plan, and no caller can alter
// what later calls get.
import { beforeAll, describe, expect, it, vi } from "vitest";
import { block, init, plan } from "../src/index.js";
import type { BlockOptions } from "../src/index.js";
import type { ConvOp, Tensor } from "../src/types.js";
import { makeBlock } from "./helpers/blocks.js";

type PlanFn = typeof plan;

const base = makeBlock({
  order: "dw-pw", layout: "HWC", scheme: "onnx-int8", height: 24, width: 24, channels: 48, outChannels: 64,
  kernel: [3, 3], stride: [1, 1], pad: { top: 1, left: 1, bottom: 1, right: 1 }, seed: 5,
});
/** The same block with other padding: a different output, so a different plan. */
const unpadded = makeBlock({
  order: "dw-pw", layout: "HWC", scheme: "onnx-int8", height: 24, width: 24, channels: 48, outChannels: 64,
  kernel: [3, 3], stride: [1, 1], pad: { top: 0, left: 0, bottom: 0, right: 0 }, seed: 5,
});

/** Calls that each differ from the base call ({} on `base`) in one input the plan depends on. */
const VARIANTS: Array<{ name: string; input: Tensor; ops: [ConvOp, ConvOp]; options: BlockOptions }> = [
  { name: "memory.l1Usable", ...base, options: { memory: { l1Usable: 9000 } } },
  { name: "memory.l2", ...base, options: { memory: { l2: 1000 } } },
  { name: "memory.dma", ...base, options: { memory: { dma: "match-gap9" } } },
  { name: "memory.doubleBuffer", ...base, options: { memory: { doubleBuffer: true } } },
  { name: "schedule", ...base, options: { schedule: "unfused" } },
  { name: "tiling", ...base, options: { schedule: "dw-pw/HWC-HWC-HWC/rows", tiling: { rows: 2 } } },
  { name: "maxRowsPerStep", ...base, options: { maxRowsPerStep: 1 } },
  { name: "objective", ...base, options: { objective: "cycles" } },
  { name: "estimate", ...base, options: { estimate: true } },
  { name: "latency", ...base, options: { latency: { compute: { cores: 4 } } } },
  { name: "block padding", ...unpadded, options: {} },
];

/** `plan` of a fresh copy of the package: its cache holds nothing yet. */
async function freshPlan(): Promise<PlanFn> {
  vi.resetModules();
  return (await import("../src/index.js")).plan;
}

beforeAll(async () => {
  await init();
});

describe("plan cache", () => {
  it("gives a second identical call the same plan", () => {
    const first = plan(base.input, base.ops);
    expect(plan(base.input, base.ops)).toStrictEqual(first);
    expect(block(base.input, base.ops).report).toStrictEqual(first);
  });

  it("gives each call that differs in one input its own plan, whatever was planned before", async () => {
    // The truth: each variant planned by a copy of the package that has planned nothing else.
    const truth = [];
    for (const v of VARIANTS) truth.push((await freshPlan())(v.input, v.ops, v.options));
    const basePlan = plan(base.input, base.ops);
    VARIANTS.forEach((v, i) => {
      expect(truth[i], `${v.name} changes the plan`).not.toStrictEqual(basePlan);
      expect(plan(v.input, v.ops, v.options), v.name).toStrictEqual(truth[i]);
    });
    // And the base call still gets its own plan after all of them.
    expect(plan(base.input, base.ops)).toStrictEqual(basePlan);
  });

  it("hands out copies: mutating a report does not change later ones", () => {
    const options: BlockOptions = { estimate: true };
    const want = structuredClone(plan(base.input, base.ops, options));
    const got = plan(base.input, base.ops, options);
    got.tiling.rows = 999;
    got.l2ToL1.input = -1;
    (got.estimate as { totalCycles: number }).totalCycles = -1;
    const r = block(base.input, base.ops, options).report;
    r.tiling.outChannels = 999;
    r.dmaCycles = -1;
    expect(plan(base.input, base.ops, options)).toStrictEqual(want);
    expect(block(base.input, base.ops, options).report).toStrictEqual(want);
  });

  it("still rejects bad options after the same block was planned", () => {
    plan(base.input, base.ops);
    expect(() => plan(base.input, base.ops, { maxRowsPerStep: 0 })).toThrow(RangeError);
    expect(() => plan(base.input, base.ops, { schedule: "dw-pw/HWC-HWC-HWC/rows", tiling: { rows: 0 } })).toThrow(RangeError);
    expect(() => plan(base.input, base.ops, { tiling: { rows: 2 } })).toThrow(RangeError);
  });
});
