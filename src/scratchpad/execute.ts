// The executor: runs a planned block for real on the WebAssembly scratchpad model. Tensors,
// weights and parameters are placed in the model's L2; every tile is moved by the model's DMA
// (which counts as it copies) into buffers allocated in its L1, and the kernels compute on L1
// views only. The report's counters are read back from the model, not computed here.
// Emulator-private, outside the modelled memories: the kernels' scratch, the requantization
// headers, and one weight slot per pointwise tile, where the kernel keeps its widening of weights
// that the schedule DMAs into L1 again at every step (used only while L1 holds the same bytes);
// and the wide pointwise calls of ./wide.ts (one call per step for all of its output-channel tiles).
// A run can record what it asks of the model (./trace.ts); `replay` makes the same calls again, in
// one WebAssembly call, for a later run of the same block placed at the same addresses.
import { runKernel, type Engine, type KernelCall, type View } from "../engine.js";
import type { KernelExports } from "../wasm/module.js";
import { HEADER_BYTES, writeHeader, type ChannelParams } from "../wasm/params.js";
import { COUNTER, COUNTER_SLOTS, MODEL_ERRORS, TRANSFER_KIND } from "../wasm/interface.generated.js";
import { outputTensor, type CheckedLayer as Layer } from "../validate.js";
import type { Tensor } from "../types.js";
import type { Block } from "./block.js";
import { l2Layout, outputLayout, type L2Layout, type LayerOffsets } from "./l2.js";
import type { ResolvedMemory } from "./memory.js";
import { familyOf, walk, type Schedule } from "./schedules.js";
import { weightsPerChannel, type Kind, type KernelStep, type Scratchpad, type Which, type Window } from "./schedules/walk.js";
import { activationBytes, type TransferReport } from "./transfer-report.js";
import { Trace } from "./trace.js";
import { withoutUnreadWeightCopies } from "./unread-weights.js";
import { endOf, WideTiles } from "./wide.js";

// Transfer kinds, counter slots and error codes: generated with the model's copy (scripts/gen-interface.mjs).
const KIND: Record<Kind, number> = TRANSFER_KIND;
const ERRORS = MODEL_ERRORS;

/** Where a layer's weights and parameter arrays live in L2. */
interface LayerInL2 {
  layer: Layer;
  params: ChannelParams;
  weights: number;
  bias: number;
  a: number;
  b: number;
  hdr: number;
  /** The L1 parameter buffer and channel count the header points into now (-1: none yet). */
  hdrParams: number;
  hdrChannels: number;
}

/** Thin checked wrapper over the model's exports. */
class Model {
  /** All of memory as bytes: valid for the whole run, since the arena grows memory only before it. */
  readonly bytes: Uint8Array;

  constructor(readonly wasm: KernelExports, readonly mem: WebAssembly.Memory, readonly trace: Trace | null) {
    this.bytes = new Uint8Array(mem.buffer);
  }

  alloc(bytes: number): number {
    const p = this.wasm.l1Alloc(bytes);
    if (p === 0) throw new RangeError(`L1 allocation of ${bytes} bytes exceeds the usable L1 by ${this.wasm.l1Shortfall(bytes)} bytes`);
    return p;
  }

  box(toL1: boolean, kind: Kind, l2: View, l1: View, rows: number, cols: number, chans: number): void {
    const e = this.wasm.dmaBox(toL1 ? 1 : 0, KIND[kind], l2.ptr, l2.row, l2.px, l2.ch, l1.ptr, l1.row, l1.px, l1.ch, rows, cols, chans);
    if (e !== 0) throw new Error(`dwpw scratchpad model: ${ERRORS[e]} (a bug in the schedule: please report it)`);
  }

  linear(kind: Kind, l2: number, l1: number, bytes: number): void {
    const e = this.wasm.dmaLinear(KIND[kind], l2, l1, bytes);
    if (e !== 0) throw new Error(`dwpw scratchpad model: ${ERRORS[e]} (a bug in the schedule: please report it)`);
  }

  /** Moves weights and parameters of channels [c0, c0+n) into L1 buffers and points the header at them. */
  loadLayer(l: LayerInL2, c0: number, n: number, wL1: number, pL1: number, weightsPerChannel: number): void {
    this.linear("weights", l.weights + c0 * weightsPerChannel, wL1, n * weightsPerChannel);
    const p = l.params;
    let at = pL1;
    const bias = p.bias ? at : 0;
    if (p.bias) this.linear("params", l.bias + c0 * 4, at, n * 4), (at += n * 4);
    const a = p.a ? at : 0;
    if (p.a) this.linear("params", l.a + c0 * p.aStride, at, n * p.aStride), (at += n * p.aStride);
    const b = p.b ? at : 0;
    if (p.b) this.linear("params", l.b + c0 * p.bStride, at, n * p.bStride);
    // The header's addresses depend only on the buffer and the channel count: streamed tiles
    // of one size reuse it.
    if (l.hdrParams !== pL1 || l.hdrChannels !== n) {
      writeHeader(this.mem, l.hdr, l.layer.requant, bias, a, b);
      this.trace?.wrote(this.mem, l.hdr, HEADER_BYTES);
      l.hdrParams = pL1;
      l.hdrChannels = n;
    }
  }

  /** Throws unless a kernel call's input and output views lie in L1. */
  check(k: KernelCall, src: View, dst: View, outRows: number, outCols: number): void {
    const ok =
      this.wasm.l1Check(src.ptr, src.row, src.px, src.ch, k.height, k.width, k.channels) === 0 &&
      this.wasm.l1Check(dst.ptr, dst.row, dst.px, dst.ch, outRows, outCols, k.outChannels) === 0;
    if (!ok) throw new Error("dwpw scratchpad model: kernel view outside L1 (a bug in the schedule: please report it)");
  }
}

/** Moves the window's rows still needed (from `shift` on, `kept` of them) to its front: a core-local copy, no DMA. */
function slideWindow(m: Model, w: Window, shift: number, kept: number): void {
  if (kept <= 0 || shift === 0) return;
  const { ptr, width: W, channels: C } = w;
  const move = (dst: number, src: number, n: number) => {
    m.bytes.copyWithin(dst, src, src + n);
    m.trace?.move(dst, src, n);
  };
  if (w.layout === "HWC") move(ptr, ptr + shift * W * C, kept * W * C);
  else for (let c = 0; c < C; c++) {
    const plane = ptr + c * w.rows * W;
    move(plane, plane + shift * W, kept * W);
  }
}

/** The model as a walk drives it: the walk's steps run on the model, which counts the transfers. */
class ModelScratchpad implements Scratchpad {
  tiles = 0;

  constructor(
    private readonly m: Model,
    readonly doubleBuffer: boolean,
    private readonly layers: Record<Which, LayerInL2>,
    private readonly scratch: number,
    private readonly slots: { base: number; bytes: number; tile: number },
    /**
     * The wide pointwise calls (null when no step has several tiles): every write into L1 or L2
     * is reported to it (its checks are about what changed since).
     */
    private readonly wide: WideTiles | null,
  ) {}

  alloc(bytes: number): number {
    return this.m.alloc(bytes);
  }

  dma(toL1: boolean, kind: Kind, l2: View, l1: View, rows: number, cols: number, chans: number): void {
    if (!toL1) this.tiles++;
    this.m.box(toL1, kind, l2, l1, rows, cols, chans);
    if (!this.wide) return;
    if (toL1) this.wide.written(l1.ptr, endOf(l1, rows, cols, chans));
    else this.wide.writtenL2(l2.ptr, endOf(l2, rows, cols, chans));
  }

  load(which: Which, c0: number, n: number, weights: number, params: number): void {
    const l = this.layers[which];
    const wpc = weightsPerChannel(l.layer), p = l.params;
    const wEnd = weights + n * wpc, pEnd = params + n * ((p.bias ? 4 : 0) + (p.a ? p.aStride : 0) + (p.b ? p.bStride : 0));
    this.m.loadLayer(l, c0, n, weights, params, wpc);
    this.wide?.loaded(which, c0, n, weights, wEnd, params, pEnd);
  }

  kernel(k: KernelStep): void {
    // A tile whose output comes from its step's wide call (./wide.ts checks that it may, and that
    // its views lie in L1).
    if (this.wide?.serve(k)) return;
    this.m.check(k.call, k.src, k.dst, k.outRows, k.outCols);
    // A pointwise tile's weights are DMA'd into L1 again at every step; the kernel widens them
    // again only if they differ from the bytes in the tile's slot.
    const slot = k.call.kind === "pointwise" ? this.slots.base + Math.floor(k.c0 / this.slots.tile) * this.slots.bytes : 0;
    runKernel(this.m.wasm, k.call, k.src, k.dst, k.weights, this.layers[k.which].hdr, this.scratch, k.sameSource, slot);
    if (!this.wide) return;
    this.wide.narrow(k);
    this.wide.written(k.dst.ptr, endOf(k.dst, k.outRows, k.outCols, k.call.outChannels));
  }

  slide(w: Window, shift: number, kept: number): void {
    slideWindow(this.m, w, shift, kept);
    if (kept > 0 && shift !== 0) this.wide?.written(w.ptr, w.ptr + w.rows * w.width * w.channels);
  }

  step(): void {}

  reset(): void {
    this.m.wasm.l1Reset();
    this.wide?.reset();
  }
}

/** Kernel scratch (emulator-private, outside the modelled L1) enough for every tile of the block. */
function scratchNeed(wasm: KernelExports, blk: Block): number {
  const { dw, pw } = blk;
  return Math.max(
    wasm.depthwiseScratchBytes(dw.height, dw.width, dw.channels, dw.pad.left, dw.pad.right, dw.kh, dw.kw, dw.sw),
    wasm.pointwiseScratchBytes(pw.channels, pw.outChannels),
  );
}

/** A run placed in the engine's memory: every address, and the arena's reservations in order. */
interface Placed {
  place: L2Layout;
  l2: number;
  first: LayerInL2;
  second: LayerInL2;
  l1: number;
  counters: number;
  scratch: number;
  pwTile: number;
  pwSlots: number;
  pwSlotBytes: number;
  pwSlotCount: number;
  tiled: boolean;
  wideOut: number;
  wideBytes: number;
  wideSlot: number;
  wideHdr: number;
  /** The addresses above in the order they were reserved: a replay needs the same ones. */
  addresses: number[];
  /** Where a replayed trace's words go (0 when none). */
  trace: number;
}

/** Reserves the run's memory in the engine's arena (and `traceBytes` more at the end for a replay). */
function placeRun(engine: Engine, blk: Block, s: Schedule, planned: TransferReport, mem: ResolvedMemory, traceBytes: number): Placed {
  const wasm = engine.wasm;
  const arena = engine.arena;
  arena.reset();
  const addresses: number[] = [];
  const alloc = (bytes: number) => {
    const p = arena.alloc(bytes);
    addresses.push(p);
    return p;
  };
  const place = l2Layout(blk, s);
  const l2 = alloc(place.bytes);
  const placeLayer = (layer: Layer, params: ChannelParams, at: LayerOffsets): LayerInL2 => ({
    layer, params, weights: l2 + at.weights, bias: l2 + at.bias, a: l2 + at.a, b: l2 + at.b,
    // The header is the emulator's, outside the modelled memories.
    hdr: alloc(HEADER_BYTES), hdrParams: -1, hdrChannels: 0,
  });
  const first = placeLayer(blk.first, blk.firstParams, place.first);
  const second = placeLayer(blk.second, blk.secondParams, place.second);
  const l1 = alloc(mem.l1Usable);
  const counters = alloc(COUNTER_SLOTS * 8);
  const scratch = alloc(scratchNeed(wasm, blk));
  const pw = blk.pw;
  const pwTile = Math.min(planned.tiling[familyOf(s).pwTile] as number, pw.outChannels);
  const pwSlotBytes = wasm.pointwiseWeightSlotBytes(pw.channels, pwTile);
  const pwSlotCount = Math.ceil(pw.outChannels / pwTile);
  const pwSlots = alloc(pwSlotCount * pwSlotBytes);
  // The wide pointwise call (./wide.ts), only when a step has several output-channel tiles and
  // they end in a sliver of at most 4 channels past the kernel's 16-channel blocks: the kernel runs
  // that sliver with one vector of accumulators (2 dot products per loop iteration instead of 8),
  // so such tiles cost up to several times one call (MobileNetV1's 14x14 s2 and 7x7 blocks: tiles
  // of 20 and 4 channels). Tiles of other widths run close enough to one call that the copies cost
  // what the wide call saves (measured on MobileNetV1's blocks: 12, 24, 40, 52 channels). Its
  // output is at most one L1 source's pixels (under l1Usable / Cin) times every output channel.
  const tiled = pwSlotCount > 1 && pwTile % 16 !== 0 && pwTile % 16 <= 4;
  const wideBytes = tiled ? Math.floor(mem.l1Usable / pw.channels) * pw.outChannels : 0;
  const wideOut = alloc(wideBytes);
  const wideSlot = alloc(tiled ? wasm.pointwiseWeightSlotBytes(pw.channels, pw.outChannels) : 0);
  const wideHdr = alloc(HEADER_BYTES);
  const trace = traceBytes > 0 ? arena.alloc(traceBytes) : 0;
  arena.commit();
  return {
    place, l2, first, second, l1, counters, scratch, pwTile, pwSlots, pwSlotBytes, pwSlotCount,
    tiled, wideOut, wideBytes, wideSlot, wideHdr, addresses, trace,
  };
}

/** Puts the block's input, weights and parameters in L2, empties the weight slots, and starts the model. */
function stage(engine: Engine, r: Placed, input: Tensor, mem: ResolvedMemory): void {
  const arena = engine.arena;
  // Empty slots: the arena's memory holds whatever an earlier call left there.
  const slots = arena.bytes(r.pwSlots, r.pwSlotCount * r.pwSlotBytes);
  for (let k = 0; k < r.pwSlotCount; k++) slots.fill(0, k * r.pwSlotBytes, k * r.pwSlotBytes + 16);
  if (r.tiled) arena.bytes(r.wideSlot, 16).fill(0);
  arena.write(r.l2 + r.place.input, input.data);
  for (const l of [r.first, r.second]) {
    arena.write(l.weights, l.layer.weights);
    if (l.params.bias) arena.write(l.bias, l.params.bias);
    if (l.params.a) arena.write(l.a, l.params.a);
    if (l.params.b) arena.write(l.b, l.params.b);
  }
  const d = mem.dma;
  engine.wasm.spReset(r.l1, mem.l1Usable, r.l2, r.place.bytes, r.counters, d.bytesPerCycle, d.cyclesPerCommand, d.layoutBytesPerCycle, d.layoutCyclesPerChannel);
}

/** The output and the report of a run that has ended: the model's counters, read back. */
function finish(engine: Engine, blk: Block, s: Schedule, planned: TransferReport, r: Placed, tiles: number, out?: Tensor["data"]): { output: Tensor; report: TransferReport } {
  const c = new Float64Array(engine.wasm.memory.buffer, r.counters, COUNTER_SLOTS);
  const slot = (at: number): number => c[at] as number;
  const l2ToL1 = {
    input: slot(COUNTER.in + KIND.input), intermediate: slot(COUNTER.in + KIND.intermediate),
    weights: slot(COUNTER.in + KIND.weights), params: slot(COUNTER.in + KIND.params),
  };
  const l1ToL2 = { intermediate: slot(COUNTER.out + KIND.intermediate), output: slot(COUNTER.out + KIND.output) };
  const L = blk.second, layout = outputLayout(blk, s);
  const output: Tensor = out
    ? { data: out, height: L.outHeight, width: L.outWidth, channels: L.outChannels, layout, zeroPoint: L.outZeroPoint }
    : outputTensor({ ...L, layout });
  if (output.data.length !== L.outHeight * L.outWidth * L.outChannels || (output.data instanceof Int8Array) !== (L.outDtype === "int8")) {
    throw new Error("internal: the block's output buffer has the wrong size or dtype");
  }
  new Uint8Array(output.data.buffer, output.data.byteOffset, output.data.length).set(engine.arena.bytes(r.l2 + r.place.output, output.data.length));
  return {
    output,
    report: {
      ...structuredClone(planned),
      l2ToL1,
      l1ToL2,
      activationBytes: activationBytes(l2ToL1, l1ToL2),
      dmaCommands: slot(COUNTER.commands),
      dmaCycles: slot(COUNTER.cycles),
      tiles,
      peakL1Bytes: slot(COUNTER.peakL1),
    },
  };
}

/** A run recorded by `execute` (./trace.ts): its operations, where it was placed, and its tile count. */
export interface RecordedRun {
  words: Int32Array;
  addresses: number[];
  tiles: number;
}

/**
 * Runs `blk` under the plan `planned` (schedule and tiling) on the engine's scratchpad model and
 * returns the output with the model's own counts; with `record`, also the run's operations
 * (./trace.ts). `out`: where the output goes (a new array when not given).
 */
export function execute(
  engine: Engine, blk: Block, input: Tensor, s: Schedule, planned: TransferReport, mem: ResolvedMemory,
  options: { record?: boolean; out?: Tensor["data"] } = {},
): { output: Tensor; report: TransferReport; recorded?: RecordedRun } {
  const r = placeRun(engine, blk, s, planned, mem, 0);
  stage(engine, r, input, mem);
  const trace = options.record ? new Trace() : null;
  const wasm = trace ? trace.recording(engine.wasm) : engine.wasm;
  const pwWhich: Which = blk.first.kind === "pointwise" ? "first" : "second";
  const pwL2 = pwWhich === "first" ? r.first : r.second;
  const wideLayer = {
    layer: pwL2.layer, params: pwL2.params, weights: pwL2.weights, bias: pwL2.bias, a: pwL2.a, b: pwL2.b, hdr: r.wideHdr,
    tileParams: () => pwL2.hdrParams,
    tileChannels: () => pwL2.hdrChannels,
  };
  // The layers' arrays come last in L2 (./l2.ts): from the first layer's weights to the end.
  const wide = !r.tiled ? null : new WideTiles(
    wasm, { first: pwWhich === "first" ? wideLayer : null, second: pwWhich === "second" ? wideLayer : null },
    r.l2 + r.place.first.weights, r.l2 + r.place.bytes, r.scratch, r.wideOut, r.wideBytes, r.wideSlot, trace,
  );
  const sp = new ModelScratchpad(new Model(wasm, engine.wasm.memory, trace), mem.doubleBuffer, { first: r.first, second: r.second }, r.scratch, { base: r.pwSlots, bytes: r.pwSlotBytes, tile: r.pwTile }, wide);
  walk(blk, s, planned.tiling, sp, r.l2);
  const result = finish(engine, blk, s, planned, r, sp.tiles, options.out);
  return trace ? { ...result, recorded: { words: withoutUnreadWeightCopies(trace.words), addresses: r.addresses, tiles: sp.tiles } } : result;
}

/**
 * Runs `blk` again as `execute` recorded it (same block, plan and memory), in one WebAssembly
 * call: the same output and counts. Null when this run would be placed at other addresses than
 * the recorded one (then the caller executes it instead).
 */
export function replay(
  engine: Engine, blk: Block, input: Tensor, s: Schedule, planned: TransferReport, mem: ResolvedMemory, rec: RecordedRun, out?: Tensor["data"],
): { output: Tensor; report: TransferReport } | null {
  const r = placeRun(engine, blk, s, planned, mem, rec.words.byteLength);
  if (r.addresses.length !== rec.addresses.length || r.addresses.some((a, i) => a !== rec.addresses[i])) return null;
  stage(engine, r, input, mem);
  engine.arena.write(r.trace, rec.words);
  const e = engine.wasm.spReplay(r.trace, r.trace + rec.words.byteLength);
  if (e !== 0) throw new Error(`dwpw scratchpad model: ${ERRORS[e]} (a bug in the schedule: please report it)`);
  return finish(engine, blk, s, planned, r, rec.tiles, out);
}
