// What a schedule family is, and what its walk drives. A family's walk is the one description of
// its steps: which L1 buffers it allocates, which tiles the DMA moves, which kernel calls compute
// on them. Three things follow the same walk, so they cannot disagree: the WebAssembly scratchpad
// model runs it (../execute.ts), the closed form counts its transfers (../closed-form.ts) and the
// latency model counts its compute (../../latency/estimate.ts).
import type { KernelCall } from "../../engine.js";
import type { Layout } from "../../types.js";
import type { CheckedLayer as Layer } from "../../validate.js";
import type { Block, SlidingStep } from "../block.js";
import { viewAt, type View } from "../cost.js";
import type { TensorsInL2 } from "../l2.js";
import type { Schedule } from "../schedules.js";

/** Tile sizes by key (`options.tiling`, `TransferReport.tiling`); each family has its own keys. */
export type Tiling = Record<string, number>;

/** What a transfer carries, as the model counts it. */
export type Kind = "input" | "intermediate" | "weights" | "params" | "output";

/** A layer of the block by its place in the run order. */
export type Which = "first" | "second";

/** An L1 allocator: the model's own, or one that only adds the sizes up (the footprint). */
export interface Allocator {
  /** Whether tiles that alternate between steps get a second buffer. */
  readonly doubleBuffer: boolean;
  /** A buffer of `bytes` bytes, 4-byte aligned as GAP8 aligns them: its address. */
  alloc(bytes: number): number;
}

/** One kernel call of a walk, on L1 views. */
export interface KernelStep {
  which: Which;
  call: KernelCall;
  src: View;
  /** The source's layout (how the kernel reads it). */
  srcLayout: Layout;
  dst: View;
  /** L1 address of the weights of this call's channels. */
  weights: number;
  outRows: number;
  outCols: number;
  /** First output channel of the call (a pointwise tile's weights are kept by this index). */
  c0: number;
  /** The source is the one the previous call of this layer read, unchanged since. */
  sameSource: boolean;
}

/** A sliding window of rows in L1; in CHW each channel's rows form one plane. */
export interface Window {
  ptr: number;
  layout: Layout;
  rows: number;
  width: number;
  channels: number;
}

/**
 * What a walk drives: the scratchpad model itself, or a stand-in that counts what the model would
 * do (its transfers, or the cluster's compute). The walk calls these in the order the steps run. A
 * counter leaves out the events it does not count: the walk then does not even build their
 * arguments (the tiling search walks thousands of tilings).
 */
export interface Scratchpad extends Allocator {
  /** A rows x cols x chans box between a tensor in L2 and a buffer in L1. A write to L2 ends an output tile. */
  dma?(toL1: boolean, kind: Kind, l2: View, l1: View, rows: number, cols: number, chans: number): void;
  /** Weights and parameter arrays of channels [c0, c0 + n) of a layer into L1 buffers (contiguous copies). */
  load?(which: Which, c0: number, n: number, weights: number, params: number): void;
  kernel?(k: KernelStep): void;
  /** Moves the `kept` rows from row `shift` on to the window's front: a core-local copy, no DMA. */
  slide?(w: Window, shift: number, kept: number): void;
  /** The end of one iteration of the deployment loop (the tile loop's own work: barriers, offsets). */
  step?(): void;
  /** Frees L1: what follows is a new phase (the unfused baseline's second layer). */
  reset(): void;
}

/** What the tiling search asks for when it lists the values of each key. */
export interface CandidateOptions {
  /** Upper bound on output rows per step of the row schedules. */
  maxRows: number;
  /** Also try multiples of 4 and 8 rows for pointwise row tiles (the cycles objective: an even split over the cores). */
  evenRows: boolean;
}

/**
 * A schedule family: one way of running a block, in one or more layout variants (its schedules).
 * Adding a family is adding one object like this, in its own file, to the list in ../schedules.ts.
 */
export interface Family {
  /** The key of `Schedule.family`. */
  readonly name: string;
  /** Its schedules, named `order/input-output-intermediate layouts/step` (or `unfused`). */
  readonly schedules: readonly string[];
  /**
   * The tiling keys. The search takes, for every combination of the others, the largest value of
   * the last key that fits: the others fixed, a larger last tile must never move more bytes or
   * cost more cycles (fewer re-fetches, fewer commands).
   */
  readonly tiling: readonly string[];
  /** The key that sets output channels per pointwise tile (the executor keeps one weight slot per tile). */
  readonly pwTile: string;
  /** The largest meaningful value of each key (a larger forced value is clamped to it). */
  limits(blk: Block): Tiling;
  /** The values of each key worth trying. */
  candidates(blk: Block, o: CandidateOptions): Record<string, number[]>;
  /** Peak L1 bytes of a tiling (the largest phase), without walking the steps. */
  footprint(blk: Block, s: Schedule, t: Tiling, doubleBuffer: boolean): number;
  /** Every step of the block under schedule `s` and tiling `t`, in order, on `sp`. */
  walk(blk: Block, s: Schedule, t: Tiling, sp: Scratchpad, l2: TensorsInL2): void;
}

// --- Pieces the walks share ---

/** Adds buffer sizes up as the model's allocator places them (each 4-byte aligned). */
export class Footprint implements Allocator {
  top = 0;
  constructor(readonly doubleBuffer: boolean) {}

  alloc(bytes: number): number {
    const p = (this.top + 3) & ~3;
    this.top = p + bytes;
    return p;
  }
}

/** Peak L1 bytes of the buffers `allocate` asks for. */
export function footprintOf(doubleBuffer: boolean, allocate: (a: Allocator) => unknown): number {
  const f = new Footprint(doubleBuffer);
  allocate(f);
  return f.top;
}

/** Two buffers when double-buffering (alternated by step, `[i & 1]`), else one twice. */
export function buffers(a: Allocator, bytes: number): [number, number] {
  const p = a.alloc(bytes);
  return [p, a.doubleBuffer ? a.alloc(bytes) : p];
}

/** The view moved to row y0, channel c0 (built field by field: a spread costs more, and this runs per tile). */
export function at(v: View, y0: number, c0: number): View {
  return { ptr: v.ptr + y0 * v.row + c0 * v.ch, row: v.row, px: v.px, ch: v.ch };
}

/** A view of `w`'s rows from `row0` on, channels from `c0` on. */
export function windowView(w: Window, row0: number, c0: number): View {
  return at(viewAt(w.ptr, w.layout, w.rows, w.width, w.channels), row0, c0);
}

/** The kernel call computing `height` input rows of `layer`, channels and padding as given. */
export function call(layer: Layer, height: number, channels: number, outChannels: number, padTop: number, padBottom: number): KernelCall {
  return {
    kind: layer.kind, height, width: layer.width, channels, outChannels,
    signed: layer.inDtype === "int8", zeroPoint: layer.inZeroPoint,
    kh: layer.kh, kw: layer.kw, sh: layer.sh, sw: layer.sw,
    pad: { top: padTop, left: layer.pad.left, bottom: padBottom, right: layer.pad.right },
  };
}

/** Weight bytes per output channel of a layer (what `Scratchpad.load` copies per channel). */
export const weightsPerChannel = (l: Layer): number => (l.kind === "depthwise" ? l.kh * l.kw : l.channels);

/** Rows per step worth trying: 1 to the bound. */
export const rowCounts = (n: number, maxRows: number): number[] => Array.from({ length: Math.min(maxRows, n) }, (_, i) => i + 1);

/** `all`, and with `evenRows` also the row counts 4, 8, 12, 16, 24 and 32 that are at most n. */
export function withEvenRows(n: number, all: number[], o: CandidateOptions): number[] {
  return o.evenRows ? [...new Set([...all, ...[4, 8, 12, 16, 24, 32].filter((v) => v <= n)])] : all;
}

/**
 * The steps of a fused row schedule, in order, each after sliding the window to the rows it reads
 * (the rows it keeps move to the front; the step then fills in the rest).
 */
export function slideThrough(steps: readonly SlidingStep[], sp: Scratchpad, win: Window, body: (st: SlidingStep, i: number) => void): void {
  let winA = 0;
  steps.forEach((st, i) => {
    sp.slide?.(win, st.a - winA, st.kept);
    winA = st.a;
    body(st, i);
  });
}

/** The most rows any step reads. */
export const maxSpan = (steps: ReadonlyArray<{ a: number; b: number }>): number => Math.max(...steps.map((st) => st.b - st.a));
