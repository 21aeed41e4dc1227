// Loading the WebAssembly build: the bytes come from a generated module (no fetch, no fs, no
// bundler plugin), so the same code runs in Node, browsers and workers.
import { wasmBase64 as simdBase64 } from "./simd.generated.js";
import { wasmBase64 as scalarBase64 } from "./scalar.generated.js";

/** The raw exports of the kernel module (assembly/index.ts). Pointers are byte offsets. */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  depthwiseScratchBytes(H: number, W: number, C: number, padL: number, padR: number, kh: number, kw: number, sw: number): number;
  /** A view's element (y, x, c) is at `ptr + y*row + x*px + c*ch`. */
  depthwise(
    src: number, srcRow: number, srcPx: number, srcCh: number, H: number, W: number, C: number, signed: number, zp: number,
    padT: number, padL: number, padB: number, padR: number, kh: number, kw: number, sh: number, sw: number,
    weights: number, hdr: number, dst: number, dstRow: number, dstPx: number, dstCh: number, scratch: number,
  ): void;
  pointwiseScratchBytes(Cin: number, Cout: number): number;
  pointwise(
    src: number, srcRow: number, srcPx: number, srcCh: number, H: number, W: number, Cin: number, signed: number, zp: number,
    weights: number, Cout: number, hdr: number, dst: number, dstRow: number, dstPx: number, dstCh: number, scratch: number,
    reuse: number, slot: number,
  ): void;
  /** Bytes of a weight slot for a Cout x Cin pointwise tile (see `pointwise` in assembly/pointwise.ts). */
  pointwiseWeightSlotBytes(Cin: number, Cout: number): number;
  // The scratchpad model (assembly/scratchpad.ts).
  spReset(l1: number, l1Bytes: number, l2: number, l2Bytes: number, counters: number, bpc: number, cpc: number, layoutBpc: number, layoutCpc: number): void;
  l1Alloc(bytes: number): number;
  l1Reset(): void;
  l1Shortfall(bytes: number): number;
  l1Check(ptr: number, row: number, px: number, ch: number, rows: number, cols: number, chans: number): number;
  dmaBox(
    toL1: number, kind: number, l2: number, l2Row: number, l2Px: number, l2Ch: number,
    l1: number, l1Row: number, l1Px: number, l1Ch: number, rows: number, cols: number, chans: number,
  ): number;
  dmaLinear(kind: number, l2: number, l1: number, bytes: number): number;
  /** Runs the recorded operations in words [ptr, end) again (src/scratchpad/trace.ts); an error code or 0. */
  spReplay(ptr: number, end: number): number;
}

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const compiled = new Map<boolean, Promise<WebAssembly.Module>>();

/** Whether this engine can run the SIMD build. */
export function simdSupported(): boolean {
  return WebAssembly.validate(decodeBase64(simdBase64) as BufferSource);
}

/** Compiles (once per build) and instantiates a fresh kernel module with its own memory. */
export async function instantiate(simd: boolean): Promise<KernelExports> {
  let mod = compiled.get(simd);
  if (!mod) {
    mod = WebAssembly.compile(decodeBase64(simd ? simdBase64 : scalarBase64) as BufferSource);
    compiled.set(simd, mod);
  }
  const instance = await WebAssembly.instantiate(await mod, {
    env: {
      abort(): never {
        throw new Error("dwpw: WebAssembly kernel aborted (this is a bug: please report it)");
      },
    },
  });
  return instance.exports as unknown as KernelExports;
}
