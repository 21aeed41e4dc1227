// Deployment check. Every expected value below is derived by hand from the measured rules
// (src/check/rules.ts); the derivation is in the comment next to it. Notation: W input width,
// Wo output width, pl/pr left/right pad, sw stride across, leftNeed(x) = max(pl - x*sw, 0),
// rightNeed(x) = max(x*sw - pl + kw - W, 0), zeroed(x) = max(floor(kw/2) - (W - x*sw - 1), 0)
// (what the right-region code zeroes), dimIncr = 4*ceil(kw/4) - kw.
// Regions in loop order: left = the columns with x*sw < pl (ceil(pl/sw) of them), then the
// middle, which always runs at least once (its first column is ceil(pl/sw)) and otherwise runs
// while x < Wo - pr, then the right region up to Wo - 1.
import { describe, expect, test } from "vitest";
import { check, RULES, type CheckOp, type CheckOptions, type Finding, type NetworkEntry } from "../src/check/index.js";
import type { DepthwiseOp, Padding, PointwiseOp, Requant } from "../src/types.js";

const BN: Requant = { scheme: "pulp-bn", k: [1], lambda: [0], shift: 8 };
const PULP: CheckOptions = { target: "pulp-nn" };
const DORY: CheckOptions = { target: "dory-fused" };

function pad(top: number, left: number, bottom: number, right: number): Padding {
  return { top, left, bottom, right };
}
function dw(k: [number, number], s: [number, number], p: Padding, requant: Requant = BN): DepthwiseOp {
  return { kind: "depthwise", kernel: k, stride: s, pad: p, weights: new Int8Array(0), requant };
}
function pw(outChannels: number, bias: boolean, requant: Requant = BN): PointwiseOp {
  return { kind: "pointwise", outChannels, weights: new Int8Array(0), bias: bias ? new Int32Array(outChannels) : null, requant };
}
function layer(width: number, op: CheckOp, height = 8, channels = 4) {
  return { input: { height, width, channels }, op };
}
const ids = (f: Finding[]) => f.map((x) => x.rule);
/** 3x3 depthwise with symmetric pad 1 (vertical pad 1 too). */
const dw3 = (stride: number) => dw([3, 3], [stride, stride], pad(1, 1, 1, 1));
/** TF SAME padding of one axis (extra pad at the end). */
function same(n: number, k: number, s: number): [number, number] {
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

describe("rule table", () => {
  test("one readable row per rule, each with explanation, fix and evidence", () => {
    const seen = new Set<string>();
    for (const r of RULES) {
      expect(seen.has(r.id)).toBe(false);
      seen.add(r.id);
      expect(r.targets.length).toBeGreaterThan(0);
      for (const t of r.targets) expect(["pulp-nn", "dory-fused"]).toContain(t);
      expect(["depthwise", "pointwise", "requant"]).toContain(r.op);
      expect(r.explanation.length).toBeGreaterThan(20);
      expect(r.fix.length).toBeGreaterThan(5);
      expect(r.evidence.kernel.length).toBeGreaterThan(5);
      expect(r.evidence.observed.length).toBeGreaterThan(5);
    }
    expect(seen.size).toBe(17);
  });
});

describe("depthwise 3x3, symmetric pad 1", () => {
  test("stride 1: width 3 exact", () => {
    // Wo = 3. Left {0}: rightNeed(0) = 0-1+3-3 = 0; leftNeed(0)+dimIncr = 1+1 <= 3.
    // Middle [1, max(2, 3-1)) = {1}: rightNeed(1) = 0. Right {2}: rightNeed(2) = 1 = zeroed(2) = max(1-0, 0).
    expect(check(layer(3, dw3(1)), PULP)).toEqual([]);
  });
  test("stride 1: width 2 flagged (forced middle column needs right padding)", () => {
    // Wo = 2. Left {0}. Middle starts at 1 and runs once (1 >= Wo - pr = 1 but the loop is a
    // do-while): rightNeed(1) = 1-1+3-2 = 1 > 0. Right region empty.
    const f = check(layer(2, dw3(1)), PULP);
    expect(ids(f)).toEqual(["dw-middle-needs-right-pad"]);
    expect(f[0]).toMatchObject({ layer: 0, kind: "depthwise", severity: "error" });
    expect(f[0].opIndex).toBeUndefined();
    expect(f[0].message).toContain("column 1");
    // Widening to 3 is exact (previous test), so the fix names width 3.
    expect(f[0].fix).toContain("width 3");
  });
  test("stride 1: width 1 flagged (middle column outside the row, left column needs right pad)", () => {
    // Wo = 1. Left {0}: rightNeed(0) = 0-1+3-1 = 1 > 0. Middle first column 1 >= Wo = 1.
    expect(ids(check(layer(1, dw3(1)), PULP))).toEqual(["dw-middle-outside-row", "dw-left-needs-right-pad"]);
  });
  test("stride 2: width 4 exact", () => {
    // Wo = floor((4+2-3)/2)+1 = 2. Left: ceil(1/2) = 1 column {0}: rightNeed(0) = 0-1+3-4 < 0.
    // Middle [1, max(2, 1)) = {1}: rightNeed(1) = 2-1+3-4 = 0. Right empty.
    expect(check(layer(4, dw3(2)), PULP)).toEqual([]);
  });
  test("stride 2: width 3 flagged", () => {
    // Wo = floor(2/2)+1 = 2. Left {0}: rightNeed(0) = -1 -> 0. Middle {1}: rightNeed(1) = 2-1+3-3 = 1.
    const f = check(layer(3, dw3(2)), PULP);
    expect(ids(f)).toEqual(["dw-middle-needs-right-pad"]);
    expect(f[0].message).toContain("column 1");
  });
  test("stride 2: width 2 flagged (middle outside the row)", () => {
    // Wo = floor(1/2)+1 = 1. Left {0}: rightNeed(0) = 0-1+3-2 = 0. Middle first column 1 >= 1.
    const f = check(layer(2, dw3(2)), PULP);
    expect(ids(f)).toEqual(["dw-middle-outside-row"]);
    expect(f[0].message).toContain("column 1");
  });
  test("stride 2: width 5 exact", () => {
    // Wo = 3. Left {0}. Middle [1, max(2, 2)) = {1}: rightNeed(1) = 2-1+3-5 < 0.
    // Right {2}: rightNeed(2) = 4-1+3-5 = 1, zeroed(2) = max(1-(5-4-1), 0) = 1.
    expect(check(layer(5, dw3(2)), PULP)).toEqual([]);
  });
  test("the measured summary: wrong exactly for widths <= 2 at stride 1 and <= 3 at stride 2", () => {
    for (let w = 1; w <= 64; w++) {
      expect(check(layer(w, dw3(1)), PULP).length > 0, `stride 1 width ${w}`).toBe(w <= 2);
      expect(check(layer(w, dw3(2)), PULP).length > 0, `stride 2 width ${w}`).toBe(w <= 3);
    }
  });
});

describe("depthwise padding that is not floor(kw/2) on the left", () => {
  test("TF SAME stride 2, even width 8 (left 0, right 1) flagged", () => {
    // SAME: Wo = ceil(8/2) = 4, total pad = max(3*2+3-8, 0) = 1 -> left 0, right 1.
    // No left region. Middle [0, max(1, 3)) = {0,1,2}: rightNeed(2) = 4+3-8 = -1 -> 0.
    // Right {3}: rightNeed(3) = 6+3-8 = 1, zeroed(3) = max(1-(8-6-1), 0) = 0 -> mismatch.
    const [l, r] = same(8, 3, 2);
    expect([l, r]).toEqual([0, 1]);
    const f = check(layer(8, dw([3, 3], [2, 2], pad(0, l, 1, r))), PULP);
    expect(ids(f)).toEqual(["dw-right-pad-count"]);
    expect(f[0].message).toContain("column 3 needs 1 right pad tap but the kernel zeroes 0");
    expect(f[0].message).toContain("past the end of the input row");
    // Symmetric pad 1 at width 8, stride 2: Wo = floor(7/2)+1 = 4 (unchanged), and exact
    // (left {0}; middle {1,2}: rightNeed(2) = 4-1+3-8 < 0; right {3}: rightNeed = 6-1+3-8 = 0 = zeroed).
    expect(f[0].fix).toContain("symmetric padding 1");
    expect(f[0].fix).toContain("output width stays 4");
  });
  test("TF SAME stride 2, odd width 9 (left 1, right 1) exact", () => {
    // total = max(4*2+3-9, 0) = 2 -> 1/1. Wo = 5. Left {0}; middle [1, 4): rightNeed(3) = 6-1+3-9 < 0;
    // right {4}: rightNeed(4) = 8-1+3-9 = 1 = zeroed(4) = max(1-(9-8-1), 0).
    const [l, r] = same(9, 3, 2);
    expect([l, r]).toEqual([1, 1]);
    expect(check(layer(9, dw([3, 3], [2, 2], pad(1, l, 1, r))), PULP)).toEqual([]);
  });
  test("TF SAME stride 2 from width 4 up: wrong exactly on even widths", () => {
    // Even W: pads 0/1 and the last column needs 1 tap that is not zeroed (as for width 8).
    // Odd W >= 5: pads 1/1, the symmetric case, exact for widths > 3.
    for (let w = 4; w <= 64; w++) {
      const [l, r] = same(w, 3, 2);
      const f = check(layer(w, dw([3, 3], [2, 2], pad(0, l, 1, r))), PULP);
      expect(f.length > 0, `width ${w}`).toBe(w % 2 === 0);
    }
  });
  test("left pad 2 with 3x3 flagged; pad 1 exact", () => {
    // pad 2 all round, W = 8, stride 1: Wo = 8+4-3+1 = 10. Left {0,1}: leftNeed(0)+dimIncr = 2+1 = 3 <= 3,
    // rightNeed < 0. Middle [2, max(3, 8)) = 2..7: rightNeed(7) = 7-2+3-8 = 0.
    // Right {8,9}: rightNeed(8) = 1 vs zeroed(8) = max(1-(8-8-1), 0) = 2; rightNeed(9) = 2 vs 3.
    const f = check(layer(8, dw([3, 3], [1, 1], pad(2, 2, 2, 2))), PULP);
    expect(ids(f)).toEqual(["dw-right-pad-count"]);
    expect(f[0].message).toContain("columns 8-9");
    expect(f[0].message).toContain("zeroes 1 real input tap");
    expect(check(layer(8, dw([3, 3], [1, 1], pad(1, 1, 1, 1))), PULP)).toEqual([]);
  });
  test("left-buffer overrun: 5x5 left pad 3 flagged, left pad 2 exact", () => {
    // 5x5: dimIncr = 4*2-5 = 3. Pad left 3, right 0, W = 10: Wo = 10+3-5+1 = 9.
    // Left {0,1,2}: leftNeed(0)+3 = 6 > 5 (flagged), leftNeed(1)+3 = 5 ok; rightNeed(x) = x-3+5-10 < 0.
    // Middle [3, max(4, 9)) = 3..8: rightNeed(8) = 8-3+5-10 = 0. Right empty.
    const f = check(layer(10, dw([5, 5], [1, 1], pad(2, 3, 2, 0))), PULP);
    expect(ids(f)).toEqual(["dw-left-buffer-overrun"]);
    expect(f[0].message).toContain("column 0");
    expect(f[0].message).toContain("3 + 3 > 5");
    // Pad left 2: Wo = 8, left {0,1}: 2+3 = 5 <= 5; middle [2, 8): rightNeed(7) = 7-2+5-10 = 0.
    expect(check(layer(10, dw([5, 5], [1, 1], pad(2, 2, 2, 0))), PULP)).toEqual([]);
  });
  test("left pad 3 with 3x3: right count and left-buffer overrun", () => {
    // pad 3/3, W = 8: Wo = 12. Left {0,1,2}: leftNeed(0)+1 = 4 > 3 (col 0 only; col 1: 2+1 = 3).
    // Middle [3, 9): rightNeed(8) = 8-3+3-8 = 0. Right {9,10,11}: rightNeed 1,2,3 vs zeroed 3,4,5.
    const f = check(layer(8, dw([3, 3], [1, 1], pad(1, 3, 1, 3))), PULP);
    expect(ids(f)).toEqual(["dw-right-pad-count", "dw-left-buffer-overrun"]);
    expect(f[0].message).toContain("columns 9-11");
  });
  test("a right-region column never needs left padding (regions run in loop order)", () => {
    // Right-region columns come after the left ones, so x*sw >= pl and leftNeed(x) = 0.
    for (let w = 1; w <= 12; w++) {
      for (let p = 0; p <= 3; p++) {
        for (let s = 1; s <= 3; s++) {
          if (w + 2 * p < 3) continue; // empty output: not a layer
          const f = check(layer(w, dw([3, 3], [s, s], pad(1, p, 1, p))), PULP);
          expect(ids(f)).not.toContain("dw-right-needs-left-pad");
        }
      }
    }
  });
});

describe("depthwise kernels with few taps or kw = 1", () => {
  test("1x1, 1x3, 3x1 flagged under the generic kernel; 2x2 and 1x4 exact", () => {
    // 1x1: 1 tap < 4; kw = 1 -> dimIncr = 4-1 = 3 > 1. Pad 0: middle covers all, rightNeed(x) = x+1-8 <= 0.
    expect(ids(check(layer(8, dw([1, 1], [1, 1], pad(0, 0, 0, 0))), PULP))).toEqual(["dw-few-taps", "dw-dimincr-exceeds-kw"]);
    // 1x3, pad left/right 1: 3 taps < 4; dimIncr 1 <= 3; columns as 3x3 pad 1 at W = 8: exact.
    const f13 = check(layer(8, dw([1, 3], [1, 1], pad(0, 1, 0, 1))), PULP);
    expect(ids(f13)).toEqual(["dw-few-taps"]);
    expect(f13[0].fix).toContain("3x3");
    expect(f13[0].fix).toContain("less_4_weights");
    // 3x1, pad top/bottom 1: 3 taps, kw = 1 -> dimIncr 3 > 1.
    expect(ids(check(layer(8, dw([3, 1], [1, 1], pad(1, 0, 1, 0))), PULP))).toEqual(["dw-few-taps", "dw-dimincr-exceeds-kw"]);
    // 2x2 pad 0: 4 taps; dimIncr = 4-2 = 2 <= 2; Wo = 7, middle 0..6: rightNeed(6) = 6+2-8 = 0.
    expect(check(layer(8, dw([2, 2], [1, 1], pad(0, 0, 0, 0))), PULP)).toEqual([]);
    // 1x4 pad 0: 4 taps; dimIncr = 0. Wo = 5, rightNeed(4) = 4+4-8 = 0.
    expect(check(layer(8, dw([1, 4], [1, 1], pad(0, 0, 0, 0))), PULP)).toEqual([]);
  });
  test("dory-fused shares the column-buffer code: same depthwise findings", () => {
    expect(ids(check(layer(8, dw([1, 3], [1, 1], pad(0, 1, 0, 1))), DORY))).toEqual(["dw-few-taps"]);
    expect(ids(check(layer(2, dw3(1)), DORY))).toEqual(["dw-middle-needs-right-pad"]);
  });
  test("dimIncr: 4x1 (kw = 1) flagged alone, 2x2 with left pad 1 overruns, 2x2 without padding exact", () => {
    // 4x1: 4 taps (>= 4), but dimIncr = 3 > kw = 1.
    expect(ids(check(layer(8, dw([4, 1], [1, 1], pad(0, 0, 0, 0))), PULP))).toEqual(["dw-dimincr-exceeds-kw"]);
    // 2x2, pad left 1 right 0, W = 8: dimIncr = 2; left {0}: leftNeed(0)+2 = 3 > 2.
    // Wo = 8+1-2+1 = 8; middle [1, 8): rightNeed(7) = 7-1+2-8 = 0. Right empty.
    expect(ids(check(layer(8, dw([2, 2], [1, 1], pad(0, 1, 0, 0))), PULP))).toEqual(["dw-left-buffer-overrun"]);
  });
  test("pulp_nn_depthwise_less_4_weights: exact only without horizontal padding", () => {
    const o: CheckOptions = { target: "pulp-nn", depthwiseKernel: "less_4_weights" };
    expect(check(layer(8, dw([1, 3], [1, 1], pad(0, 0, 0, 0))), o)).toEqual([]);
    expect(check(layer(8, dw([3, 1], [1, 1], pad(1, 0, 1, 0))), o)).toEqual([]);
    expect(check(layer(8, dw([1, 1], [1, 1], pad(0, 0, 0, 0))), o)).toEqual([]);
    expect(ids(check(layer(8, dw([1, 3], [1, 1], pad(0, 1, 0, 1))), o))).toEqual(["dw-less4-horizontal-pad"]);
    expect(ids(check(layer(8, dw([1, 3], [1, 1], pad(0, 0, 0, 1))), o))).toEqual(["dw-less4-horizontal-pad"]);
    // 3x3 still runs the generic kernel.
    expect(ids(check(layer(2, dw3(1)), o))).toEqual(["dw-middle-needs-right-pad"]);
  });
});

describe("pointwise", () => {
  test("HoWo_parallel (default) exact with a bias and an odd width", () => {
    expect(check(layer(7, pw(8, true)), PULP)).toEqual([]);
    expect(check(layer(7, pw(8, true)), { target: "pulp-nn", pointwise: "HoWo_parallel" })).toEqual([]);
  });
  test("Co_parallel: bias flagged; no bias and even width exact; odd width flagged", () => {
    const co: CheckOptions = { target: "pulp-nn", pointwise: "Co_parallel" };
    const fb = check(layer(8, pw(8, true)), co);
    expect(ids(fb)).toEqual(["pw-co-parallel-bias"]);
    expect(fb[0].fix).toContain("HoWo_parallel");
    expect(fb[0].fix).toContain("lambda"); // pulp-bn: the bias can be folded into lambda
    expect(check(layer(8, pw(8, false)), co)).toEqual([]);
    const fo = check(layer(7, pw(8, false)), co);
    expect(ids(fo)).toEqual(["pw-co-parallel-odd-width"]);
    expect(fo[0].message).toContain("column 6");
    expect(ids(check(layer(7, pw(8, true)), co))).toEqual(["pw-co-parallel-bias", "pw-co-parallel-odd-width"]);
    // width 1 is odd too
    expect(ids(check(layer(1, pw(8, false)), co))).toEqual(["pw-co-parallel-odd-width"]);
  });
  test("HWC-in/CHW-out pointwise (dory-fused): H % 8 != 0 and H > 4 at H = 4, 5, 8, 9, 12, 16", () => {
    // dw-pw with CHW block input runs dw-pw/CHW-CHW-HWC/rows: the pointwise reads the HWC
    // intermediate and writes the CHW output. The depthwise is 3x3 pad 1 stride 1, so the
    // pointwise height equals H. Width 8 keeps the depthwise exact.
    const block = (h: number) => ({ input: { height: h, width: 8, channels: 4, layout: "CHW" as const }, ops: [dw3(1), pw(8, false)] as [CheckOp, CheckOp] });
    const expected: Record<number, boolean> = { 4: false, 5: true, 8: false, 9: true, 12: true, 16: false };
    for (const [h, bad] of Object.entries(expected)) {
      const f = check(block(Number(h)), DORY);
      expect(ids(f), `H = ${h}`).toEqual(bad ? ["pw-hwc-to-chw-row-skip"] : []);
      if (bad) expect(f[0]).toMatchObject({ opIndex: 1, kind: "pointwise", severity: "error" });
    }
    // PULP-NN target: not its kernel.
    expect(check(block(9), PULP)).toEqual([]);
  });
  test("HWC->CHW rule depends on the schedule", () => {
    const b = (schedule?: "pw-dw/HWC-HWC-HWC/rows" | "pw-dw/HWC-HWC-CHW/channels" | "unfused") => ({
      input: { height: 9, width: 8, channels: 4 },
      ops: [pw(8, false), dw3(1)] as [CheckOp, CheckOp],
      ...(schedule ? { schedule } : {}),
    });
    // HWC intermediate: the pointwise writes HWC.
    expect(check(b("pw-dw/HWC-HWC-HWC/rows"), DORY)).toEqual([]);
    expect(check(b("unfused"), DORY)).toEqual([]);
    // CHW intermediate: HWC in, CHW out, H = 9.
    const f = check(b("pw-dw/HWC-HWC-CHW/channels"), DORY);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ rule: "pw-hwc-to-chw-row-skip", opIndex: 0, severity: "error" });
    // The same schedule through options.
    expect(ids(check(b(), { target: "dory-fused", schedule: "pw-dw/HWC-HWC-CHW/rows" }))).toEqual(["pw-hwc-to-chw-row-skip"]);
    // No schedule: 2 of the 4 pw-dw HWC schedules have a CHW intermediate -> warning naming them.
    const w = check(b(), DORY);
    expect(w).toHaveLength(1);
    expect(w[0].severity).toBe("warning");
    expect(w[0].message).toContain("pw-dw/HWC-HWC-CHW/rows");
    expect(w[0].fix).toContain("pw-dw/HWC-HWC-HWC/rows");
    // A lone pointwise layer runs unfused and keeps its layout.
    expect(check(layer(8, pw(8, false), 9), DORY)).toEqual([]);
  });
});

describe("requantization", () => {
  const q = (mult: number, shift = 8): Requant => ({ scheme: "pulp-quant", mult, shift });
  test("pulp-quant multiplier: 32767 ok, 32768 and 40000 act negative on the board", () => {
    expect(check(layer(8, pw(8, false, q(32767))), PULP)).toEqual([]);
    expect(check(layer(8, pw(8, false, q(0))), PULP)).toEqual([]);
    // 32768 as int16 is 32768 - 65536 = -32768.
    const f = check(layer(8, pw(8, false, q(32768))), PULP);
    expect(ids(f)).toEqual(["rq-quant-mult-uint16"]);
    expect(f[0].severity).toBe("error");
    expect(f[0].message).toContain("-32768");
    // 40000 -> -25536; 40000 is even and shift 8 >= 1, so 20000 with shift 7 has the same scale.
    const g = check(layer(8, dw([3, 3], [1, 1], pad(1, 1, 1, 1), q(40000))), DORY);
    expect(ids(g)).toEqual(["rq-quant-mult-uint16"]);
    expect(g[0].message).toContain("-25536");
    expect(g[0].fix).toContain("mult 20000 with shift 7");
    // 70000 does not fit 16 bits at all.
    expect(check(layer(8, pw(8, false, q(70000))), PULP)[0].message).toContain("does not fit in 16 bits");
  });
  test("pulp-quant negative multiplier: a warning (dwpw and board agree), naming the uint16 it may have been", () => {
    const f = check(layer(8, pw(8, false, q(-25536))), PULP);
    expect(ids(f)).toEqual(["rq-quant-mult-negative"]);
    expect(f[0].severity).toBe("warning");
    expect(f[0].message).toContain("40000"); // -25536 + 65536
    expect(ids(check(layer(8, pw(8, false, q(-1))), PULP))).toEqual(["rq-quant-mult-negative"]);
  });
  test("batch-norm without the ReLU flag falls back to the plain shift", () => {
    expect(check(layer(8, { ...pw(8, false), relu: true }), PULP)).toEqual([]);
    const f = check(layer(8, { ...pw(8, false), relu: false }), PULP);
    expect(ids(f)).toEqual(["rq-no-relu-fallback"]);
    expect(f[0].message).toContain("acc >> 8");
    expect(check(layer(8, { ...pw(8, false, { scheme: "pulp-shift", shift: 4 }), relu: false }), PULP)).toEqual([]);
  });
  test("shifts: 31 ok, 32 undefined (5-bit shifter)", () => {
    const sh = (shift: number): Requant => ({ scheme: "pulp-shift", shift });
    expect(check(layer(8, pw(8, false, sh(31))), PULP)).toEqual([]);
    expect(check(layer(8, pw(8, false, sh(0))), PULP)).toEqual([]);
    expect(ids(check(layer(8, pw(8, false, sh(32))), PULP))).toEqual(["rq-shift-range"]);
    expect(ids(check(layer(8, pw(8, false, sh(-1))), PULP))).toEqual(["rq-shift-range"]);
    const bn32 = check(layer(8, pw(8, false, { scheme: "pulp-bn", k: [1], lambda: [0], shift: 32 })), DORY);
    expect(ids(bn32)).toEqual(["rq-shift-range"]);
    expect(ids(check(layer(8, pw(8, false, q(100, 32))), PULP))).toEqual(["rq-shift-range"]);
  });
  test("a scheme the PULP kernels do not run is reported as info", () => {
    const tfl: Requant = { scheme: "tflite", multiplier: [1 << 30], shift: [0], outputZeroPoint: 0, min: -128, max: 127 };
    const f = check(layer(8, pw(8, false, tfl)), PULP);
    expect(ids(f)).toEqual(["rq-scheme-not-pulp"]);
    expect(f[0].severity).toBe("info");
  });
});

describe("subjects and options", () => {
  test("block: the second op's input follows from the first", () => {
    // dw 3x3 stride 2 pad 1 on width 6: Wo = floor(5/2)+1 = 3 (exact: left {0}; middle {1}:
    // rightNeed(1) = 2-1+3-6 < 0; right {2}: rightNeed(2) = 4-1+3-6 = 0 = zeroed(2) = max(1-(6-4-1), 0)).
    // The pointwise then sees width 3 (odd) -> flagged under Co_parallel as op 1.
    const f = check({ name: "blk", input: { height: 6, width: 6, channels: 4 }, ops: [dw3(2), pw(8, false)] }, { target: "pulp-nn", pointwise: "Co_parallel" });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ layer: "blk", opIndex: 1, rule: "pw-co-parallel-odd-width" });
    expect(f[0].message).toContain("width 3");
  });
  test("network: layers are named by name or index; input chains", () => {
    const net: NetworkEntry[] = [
      { input: { height: 8, width: 8, channels: 4 }, op: dw3(1) }, // 8x8, exact
      { name: "second", op: dw3(2) }, // width 8 -> Wo 4, exact
      { op: dw3(2) }, // width 4 -> Wo 2, exact (stride-2 width 4 case)
      { op: dw3(2) }, // width 2 -> middle outside the row (stride-2 width 2 case)
    ];
    const f = check(net, PULP);
    expect(f.map((x) => [x.layer, x.rule])).toEqual([[3, "dw-middle-outside-row"]]);
    expect(check([{ name: "a", input: { height: 8, width: 2, channels: 4 }, op: dw3(1) }], PULP)[0].layer).toBe("a");
  });
  test("bad input is rejected with the field named", () => {
    expect(() => check({ op: dw3(1) } as never, PULP)).toThrow(/subject\.input/);
    expect(() => check(layer(8, dw3(1)), { target: "gap8" } as never)).toThrow(RangeError);
    expect(() => check(layer(8, dw3(1)), { target: "dory-fused", pointwise: "Co_parallel" } as never)).toThrow(/options\.pointwise/);
    expect(() => check(layer(8, dw3(1)), { target: "pulp-nn", schedule: "unfused" } as never)).toThrow(/options\.schedule/);
    expect(() => check({ input: { height: 8, width: 8, channels: 4 }, ops: [dw3(1), dw3(1)] }, PULP)).toThrow(/ops/);
    expect(() =>
      check({ input: { height: 8, width: 8, channels: 4 }, ops: [pw(8, false), dw3(1)], schedule: "dw-pw/HWC-HWC-HWC/rows" }, DORY),
    ).toThrow(/schedule/);
    expect(() => check(layer(1, dw([3, 3], [1, 1], pad(0, 0, 0, 0))), PULP)).toThrow(/kernel\[1\]/);
    expect(() => check([layer(8, dw3(1)), { input: { height: 8, width: 0, channels: 4 }, op: dw3(1) }], PULP)).toThrow(/subject\[1\]\.input\.width/);
  });
});

// ---------------------------------------------------------------------------------------------
// MobileNet presets (224x224 input; the first full 3x3 conv, stride 2, is not depthwise-separable
// and is left out, so the lists start at 112x112x32).

type PadMode = "tf-same" | "symmetric";
function dwPad(w: number, s: number, mode: PadMode): Padding {
  if (mode === "symmetric") return pad(1, 1, 1, 1);
  const [t, b] = same(w, 3, s);
  const [l, r] = same(w, 3, s);
  return pad(t, l, b, r);
}

/** MobileNetV1 1.0-224: 13 depthwise 3x3 + pointwise pairs. */
function mobilenetV1(mode: PadMode): NetworkEntry[] {
  // [stride of the depthwise, pointwise output channels]
  const cfg: [number, number][] = [
    [1, 64], [2, 128], [1, 128], [2, 256], [1, 256], [2, 512],
    [1, 512], [1, 512], [1, 512], [1, 512], [1, 512], [2, 1024], [1, 1024],
  ];
  const out: NetworkEntry[] = [];
  let hw = 112;
  let c = 32;
  cfg.forEach(([s, co], i) => {
    out.push({ name: `dw${i + 1}`, input: { height: hw, width: hw, channels: c }, op: dw([3, 3], [s, s], dwPad(hw, s, mode)) });
    hw = s === 2 ? hw / 2 : hw; // all widths here are even, so SAME and symmetric-1 both halve
    out.push({ name: `pw${i + 1}`, input: { height: hw, width: hw, channels: c }, op: pw(co, true) });
    c = co;
  });
  return out;
}

/** MobileNetV2 1.0-224 bottlenecks (t, c, n, s), as an inverted-residual layer list; inputs chain. */
function mobilenetV2(mode: PadMode): NetworkEntry[] {
  const cfg: [number, number, number, number][] = [
    [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
  ];
  const out: NetworkEntry[] = [];
  let hw = 112;
  let c = 32;
  let b = 0;
  for (const [t, co, n, s0] of cfg) {
    for (let i = 0; i < n; i++) {
      b++;
      const s = i === 0 ? s0 : 1;
      const first: NetworkEntry[] = [];
      if (t !== 1) first.push({ name: `b${b}.expand`, op: pw(c * t, true) });
      out.push(...first);
      out.push({ name: `b${b}.dw`, op: dw([3, 3], [s, s], dwPad(hw, s, mode)) });
      out.push({ name: `b${b}.project`, op: pw(co, true) });
      if (s === 2) hw /= 2;
      c = co;
    }
  }
  out[0] = { ...out[0], input: { height: 112, width: 112, channels: 32 } };
  return out;
}

describe("MobileNet presets", () => {
  // Stride-1 depthwise layers: SAME at stride 1 is pad 1/1, the symmetric case, exact at widths
  // 112, 56, 28, 14, 7 (all > 2). Stride-2 layers sit on even widths (112, 56, 28, 14), so SAME
  // gives pad left 0 / right 1 and the last column x = Wo-1 = W/2-1 needs rightNeed = 2(W/2-1)+3-W = 1
  // pad tap while the kernel zeroes max(1-(W-(W-2)-1), 0) = 0 -> dw-right-pad-count only (middle
  // columns x <= Wo-2 have rightNeed = 2x+3-W <= -1). Symmetric pad 1 at stride 2 on even W:
  // Wo = W/2, last column rightNeed = 2(W/2-1)-1+3-W = 0 = zeroed = max(1-1, 0): exact.
  // Pointwise layers with HoWo_parallel and pulp-bn (shift 8, ReLU) are exact.
  test("V1 with TF-SAME padding: the four stride-2 depthwise layers, and only they", () => {
    const f = check(mobilenetV1("tf-same"), PULP);
    expect(f.map((x) => [x.layer, x.rule])).toEqual([
      ["dw2", "dw-right-pad-count"],
      ["dw4", "dw-right-pad-count"],
      ["dw6", "dw-right-pad-count"],
      ["dw12", "dw-right-pad-count"],
    ]);
    // Last output columns: 112/2-1 = 55, 56/2-1 = 27, 28/2-1 = 13, 14/2-1 = 6.
    expect(f.map((x) => /Output column (\d+) needs 1 right pad tap but the kernel zeroes 0/.exec(x.message)?.[1])).toEqual(["55", "27", "13", "6"]);
    expect(f.every((x) => x.fix.includes("symmetric padding 1"))).toBe(true);
  });
  test("V1 with symmetric padding 1: nothing", () => {
    expect(check(mobilenetV1("symmetric"), PULP)).toEqual([]);
    expect(check(mobilenetV1("symmetric"), DORY)).toEqual([]);
  });
  test("V1 as dw-pw blocks under dory-fused", () => {
    const blocks = (mode: PadMode, layout: "HWC" | "CHW"): NetworkEntry[] => {
      const l = mobilenetV1(mode);
      const out: NetworkEntry[] = [];
      for (let i = 0; i < l.length; i += 2) {
        const a = l[i] as { input: { height: number; width: number; channels: number }; op: CheckOp };
        const p = l[i + 1] as { op: CheckOp };
        out.push({ name: `b${i / 2 + 1}`, input: { ...a.input, layout }, ops: [a.op, p.op] });
      }
      return out;
    };
    // HWC input: dw-pw/HWC-HWC-HWC/rows, no HWC->CHW pointwise: the stride-2 depthwise ops only.
    expect(check(blocks("tf-same", "HWC"), DORY).map((x) => [x.layer, x.opIndex, x.rule])).toEqual([
      ["b2", 0, "dw-right-pad-count"],
      ["b4", 0, "dw-right-pad-count"],
      ["b6", 0, "dw-right-pad-count"],
      ["b12", 0, "dw-right-pad-count"],
    ]);
    expect(check(blocks("symmetric", "HWC"), DORY)).toEqual([]);
    // CHW input: dw-pw/CHW-CHW-HWC/rows, whose pointwise reads HWC and writes CHW. Pointwise
    // heights: b1 112, b2-b3 56 (multiples of 8), b4-b5 28 (28 % 8 = 4), b6-b11 14 (6), b12-b13 7 (7):
    // blocks 4..13 are flagged, all > 4.
    const chw = check(blocks("symmetric", "CHW"), DORY);
    expect(chw.map((x) => [x.layer, x.opIndex, x.rule])).toEqual(
      [4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map((i) => [`b${i}`, 1, "pw-hwc-to-chw-row-skip"]),
    );
  });
  test("V2 with TF-SAME padding: the four stride-2 depthwise layers, and only they; symmetric: nothing", () => {
    // Stride-2 depthwise: first block of the (24, 2), (32, 3), (64, 4), (160, 3) groups = blocks
    // 2, 4, 7, 14 (block numbering: 1 | 2-3 | 4-6 | 7-10 | 11-13 | 14-16 | 17), on widths 112, 56, 28, 14.
    const f = check(mobilenetV2("tf-same"), PULP);
    expect(f.map((x) => [x.layer, x.rule])).toEqual([
      ["b2.dw", "dw-right-pad-count"],
      ["b4.dw", "dw-right-pad-count"],
      ["b7.dw", "dw-right-pad-count"],
      ["b14.dw", "dw-right-pad-count"],
    ]);
    expect(check(mobilenetV2("symmetric"), PULP)).toEqual([]);
  });
});
