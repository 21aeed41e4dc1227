// QuantizeLinear of a network's float values on the WebAssembly kernels (assembly/quantize.ts):
// the same bytes as `quantizeStored` (src/network/ops.ts), which stays the reference engine's
// path and the oracle of the tests.
import type { Engine } from "../engine.js";
import type { Layout } from "../types.js";
import { qRange } from "./arith.js";
import { quantizeStored, storedPlanes, type QData } from "./ops.js";
import type { QParams } from "./types.js";

/** The kernel module's export for quantization (assembly/quantize.ts). */
interface QuantizeExports {
  quantizeF32(src: number, n: number, scale: number, zp: number, lo: number, hi: number, unsigned: number, dst: number, dstStride: number): void;
}

/**
 * QuantizeLinear of row-major float32 `x` (a value of `shape`) into `out`, stored in `layout`,
 * on `engine`'s kernels; in TypeScript without an engine, or for a scale that is not a float32
 * or a zero point that is not an integer (the kernel takes them as such).
 */
export function quantizeStoredOn(engine: Engine | null, x: Float32Array, shape: readonly number[], q: QParams, layout: Layout, out: QData): void {
  if (!engine || Math.fround(q.scale) !== q.scale || !Number.isInteger(q.zeroPoint)) {
    quantizeStored(x, shape, q, layout, out);
    return;
  }
  const [lo, hi] = qRange(q.dtype);
  const n = x.length;
  const { C, HW, cStride, pStride } = storedPlanes(shape, n, layout);
  const a = engine.arena;
  a.reset();
  const src = a.alloc(n * 4);
  const dst = a.alloc(n);
  a.commit();
  a.write(src, x);
  const wasm = engine.wasm as unknown as QuantizeExports;
  const unsigned = q.dtype === "uint8" ? 1 : 0;
  if (pStride === 1) wasm.quantizeF32(src, n, q.scale, q.zeroPoint, lo, hi, unsigned, dst, 1);
  else for (let c = 0; c < C; c++) wasm.quantizeF32(src + c * HW * 4, HW, q.scale, q.zeroPoint, lo, hi, unsigned, dst + c * cStride, pStride);
  new Uint8Array(out.buffer, out.byteOffset, n).set(a.bytes(dst, n));
}
