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

/** Word views of memory buffers (a grown memory has a new buffer); weak, so engines can be freed. */
const wordViews = new WeakMap<ArrayBuffer, Int32Array>();

function wordsOf(mem: WebAssembly.Memory): Int32Array {
  let v = wordViews.get(mem.buffer);
  if (!v) wordViews.set(mem.buffer, (v = new Int32Array(mem.buffer)));
  return v;
}

/** Writes the header at `hdr` (4-byte aligned): scalars of `rq` and the addresses of its per-channel arrays. */
export function writeHeader(
  mem: WebAssembly.Memory, hdr: number, rq: CheckedRequant,
  biasPtr: number, aPtr: number, bPtr: number,
): void {
  // Header word i is words[w + i]: no new view per call (the scratchpad model writes headers per tile).
  const words = wordsOf(mem);
  const w = hdr >> 2;
  words.fill(0, w, w + HEADER_BYTES / 4);
  words[w] = rq.scheme === "tflite" ? SCHEME_ID[rq.single ? "tflite-single" : "tflite-double"] : SCHEME_ID[rq.scheme];
  if (rq.scheme === "tflite" || rq.scheme === "onnx") {
    words[w + 1] = rq.outputZeroPoint;
    words[w + 2] = rq.min;
    words[w + 3] = rq.max;
  }
  if (rq.scheme === "pulp-bn" || rq.scheme === "pulp-quant" || rq.scheme === "pulp-shift") words[w + 4] = rq.shift;
  if (rq.scheme === "pulp-quant") words[w + 5] = rq.mult;
  if (rq.scheme === "gap-sq8") {
    words[w + 6] = rq.relu ? 1 : 0;
    words[w + 7] = rq.actScale;
    words[w + 8] = rq.actNorm;
  }
  words[w + 9] = biasPtr;
  words[w + 10] = aPtr;
  words[w + 11] = bPtr;
}
