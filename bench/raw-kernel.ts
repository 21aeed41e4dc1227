// A kernel call with its buffers already in WebAssembly memory: what the kernel itself costs,
// without the public API's validation, copies in and out and output allocation.
import { denseView, layerCall, runKernel, scratchBytes, type Engine } from "../src/engine.js";
import { HEADER_BYTES, channelParams, writeHeader } from "../src/wasm/params.js";
import { checkConv, outputTensor } from "../src/validate.js";
import type { ConvOp, Tensor } from "../src/types.js";

/**
 * Places `x`, the op's weights and parameters in `e`'s memory and returns a function that runs
 * the kernel on them. Valid until the engine's next call (which reuses the arena).
 */
export function rawKernel(e: Engine, x: Tensor, op: ConvOp): () => void {
  const layer = checkConv(x, op);
  const out = outputTensor(layer);
  const call = layerCall(layer);
  const p = channelParams(layer.requant, layer.bias);
  const a = e.arena;
  a.reset();
  const src = a.alloc(x.data.length);
  const w = a.alloc(layer.weights.length);
  const bias = p.bias ? a.alloc(p.bias.length) : 0;
  const pa = p.a ? a.alloc(p.a.length) : 0;
  const pb = p.b ? a.alloc(p.b.length) : 0;
  const hdr = a.alloc(HEADER_BYTES);
  const dst = a.alloc(out.data.length);
  const scratch = a.alloc(scratchBytes(e.wasm, call));
  a.commit();
  a.write(src, x.data);
  a.write(w, layer.weights);
  if (p.bias) a.write(bias, p.bias);
  if (p.a) a.write(pa, p.a);
  if (p.b) a.write(pb, p.b);
  writeHeader(e.wasm.memory, hdr, layer.requant, bias, pa, pb);
  const sv = denseView(src, layer.layout, layer.height, layer.width, layer.channels);
  const dv = denseView(dst, layer.layout, layer.outHeight, layer.outWidth, layer.outChannels);
  return () => runKernel(e.wasm, call, sv, dv, w, hdr, scratch);
}
