// Weight loads whose bytes nothing reads in L1, found in a recorded run (./trace.ts) before it is
// replayed. A streamed pointwise tile's weights are DMA'd into L1 at every step (MobileNetV1's
// 14x14 blocks: 3.7 MB per block), and the kernel reads them there only to compare them with its
// weight slot, or to widen them on a miss; a tile served by the wide call (./wide.ts) does not
// read them at all. Those bytes are the layer's weights in L2, which the run does not write: so the
// replay counts such a load as before without copying it, and gives the kernel the L2 copy of the
// same bytes. Which loads qualify is decided from the addresses every recorded operation reads and
// writes, in order:
// - a weights load starts a candidate: its L1 range R and its L2 source S;
// - a pointwise call whose weights are exactly R reads the same bytes at S: it is redirected there;
// - any other read of R (a kernel's source or weights, a transfer out of L1, a window slide, a
//   requantization header pointing into R) needs the bytes in L1: the load keeps its copy;
// - a write covering R ends the candidate (nothing reads its bytes again); one covering its start
//   or its end leaves the rest as the candidate (a smaller tile loaded into the same buffer), to
//   which the rules go on applying; one inside it, an L1 allocation or reset (after which buffers
//   may alias) keeps the copy of every candidate it touches, or of every open one;
// - so does a write anywhere in the run into S.
import { HEADER_WORD, TRACE_OP, TRANSFER_KIND } from "../wasm/interface.generated.js";

const OP_CODES = Object.values(TRACE_OP);
const ARGS = new Map<number, number>(OP_CODES.map((o) => [o.code, o.words]));

interface Candidate {
  /** Where the load's code is in the trace. */
  at: number;
  /** The part of its L1 range that still holds the loaded bytes. */
  lo: number;
  hi: number;
  /** Whether that is all of it. */
  whole: boolean;
  /** Its source in L2, and its size. */
  l2: number;
  bytes: number;
  /** Where the redirected pointwise calls' weights arguments are in the trace. */
  reads: number[];
}

/** One past the last byte of a box of a view (empty: lo itself). */
function boxEnd(ptr: number, row: number, px: number, ch: number, rows: number, cols: number, chans: number): number {
  if (rows <= 0 || cols <= 0 || chans <= 0) return ptr;
  return ptr + (rows - 1) * row + (cols - 1) * px + (chans - 1) * ch + 1;
}

const overlaps = (lo: number, hi: number, c: { lo: number; hi: number }): boolean => lo < c.hi && c.lo < hi;

/**
 * The trace with its unread weight loads counted without their copy and the pointwise calls that
 * compared their weights redirected to L2 (a new array; `words` is not changed).
 */
export function withoutUnreadWeightCopies(words: Int32Array): Int32Array {
  const w = words.slice();
  const open: Candidate[] = [];
  const unread: Candidate[] = [];
  /** Every byte of L2 the run writes lies in [l2Lo, l2Hi) (the output, and the unfused intermediate). */
  let l2Lo = Infinity, l2Hi = -Infinity;
  /** Requantization headers as the trace last wrote them: address -> the words' offset in the trace. */
  const headers = new Map<number, number>();
  const keepAll = () => (open.length = 0);
  const read = (lo: number, hi: number) => {
    for (let i = open.length - 1; i >= 0; i--) if (overlaps(lo, hi, open[i]!)) open.splice(i, 1);
  };
  const write = (lo: number, hi: number) => {
    for (let i = open.length - 1; i >= 0; i--) {
      const c = open[i]!;
      if (!overlaps(lo, hi, c)) continue;
      c.whole = false;
      if (lo <= c.lo && hi >= c.hi) {
        open.splice(i, 1);
        unread.push(c);
      } else if (lo <= c.lo) c.lo = hi;
      else if (hi >= c.hi) c.hi = lo;
      else open.splice(i, 1);
    }
  };
  const readHeader = (hdr: number) => {
    const at = headers.get(hdr);
    if (at === undefined) return;
    for (const f of [HEADER_WORD.bias, HEADER_WORD.pa, HEADER_WORD.pb]) {
      const p = w[at + f]!;
      if (p !== 0) read(p, p + 1);
    }
  };
  let p = 0;
  while (p < w.length) {
    const code = w[p]!;
    const a = p + 1;
    const n = ARGS.get(code);
    if (n === undefined) throw new Error(`internal: unknown trace operation ${code}`);
    let next = a + n;
    switch (code) {
      case TRACE_OP.box.code: {
        const rows = w[a + 10]!, cols = w[a + 11]!, chans = w[a + 12]!;
        const l2 = w[a + 2]!, l2End = boxEnd(l2, w[a + 3]!, w[a + 4]!, w[a + 5]!, rows, cols, chans);
        const l1 = w[a + 6]!, l1End = boxEnd(l1, w[a + 7]!, w[a + 8]!, w[a + 9]!, rows, cols, chans);
        if (w[a]) {
          read(l2, l2End);
          write(l1, l1End);
        } else {
          read(l1, l1End);
          l2Lo = Math.min(l2Lo, l2);
          l2Hi = Math.max(l2Hi, l2End);
        }
        break;
      }
      case TRACE_OP.linear.code:
      case TRACE_OP.linearUnread.code: {
        const kind = w[a]!, l2 = w[a + 1]!, l1 = w[a + 2]!, bytes = w[a + 3]!;
        read(l2, l2 + bytes);
        write(l1, l1 + bytes);
        if (kind === TRANSFER_KIND.weights && bytes > 0) open.push({ at: p, lo: l1, hi: l1 + bytes, whole: true, l2, bytes, reads: [] });
        break;
      }
      case TRACE_OP.pointwise.code: {
        const H = w[a + 4]!, W = w[a + 5]!, Cin = w[a + 6]!, weights = w[a + 9]!, Cout = w[a + 10]!;
        read(w[a]!, boxEnd(w[a]!, w[a + 1]!, w[a + 2]!, w[a + 3]!, H, W, Cin));
        const n = Cout * Cin;
        const same = open.find((c) => c.whole && c.lo === weights && c.hi === weights + n);
        if (same) same.reads.push(a + 9);
        else read(weights, weights + n);
        readHeader(w[a + 11]!);
        write(w[a + 12]!, boxEnd(w[a + 12]!, w[a + 13]!, w[a + 14]!, w[a + 15]!, H, W, Cout));
        break;
      }
      case TRACE_OP.depthwise.code: {
        const H = w[a + 4]!, W = w[a + 5]!, C = w[a + 6]!, kh = w[a + 13]!, kw = w[a + 14]!, weights = w[a + 17]!;
        read(w[a]!, boxEnd(w[a]!, w[a + 1]!, w[a + 2]!, w[a + 3]!, H, W, C));
        read(weights, weights + C * kh * kw);
        readHeader(w[a + 18]!);
        // Output rows and columns from the padded input (pads at 9..12, strides at 15, 16).
        const Ho = Math.floor((H + w[a + 9]! + w[a + 11]! - kh) / w[a + 15]!) + 1, Wo = Math.floor((W + w[a + 10]! + w[a + 12]! - kw) / w[a + 16]!) + 1;
        write(w[a + 19]!, boxEnd(w[a + 19]!, w[a + 20]!, w[a + 21]!, w[a + 22]!, Ho, Wo, C));
        break;
      }
      case TRACE_OP.move.code: {
        const dst = w[a]!, src = w[a + 1]!, bytes = w[a + 2]!;
        read(src, src + bytes);
        write(dst, dst + bytes);
        break;
      }
      case TRACE_OP.write.code: {
        const ptr = w[a]!, count = w[a + 1]!;
        write(ptr, ptr + 4 * count);
        headers.set(ptr, a + 2);
        next = a + 2 + count;
        break;
      }
      case TRACE_OP.alloc.code:
      case TRACE_OP.l1Reset.code:
        keepAll();
        break;
    }
    p = next;
  }
  // What is still open at the end was never read either.
  for (const c of [...unread, ...open]) {
    if (c.l2 < l2Hi && l2Lo < c.l2 + c.bytes) continue;
    w[c.at] = TRACE_OP.linearUnread.code;
    for (const r of c.reads) w[r] = c.l2;
  }
  return w;
}
