// The unfused baseline: each layer tiled alone as DORY tiles it, L2 to L2, the intermediate
// through L2. The pointwise layer takes tiles of `pwRows` rows x `pwOutChannels` output channels
// (its weights stay in L1 when one tile covers them all); the depthwise layer, tiles of `dwRows`
// output rows x `dwChannels` channels, each with its halo rows. The layers' tilings are
// independent, and L1 is freed between them.
import { paramBytesPerChannel, rowSteps, tileCandidates, type Block } from "../block.js";
import { viewAt, type View } from "../cost.js";
import type { TensorsInL2 } from "../l2.js";
import { at, buffers, call, footprintOf, maxSpan, withEvenRows, type Allocator, type Family, type Kind, type Scratchpad, type Tiling, type Which } from "./walk.js";

/** The tiling keys of a layer alone, by its kind. */
export const LAYER_TILING = { depthwise: ["dwRows", "dwChannels"], pointwise: ["pwRows", "pwOutChannels"] } as const;

/** The L1 buffers of one layer alone, in allocation order. */
function l1(blk: Block, which: Which, t: Tiling, a: Allocator) {
  const layer = blk[which];
  const pp = paramBytesPerChannel(which === "first" ? blk.firstParams : blk.secondParams);
  const { width: W, channels: C } = layer;
  if (layer.kind === "pointwise") {
    const R = t.pwRows as number, Cb = t.pwOutChannels as number;
    return { in: buffers(a, R * W * C), weights: a.alloc(Cb * C), params: a.alloc(Cb * pp), out: buffers(a, R * W * Cb) };
  }
  const R = t.dwRows as number, Cb = t.dwChannels as number;
  const inRows = maxSpan(rowSteps(layer.outHeight, R, layer));
  return { in: buffers(a, inRows * W * Cb), weights: a.alloc(Cb * layer.kh * layer.kw), params: a.alloc(Cb * pp), out: buffers(a, R * layer.outWidth * Cb) };
}

/** Peak L1 bytes of one layer alone. */
export const layerFootprint = (blk: Block, which: Which, t: Tiling, doubleBuffer: boolean): number =>
  footprintOf(doubleBuffer, (a) => l1(blk, which, t, a));

/**
 * One layer alone: the first reads the block input and writes the intermediate, the second reads
 * the intermediate and writes the output (`l2.mid` must be placed).
 */
export function walkLayer(blk: Block, which: Which, t: Tiling, sp: Scratchpad, l2: TensorsInL2): void {
  const layer = blk[which];
  const mid = l2.mid as View;
  const [src, dst] = which === "first" ? [l2.x, mid] : [mid, l2.y];
  const [inKind, outKind]: Kind[] = which === "first" ? ["input", "intermediate"] : ["intermediate", "output"];
  const L = blk.input.layout;
  const { height: H, width: W, channels: C, outWidth: Wo, outChannels: Co } = layer;
  const b = l1(blk, which, t, sp);
  if (layer.kind === "pointwise") {
    const R = t.pwRows as number, Cb = t.pwOutChannels as number;
    const resident = Cb >= Co;
    if (resident) sp.load?.(which, 0, Co, b.weights, b.params);
    for (let r0 = 0, k = 0; r0 < H; r0 += R, k++) {
      const n = Math.min(R, H - r0);
      const tile = viewAt(b.in[k & 1], L, n, W, C);
      sp.dma?.(true, inKind, at(src, r0, 0), tile, n, W, C);
      for (let c0 = 0; c0 < Co; c0 += Cb) {
        const nb = Math.min(Cb, Co - c0);
        if (!resident) sp.load?.(which, c0, nb, b.weights, b.params);
        const out = viewAt(b.out[k & 1], L, n, W, nb);
        sp.kernel?.({ which, call: call(layer, n, C, nb, 0, 0), src: tile, srcLayout: L, dst: out, weights: b.weights, outRows: n, outCols: W, c0, sameSource: false });
        sp.dma?.(false, outKind, at(dst, r0, c0), out, n, W, nb);
        sp.step?.();
      }
    }
    return;
  }
  const R = t.dwRows as number, Cb = t.dwChannels as number;
  const steps = rowSteps(layer.outHeight, R, layer);
  let k = 0;
  for (let c0 = 0; c0 < C; c0 += Cb) {
    const nb = Math.min(Cb, C - c0);
    sp.load?.(which, c0, nb, b.weights, b.params);
    for (const st of steps) {
      const n = st.b - st.a, rows = st.o1 - st.o0;
      // PULP-NN's depthwise reads CHW and writes HWC: the DMA changes layout where L2 differs.
      const tile = viewAt(b.in[k & 1], "CHW", n, W, nb);
      sp.dma?.(true, inKind, at(src, st.a, c0), tile, n, W, nb);
      const out = viewAt(b.out[k & 1], "HWC", rows, Wo, nb);
      sp.kernel?.({ which, call: call(layer, n, nb, nb, st.padTop, st.padBottom), src: tile, srcLayout: "CHW", dst: out, weights: b.weights, outRows: rows, outCols: Wo, c0, sameSource: false });
      sp.dma?.(false, outKind, at(dst, st.o0, c0), out, rows, Wo, nb);
      sp.step?.();
      k++;
    }
  }
}

export const unfused = {
  name: "unfused",
  schedules: ["unfused"],
  tiling: ["dwRows", "dwChannels", "pwRows", "pwOutChannels"],
  pwTile: "pwOutChannels",
  limits: ({ dw, pw }: Block) => ({ dwRows: dw.outHeight, dwChannels: dw.channels, pwRows: pw.height, pwOutChannels: pw.outChannels }),
  candidates: ({ dw, pw }: Block, o) => ({
    dwRows: tileCandidates(dw.outHeight),
    dwChannels: tileCandidates(dw.channels),
    pwRows: withEvenRows(pw.height, tileCandidates(pw.height), o),
    pwOutChannels: tileCandidates(pw.outChannels),
  }),
  footprint: (blk: Block, _s, t, doubleBuffer) => Math.max(layerFootprint(blk, "first", t, doubleBuffer), layerFootprint(blk, "second", t, doubleBuffer)),
  walk: (blk: Block, _s, t, sp, l2) => {
    walkLayer(blk, "first", t, sp, l2);
    sp.reset();
    walkLayer(blk, "second", t, sp, l2);
  },
} as const satisfies Family;
