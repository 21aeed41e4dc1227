// The requantization header and per-channel arrays as the WebAssembly kernels read them.
// Word offsets must agree with assembly/requant.ts.
import type { CheckedRequant } from "../validate.js";

const SCHEME_ID = { "tflite-double": 0, "tflite-single": 1, onnx: 2, "pulp-bn": 3, "pulp-quant": 4, "pulp-shift": 5, "gap-sq8": 6 } as const;

/** Size of the header in bytes (12 int32 words, padded to 16-byte alignment). */
export const HEADER_BYTES = 48;

/**
 * A layer's per-output-channel parameters as raw little-endian bytes, in the order the kernels
 * read them: `bias` (int32, gap-sq8 pre-shifted by biasNorm), `a` and `b` (scheme-specific).
 * These are also what the scratchpad model keeps in L2 and moves to L1 as "params".
 */
export interface ChannelParams {
  bias: Uint8Array | null;
  a: Uint8Array | null;
  b: Uint8Array | null;
  /** Bytes per channel of `a` and of `b` (0 when absent). */
  aStride: number;
  bStride: number;
}

const bytesOf = (v: Int32Array | Float32Array | Uint8Array): Uint8Array =>
  new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/** Encodes the bias and per-channel requant arrays of a layer. */
export function channelParams(rq: CheckedRequant, bias: Int32Array | null): ChannelParams {
  let b32 = bias;
  if (rq.scheme === "gap-sq8" && bias && rq.biasNorm > 0) b32 = bias.map((v) => v << rq.biasNorm);
  const biasBytes = b32 ? bytesOf(Int32Array.from(b32)) : null;
  switch (rq.scheme) {
    case "tflite":
      return { bias: biasBytes, a: bytesOf(rq.multiplier), b: bytesOf(rq.shift), aStride: 4, bStride: 4 };
    case "onnx":
      return { bias: biasBytes, a: bytesOf(rq.scale), b: null, aStride: 4, bStride: 0 };
    case "pulp-bn":
      return { bias: biasBytes, a: bytesOf(rq.k), b: bytesOf(rq.lambda), aStride: 4, bStride: 4 };
    case "gap-sq8":
      return { bias: biasBytes, a: rq.scale, b: rq.norm, aStride: 1, bStride: 1 };
    default:
      return { bias: biasBytes, a: null, b: null, aStride: 0, bStride: 0 };
  }
}

/** Writes the header at `hdr`: scalars of `rq` and the addresses of its per-channel arrays. */
export function writeHeader(
  mem: WebAssembly.Memory, hdr: number, rq: CheckedRequant,
  biasPtr: number, aPtr: number, bPtr: number,
): void {
  const h = new Int32Array(mem.buffer, hdr, HEADER_BYTES / 4);
  h.fill(0);
  h[0] = rq.scheme === "tflite" ? SCHEME_ID[rq.single ? "tflite-single" : "tflite-double"] : SCHEME_ID[rq.scheme];
  if (rq.scheme === "tflite" || rq.scheme === "onnx") {
    h[1] = rq.outputZeroPoint;
    h[2] = rq.min;
    h[3] = rq.max;
  }
  if (rq.scheme === "pulp-bn" || rq.scheme === "pulp-quant" || rq.scheme === "pulp-shift") h[4] = rq.shift;
  if (rq.scheme === "pulp-quant") h[5] = rq.mult;
  if (rq.scheme === "gap-sq8") {
    h[6] = rq.relu ? 1 : 0;
    h[7] = rq.actScale;
    h[8] = rq.actNorm;
  }
  h[9] = biasPtr;
  h[10] = aPtr;
  h[11] = bPtr;
}
