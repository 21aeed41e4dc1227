// The general convolution kernel (src/general.ts) for a lowered layer: the op is validated once at
// lowering (a layer the kernel cannot take keeps its TypeScript loops), and its constants are
// prepared once per runner (the WebAssembly engine or the reference) at the first run.
import { generalLayerFor, type FullyConnectedOp, type GeneralConvOp, type GeneralInputShape, type PreparedGeneral } from "../../general.js";
import type { GeneralRunner, RunContext } from "../types.js";

/** Gets the prepared layer for a run's context, or null when the context has no general runner. */
export type GeneralCall = (ctx: RunContext) => PreparedGeneral | null;

/** The prepared-once call of `op` on inputs of `shape`, or null when the kernel cannot take it. */
export function generalCall(shape: GeneralInputShape, op: GeneralConvOp | FullyConnectedOp): GeneralCall | null {
  try {
    generalLayerFor(shape, op);
  } catch {
    return null;
  }
  const prepared = new WeakMap<GeneralRunner, PreparedGeneral>();
  return (ctx) => {
    const g = ctx.general;
    if (!g) return null;
    let p = prepared.get(g);
    if (!p) {
      p = g.prepareGeneral(shape, op);
      prepared.set(g, p);
    }
    return p;
  };
}

/**
 * Runs `call` over a batch: `n` inputs of `inSize` values in `x`, each giving `outSize` values
 * into `out`. False when the context has no general runner (the caller runs its own loops).
 */
export function runBatches(call: GeneralCall | null, ctx: RunContext, x: Int8Array, n: number, inSize: number, out: Int8Array, outSize: number): boolean {
  const p = call?.(ctx);
  if (!p) return false;
  for (let b = 0; b < n; b++) p.run(x.subarray(b * inSize, (b + 1) * inSize), out.subarray(b * outSize, (b + 1) * outSize));
  return true;
}
