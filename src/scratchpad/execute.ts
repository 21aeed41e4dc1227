// The executor: runs a planned block for real on the WebAssembly scratchpad model. Tensors,
// weights and parameters are placed in the model's L2; every tile is moved by the model's DMA
// (which counts as it copies) into buffers allocated in its L1, and the kernels compute on L1
// views only. The report's counters are read back from the model, not computed here.
// Emulator-private, outside the modelled memories: the kernels' scratch, the requantization
// headers, and one weight slot per pointwise tile, where the kernel keeps its widening of weights
// that the schedule DMAs into L1 again at every step (used only while L1 holds the same bytes).
import { denseView, runKernel, type Engine, type KernelCall, type View } from "../engine.js";
import type { KernelExports } from "../wasm/module.js";
import { HEADER_BYTES, writeHeader, type ChannelParams } from "../wasm/params.js";
import { outputTensor, type Layer } from "../validate.js";
import type { Layout, Tensor } from "../types.js";
import { paramBytesPerChannel, type Block } from "./block.js";
import type { ResolvedMemory } from "./memory.js";
import { rowSteps, slidingSteps, type TransferReport } from "./plan.js";
import type { Schedule } from "./schedules.js";

const KIND = { input: 0, intermediate: 1, weights: 2, params: 3, output: 4 } as const;
type Kind = keyof typeof KIND;
const ERRORS = ["", "L1 access outside the allocated tile buffers", "L1 access outside the allocated tile buffers", "L2 access outside the block's tensors"];
const COUNTERS = 12;

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

  constructor(readonly wasm: KernelExports, readonly mem: WebAssembly.Memory) {
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
      l.hdrParams = pL1;
      l.hdrChannels = n;
    }
  }

  /**
   * Runs a kernel after the model has checked that its input and output views lie in L1.
   * `sameSource`, `weightSlot`: see `runKernel`.
   */
  kernel(k: KernelCall, src: View, dst: View, wL1: number, hdr: number, scratch: number, outRows: number, outCols: number, sameSource = false, weightSlot = 0): void {
    const ok =
      this.wasm.l1Check(src.ptr, src.row, src.px, src.ch, k.height, k.width, k.channels) === 0 &&
      this.wasm.l1Check(dst.ptr, dst.row, dst.px, dst.ch, outRows, outCols, k.outChannels) === 0;
    if (!ok) throw new Error("dwpw scratchpad model: kernel view outside L1 (a bug in the schedule: please report it)");
    runKernel(this.wasm, k, src, dst, wL1, hdr, scratch, sameSource, weightSlot);
  }
}

/** A view of an L1 tile buffer holding rows x cols x chans densely in `layout`. */
const tile = (ptr: number, layout: Layout, rows: number, cols: number, chans: number): View => denseView(ptr, layout, rows, cols, chans);

/** The view moved to row y0, channel c0 (built field by field: a spread costs more, and this runs per tile). */
function at(v: View, y0: number, c0: number): View {
  return { ptr: v.ptr + y0 * v.row + c0 * v.ch, row: v.row, px: v.px, ch: v.ch };
}

function call(layer: Layer, height: number, channels: number, outChannels: number, padTop: number, padBottom: number): KernelCall {
  return {
    kind: layer.kind, height, width: layer.width, channels, outChannels,
    signed: layer.inDtype === "int8", zeroPoint: layer.inZeroPoint,
    kh: layer.kh, kw: layer.kw, sh: layer.sh, sw: layer.sw,
    pad: { top: padTop, left: layer.pad.left, bottom: padBottom, right: layer.pad.right },
  };
}

interface Run {
  m: Model;
  blk: Block;
  mem: ResolvedMemory;
  s: Schedule;
  t: Record<string, number>;
  x: View; // block input in L2
  y: View; // block output in L2
  mid: View | null; // intermediate in L2 (unfused only)
  first: LayerInL2;
  second: LayerInL2;
  scratch: number;
  /** Weight slots of the pointwise layer, one per tile of `pwTile` output channels. */
  pwSlots: number;
  pwSlotBytes: number;
  pwTile: number;
}

/**
 * The weight slot of the pointwise tile starting at output channel `c0`: its weights are DMA'd into
 * L1 again for every step, and the kernel widens them only if they differ from the slot's bytes.
 */
const slotOf = (r: Run, c0: number): number => r.pwSlots + Math.floor(c0 / r.pwTile) * r.pwSlotBytes;

const taps = (l: Layer) => l.kh * l.kw;
/** Two buffers when double-buffering, alternating by step. */
function buffers(m: Model, mem: ResolvedMemory, bytes: number): [number, number] {
  const a = m.alloc(bytes);
  return [a, mem.doubleBuffer ? m.alloc(bytes) : a];
}

/** A sliding window of `rows` rows x W x C in L1; in CHW each channel's rows form one plane. */
function windowView(ptr: number, layout: Layout, rows: number, W: number, C: number, row0: number, c0: number): View {
  return at(denseView(ptr, layout, rows, W, C), row0, c0);
}

/** Moves the window's rows still needed (from `shift` on, `kept` of them) to its front: a core-local copy, no DMA. */
function slideWindow(bytes: Uint8Array, ptr: number, layout: Layout, rows: number, W: number, C: number, shift: number, kept: number): void {
  if (kept <= 0 || shift === 0) return;
  if (layout === "HWC") bytes.copyWithin(ptr, ptr + shift * W * C, ptr + (shift + kept) * W * C);
  else for (let c = 0; c < C; c++) {
    const plane = ptr + c * rows * W;
    bytes.copyWithin(plane, plane + shift * W, plane + (shift + kept) * W);
  }
}

function runDwpwRows(r: Run): number {
  const { m, blk, mem, s } = r;
  const { dw, pw } = blk;
  const R = r.t.rows as number, Cb = r.t.outChannels as number, Cd = r.t.dwChannels as number;
  const C = dw.channels, W = dw.width, Wt = dw.outWidth, Co = pw.outChannels;
  const Lin = s.input as Layout, Lt = s.intermediate as Layout, Lout = s.output as Layout;
  const steps = slidingSteps(blk, R);
  const winRows = Math.max(...steps.map((st) => st.b - st.a));
  const dwW = m.alloc(Cd * taps(dw)), dwP = m.alloc(Cd * paramBytesPerChannel(r.first.params));
  const pwW = m.alloc(Cb * C), pwP = m.alloc(Cb * paramBytesPerChannel(r.second.params));
  const win = m.alloc(winRows * W * C);
  const inter = m.alloc(R * Wt * C);
  const outBuf = buffers(m, mem, R * Wt * Cb);
  const dwResident = Cd >= C;
  if (dwResident) m.loadLayer(r.first, 0, C, dwW, dwP, taps(dw));
  const resident = Cb >= Co;
  if (resident) m.loadLayer(r.second, 0, Co, pwW, pwP, C);
  let tiles = 0;
  let winA = 0;
  steps.forEach((st, i) => {
    slideWindow(m.bytes, win, Lin, winRows, W, C, st.a - winA, st.kept);
    winA = st.a;
    const n = st.b - st.newA, rows = st.o1 - st.o0;
    m.box(true, "input", at(r.x, st.newA, 0), windowView(win, Lin, winRows, W, C, st.newA - st.a, 0), n, W, C);
    const mid = tile(inter, Lt, rows, Wt, C);
    for (let c0 = 0; c0 < C; c0 += Cd) {
      const nd = Math.min(Cd, C - c0);
      if (!dwResident) m.loadLayer(r.first, c0, nd, dwW, dwP, taps(dw));
      const src = windowView(win, Lin, winRows, W, C, 0, c0);
      m.kernel(call(dw, st.b - st.a, nd, nd, st.padTop, st.padBottom), src, at(mid, 0, c0), dwW, r.first.hdr, r.scratch, rows, Wt);
    }
    for (let c0 = 0; c0 < Co; c0 += Cb) {
      const nb = Math.min(Cb, Co - c0);
      if (!resident) m.loadLayer(r.second, c0, nb, pwW, pwP, C);
      const out = tile(outBuf[i & 1], Lout, rows, Wt, nb);
      // Every output-channel tile of the step reads the same intermediate, untouched in between.
      m.kernel(call(pw, rows, C, nb, 0, 0), mid, out, pwW, r.second.hdr, r.scratch, rows, Wt, c0 > 0, slotOf(r, c0));
      m.box(false, "output", at(r.y, st.o0, c0), out, rows, Wt, nb);
      tiles++;
    }
  });
  return tiles;
}

function runPwdwRows(r: Run): number {
  const { m, blk, mem, s } = r;
  const { dw, pw } = blk;
  const R = r.t.rows as number, Cb = r.t.outChannels as number;
  const Cin = pw.channels, W = pw.width, Ct = pw.outChannels, Wo = dw.outWidth;
  const Lin = s.input as Layout, Lt = s.intermediate as Layout, Lout = s.output as Layout;
  const steps = slidingSteps(blk, R);
  const winRows = Math.max(...steps.map((st) => st.b - st.a));
  const newRows = Math.max(...steps.map((st) => st.b - st.newA));
  const dwW = m.alloc(Ct * taps(dw)), dwP = m.alloc(Ct * paramBytesPerChannel(r.second.params));
  const pwW = m.alloc(Cb * Cin), pwP = m.alloc(Cb * paramBytesPerChannel(r.first.params));
  const inBuf = buffers(m, mem, newRows * W * Cin);
  const win = m.alloc(winRows * W * Ct);
  const outBuf = buffers(m, mem, R * Wo * Ct);
  m.loadLayer(r.second, 0, Ct, dwW, dwP, taps(dw));
  const resident = Cb >= Ct;
  if (resident) m.loadLayer(r.first, 0, Ct, pwW, pwP, Cin);
  const winView = (row0: number, c0: number): View => windowView(win, Lt, winRows, W, Ct, row0, c0);
  let winA = 0;
  steps.forEach((st, i) => {
    slideWindow(m.bytes, win, Lt, winRows, W, Ct, st.a - winA, st.kept);
    winA = st.a;
    const n = st.b - st.newA;
    if (n > 0) {
      const src = tile(inBuf[i & 1], Lin, n, W, Cin);
      m.box(true, "input", at(r.x, st.newA, 0), src, n, W, Cin);
      for (let c0 = 0; c0 < Ct; c0 += Cb) {
        const nb = Math.min(Cb, Ct - c0);
        if (!resident) m.loadLayer(r.first, c0, nb, pwW, pwP, Cin);
        m.kernel(call(pw, n, Cin, nb, 0, 0), src, winView(st.newA - st.a, c0), pwW, r.first.hdr, r.scratch, n, W, false, slotOf(r, c0));
      }
    }
    const rows = st.o1 - st.o0;
    const out = tile(outBuf[i & 1], Lout, rows, Wo, Ct);
    m.kernel(call(dw, st.b - st.a, Ct, Ct, st.padTop, st.padBottom), winView(0, 0), out, dwW, r.second.hdr, r.scratch, rows, Wo);
    m.box(false, "output", at(r.y, st.o0, 0), out, rows, Wo, Ct);
  });
  return steps.length;
}

function runPwdwChannels(r: Run): number {
  const { m, blk, mem, s } = r;
  const { dw, pw } = blk;
  const B = r.t.channels as number, Ri = r.t.inputRows as number;
  const Cin = pw.channels, H = pw.height, W = pw.width, Ct = pw.outChannels, Ho = dw.outHeight, Wo = dw.outWidth;
  const Lin = s.input as Layout, Lt = s.intermediate as Layout, Lout = s.output as Layout;
  const resident = Ri >= H;
  const rowsTile = Math.min(Ri, H);
  const inBuf = resident ? ([m.alloc(H * W * Cin), 0] as [number, number]) : buffers(m, mem, rowsTile * W * Cin);
  const pwW = m.alloc(B * Cin), pwP = m.alloc(B * paramBytesPerChannel(r.first.params));
  const inter = m.alloc(H * W * B);
  const dwW = m.alloc(B * taps(dw)), dwP = m.alloc(B * paramBytesPerChannel(r.second.params));
  const outBuf = buffers(m, mem, Ho * Wo * B);
  if (resident) m.box(true, "input", r.x, tile(inBuf[0], Lin, H, W, Cin), H, W, Cin);
  let tiles = 0;
  for (let c0 = 0; c0 < Ct; c0 += B) {
    const nb = Math.min(B, Ct - c0);
    m.loadLayer(r.first, c0, nb, pwW, pwP, Cin);
    m.loadLayer(r.second, c0, nb, dwW, dwP, taps(dw));
    const mid = tile(inter, Lt, H, W, nb);
    if (resident) {
      m.kernel(call(pw, H, Cin, nb, 0, 0), tile(inBuf[0], Lin, H, W, Cin), mid, pwW, r.first.hdr, r.scratch, H, W, false, slotOf(r, c0));
    } else {
      let k = 0;
      for (let r0 = 0; r0 < H; r0 += rowsTile, k++) {
        const n = Math.min(rowsTile, H - r0);
        const src = tile(inBuf[k & 1], Lin, n, W, Cin);
        m.box(true, "input", at(r.x, r0, 0), src, n, W, Cin);
        m.kernel(call(pw, n, Cin, nb, 0, 0), src, at(mid, r0, 0), pwW, r.first.hdr, r.scratch, n, W, false, slotOf(r, c0));
      }
    }
    const out = tile(outBuf[tiles & 1], Lout, Ho, Wo, nb);
    m.kernel(call(dw, H, nb, nb, dw.pad.top, dw.pad.bottom), mid, out, dwW, r.second.hdr, r.scratch, Ho, Wo);
    m.box(false, "output", at(r.y, 0, c0), out, Ho, Wo, nb);
    tiles++;
  }
  return tiles;
}

/** One layer of the unfused baseline, tiled alone (DORY style), L2 to L2. */
function runLayerAlone(r: Run, l: LayerInL2, src: View, dst: View, inKind: Kind, outKind: Kind): number {
  const { m, mem } = r;
  const layer = l.layer;
  const L = r.blk.input.layout;
  const { width: W, channels: C, outWidth: Wo, outChannels: Co } = layer;
  const pp = paramBytesPerChannel(l.params);
  let tiles = 0;
  if (layer.kind === "pointwise") {
    const R = r.t.pwRows as number, Cb = r.t.pwOutChannels as number;
    const inBuf = buffers(m, mem, R * W * C);
    const w = m.alloc(Cb * C), p = m.alloc(Cb * pp);
    const outBuf = buffers(m, mem, R * W * Cb);
    const resident = Cb >= Co;
    if (resident) m.loadLayer(l, 0, Co, w, p, C);
    let k = 0;
    for (let r0 = 0; r0 < layer.height; r0 += R, k++) {
      const n = Math.min(R, layer.height - r0);
      const t = tile(inBuf[k & 1], L, n, W, C);
      m.box(true, inKind, at(src, r0, 0), t, n, W, C);
      for (let c0 = 0; c0 < Co; c0 += Cb) {
        const nb = Math.min(Cb, Co - c0);
        if (!resident) m.loadLayer(l, c0, nb, w, p, C);
        const o = tile(outBuf[k & 1], L, n, W, nb);
        m.kernel(call(layer, n, C, nb, 0, 0), t, o, w, l.hdr, r.scratch, n, W, false, slotOf(r, c0));
        m.box(false, outKind, at(dst, r0, c0), o, n, W, nb);
        tiles++;
      }
    }
    return tiles;
  }
  const R = r.t.dwRows as number, Cb = r.t.dwChannels as number;
  const steps = rowSteps(layer.outHeight, R, layer);
  const inRows = Math.max(...steps.map((st) => st.b - st.a));
  const inBuf = buffers(m, mem, inRows * W * Cb);
  const w = m.alloc(Cb * taps(layer)), p = m.alloc(Cb * pp);
  const outBuf = buffers(m, mem, R * Wo * Cb);
  let k = 0;
  for (let c0 = 0; c0 < C; c0 += Cb) {
    const nb = Math.min(Cb, C - c0);
    m.loadLayer(l, c0, nb, w, p, taps(layer));
    for (const st of steps) {
      const n = st.b - st.a, rows = st.o1 - st.o0;
      // PULP-NN's depthwise reads CHW and writes HWC; the DMA changes layout where L2 differs.
      const t = tile(inBuf[k & 1], "CHW", n, W, nb);
      m.box(true, inKind, at(src, st.a, c0), t, n, W, nb);
      const o = tile(outBuf[k & 1], "HWC", rows, Wo, nb);
      m.kernel(call(layer, n, nb, nb, st.padTop, st.padBottom), t, o, w, l.hdr, r.scratch, rows, Wo);
      m.box(false, outKind, at(dst, st.o0, c0), o, rows, Wo, nb);
      tiles++;
      k++;
    }
  }
  return tiles;
}

function runUnfused(r: Run): number {
  const mid = r.mid as View;
  const a = runLayerAlone(r, r.first, r.x, mid, "input", "intermediate");
  r.m.wasm.l1Reset();
  return a + runLayerAlone(r, r.second, mid, r.y, "intermediate", "output");
}

const FAMILY_RUNS = { dwpwRows: runDwpwRows, pwdwRows: runPwdwRows, pwdwChannels: runPwdwChannels, unfused: runUnfused };
/** Output channels per pointwise tile, by family (the run functions above tile by these fields). */
const PW_TILE_FIELD = { dwpwRows: "outChannels", pwdwRows: "outChannels", pwdwChannels: "channels", unfused: "pwOutChannels" } as const;

/** Kernel scratch (emulator-private, outside the modelled L1) enough for every tile of the block. */
function scratchNeed(wasm: KernelExports, blk: Block): number {
  const { dw, pw } = blk;
  return Math.max(
    wasm.depthwiseScratchBytes(dw.height, dw.width, dw.channels, dw.pad.left, dw.pad.right, dw.kh, dw.kw, dw.sw),
    wasm.pointwiseScratchBytes(pw.channels, pw.outChannels),
  );
}

/**
 * Runs `blk` under the plan `planned` (schedule and tiling) on the engine's scratchpad model and
 * returns the output with the model's own counts.
 */
export function execute(engine: Engine, blk: Block, input: Tensor, s: Schedule, planned: TransferReport, mem: ResolvedMemory): { output: Tensor; report: TransferReport } {
  const wasm = engine.wasm;
  const arena = engine.arena;
  arena.reset();
  const fused = s.family !== "unfused";
  const outLayout = fused ? (s.output as Layout) : blk.input.layout;
  const act = (sh: { height: number; width: number; channels: number }) => sh.height * sh.width * sh.channels;
  // L2: laid out in the order of plan.ts's l2Footprint, 4-byte aligned.
  const l2 = arena.alloc(planned.l2Bytes);
  let top = l2;
  const l2Alloc = (n: number) => {
    const p = top;
    top += (n + 3) & ~3;
    return p;
  };
  const xPtr = l2Alloc(act(blk.input));
  const yPtr = l2Alloc(act(blk.output));
  const midPtr = fused ? 0 : l2Alloc(act(blk.intermediate));
  const placeLayer = (layer: Layer, params: ChannelParams): LayerInL2 => {
    const weights = l2Alloc(layer.weights.length);
    const [bias, a, b] = [params.bias, params.a, params.b].map((arr) => (arr ? l2Alloc(arr.length) : 0)) as [number, number, number];
    // The header is the emulator's, outside the modelled memories.
    return { layer, params, weights, bias, a, b, hdr: arena.alloc(HEADER_BYTES), hdrParams: -1, hdrChannels: 0 };
  };
  const first = placeLayer(blk.first, blk.firstParams);
  const second = placeLayer(blk.second, blk.secondParams);
  const l1 = arena.alloc(mem.l1Usable);
  const counters = arena.alloc(COUNTERS * 8);
  const scratch = arena.alloc(scratchNeed(wasm, blk));
  const pw = blk.pw;
  const pwTile = Math.min(planned.tiling[PW_TILE_FIELD[s.family]] as number, pw.outChannels);
  const pwSlotBytes = wasm.pointwiseWeightSlotBytes(pw.channels, pwTile);
  const pwSlotCount = Math.ceil(pw.outChannels / pwTile);
  const pwSlots = arena.alloc(pwSlotCount * pwSlotBytes);
  arena.commit();
  // Empty slots: the arena's memory holds whatever an earlier call left there.
  const slots = arena.bytes(pwSlots, pwSlotCount * pwSlotBytes);
  for (let k = 0; k < pwSlotCount; k++) slots.fill(0, k * pwSlotBytes, k * pwSlotBytes + 16);
  arena.write(xPtr, input.data);
  for (const l of [first, second]) {
    arena.write(l.weights, l.layer.weights);
    if (l.params.bias) arena.write(l.bias, l.params.bias);
    if (l.params.a) arena.write(l.a, l.params.a);
    if (l.params.b) arena.write(l.b, l.params.b);
  }
  const d = mem.dma;
  wasm.spReset(l1, mem.l1Usable, l2, planned.l2Bytes, counters, d.bytesPerCycle, d.cyclesPerCommand, d.layoutBytesPerCycle, d.layoutCyclesPerChannel);
  const shape = (sh: { height: number; width: number; channels: number }, layout: Layout, ptr: number) => denseView(ptr, layout, sh.height, sh.width, sh.channels);
  const run: Run = {
    m: new Model(wasm, wasm.memory), blk, mem, s, t: planned.tiling,
    x: shape(blk.input, blk.input.layout, xPtr),
    y: shape(blk.output, outLayout, yPtr),
    mid: fused ? null : shape(blk.intermediate, blk.input.layout, midPtr),
    first,
    second,
    scratch,
    pwSlots,
    pwSlotBytes,
    pwTile,
  };
  const tiles = FAMILY_RUNS[s.family](run);
  const c = new Float64Array(wasm.memory.buffer, counters, COUNTERS);
  const l2ToL1 = { input: c[0] as number, intermediate: c[1] as number, weights: c[2] as number, params: c[3] as number };
  const l1ToL2 = { intermediate: c[5] as number, output: c[8] as number };
  const output = outputTensor({ ...blk.second, layout: outLayout });
  new Uint8Array(output.data.buffer).set(arena.bytes(yPtr, output.data.length));
  return {
    output,
    report: {
      ...planned,
      l2ToL1,
      l1ToL2,
      activationBytes: l2ToL1.input + l2ToL1.intermediate + l1ToL2.intermediate + l1ToL2.output,
      dmaCommands: c[9] as number,
      dmaCycles: c[10] as number,
      tiles,
      peakL1Bytes: c[11] as number,
    },
  };
}
