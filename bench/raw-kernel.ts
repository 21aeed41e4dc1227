// A kernel call with its buffers already in WebAssembly memory: what the kernel itself costs,
// without the public API's validation, copies in and out and output allocation.
import type { Engine } from "../src/engine.js";
import { checkConv } from "../src/validate.js";
import type { ConvOp, Tensor } from "../src/types.js";

/** The kernel of `op` on `x`, prepared in `e`'s memory (valid until the engine's next call). */
export function rawKernel(e: Engine, x: Tensor, op: ConvOp): () => void {
  return e.prepare(x, checkConv(x, op)).run;
}
