// Per-call allocation in WebAssembly memory. A call reserves all its buffers first, then the arena
// grows the memory once, before the kernel runs: memory never grows during a kernel (so views never
// detach), and since every call starts again from the same base, repeated calls cannot leak.
import type { KernelExports } from "./module.js";

/** Upper bound on the linear memory the kernels may use (wasm32 addresses 4 GiB; stay well below). */
export const MAX_MEMORY_BYTES = 2 ** 31;
const PAGE = 65536;

export class Arena {
  private readonly base: number;
  private top: number;
  /** Counts resets: buffers reserved before the latest reset may now hold another call's data. */
  private resets = 0;

  constructor(private readonly wasm: KernelExports) {
    this.base = (wasm.heapBase() + 15) & ~15;
    this.top = this.base;
  }

  /** Forgets every reservation of the previous call. */
  reset(): void {
    this.top = this.base;
    this.resets++;
  }

  /** Identifies the current reservations: it changes at every reset. */
  get generation(): number {
    return this.resets;
  }

  /**
   * Reserves `bytes` bytes, 16-byte aligned, and returns their address. Sizes are plain numbers
   * (no 32-bit bit tricks, which wrap at 2 GiB); a size that is not a non-negative integer (a
   * negative one is a kernel's unsigned 32-bit size read back as signed, i.e. at least 2 GiB)
   * is more than the memory can hold.
   */
  alloc(bytes: number): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > MAX_MEMORY_BYTES) {
      throw new RangeError(`this call needs a buffer of ${bytes < 0 ? bytes >>> 0 : bytes} bytes; at most ${MAX_MEMORY_BYTES} bytes of WebAssembly memory are available`);
    }
    const p = this.top;
    this.top = p + Math.ceil(bytes / 16) * 16;
    return p;
  }

  /** Grows the memory to hold every reservation, or throws a RangeError if that is too much. */
  commit(): void {
    if (this.top > MAX_MEMORY_BYTES) {
      throw new RangeError(`this call needs ${this.top} bytes of WebAssembly memory; at most ${MAX_MEMORY_BYTES} are available`);
    }
    const mem = this.wasm.memory;
    const need = this.top - mem.buffer.byteLength;
    if (need > 0) {
      try {
        mem.grow(Math.ceil(need / PAGE));
      } catch {
        throw new RangeError(`could not grow WebAssembly memory to ${this.top} bytes`);
      }
    }
  }

  /** Copies bytes into memory at `ptr`. */
  write(ptr: number, src: ArrayBufferView): void {
    new Uint8Array(this.wasm.memory.buffer, ptr, src.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
  }

  /** A byte view of memory (valid until the next commit). */
  bytes(ptr: number, n: number): Uint8Array {
    return new Uint8Array(this.wasm.memory.buffer, ptr, n);
  }

  /** High-water mark of linear memory, in bytes. */
  get memoryBytes(): number {
    return this.wasm.memory.buffer.byteLength;
  }
}
