// A model of GAP8's memory: an L2 region holding whole tensors, weights and parameters, an L1
// scratchpad where kernels compute, and a DMA engine between them that counts what it moves as it
// moves it. Kernels in a block run touch only L1 (the host checks every kernel view with
// `l1Check`); an allocation or an access beyond the usable L1 is reported as an error, never
// performed.
//
// Cost rules (mirrored by the closed form in src/scratchpad/cost.ts; tests hold them equal):
// - a box of rows x cols x chans is decomposed on the L2 side into contiguous runs; dimensions of
//   one element are dropped and a dimension that is whole merges into the next outer one. One or
//   two dimensions left: one command (1D or 2D). Three: one 2D command per index of the outer one
//   ("one 2D transfer per row of a strided tile").
//   cycles = commands * cyclesPerCommand + ceil(bytes / bytesPerCycle).
// - a copy that changes layout (HWC <-> CHW) moves bytes one at a time: one command per channel,
//   cycles = chans * layoutCyclesPerChannel + ceil(bytes / layoutBytesPerCycle).

// Counter slots (f64 each), transfer kinds and error codes are generated with the host's copy
// (src/scratchpad/execute.ts reads them) from one declaration: scripts/gen-interface.mjs.
import {
  C_COMMANDS, C_CYCLES, C_IN, C_OUT, C_PEAK_L1, COUNTERS, E_L1_RANGE, E_L2_RANGE, K_INPUT, K_OUTPUT, OK,
  OP_ALLOC, OP_BOX, OP_DEPTHWISE, OP_L1_RESET, OP_LINEAR, OP_LINEAR_UNREAD, OP_MOVE, OP_POINTWISE, OP_WRITE,
} from "./generated/interface";
import { depthwise } from "./depthwise";
import { pointwise } from "./pointwise";

let l1Base: usize = 0;
let l1Size: usize = 0;
let l1Top: usize = 0;
let l2Base: usize = 0;
let l2Size: usize = 0;
let counters: usize = 0;
let bytesPerCycle: f64 = 8;
let cyclesPerCommand: f64 = 10;
let layoutBytesPerCycle: f64 = 1;
let layoutCyclesPerChannel: f64 = 10;

/** Starts a block run: sets the regions, the DMA constants, and zeroes the counters. */
export function spReset(
  l1: usize, l1Bytes: usize, l2: usize, l2Bytes: usize, counterBuf: usize,
  bpc: f64, cpc: f64, layoutBpc: f64, layoutCpc: f64,
): void {
  l1Base = l1;
  l1Size = l1Bytes;
  l1Top = 0;
  l2Base = l2;
  l2Size = l2Bytes;
  counters = counterBuf;
  bytesPerCycle = bpc;
  cyclesPerCommand = cpc;
  layoutBytesPerCycle = layoutBpc;
  layoutCyclesPerChannel = layoutCpc;
  memory.fill(counters, 0, COUNTERS * 8);
}

@inline function bump(i: i32, v: f64): void {
  const p = counters + (<usize>i << 3);
  store<f64>(p, load<f64>(p) + v);
}

/**
 * Reserves `bytes` of L1 (4-byte aligned, as GAP8 buffers are). Returns the address, or 0 when the
 * usable L1 would be exceeded; the high-water mark is the report's peak L1.
 */
export function l1Alloc(bytes: usize): usize {
  const start = (l1Top + 3) & ~(<usize>3);
  if (start + bytes > l1Size) return 0;
  l1Top = start + bytes;
  const p = counters + (<usize>C_PEAK_L1 << 3);
  if (<f64>l1Top > load<f64>(p)) store<f64>(p, <f64>l1Top);
  return l1Base + start;
}

/** Bytes of L1 that an allocation of `bytes` would need beyond the usable size (0 if it fits). */
export function l1Shortfall(bytes: usize): usize {
  const start = (l1Top + 3) & ~(<usize>3);
  return start + bytes > l1Size ? start + bytes - l1Size : 0;
}

/** Last byte offset (exclusive) of a view's box, relative to its pointer. */
@inline function extent(row: i32, px: i32, ch: i32, rows: i32, cols: i32, chans: i32): usize {
  return <usize>((rows - 1) * row + (cols - 1) * px + (chans - 1) * ch + 1);
}

/** Whether a view's box lies inside the allocated part of L1. */
export function l1Check(ptr: usize, row: i32, px: i32, ch: i32, rows: i32, cols: i32, chans: i32): i32 {
  if (rows <= 0 || cols <= 0 || chans <= 0) return OK;
  if (ptr < l1Base || ptr + extent(row, px, ch, rows, cols, chans) > l1Base + l1Top) return E_L1_RANGE;
  return OK;
}

/** Commands a same-layout box needs, from the L2 side's strides (see the cost rules above). */
function boxCommands(row: i32, px: i32, ch: i32, rows: i32, cols: i32, chans: i32): f64 {
  // Dimensions inner to outer by stride (HWC: ch = 1; CHW: px = 1).
  const hwc = ch <= px;
  let n0 = hwc ? chans : cols, s0 = hwc ? ch : px;
  let n1 = hwc ? cols : rows, s1 = hwc ? px : row;
  let n2 = hwc ? rows : chans, s2 = hwc ? row : ch;
  // Drop single-element dimensions, keeping the others in order.
  if (n1 == 1) { n1 = n2; s1 = s2; n2 = 1; }
  if (n0 == 1) { n0 = n1; s0 = s1; n1 = n2; s1 = s2; n2 = 1; }
  const m = (n0 > 1 ? 1 : 0) + (n1 > 1 ? 1 : 0) + (n2 > 1 ? 1 : 0);
  // Merge the dimensions that continue one contiguous run (none if the innermost is strided:
  // then each element is a one-byte run).
  let k = 0;
  if (m > 0 && s0 == 1) {
    k = 1;
    if (m > 1 && s1 == n0) {
      k = 2;
      if (m > 2 && s2 == n0 * n1) k = 3;
    }
  }
  // One 2D command covers the run and the next dimension; each index beyond is a command.
  if (m - k <= 1) return 1;
  return k == 0 ? (m == 3 ? <f64>n1 * <f64>n2 : <f64>n1) : <f64>n2;
}

/**
 * Copies `n` bytes between non-overlapping places (L1 and L2 never overlap). Tile runs are often a
 * few channels long: inline loads and stores (the last ones overlapping the previous) beat a
 * `memory.copy` call there, which costs a call into the engine each time.
 */
@inline function copyRun(dst: usize, src: usize, n: i32): void {
  const len = <usize>n;
  if (n >= 512) {
    // Long runs (a tile's weights): the engine's copy is faster than 16 bytes at a time.
    memory.copy(dst, src, len);
  } else if (ASC_FEATURE_SIMD && n >= 16) {
    for (let i: usize = 0; i + 16 <= len; i += 16) v128.store(dst + i, v128.load(src + i));
    v128.store(dst + len - 16, v128.load(src + len - 16));
  } else if (n >= 8) {
    if (n > 128) {
      memory.copy(dst, src, len);
      return;
    }
    for (let i: usize = 0; i + 8 <= len; i += 8) store<u64>(dst + i, load<u64>(src + i));
    store<u64>(dst + len - 8, load<u64>(src + len - 8));
  } else if (n >= 4) {
    store<u32>(dst, load<u32>(src));
    store<u32>(dst + len - 4, load<u32>(src + len - 4));
  } else {
    for (let i: usize = 0; i < len; i++) store<u8>(dst + i, load<u8>(src + i));
  }
}

/**
 * `kind` of a `dmaBox` that is no transfer: a core-local copy into L1 from the emulator's own
 * memory, not counted (what the host's executor uses to put a kernel's output, computed for
 * several tiles at once outside the modelled memories, into a tile's L1 buffer: see
 * src/scratchpad/wide.ts). Only the L1 side is checked.
 */
const LOCAL_COPY: i32 = -1;

/**
 * Copies a rows x cols x chans box between an L2 view and an L1 view (`toL1` gives the direction)
 * and counts it under `kind` (LOCAL_COPY: see above). Returns an error code if either side leaves
 * its region.
 */
export function dmaBox(
  toL1: bool, kind: i32,
  l2: usize, l2Row: i32, l2Px: i32, l2Ch: i32,
  l1: usize, l1Row: i32, l1Px: i32, l1Ch: i32,
  rows: i32, cols: i32, chans: i32,
): i32 {
  return transfer(toL1, kind, l2, l2Row, l2Px, l2Ch, l1, l1Row, l1Px, l1Ch, rows, cols, chans, true);
}

/**
 * `dmaBox`, copying the bytes only when `copy`: a replay (below) checks and counts a transfer
 * without its copy when the host found that nothing reads those bytes in L1 (src/scratchpad/trace.ts).
 */
function transfer(
  toL1: bool, kind: i32,
  l2: usize, l2Row: i32, l2Px: i32, l2Ch: i32,
  l1: usize, l1Row: i32, l1Px: i32, l1Ch: i32,
  rows: i32, cols: i32, chans: i32, copy: bool,
): i32 {
  if (rows <= 0 || cols <= 0 || chans <= 0) return OK;
  if (l1Check(l1, l1Row, l1Px, l1Ch, rows, cols, chans) != OK) return E_L1_RANGE;
  if (kind == LOCAL_COPY) {
    // Not a transfer: the source is the emulator's own memory, and nothing is counted.
    if (!toL1) return E_L1_RANGE;
  } else {
    if (l2 < l2Base || l2 + extent(l2Row, l2Px, l2Ch, rows, cols, chans) > l2Base + l2Size) return E_L2_RANGE;
    count(toL1, kind, l2Row, l2Px, l2Ch, l1Ch, rows, cols, chans);
  }
  if (copy) copyBox(toL1, l2, l2Row, l2Px, l2Ch, l1, l1Row, l1Px, l1Ch, rows, cols, chans);
  return OK;
}

/** Counts a transfer (see the cost rules above). */
function count(toL1: bool, kind: i32, l2Row: i32, l2Px: i32, l2Ch: i32, l1Ch: i32, rows: i32, cols: i32, chans: i32): void {
  const bytes = <f64>rows * <f64>cols * <f64>chans;
  // Channel-fastest on one side and not on the other: even a single channel is a byte-by-byte gather.
  const changesLayout = (l2Ch == 1) != (l1Ch == 1);
  if (changesLayout) {
    bump(C_COMMANDS, <f64>chans);
    bump(C_CYCLES, <f64>chans * layoutCyclesPerChannel + Math.ceil(bytes / layoutBytesPerCycle));
  } else {
    const cmds = boxCommands(l2Row, l2Px, l2Ch, rows, cols, chans);
    bump(C_COMMANDS, cmds);
    bump(C_CYCLES, cmds * cyclesPerCommand + Math.ceil(bytes / bytesPerCycle));
  }
  if (toL1) bump(C_IN + (kind == K_OUTPUT ? K_INPUT : kind), bytes);
  else bump(C_OUT + kind, bytes);
}

/** Copies a box between the two views (`toL1`: from the l2 view to the l1 one). */
function copyBox(
  toL1: bool,
  l2: usize, l2Row: i32, l2Px: i32, l2Ch: i32,
  l1: usize, l1Row: i32, l1Px: i32, l1Ch: i32,
  rows: i32, cols: i32, chans: i32,
): void {
  // The copy itself, in runs over whatever is contiguous on both sides.
  const src = toL1 ? l2 : l1;
  const dst = toL1 ? l1 : l2;
  const sRow = toL1 ? l2Row : l1Row, sPx = toL1 ? l2Px : l1Px, sCh = toL1 ? l2Ch : l1Ch;
  const dRow = toL1 ? l1Row : l2Row, dPx = toL1 ? l1Px : l2Px, dCh = toL1 ? l1Ch : l2Ch;
  if (sCh == 1 && dCh == 1) {
    if (sPx == chans && dPx == chans) {
      // Whole rows of pixels are runs (and the whole box, if rows follow each other too).
      if (sRow == cols * chans && dRow == cols * chans) copyRun(dst, src, rows * cols * chans);
      else for (let y = 0; y < rows; y++) copyRun(dst + <usize>(y * dRow), src + <usize>(y * sRow), cols * chans);
    } else {
      for (let y = 0; y < rows; y++) {
        for (let x = 0; x < cols; x++) copyRun(dst + <usize>(y * dRow + x * dPx), src + <usize>(y * sRow + x * sPx), chans);
      }
    }
  } else if (sPx == 1 && dPx == 1) {
    for (let c = 0; c < chans; c++) {
      for (let y = 0; y < rows; y++) copyRun(dst + <usize>(c * dCh + y * dRow), src + <usize>(c * sCh + y * sRow), cols);
    }
  } else {
    for (let c = 0; c < chans; c++) {
      for (let y = 0; y < rows; y++) {
        for (let x = 0; x < cols; x++) {
          store<u8>(dst + <usize>(c * dCh + y * dRow + x * dPx), load<u8>(src + <usize>(c * sCh + y * sRow + x * sPx)));
        }
      }
    }
  }
}

/** Copies a contiguous run of `bytes` (weights or parameters) from L2 to L1: one 1D command. */
export function dmaLinear(kind: i32, l2: usize, l1: usize, bytes: i32): i32 {
  return dmaBox(true, kind, l2, bytes, bytes, 1, l1, bytes, bytes, 1, 1, 1, bytes);
}

/** Frees every L1 allocation (between the two layers of an unfused block); the peak is kept. */
export function l1Reset(): void {
  l1Top = 0;
}

/** Word `i` of a recorded operation at `p`. */
@inline function arg(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/**
 * Runs a recorded block run again (src/scratchpad/trace.ts): the words [p, end) are operations,
 * each a code and its arguments, that the host recorded as it drove the model through a
 * schedule's walk. Replaying them here does what the walk did (the same transfers, counted the
 * same way, and the same kernel calls) without a call from the host per tile. Returns OK, or the
 * first error code of an operation (the host's walk raised none when it recorded them: an error
 * here is a bug).
 */
export function spReplay(p: usize, end: usize): i32 {
  while (p < end) {
    const op = load<i32>(p);
    p += 4;
    if (op == OP_BOX) {
      const e = dmaBox(
        arg(p, 0) != 0, arg(p, 1), <usize>arg(p, 2), arg(p, 3), arg(p, 4), arg(p, 5),
        <usize>arg(p, 6), arg(p, 7), arg(p, 8), arg(p, 9), arg(p, 10), arg(p, 11), arg(p, 12),
      );
      if (e != OK) return e;
      p += 13 << 2;
    } else if (op == OP_LINEAR || op == OP_LINEAR_UNREAD) {
      const n = arg(p, 3);
      const e = transfer(true, arg(p, 0), <usize>arg(p, 1), n, n, 1, <usize>arg(p, 2), n, n, 1, 1, 1, n, op == OP_LINEAR);
      if (e != OK) return e;
      p += 4 << 2;
    } else if (op == OP_POINTWISE) {
      pointwise(
        <usize>arg(p, 0), arg(p, 1), arg(p, 2), arg(p, 3), arg(p, 4), arg(p, 5), arg(p, 6), arg(p, 7) != 0, arg(p, 8),
        <usize>arg(p, 9), arg(p, 10), <usize>arg(p, 11), <usize>arg(p, 12), arg(p, 13), arg(p, 14), arg(p, 15),
        <usize>arg(p, 16), arg(p, 17) != 0, <usize>arg(p, 18),
      );
      p += 19 << 2;
    } else if (op == OP_DEPTHWISE) {
      depthwise(
        <usize>arg(p, 0), arg(p, 1), arg(p, 2), arg(p, 3), arg(p, 4), arg(p, 5), arg(p, 6), arg(p, 7) != 0, arg(p, 8),
        arg(p, 9), arg(p, 10), arg(p, 11), arg(p, 12), arg(p, 13), arg(p, 14), arg(p, 15), arg(p, 16),
        <usize>arg(p, 17), <usize>arg(p, 18), <usize>arg(p, 19), arg(p, 20), arg(p, 21), arg(p, 22), <usize>arg(p, 23),
      );
      p += 24 << 2;
    } else if (op == OP_MOVE) {
      memory.copy(<usize>arg(p, 0), <usize>arg(p, 1), <usize>arg(p, 2));
      p += 3 << 2;
    } else if (op == OP_WRITE) {
      const n = arg(p, 1);
      memory.copy(<usize>arg(p, 0), p + 8, <usize>n << 2);
      p += <usize>(2 + n) << 2;
    } else if (op == OP_ALLOC) {
      if (l1Alloc(<usize>arg(p, 0)) != <usize>arg(p, 1)) return E_L1_RANGE;
      p += 2 << 2;
    } else if (op == OP_L1_RESET) {
      l1Reset();
    } else {
      return E_L1_RANGE;
    }
  }
  return OK;
}
