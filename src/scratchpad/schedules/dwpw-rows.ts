// dw-pw in rows: each step computes `rows` depthwise output rows of all channels into L1, then
// every pointwise output-channel tile of those rows. The depthwise input rows live in a sliding
// window, so no input row is fetched twice. Weights stay in L1 when one tile covers all channels
// (`dwChannels`, `outChannels`); otherwise they stream in again at every step.
import type { Layout } from "../../types.js";
import { paramBytesPerChannel, slidingSteps, tileCandidates, type Block } from "../block.js";
import { viewAt } from "../cost.js";
import type { TensorsInL2 } from "../l2.js";
import type { Schedule } from "../schedules.js";
import { at, buffers, call, footprintOf, maxSpan, rowCounts, slideThrough, windowView, type Allocator, type Family, type Scratchpad, type Tiling, type Window } from "./walk.js";

/** The L1 buffers, in allocation order. */
function l1(blk: Block, t: Tiling, a: Allocator) {
  const { dw } = blk;
  const R = t.rows as number, Cb = t.outChannels as number, Cd = t.dwChannels as number, C = dw.channels;
  return {
    dwWeights: a.alloc(Cd * dw.kh * dw.kw),
    dwParams: a.alloc(Cd * paramBytesPerChannel(blk.firstParams)),
    pwWeights: a.alloc(Cb * C),
    pwParams: a.alloc(Cb * paramBytesPerChannel(blk.secondParams)),
    window: a.alloc(maxSpan(slidingSteps(blk, R)) * dw.width * C),
    mid: a.alloc(R * dw.outWidth * C),
    out: buffers(a, R * dw.outWidth * Cb),
  };
}

function walk(blk: Block, s: Schedule, t: Tiling, sp: Scratchpad, { x, y }: TensorsInL2): void {
  const { dw, pw } = blk;
  const R = t.rows as number, Cb = t.outChannels as number, Cd = t.dwChannels as number;
  const C = dw.channels, W = dw.width, Wt = dw.outWidth, Co = pw.outChannels;
  const Lin = s.input as Layout, Lt = s.intermediate as Layout, Lout = s.output as Layout;
  const steps = slidingSteps(blk, R);
  const b = l1(blk, t, sp);
  const win: Window = { ptr: b.window, layout: Lin, rows: maxSpan(steps), width: W, channels: C };
  const dwResident = Cd >= C, pwResident = Cb >= Co;
  if (dwResident) sp.load?.("first", 0, C, b.dwWeights, b.dwParams);
  if (pwResident) sp.load?.("second", 0, Co, b.pwWeights, b.pwParams);
  slideThrough(steps, sp, win, (st, i) => {
    const rows = st.o1 - st.o0;
    sp.dma?.(true, "input", at(x, st.newA, 0), windowView(win, st.newA - st.a, 0), st.b - st.newA, W, C);
    const mid = viewAt(b.mid, Lt, rows, Wt, C);
    for (let c0 = 0; c0 < C; c0 += Cd) {
      const nd = Math.min(Cd, C - c0);
      if (!dwResident) sp.load?.("first", c0, nd, b.dwWeights, b.dwParams);
      const k = call(dw, st.b - st.a, nd, nd, st.padTop, st.padBottom);
      sp.kernel?.({ which: "first", call: k, src: windowView(win, 0, c0), srcLayout: Lin, dst: at(mid, 0, c0), weights: b.dwWeights, outRows: rows, outCols: Wt, c0, sameSource: false });
    }
    for (let c0 = 0; c0 < Co; c0 += Cb) {
      const nb = Math.min(Cb, Co - c0);
      if (!pwResident) sp.load?.("second", c0, nb, b.pwWeights, b.pwParams);
      const out = viewAt(b.out[i & 1], Lout, rows, Wt, nb);
      // Every output-channel tile of the step reads the same intermediate, untouched in between.
      sp.kernel?.({ which: "second", call: call(pw, rows, C, nb, 0, 0), src: mid, srcLayout: Lt, dst: out, weights: b.pwWeights, outRows: rows, outCols: Wt, c0, sameSource: c0 > 0 });
      sp.dma?.(false, "output", at(y, st.o0, c0), out, rows, Wt, nb);
      sp.step?.();
    }
  });
}

export const dwpwRows = {
  name: "dwpwRows",
  schedules: ["dw-pw/CHW-CHW-HWC/rows", "dw-pw/HWC-HWC-HWC/rows"],
  tiling: ["rows", "outChannels", "dwChannels"],
  pwTile: "outChannels",
  limits: ({ dw, pw }: Block) => ({ rows: dw.outHeight, outChannels: pw.outChannels, dwChannels: dw.channels }),
  candidates: ({ dw, pw }: Block, o) => ({
    rows: rowCounts(dw.outHeight, o.maxRows),
    outChannels: tileCandidates(pw.outChannels),
    dwChannels: tileCandidates(dw.channels),
  }),
  footprint: (blk: Block, _s, t, doubleBuffer) => footprintOf(doubleBuffer, (a) => l1(blk, t, a)),
  walk,
} as const satisfies Family;
