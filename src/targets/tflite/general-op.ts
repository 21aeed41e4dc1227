// The kernels (src/general.ts) for a lowered convolution or fully connected layer: the op is
// validated once at lowering (a layer the kernels cannot take keeps its TypeScript loops), and its
// constants are prepared once per runner (the WebAssembly engine or the reference) at the first
// run. A depthwise layer (groups = channels, no dilation) runs there on the depthwise kernel, every
// other geometry (1x1 included) on the pointwise kernel's GEMM.
import { generalLayerFor, type FullyConnectedOp, type GeneralConvOp, type GeneralInputShape, type PreparedGeneral } from "../../general.js";
import type { Dtype } from "../../types.js";
import type { GeneralRunner, RunContext } from "../types.js";

type Bytes = Int8Array | Uint8Array;

/** Gets the prepared layer for a run's context, or null when the context has no general runner. */
export type GeneralCall = (ctx: RunContext) => PreparedGeneral | null;

/**
 * The prepared-once call of `op` on inputs of `shape`, or null when the kernels cannot take it
 * (nor give outputs of dtype `outDtype`: the requantization's range decides the kernels' output
 * dtype). `outSize`: the output values the model gives the layer, which the kernels' geometry must
 * match.
 */
export function generalCall(shape: GeneralInputShape, op: GeneralConvOp | FullyConnectedOp, outSize: number, outDtype: Dtype = "int8"): GeneralCall | null {
  let n: number;
  try {
    const l = generalLayerFor(shape, op);
    if (l.outDtype !== outDtype) return null;
    n = l.outHeight * l.outWidth * l.outChannels;
  } catch {
    return null;
  }
  if (n !== outSize) throw new Error(`internal: the kernels would give ${n} values where the model has ${outSize}`);
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
export function runBatches(call: GeneralCall | null, ctx: RunContext, x: Bytes, n: number, inSize: number, out: Bytes, outSize: number): boolean {
  const p = call?.(ctx);
  if (!p) return false;
  if (n === 1) p.run(x, out);
  else for (let b = 0; b < n; b++) p.run(x.subarray(b * inSize, (b + 1) * inSize), out.subarray(b * outSize, (b + 1) * outSize));
  return true;
}
