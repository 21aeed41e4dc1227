// The latency model inside the planner, the executor, the network report and the calibration
// against measured GAP8 layers.
import { beforeAll, describe, expect, test } from "vitest";
import { block, formatReport, fusionReport, init, mobilenetV1, mobilenetV2, plan } from "../src/index.js";
import {
  compareMeasured, DORY_MOBILENET_V1_128, FIT_GRID, fitLoss, GAP8_FIT_DMA, layerEstimate, resolveLatency, summarize,
} from "../src/latency/index.js";
import { randomInput, randomOp } from "../src/presets/mobilenet.js";
import { describeBlock } from "../src/scratchpad/block.js";
import { resolveMemory, type DmaModel } from "../src/scratchpad/memory.js";
import { planLayer } from "../src/scratchpad/plan.js";
import { formatLatency } from "../src/fusion-report.js";
import type { ConvOp, Tensor } from "../src/types.js";
import { randInt, rng } from "./helpers/blocks.js";

/** A random block: depthwise 3x3 and pointwise, in either order. */
function randomBlock(seed: number, order: "dw-pw" | "pw-dw", layout: "HWC" | "CHW"): { input: Tensor; ops: [ConvOp, ConvOp] } {
  const r = rng(seed);
  const ri = (a: number, b: number) => randInt(r, a, b);
  const H = ri(4, 20), W = ri(4, 20), C = ri(3, 40), Co = ri(3, 48), s = ri(1, 2);
  const i8 = (n: number) => Int8Array.from({ length: n }, () => ri(-128, 127));
  const rq = (c: number) => ({ scheme: "tflite" as const, multiplier: Array(c).fill(2 ** 30 + 12345), shift: Array(c).fill(-8), outputZeroPoint: 0, min: -128, max: 127 });
  const Cm = order === "dw-pw" ? C : Co;
  const dw: ConvOp = { kind: "depthwise", kernel: [3, 3], stride: [s, s], pad: { top: 1, left: 1, bottom: 1, right: 1 }, weights: i8(Cm * 9), bias: null, requant: rq(Cm) };
  const pw: ConvOp = { kind: "pointwise", outChannels: Co, weights: i8(C * Co), bias: null, requant: rq(Co) };
  return { input: { data: i8(H * W * C), height: H, width: W, channels: C, layout, zeroPoint: 0 }, ops: order === "dw-pw" ? [dw, pw] : [pw, dw] };
}

const CASES = Array.from({ length: 12 }, (_, i) => randomBlock(100 + i, i % 2 ? "pw-dw" : "dw-pw", i % 4 < 2 ? "HWC" : "CHW"));

beforeAll(async () => {
  await init();
});

describe("plan objective", () => {
  test("the default plan carries no estimate; estimate: true adds it and changes nothing else", () => {
    for (const { input, ops } of CASES) {
      const p = plan(input, ops);
      expect(p.estimate).toBeUndefined();
      const q = plan(input, ops, { estimate: true });
      const { estimate, ...rest } = q;
      expect(rest).toEqual(p);
      expect(estimate!.totalCycles).toBe(estimate!.computeCycles + estimate!.dmaCycles);
    }
  });

  test("objective cycles never estimates more than the bytes choice, and transfers never fewer bytes' worth of cycles than counted", () => {
    for (const { input, ops } of CASES) {
      const byBytes = plan(input, ops, { estimate: true });
      const byCycles = plan(input, ops, { objective: "cycles" });
      expect(byCycles.estimate!.totalCycles).toBeLessThanOrEqual(byBytes.estimate!.totalCycles);
      expect(byCycles.activationBytes).toBeGreaterThanOrEqual(0);
      if (byCycles.schedule !== "unfused") expect(byCycles.estimate!.dmaCycles).toBe(byCycles.dmaCycles);
    }
  });

  test("an unfused block's estimate is the sum of its layers' own estimates (and DMA cycles)", () => {
    for (const { input, ops } of CASES.slice(0, 6)) {
      const r = plan(input, ops, { schedule: "unfused", objective: "cycles" });
      const blk = describeBlock(input, ops);
      const mem = resolveMemory();
      const a = planLayer(blk, "first", mem, "cycles"), b = planLayer(blk, "second", mem, "cycles");
      expect(r.estimate!.totalCycles).toBe(a.estimate!.totalCycles + b.estimate!.totalCycles);
      expect(r.estimate!.dmaCycles).toBe(r.dmaCycles);
      expect({ ...a.tiling, ...b.tiling }).toEqual(r.tiling);
    }
  });

  test("the executed block reports the planned estimate (plan == run, deep)", () => {
    for (const { input, ops } of CASES.slice(0, 6)) {
      for (const options of [{ objective: "cycles" as const }, { objective: "cycles" as const, memory: { doubleBuffer: true }, latency: { overlap: true } }]) {
        const run = block(input, ops, options).report;
        expect(run).toEqual(plan(input, ops, options));
        expect(run.estimate).toBeDefined();
      }
    }
  });

  test("overlapped transfers never estimate more than blocking ones for the same plan", () => {
    for (const { input, ops } of CASES) {
      const memory = { doubleBuffer: true };
      const blocking = plan(input, ops, { memory, estimate: true });
      const overlap = plan(input, ops, { memory, estimate: true, latency: { overlap: true } });
      expect(overlap.tiling).toEqual(blocking.tiling);
      expect(overlap.estimate!.totalCycles).toBeLessThanOrEqual(blocking.estimate!.totalCycles);
      expect(overlap.estimate!.totalCycles).toBeGreaterThanOrEqual(Math.max(blocking.estimate!.computeCycles, blocking.estimate!.dmaCycles) - 1);
    }
  });

  test("bad options name the field", () => {
    const { input, ops } = CASES[0]!;
    expect(() => plan(input, ops, { objective: "time" as never })).toThrow(/options.objective/);
    expect(() => plan(input, ops, { latency: { overlap: true } })).toThrow(/doubleBuffer/);
    expect(() => plan(input, ops, { estimate: 1 as never })).toThrow(TypeError);
  });

  test("cycles tile a depthwise layer so all 8 cores work; bytes alone would keep one core busy", () => {
    // MobileNetV1-224's first depthwise layer alone: the fewest bytes come from whole-height tiles
    // of one channel (no halo re-read), which PULP-NN's channel split gives to one core.
    const b = mobilenetV1().blocks[0]!;
    const lo = { scheme: "pulp-bn" as const, layout: "HWC" as const, seed: 1 };
    const blk = describeBlock(randomInput(b.layers[0]!, lo), b.layers.map((l) => randomOp(l, lo)) as [ConvOp, ConvOp]);
    const mem = resolveMemory();
    const lat = resolveLatency(undefined, false);
    const byBytes = planLayer(blk, "first", mem, "bytes", lat), byCycles = planLayer(blk, "first", mem, "cycles", lat);
    expect(byBytes.tiling.dwChannels).toBe(1);
    expect(byCycles.tiling.dwChannels! % 8).toBe(0);
    expect(byBytes.estimate!.computeCycles / byCycles.estimate!.computeCycles).toBeGreaterThan(4);
    expect(byCycles.estimate!.totalCycles).toBe(layerEstimate(blk, "first", byCycles.tiling, byCycles.dmaCycles, lat).totalCycles);
  });
});

describe("network report", () => {
  test("per-block and end-to-end latency of the recommended plans, unfused against planned", () => {
    for (const net of [mobilenetV1({ alpha: 0.25, resolution: 96 }), mobilenetV2({ alpha: 0.35, resolution: 96 })]) {
      const r = fusionReport(net, { run: false, scheme: "pulp-bn", memory: { dma: GAP8_FIT_DMA }, objective: "cycles" });
      const L = r.latency!;
      expect([r.objective, L.objective]).toEqual(["cycles", "cycles"]);
      expect(r.memory.dma).toBe("gap8-fit");
      let u = 0, o = 0;
      for (const b of r.blocks) {
        const l = b.latency!;
        // The unfused plan is always a candidate, so the plan for cycles is never slower.
        expect(l.optimized.totalCycles).toBeLessThanOrEqual(l.unfused.totalCycles);
        expect(l.reduction).toBeCloseTo((100 * (l.unfused.totalCycles - l.optimized.totalCycles)) / l.unfused.totalCycles, 10);
        // The row's bytes and cycles are those of one plan: its schedule.
        expect(b.cycles).toBe(l.optimized.totalCycles);
        expect(b.activationBytes).toBe((b.fused ?? b.unfused).activationBytes);
        expect(b.schedule === null).toBe(b.fusion.startsWith("none"));
        u += l.unfused.totalCycles;
        o += l.optimized.totalCycles;
      }
      expect([L.unfused.totalCycles, L.optimized.totalCycles]).toEqual([u, o]);
      expect(L.macs).toBe(net.blocks.flatMap((b) => b.layers).reduce((s, l) => s + l.macs, 0));
      expect(formatReport(r)).toContain(formatLatency(r));
      expect(formatLatency(r)).toMatch(/end to end \(blocks only\): unfused [\d.]+ kcycles/);
    }
  });

  test("the objective is explicit: bytes by default; cycles never slower, bytes never more bytes; latency: false leaves cycles out", () => {
    const net = mobilenetV1({ alpha: 0.25, resolution: 96 });
    const off = fusionReport(net, { run: false, latency: false });
    expect(off.latency).toBeUndefined();
    expect(off.blocks.every((b) => b.latency === undefined && b.cycles === null)).toBe(true);
    const byt = fusionReport(net, { run: false });
    const cyc = fusionReport(net, { run: false, objective: "cycles" });
    expect([off.objective, byt.objective, cyc.objective]).toEqual(["bytes", "bytes", "cycles"]);
    // Breaking bytes ties on estimated cycles changes tilings, never the bytes.
    expect(byt.blocks.map((b) => b.activationBytes)).toEqual(off.blocks.map((b) => b.activationBytes));
    expect(byt.total.reduction).toBe(off.total.reduction);
    expect(cyc.latency!.optimized.totalCycles).toBeLessThanOrEqual(byt.latency!.optimized.totalCycles);
    expect(cyc.total.fused.activationBytes).toBeGreaterThanOrEqual(byt.total.fused.activationBytes);
    expect(() => fusionReport(net, { run: false, latency: false, objective: "cycles" })).toThrow(/latency/);
    expect(() => fusionReport(net, { run: false, objective: "time" as never })).toThrow(/options.objective/);
  });
});

describe("calibration against the measured MobileNetV1-128 layers", () => {
  test("the table maps onto mobilenetV1-128 and its MACs agree with the CSV", () => {
    const rows = compareMeasured({ memory: { dma: GAP8_FIT_DMA } });
    expect(rows).toHaveLength(DORY_MOBILENET_V1_128.length);
    for (const [i, r] of rows.entries()) expect(r.macs / 1e6).toBeCloseTo(DORY_MOBILENET_V1_128[i]!.mmac, 1);
  });

  test("with the fitted DMA: within 8% per kind for layers in L2; L3 layers run far slower than modelled", () => {
    const rows = compareMeasured({ memory: { dma: GAP8_FIT_DMA } });
    const byKind = Object.fromEntries(summarize(rows).map((k) => [k.kind, k]));
    expect(fitLoss(rows)).toBeCloseTo(0.00366, 4);
    for (const kind of ["dw stride 1", "dw stride 2", "pw (weights in L2)"]) expect(Math.abs(byKind[kind]!.totalError)).toBeLessThan(0.09);
    expect(Math.abs(byKind["all in L2"]!.totalError)).toBeLessThan(0.02);
    expect(byKind["all in L2"]!.meanAbsError).toBeLessThan(0.06);
    expect(byKind["pw (weights from L3)"]!.totalError).toBeLessThan(-0.25);
  });

  test("the fitted constants are a local optimum of the grid (no single-step move improves the loss)", () => {
    const base = fitLoss(compareMeasured({ memory: { dma: GAP8_FIT_DMA } }));
    for (const key of Object.keys(FIT_GRID) as Array<keyof DmaModel>) {
      const grid = FIT_GRID[key];
      const i = grid.indexOf(GAP8_FIT_DMA[key]);
      expect(i).toBeGreaterThanOrEqual(0);
      for (const j of [i - 1, i + 1]) {
        if (j < 0 || j >= grid.length) continue;
        const dma = { ...GAP8_FIT_DMA, [key]: grid[j] };
        expect(fitLoss(compareMeasured({ memory: { dma } }))).toBeGreaterThanOrEqual(base);
      }
    }
  }, 60_000);

  test("DORY's declared DMA (8 B/cycle, 10 cycles per command) under-estimates every kind", () => {
    const kinds = summarize(compareMeasured());
    for (const k of kinds) expect(k.totalError).toBeLessThan(0);
  });
});
