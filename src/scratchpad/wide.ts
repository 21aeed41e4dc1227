// Wide pointwise steps: the executor's shortcut for a step whose pointwise output-channel tiles all
// read the same source in L1. GAP8's L1 lets the planner take one output row and a few output
// channels per step (dw-pw rows on MobileNetV1's 7x7 block: 4 channels, 256 tiles per row), and a
// tile whose channels end in a sliver of 1-4 past the kernel's 16-channel blocks runs that sliver
// with one vector of accumulators (2 dot products per loop iteration instead of 8): MobileNetV1's
// last block took 4x its plain time that way. So here the tiles of a step are computed in one
// kernel call over every output channel of the layer, from the same L1 source, into a buffer of
// the emulator's (outside the modelled memories); each tile's kernel call then copies its channels
// from there into its L1 output (the executor decides which blocks run this way: ./execute.ts).
//
// The walk is unchanged and still drives every transfer: each tile's weights and parameters are
// DMA'd into L1 and counted as before, and its output goes to L2 from its L1 buffer. What makes
// the copy the bytes the tile's kernel would have computed is checked at every tile, from what the
// model did since, not from anything the walk asserts:
// - the source view in L1 is the one the wide call read, with the same call geometry, and no write
//   into L1 (a DMA, a kernel's output, a window slide, a load) has touched its bytes since;
// - the tile's L1 weights and parameters are the ones `load` last moved there for exactly this
//   tile's channels of this layer, untouched since, and the requantization header points at them;
// - the layer's weights and parameters in L2 (which the wide call read, and the loads copy from)
//   have not been written since the run began (a write there turns the shortcut off for the run).
// Anything else (the first tile on a new source, a depthwise call, a stale record) runs the
// tile's own kernel call as before.
import { runKernel, type KernelCall, type View } from "../engine.js";
import type { KernelExports } from "../wasm/module.js";
import { HEADER_BYTES, writeHeader } from "../wasm/params.js";
import type { CheckedLayer as Layer } from "../validate.js";
import type { ChannelParams } from "../wasm/params.js";
import type { KernelStep, Which } from "./schedules/walk.js";
import type { Trace } from "./trace.js";

/** One past the last byte of a rows x cols x chans box of `v` (strides are positive). */
export function endOf(v: View, rows: number, cols: number, chans: number): number {
  return v.ptr + (rows - 1) * v.row + (cols - 1) * v.px + (chans - 1) * v.ch + 1;
}

/** A pointwise layer of the block as the wide call reads it in L2, with its emulator-private header. */
export interface WideLayer {
  layer: Layer;
  params: ChannelParams;
  weights: number;
  bias: number;
  a: number;
  b: number;
  /** Header for the wide call (the tiles' header points into L1). */
  hdr: number;
  /** The L1 parameter buffer and the channel count the tiles' header points into now. */
  readonly tileParams: () => number;
  readonly tileChannels: () => number;
}

const overlaps = (lo: number, hi: number, a: number, b: number): boolean => lo < b && a < hi;

/** What `load` last moved into L1 for a layer, while no write has touched it since. */
class Held {
  valid = false;
  c0 = 0;
  n = 0;
  weights = 0;
  weightsEnd = 0;
  params = 0;
  paramsEnd = 0;

  /** Invalid from now on if [lo, hi) overlaps its weights or parameters. */
  written(lo: number, hi: number): void {
    if (this.valid && (overlaps(lo, hi, this.weights, this.weightsEnd) || overlaps(lo, hi, this.params, this.paramsEnd))) this.valid = false;
  }
}

/**
 * A pointwise source in L1 and the call geometry that reads it, while valid. Mutable, set in place:
 * the executor records one per kernel call (no allocation per tile).
 */
class Source {
  valid = false;
  which: Which = "first";
  ptr = 0;
  row = 0;
  px = 0;
  ch = 0;
  height = 0;
  width = 0;
  channels = 0;
  signed = false;
  zeroPoint = 0;
  /** One past its last byte. */
  end = 0;

  set(k: KernelStep): void {
    const c = k.call, v = k.src;
    this.valid = true;
    this.which = k.which;
    this.ptr = v.ptr;
    this.row = v.row;
    this.px = v.px;
    this.ch = v.ch;
    this.height = c.height;
    this.width = c.width;
    this.channels = c.channels;
    this.signed = c.signed;
    this.zeroPoint = c.zeroPoint;
    this.end = endOf(v, c.height, c.width, c.channels);
  }

  /** Valid, and the source and geometry of `k`. */
  is(k: KernelStep): boolean {
    const c = k.call, v = k.src;
    return this.valid && this.which === k.which && this.ptr === v.ptr && this.row === v.row && this.px === v.px && this.ch === v.ch &&
      this.height === c.height && this.width === c.width && this.channels === c.channels && this.signed === c.signed && this.zeroPoint === c.zeroPoint;
  }

  /** Invalid from now on if [lo, hi) overlaps it. */
  written(lo: number, hi: number): void {
    if (this.valid && lo < this.end && this.ptr < hi) this.valid = false;
  }
}

/** `dmaBox`'s kind for a copy that is no transfer (assembly/scratchpad.ts): not counted. */
const LOCAL_COPY = -1;

export class WideTiles {
  private readonly heldFirst = new Held();
  private readonly heldSecond = new Held();
  /** The source the wide output was computed from, and that output's layout and view. */
  private readonly memo = new Source();
  private memoHwc = false;
  private memoView: View = { ptr: 0, row: 0, px: 0, ch: 0 };
  /** The source of the last narrow pointwise call, while untouched; its kernel-call number. */
  private readonly last = new Source();
  private lastCall = 0;
  /** The source geometry of the last wide call (kept when its bytes change): the next step's first tile predicts from it. */
  private readonly lastWide = new Source();
  /** An L1 range holding every range recorded below (the first test of `written`). */
  private watchLo = Infinity;
  private watchHi = -Infinity;
  /** Kernel calls on the scratch so far (a call's packed source is reusable only by the next one). */
  private calls = 0;
  /** Set when L2 holding the layers' weights or parameters is written: no more wide calls. */
  private off = false;
  /** Whether the wide header has been written in this run, per layer. */
  private readonly hdrFor: Record<Which, boolean> = { first: false, second: false };

  constructor(
    private readonly wasm: KernelExports,
    private readonly layers: Record<Which, WideLayer | null>,
    /** Where the layers' arrays lie in L2, [l2Lo, l2Hi): a write there turns the shortcut off. */
    private readonly l2Lo: number,
    private readonly l2Hi: number,
    private readonly scratch: number,
    /** The emulator's buffer for the wide output, and its size. */
    private readonly buf: number,
    private readonly bufBytes: number,
    /** The wide call's weight slot (`pointwiseWeightSlotBytes` for the whole layer). */
    private readonly slot: number,
    /** Where the host's writes into memory are recorded, when the run is (./trace.ts). */
    private readonly trace: Trace | null,
  ) {}

  /** Bytes [lo, hi) of L1 were written. */
  written(lo: number, hi: number): void {
    // Most writes (a step's input rows, a tile's output) touch nothing recorded: one test first.
    if (hi <= this.watchLo || lo >= this.watchHi) return;
    this.heldFirst.written(lo, hi);
    this.heldSecond.written(lo, hi);
    this.memo.written(lo, hi);
    this.last.written(lo, hi);
  }

  /** Bytes [lo, hi) of L2 were written. */
  writtenL2(lo: number, hi: number): void {
    if (overlaps(lo, hi, this.l2Lo, this.l2Hi)) this.off = true;
  }

  /** Widens [watchLo, watchHi), which holds every range recorded (it only grows: a superset is safe). */
  private watch(lo: number, hi: number): void {
    if (lo < this.watchLo) this.watchLo = lo;
    if (hi > this.watchHi) this.watchHi = hi;
  }

  /** `load` moved channels [c0, c0 + n) of a layer's weights and parameters to these L1 ranges. */
  loaded(which: Which, c0: number, n: number, weights: number, weightsEnd: number, params: number, paramsEnd: number): void {
    this.written(weights, weightsEnd);
    this.written(params, paramsEnd);
    const h = which === "first" ? this.heldFirst : this.heldSecond;
    h.valid = this.layers[which] !== null;
    if (h.valid) {
      this.watch(weights, weightsEnd);
      this.watch(params, paramsEnd);
    }
    h.c0 = c0;
    h.n = n;
    h.weights = weights;
    h.weightsEnd = weightsEnd;
    h.params = params;
    h.paramsEnd = paramsEnd;
  }

  /** L1 was freed: nothing in it is known any more. */
  reset(): void {
    this.heldFirst.valid = this.heldSecond.valid = this.memo.valid = this.last.valid = false;
  }

  /** A kernel call about to run as itself (after `serve` declined it). */
  narrow(k: KernelStep): void {
    this.calls++;
    if (k.call.kind === "pointwise") {
      this.last.set(k);
      this.watch(this.last.ptr, this.last.end);
      this.lastCall = this.calls;
    } else this.last.valid = false;
  }

  /**
   * Gives tile `k` its output from the wide call if every check above holds (computing the wide
   * output first when this is the second tile on a source, or the first of a step shaped like the
   * last wide one); returns false to let the tile run its own kernel call.
   */
  serve(k: KernelStep): boolean {
    const L = this.layers[k.which];
    if (this.off || !L || k.call.kind !== "pointwise") return false;
    const nb = k.call.outChannels;
    const h = k.which === "first" ? this.heldFirst : this.heldSecond;
    if (!h.valid || h.c0 !== k.c0 || h.n !== nb || h.weights !== k.weights) return false;
    if (L.tileParams() !== h.params || L.tileChannels() !== nb) return false;
    const hwc = k.dst.ch === 1;
    if (!this.memo.is(k) || this.memoHwc !== hwc) {
      const second = this.last.is(k) && this.lastCall === this.calls;
      if (!second && !this.lastWide.is(k)) return false;
      if (!this.compute(k, L, hwc, second)) return false;
    }
    this.copy(this.memoView, k.c0, k.dst, k.call.height, k.call.width, nb);
    this.written(k.dst.ptr, endOf(k.dst, k.call.height, k.call.width, nb));
    return true;
  }

  /** The wide call: every output channel of the layer from k's source, into the emulator's buffer. */
  private compute(k: KernelStep, L: WideLayer, hwc: boolean, reuse: boolean): boolean {
    const c = k.call, Co = L.layer.outChannels, px = c.height * c.width;
    if (px * Co > this.bufBytes) return false;
    this.memoView = hwc ? { ptr: this.buf, row: c.width * Co, px: Co, ch: 1 } : { ptr: this.buf, row: c.width, px: 1, ch: px };
    if (!this.hdrFor[k.which]) {
      const p = L.params;
      writeHeader(this.wasm.memory, L.hdr, L.layer.requant, p.bias ? L.bias : 0, p.a ? L.a : 0, p.b ? L.b : 0);
      this.trace?.wrote(this.wasm.memory, L.hdr, HEADER_BYTES);
      this.hdrFor[k.which] = true;
    }
    // The source lies in L1 (the model's check of every kernel view; the tiles served from this
    // call read the same view, and their outputs are checked as they are copied).
    if (this.wasm.l1Check(k.src.ptr, k.src.row, k.src.px, k.src.ch, c.height, c.width, c.channels) !== 0) return false;
    const call: KernelCall = { ...c, outChannels: Co };
    // `reuse`: the previous kernel call on the scratch packed this very source, untouched since.
    runKernel(this.wasm, call, k.src, this.memoView, L.weights, L.hdr, this.scratch, reuse, this.slot);
    this.calls++;
    this.memo.set(k);
    this.watch(this.memo.ptr, this.memo.end);
    this.memoHwc = hwc;
    this.lastWide.set(k);
    this.last.valid = false;
    return true;
  }

  /**
   * Copies channels [c0, c0 + n) of the wide output into the tile's L1 view: the model's core-local
   * copy (`dmaBox` with the uncounted kind), which checks that the view lies in L1.
   */
  private copy(w: View, c0: number, d: View, rows: number, cols: number, n: number): void {
    const e = this.wasm.dmaBox(1, LOCAL_COPY, w.ptr + c0 * w.ch, w.row, w.px, w.ch, d.ptr, d.row, d.px, d.ch, rows, cols, n);
    if (e !== 0) throw new Error("dwpw scratchpad model: kernel view outside L1 (a bug in the schedule: please report it)");
  }
}
