// pw-dw in channels: each step computes all rows of a batch of `channels` intermediate channels
// (the pointwise over the whole input, or over input row tiles of `inputRows` streamed in again
// for every batch), then the depthwise of the batch. The input stays in L1 when `inputRows`
// covers its height. No halo: the batch holds every row the depthwise reads.
import type { Layout } from "../../types.js";
import { paramBytesPerChannel, tileCandidates, type Block } from "../block.js";
import { viewAt } from "../cost.js";
import type { TensorsInL2 } from "../l2.js";
import type { Schedule } from "../schedules.js";
import { at, buffers, call, footprintOf, withEvenRows, type Allocator, type Family, type Scratchpad, type Tiling } from "./walk.js";

/** The L1 buffers, in allocation order. */
function l1(blk: Block, t: Tiling, a: Allocator) {
  const { dw, pw } = blk;
  const B = t.channels as number, Ri = t.inputRows as number;
  const Cin = pw.channels, H = pw.height, W = pw.width;
  const inRows = Math.min(Ri, H) * W * Cin;
  return {
    in: Ri >= H ? [a.alloc(inRows), 0] : buffers(a, inRows),
    pwWeights: a.alloc(B * Cin),
    pwParams: a.alloc(B * paramBytesPerChannel(blk.firstParams)),
    mid: a.alloc(H * W * B),
    dwWeights: a.alloc(B * dw.kh * dw.kw),
    dwParams: a.alloc(B * paramBytesPerChannel(blk.secondParams)),
    out: buffers(a, dw.outHeight * dw.outWidth * B),
  };
}

function walk(blk: Block, s: Schedule, t: Tiling, sp: Scratchpad, { x, y }: TensorsInL2): void {
  const { dw, pw } = blk;
  const B = t.channels as number, Ri = t.inputRows as number;
  const Cin = pw.channels, H = pw.height, W = pw.width, Ct = pw.outChannels, Ho = dw.outHeight, Wo = dw.outWidth;
  const Lin = s.input as Layout, Lt = s.intermediate as Layout, Lout = s.output as Layout;
  const resident = Ri >= H;
  const rowsTile = Math.min(Ri, H);
  const b = l1(blk, t, sp);
  const whole = viewAt(b.in[0] as number, Lin, H, W, Cin);
  if (resident) sp.dma?.(true, "input", x, whole, H, W, Cin);
  for (let c0 = 0, batch = 0; c0 < Ct; c0 += B, batch++) {
    const nb = Math.min(B, Ct - c0);
    sp.load?.("first", c0, nb, b.pwWeights, b.pwParams);
    sp.load?.("second", c0, nb, b.dwWeights, b.dwParams);
    const mid = viewAt(b.mid, Lt, H, W, nb);
    if (resident) {
      sp.kernel?.({ which: "first", call: call(pw, H, Cin, nb, 0, 0), src: whole, srcLayout: Lin, dst: mid, weights: b.pwWeights, outRows: H, outCols: W, c0, sameSource: false });
    } else {
      // Each input row tile is a step of the tile loop of its own.
      for (let r0 = 0, k = 0; r0 < H; r0 += rowsTile, k++) {
        const n = Math.min(rowsTile, H - r0);
        const src = viewAt(b.in[k & 1] as number, Lin, n, W, Cin);
        sp.dma?.(true, "input", at(x, r0, 0), src, n, W, Cin);
        sp.kernel?.({ which: "first", call: call(pw, n, Cin, nb, 0, 0), src, srcLayout: Lin, dst: at(mid, r0, 0), weights: b.pwWeights, outRows: n, outCols: W, c0, sameSource: false });
        sp.step?.();
      }
    }
    const out = viewAt(b.out[batch & 1], Lout, Ho, Wo, nb);
    const k = call(dw, H, nb, nb, dw.pad.top, dw.pad.bottom);
    sp.kernel?.({ which: "second", call: k, src: mid, srcLayout: Lt, dst: out, weights: b.dwWeights, outRows: Ho, outCols: Wo, c0, sameSource: false });
    sp.dma?.(false, "output", at(y, 0, c0), out, Ho, Wo, nb);
    sp.step?.();
  }
}

export const pwdwChannels = {
  name: "pwdwChannels",
  schedules: ["pw-dw/HWC-HWC-CHW/channels", "pw-dw/HWC-HWC-HWC/channels", "pw-dw/CHW-CHW-CHW/channels"],
  tiling: ["channels", "inputRows"],
  pwTile: "channels",
  limits: ({ pw }: Block) => ({ channels: pw.outChannels, inputRows: pw.height }),
  candidates: ({ pw }: Block, o) => ({
    channels: tileCandidates(pw.outChannels),
    inputRows: withEvenRows(pw.height, tileCandidates(pw.height), o),
  }),
  footprint: (blk: Block, _s, t, doubleBuffer) => footprintOf(doubleBuffer, (a) => l1(blk, t, a)),
  walk,
} as const satisfies Family;
