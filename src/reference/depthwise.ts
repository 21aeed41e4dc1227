// Naive depthwise convolution: the definition the WebAssembly kernels are checked against.
import { elementIndex } from "../layout.js";
import type { DepthwiseOp, Tensor } from "../types.js";
import { checkCall, outputTensor, type CheckedLayer } from "../validate.js";
import { accumulatorBias, requantize } from "./requant.js";

/** Depthwise KxK convolution (depth multiplier 1) computed tap by tap; output in the input's layout. */
export function depthwise(input: Tensor, op: DepthwiseOp): Tensor {
  // Validates a snapshot of (input, op) and computes from it only.
  const { data, layer } = checkCall(input, op, "depthwise");
  return depthwiseLayer(data, layer);
}

/** The loops of `depthwise` on an already validated layer. */
export function depthwiseLayer(data: Int8Array | Uint8Array, layer: CheckedLayer): Tensor {
  const out = outputTensor(layer);
  const { height: H, width: W, channels: C, kh, kw, sh, sw, pad, weights, bias, requant } = layer;
  const at = elementIndex(layer.layout, H, W, C);
  const outAt = elementIndex(layer.layout, layer.outHeight, layer.outWidth, C);
  for (let oy = 0; oy < layer.outHeight; oy++) {
    for (let ox = 0; ox < layer.outWidth; ox++) {
      for (let c = 0; c < C; c++) {
        let acc = accumulatorBias(bias, c, requant);
        for (let ky = 0; ky < kh; ky++) {
          const y = oy * sh + ky - pad.top;
          if (y < 0 || y >= H) continue; // padding taps contribute nothing
          for (let kx = 0; kx < kw; kx++) {
            const x = ox * sw + kx - pad.left;
            if (x < 0 || x >= W) continue;
            const w = weights[(c * kh + ky) * kw + kx];
            acc = (acc + w * (data[at(y, x, c)] - layer.inZeroPoint)) | 0;
          }
        }
        out.data[outAt(oy, ox, c)] = requantize(acc, c, requant);
      }
    }
  }
  return out;
}
