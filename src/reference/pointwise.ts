// Naive pointwise (1x1) convolution: the definition the WebAssembly kernels are checked against.
import { elementIndex } from "../layout.js";
import type { PointwiseOp, Tensor } from "../types.js";
import { checkCall, outputTensor, type CheckedLayer } from "../validate.js";
import { accumulatorBias, requantize } from "./requant.js";

/** Pointwise convolution, weights `[Cout][Cin]`; output in the input's layout. */
export function pointwise(input: Tensor, op: PointwiseOp): Tensor {
  // Validates a snapshot of (input, op) and computes from it only.
  const { data, layer } = checkCall(input, op, "pointwise");
  return pointwiseLayer(data, layer);
}

/** The loops of `pointwise` on an already validated layer. */
export function pointwiseLayer(data: Int8Array | Uint8Array, layer: CheckedLayer): Tensor {
  const out = outputTensor(layer);
  const { height: H, width: W, channels: Cin, outChannels: Cout, weights, bias, requant } = layer;
  const at = elementIndex(layer.layout, H, W, Cin);
  const outAt = elementIndex(layer.layout, H, W, Cout);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let co = 0; co < Cout; co++) {
        let acc = accumulatorBias(bias, co, requant);
        for (let ci = 0; ci < Cin; ci++) {
          acc = (acc + weights[co * Cin + ci] * (data[at(y, x, ci)] - layer.inZeroPoint)) | 0;
        }
        out.data[outAt(y, x, co)] = requantize(acc, co, requant);
      }
    }
  }
  return out;
}
