// A block run's effects on the model, recorded once and replayed in one WebAssembly call. A walk
// drives the model through thousands of small steps (MobileNetV1's last block: 1,792 output
// tiles), and each step costs the host more in calls, objects and checks than the model spends
// moving its bytes. Everything the executor asks of the model depends only on the block's
// geometry, its plan and where the run is placed in memory, never on the values it moves: so the
// calls recorded while a run walks its schedule are, word for word, the calls of every later run
// placed at the same addresses. `spReplay` (assembly/scratchpad.ts) makes them again, with the
// same checks and counts; the executor replays only at identical addresses (./execute.ts).
//
// Recorded: every model call that changes its state (L1 allocations and resets, DMA transfers,
// kernel calls) and the host's own writes into the model's memory during the walk (window slides,
// requantization headers). Not recorded: the checks that change nothing (`l1Check`), which the
// recording run passed at these very addresses.
import type { KernelExports } from "../wasm/module.js";
import { TRACE_OP } from "../wasm/interface.generated.js";

export class Trace {
  private buf = new Int32Array(4096);
  private n = 0;

  /** The recorded words. */
  get words(): Int32Array {
    return this.buf.subarray(0, this.n);
  }

  private reserve(k: number): number {
    if (this.n + k > this.buf.length) {
      const b = new Int32Array(Math.max(this.buf.length * 2, this.n + k));
      b.set(this.buf.subarray(0, this.n));
      this.buf = b;
    }
    const at = this.n;
    this.n += k;
    return at;
  }

  private op(code: number, args: ArrayLike<number>): void {
    const at = this.reserve(1 + args.length);
    this.buf[at] = code;
    this.buf.set(args, at + 1);
  }

  /**
   * The model's exports, each call that changes the model's state also recorded here: what the
   * executor drives while it records.
   */
  recording(wasm: KernelExports): KernelExports {
    const op = (code: number, args: ArrayLike<number>) => this.op(code, args);
    return {
      ...wasm,
      l1Alloc(bytes) {
        const p = wasm.l1Alloc(bytes);
        op(TRACE_OP.alloc.code, [bytes, p]);
        return p;
      },
      l1Reset() {
        wasm.l1Reset();
        op(TRACE_OP.l1Reset.code, []);
      },
      dmaBox(...a) {
        op(TRACE_OP.box.code, a);
        return wasm.dmaBox(...a);
      },
      dmaLinear(...a) {
        op(TRACE_OP.linear.code, a);
        return wasm.dmaLinear(...a);
      },
      depthwise(...a) {
        op(TRACE_OP.depthwise.code, a);
        wasm.depthwise(...a);
      },
      pointwise(...a) {
        op(TRACE_OP.pointwise.code, a);
        wasm.pointwise(...a);
      },
      spReplay() {
        throw new Error("internal: a replay inside a recording");
      },
    };
  }

  /** The host copied `bytes` within the model's memory from `src` to `dst` (overlap allowed). */
  move(dst: number, src: number, bytes: number): void {
    this.op(TRACE_OP.move.code, [dst, src, bytes]);
  }

  /** The host wrote `bytes` (a multiple of 4) at `ptr`: recorded as they are in `mem` now. */
  wrote(mem: WebAssembly.Memory, ptr: number, bytes: number): void {
    const words = bytes >> 2;
    const at = this.reserve(3 + words);
    this.buf[at] = TRACE_OP.write.code;
    this.buf[at + 1] = ptr;
    this.buf[at + 2] = words;
    this.buf.set(new Int32Array(mem.buffer, ptr, words), at + 3);
  }
}
