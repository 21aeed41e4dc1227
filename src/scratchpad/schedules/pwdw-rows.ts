// pw-dw in rows: each step computes the pointwise output rows the window does not hold yet (all
// intermediate channels, in output-channel tiles), then `rows` depthwise output rows from the
// window. The intermediate rows live in a sliding window, so none is computed twice. The
// depthwise weights stay in L1; the pointwise ones too when one tile covers all channels.
import type { Layout } from "../../types.js";
import { paramBytesPerChannel, slidingSteps, tileCandidates, type Block } from "../block.js";
import { viewAt } from "../cost.js";
import type { TensorsInL2 } from "../l2.js";
import type { Schedule } from "../schedules.js";
import { at, buffers, call, footprintOf, maxSpan, rowCounts, slideThrough, windowView, type Allocator, type Family, type Scratchpad, type Tiling, type Window } from "./walk.js";

/** The L1 buffers, in allocation order. */
function l1(blk: Block, t: Tiling, a: Allocator) {
  const { dw, pw } = blk;
  const R = t.rows as number, Cb = t.outChannels as number;
  const Cin = pw.channels, W = pw.width, Ct = pw.outChannels;
  const steps = slidingSteps(blk, R);
  return {
    dwWeights: a.alloc(Ct * dw.kh * dw.kw),
    dwParams: a.alloc(Ct * paramBytesPerChannel(blk.secondParams)),
    pwWeights: a.alloc(Cb * Cin),
    pwParams: a.alloc(Cb * paramBytesPerChannel(blk.firstParams)),
    in: buffers(a, Math.max(...steps.map((st) => st.b - st.newA)) * W * Cin),
    window: a.alloc(maxSpan(steps) * W * Ct),
    out: buffers(a, R * dw.outWidth * Ct),
  };
}

function walk(blk: Block, s: Schedule, t: Tiling, sp: Scratchpad, { x, y }: TensorsInL2): void {
  const { dw, pw } = blk;
  const R = t.rows as number, Cb = t.outChannels as number;
  const Cin = pw.channels, W = pw.width, Ct = pw.outChannels, Wo = dw.outWidth;
  const Lin = s.input as Layout, Lt = s.intermediate as Layout, Lout = s.output as Layout;
  const steps = slidingSteps(blk, R);
  const b = l1(blk, t, sp);
  const win: Window = { ptr: b.window, layout: Lt, rows: maxSpan(steps), width: W, channels: Ct };
  const pwResident = Cb >= Ct;
  sp.load?.("second", 0, Ct, b.dwWeights, b.dwParams);
  if (pwResident) sp.load?.("first", 0, Ct, b.pwWeights, b.pwParams);
  slideThrough(steps, sp, win, (st, i) => {
    const n = st.b - st.newA;
    if (n > 0) {
      const src = viewAt(b.in[i & 1], Lin, n, W, Cin);
      sp.dma?.(true, "input", at(x, st.newA, 0), src, n, W, Cin);
      for (let c0 = 0; c0 < Ct; c0 += Cb) {
        const nb = Math.min(Cb, Ct - c0);
        if (!pwResident) sp.load?.("first", c0, nb, b.pwWeights, b.pwParams);
        const dst = windowView(win, st.newA - st.a, c0);
        sp.kernel?.({ which: "first", call: call(pw, n, Cin, nb, 0, 0), src, srcLayout: Lin, dst, weights: b.pwWeights, outRows: n, outCols: W, c0, sameSource: false });
      }
    }
    const rows = st.o1 - st.o0;
    const out = viewAt(b.out[i & 1], Lout, rows, Wo, Ct);
    const k = call(dw, st.b - st.a, Ct, Ct, st.padTop, st.padBottom);
    sp.kernel?.({ which: "second", call: k, src: windowView(win, 0, 0), srcLayout: Lt, dst: out, weights: b.dwWeights, outRows: rows, outCols: Wo, c0: 0, sameSource: false });
    sp.dma?.(false, "output", at(y, st.o0, 0), out, rows, Wo, Ct);
    sp.step?.();
  });
}

export const pwdwRows = {
  name: "pwdwRows",
  schedules: ["pw-dw/HWC-HWC-CHW/rows", "pw-dw/HWC-HWC-HWC/rows"],
  tiling: ["rows", "outChannels"],
  pwTile: "outChannels",
  limits: ({ dw, pw }: Block) => ({ rows: dw.outHeight, outChannels: pw.outChannels }),
  candidates: ({ dw, pw }: Block, o) => ({ rows: rowCounts(dw.outHeight, o.maxRows), outChannels: tileCandidates(pw.outChannels) }),
  footprint: (blk: Block, _s, t, doubleBuffer) => footprintOf(doubleBuffer, (a) => l1(blk, t, a)),
  walk,
} as const satisfies Family;
