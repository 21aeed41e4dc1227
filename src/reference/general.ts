// Naive general convolution and fully connected layer: the definition the WebAssembly general
// kernel (assembly/conv.ts) is checked against. Tap by tap, no packing, nothing shared with it.
import { elementIndex } from "../layout.js";
import type { Tensor } from "../types.js";
import {
  checkFullyConnectedCall, checkGeneralCall, generalLayerFor, generalOutput,
  type FullyConnectedOp, type GeneralConvOp, type GeneralInputShape, type GeneralLayer, type PreparedGeneral, type Rows,
} from "../general.js";
import { accumulatorBias, requantize } from "./requant.js";

/** The loops on an already validated layer. */
export function generalLayer(data: Int8Array | Uint8Array, layer: GeneralLayer): Tensor {
  const out = generalOutput(layer);
  const { height: H, width: W, channels: C, kh, kw, sh, sw, dh, dw, pad, groups, outChannels: O, weights, bias, requant } = layer;
  const Ig = C / groups;
  const Og = O / groups;
  const at = elementIndex(layer.layout, H, W, C);
  const outAt = elementIndex(layer.layout, layer.outHeight, layer.outWidth, O);
  for (let oy = 0; oy < layer.outHeight; oy++) {
    for (let ox = 0; ox < layer.outWidth; ox++) {
      for (let o = 0; o < O; o++) {
        const g = Math.floor(o / Og);
        let acc = accumulatorBias(bias, o, requant);
        for (let ky = 0; ky < kh; ky++) {
          const y = oy * sh + ky * dh - pad.top;
          if (y < 0 || y >= H) continue; // padding taps contribute nothing
          for (let kx = 0; kx < kw; kx++) {
            const x = ox * sw + kx * dw - pad.left;
            if (x < 0 || x >= W) continue;
            for (let i = 0; i < Ig; i++) {
              const w = weights[((o * kh + ky) * kw + kx) * Ig + i] - layer.weightZeroPoint;
              acc = (acc + w * (data[at(y, x, g * Ig + i)] - layer.inZeroPoint)) | 0;
            }
          }
        }
        out.data[outAt(oy, ox, o)] = requantize(acc, o, requant);
      }
    }
  }
  return out;
}

/** General convolution (see `GeneralConvOp`); output in the input's layout. */
export function convGeneral(input: Tensor, op: GeneralConvOp): Tensor {
  const { data, layer } = checkGeneralCall(input, op);
  return generalLayer(data, layer);
}

/** Fully connected layer over rows. */
export function fullyConnected(input: Rows, op: FullyConnectedOp): Rows {
  const { data, layer } = checkFullyConnectedCall(input, op);
  const t = generalLayer(data, layer);
  return { data: t.data, rows: layer.outHeight, features: layer.outChannels, zeroPoint: layer.outZeroPoint };
}

/** `Engine.prepareGeneral`'s counterpart: validated once, computed naively at each run. */
export function prepareGeneral(shape: GeneralInputShape, op: GeneralConvOp | FullyConnectedOp): PreparedGeneral {
  const layer = generalLayerFor(shape, op);
  const n = layer.height * layer.width * layer.channels;
  return {
    layer,
    run(data, out) {
      if (data.length !== n || (data instanceof Int8Array) !== (layer.inDtype === "int8")) {
        throw new RangeError(`input must be ${n} ${layer.inDtype} values, got ${data.length} ${data instanceof Int8Array ? "int8" : "uint8"}`);
      }
      const r = generalLayer(data, layer).data;
      if (out === undefined) return r;
      if (out.length !== r.length || (out instanceof Int8Array) !== (r instanceof Int8Array)) throw new RangeError(`out must be ${r.length} ${layer.outDtype} values, got ${out.length}`);
      out.set(r);
      return out;
    },
  };
}
