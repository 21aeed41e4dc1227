// The latency model's arithmetic on small cases checked by hand: the kernels' work split over the
// cores, the cycle counts of one pointwise pixel pair, one depthwise column, a window copy, how
// compute and DMA combine, and how whole schedules add their kernel calls up.
import { describe, expect, test } from "vitest";
import {
  channelSplit, combine, copyCycles, depthwiseChannelCycles, depthwiseColumnCycles, depthwiseCycles, GAP8_COMPUTE, howoSplit,
  layerCompute, pointwiseCycles, pointwisePairCycles, pointwisePixelCycles, resolveLatency, type ComputeModel,
} from "../src/latency/index.js";
import { describeBlock } from "../src/scratchpad/block.js";
import type { ConvOp, Tensor } from "../src/types.js";

/** GAP8's constants without bank conflicts: every count below is then a sum of integers and quarters. */
const M: ComputeModel = { ...GAP8_COMPUTE, l1Stall: 0 };

describe("work split over the cores", () => {
  test("pointwise rows that divide evenly: one whole row per core", () => {
    expect(howoSplit(8, 5, 8)).toEqual(Array(8).fill({ rows: 1, pixels: 5 }));
    expect(howoSplit(16, 7, 8)).toEqual(Array(8).fill({ rows: 2, pixels: 7 }));
  });

  test("pointwise rows that do not divide: pairs of cores share rows by halves, the second half takes the odd pixel", () => {
    // 3 rows: 4 pairs, chunks of ceil(3/4) = 1 row; the fourth pair idles.
    expect(howoSplit(3, 5, 8)).toEqual([
      { rows: 1, pixels: 2 }, { rows: 1, pixels: 3 }, { rows: 1, pixels: 2 }, { rows: 1, pixels: 3 },
      { rows: 1, pixels: 2 }, { rows: 1, pixels: 3 }, { rows: 0, pixels: 2 }, { rows: 0, pixels: 3 },
    ]);
    // 10 rows: chunks of ceil(10/4) = 3 rows: 3, 3, 3 and 1.
    expect(howoSplit(10, 4, 8).map((s) => s.rows)).toEqual([3, 3, 3, 3, 3, 3, 1, 1]);
    // One row: only the first pair works (a quarter of the cluster).
    expect(howoSplit(1, 6, 8).filter((s) => s.rows > 0)).toHaveLength(2);
  });

  test("pointwise on a single column never splits the width", () => {
    expect(howoSplit(3, 1, 8).map((s) => s.rows)).toEqual([1, 1, 1, 0, 0, 0, 0, 0]);
  });

  test("depthwise channels: chunks of ceil(C/8)", () => {
    expect(channelSplit(16, 8)).toEqual(Array(8).fill(2));
    expect(channelSplit(9, 8)).toEqual([2, 2, 2, 2, 1, 0, 0, 0]);
    expect(channelSplit(3, 8)).toEqual([1, 1, 1, 0, 0, 0, 0, 0]);
  });
});

describe("pointwise cycle counts", () => {
  test("one pixel pair, Cin = 8, Cout = 4, HWC", () => {
    // One 4x2 block: setup 16 + 2 inner iterations x 14 + 8 requantizations x 6 = 92; call 25.
    expect(pointwisePairCycles(8, 4, "HWC", M)).toBe(25 + 16 + 2 * 14 + 8 * 6);
  });

  test("leftover input and output channels, misaligned rows (Cin = 6, Cout = 5)", () => {
    // Block: 16 + (14 + 6 loads x 0.75 misaligned) + 2 tail channels x 16 + 48 = 114.5.
    // Leftover output channel: 8 + (5 + 3 x 0.75) + 2 x 6 + 2 x 6 = 39.25.
    expect(pointwisePairCycles(6, 5, "HWC", M)).toBe(25 + 114.5 + 39.25);
  });

  test("CHW input adds the per-pair im2col gather (5 cycles per input channel)", () => {
    expect(pointwisePairCycles(8, 4, "CHW", M) - pointwisePairCycles(8, 4, "HWC", M)).toBe(8 * 5);
  });

  test("single leftover pixel: per output channel 8 + 2 x 3 + 6", () => {
    expect(pointwisePixelCycles(8, 4, "HWC", M)).toBe(4 * (8 + 2 * 3 + 6));
  });

  test("a call is its slowest core plus the barrier", () => {
    // 3 rows x 5 pixels: odd cores hold a pair and the odd pixel of one row each.
    const slowest = 40 + (6 + pointwisePairCycles(8, 4, "HWC", M) + pointwisePixelCycles(8, 4, "HWC", M));
    expect(slowest).toBe(243);
    expect(pointwiseCycles({ rows: 3, width: 5, cin: 8, cout: 4, layout: "HWC" }, M)).toBe(243 + 16);
  });

  test("bank conflicts cost l1Stall per access: 6 per inner iteration, 4 bias loads, 2 per output", () => {
    const m = { ...M, l1Stall: 0.1 };
    expect(pointwisePairCycles(8, 4, "HWC", m) - pointwisePairCycles(8, 4, "HWC", M)).toBeCloseTo(0.1 * (2 * 6 + 4 + 8 * 2), 10);
  });

  test("a large balanced layer runs near PULP-NN's published 15.5 MAC/cycle, under the 4x2 loop's 18.3 bound", () => {
    const c = { rows: 8, width: 16, cin: 256, cout: 256, layout: "HWC" as const };
    const macPerCycle = (c.rows * c.width * c.cin * c.cout) / pointwiseCycles(c, GAP8_COMPUTE);
    expect(macPerCycle).toBeGreaterThan(15.5);
    expect(macPerCycle).toBeLessThan((8 * 32) / 14);
    expect(macPerCycle).toBeCloseTo(16.4, 1);
  });
});

describe("depthwise cycle counts", () => {
  const call = { inRows: 4, width: 4, channels: 9, outRows: 4, outWidth: 4, kh: 3, kw: 3, padTop: 1, padBottom: 1, layout: "CHW" as const };

  test("one column of a 3x3 kernel, CHW input", () => {
    // Row copy: 4 + (lw + sw = 2, each misaligned 3 in 4: +1.5) = 7.5; pad row 3 + 1 = 4.
    // Pixel: 8 + leftover tap (2 + 3) + 2 word taps (1 + 2 x (3 + 2 x 0.75)) + requant 7 = 30.
    expect(depthwiseColumnCycles(call, M)).toBe(12 + 4 * 7.5 + 2 * 4 + 4 * 30);
  });

  test("HWC input gathers bytes: 4 x (lbu + sb + add) per buffer row", () => {
    expect(depthwiseColumnCycles({ ...call, layout: "HWC" }, M)).toBe(12 + 4 * (4 + 12) + 2 * 4 + 4 * 30);
  });

  test("a call is the core with the most channels (9 channels: 2) plus prologue and barrier", () => {
    expect(depthwiseChannelCycles(call, M)).toBe(10 + 4 * 170);
    expect(depthwiseCycles(call, M)).toBe(40 + 2 * 690 + 16);
    // 8 channels: one each, the same time as 1 channel.
    expect(depthwiseCycles({ ...call, channels: 8 }, M)).toBe(depthwiseCycles({ ...call, channels: 1 }, M));
  });

  test("stride 2 builds as many buffer rows for half the outputs", () => {
    const s1 = depthwiseColumnCycles({ ...call, inRows: 8, outRows: 8 }, M) / 8;
    const s2 = depthwiseColumnCycles({ ...call, inRows: 8, outRows: 4 }, M) / 4;
    expect(s2 - s1).toBeCloseTo((12 + 8 * 7.5 + 2 * 4) / 4 - (12 + 8 * 7.5 + 2 * 4) / 8, 10);
  });
});

describe("copies and combining compute with DMA", () => {
  test("window slide: words split over the cores, 2 cycles each, one plane", () => {
    expect(copyCycles(100, 1, M)).toBe(40 + Math.ceil(25 / 8) * 2 + 4 + 16);
    expect(copyCycles(0, 1, M)).toBe(0);
  });

  test("blocking transfers add up; overlapped ones hide behind compute except one step", () => {
    expect(combine(1000.4, 500, 4, false)).toEqual({ computeCycles: 1000, dmaCycles: 500, totalCycles: 1500 });
    expect(combine(1000, 600, 3, true)).toEqual({ computeCycles: 1000, dmaCycles: 600, totalCycles: 1200 });
    expect(combine(300, 600, 3, true).totalCycles).toBe(800);
  });

  test("options: overlap needs double buffering, constants are checked", () => {
    expect(() => resolveLatency({ overlap: true }, false)).toThrow(RangeError);
    expect(resolveLatency({ overlap: true }, true).overlap).toBe(true);
    expect(() => resolveLatency({ compute: { cores: 6 } }, false)).toThrow(/power of two/);
    expect(() => resolveLatency({ compute: { nope: 1 } as never }, false)).toThrow(/not a compute model constant/);
    expect(() => resolveLatency({ compute: { barrier: -1 } }, false)).toThrow(RangeError);
    expect(resolveLatency(undefined, false).compute).toBe(GAP8_COMPUTE);
  });
});

describe("a layer tiled alone adds up its calls", () => {
  const input: Tensor = { data: new Int8Array(3 * 5 * 8), height: 3, width: 5, channels: 8, layout: "HWC", zeroPoint: 0 };
  const rq = (c: number) => ({ scheme: "tflite" as const, multiplier: Array(c).fill(2 ** 30), shift: Array(c).fill(-7), outputZeroPoint: 0, min: -128, max: 127 });
  const ops: [ConvOp, ConvOp] = [
    { kind: "depthwise", kernel: [3, 3], stride: [1, 1], pad: { top: 1, left: 1, bottom: 1, right: 1 }, weights: new Int8Array(72), requant: rq(8) },
    { kind: "pointwise", outChannels: 5, weights: new Int8Array(40), requant: rq(5) },
  ];
  const blk = describeBlock(input, ops);
  const pw = (rows: number, cout: number) => pointwiseCycles({ rows, width: 5, cin: 8, cout, layout: "HWC" }, M) + M.tileOverhead;

  test("pointwise: one call per row tile and channel tile, each with the tile overhead", () => {
    expect(layerCompute(blk, "second", { pwRows: 3, pwOutChannels: 5 }, M)).toEqual({ cycles: pw(3, 5), steps: 1 });
    // 2+1 rows x 4+1 channels: four calls.
    expect(layerCompute(blk, "second", { pwRows: 2, pwOutChannels: 4 }, M)).toEqual({ cycles: pw(2, 4) + pw(2, 1) + pw(1, 4) + pw(1, 1), steps: 4 });
  });

  test("depthwise: tiles arrive in CHW; each row step carries its own padding", () => {
    const dw = (inRows: number, outRows: number, padTop: number, padBottom: number, channels: number) =>
      depthwiseCycles({ inRows, width: 5, channels, outRows, outWidth: 5, kh: 3, kw: 3, padTop, padBottom, layout: "CHW" }, M) + M.tileOverhead;
    expect(layerCompute(blk, "first", { dwRows: 3, dwChannels: 8 }, M)).toEqual({ cycles: dw(3, 3, 1, 1, 8), steps: 1 });
    // Rows [0,2) read input rows 0..2 with the top pad; row 2 reads rows 1..2 with the bottom pad.
    expect(layerCompute(blk, "first", { dwRows: 2, dwChannels: 8 }, M)).toEqual({ cycles: dw(3, 2, 1, 0, 8) + dw(2, 1, 0, 1, 8), steps: 2 });
  });
});
