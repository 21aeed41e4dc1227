// The requantization header and per-channel arrays as the WebAssembly kernels read them. The
// header's layout and the kernel ids come from src/wasm/interface.generated.ts (generated with the
// kernels' copy, assembly/generated/interface.ts); what each scheme puts in them, from its module
// in src/schemes/.
import { schemeOf, type AnyScheme, type CheckedRequant } from "../schemes/index.js";
import { NO_ARRAYS, type ChannelArrays } from "../schemes/scheme.js";
import { HEADER_BYTES, HEADER_WORD, KERNEL_ID, type HeaderField, type KernelName } from "./interface.generated.js";

export { HEADER_BYTES };

/**
 * A layer's per-output-channel parameters as raw little-endian bytes, in the order the kernels
 * read them: `bias` (int32, pre-shifted where the scheme says), `a` and `b` (scheme-specific).
 * These are also what the scratchpad model keeps in L2 and moves to L1 as "params".
 */
export interface ChannelParams extends ChannelArrays {
  bias: Uint8Array | null;
}

const bytesOf = (v: Int32Array): Uint8Array => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/** Encodes the bias and per-channel requant arrays of a layer. */
export function channelParams(rq: CheckedRequant, bias: Int32Array | null): ChannelParams {
  const scheme = schemeOf(rq);
  let b32 = bias;
  if (bias && scheme.accumulatorBias) b32 = bias.map((v) => scheme.accumulatorBias!(v, rq));
  return { bias: b32 ? bytesOf(Int32Array.from(b32)) : null, ...(scheme.arrays ? scheme.arrays(rq) : NO_ARRAYS) };
}

/** Word views of memory buffers (a grown memory has a new buffer); weak, so engines can be freed. */
const wordViews = new WeakMap<ArrayBuffer, Int32Array>();

function wordsOf(mem: WebAssembly.Memory): Int32Array {
  let v = wordViews.get(mem.buffer);
  if (!v) wordViews.set(mem.buffer, (v = new Int32Array(mem.buffer)));
  return v;
}

// The word being written by `put` (one header at a time: writeHeader does not re-enter).
const NONE: Int32Array = new Int32Array(0);
let words: Int32Array = NONE;
let at = 0;
const put = (field: HeaderField, value: number): void => {
  words[at + HEADER_WORD[field]] = value;
};

const headers = new Map<AnyScheme, readonly [HeaderField, string][]>();

/** A scheme's header words as a list (made once: headers are written per tile). */
function headerOf(scheme: AnyScheme): readonly [HeaderField, string][] {
  let h = headers.get(scheme);
  if (!h) headers.set(scheme, (h = Object.entries(scheme.header) as [HeaderField, string][]));
  return h;
}

/** Writes the header at `hdr` (4-byte aligned): scalars of `rq` and the addresses of its per-channel arrays. */
export function writeHeader(
  mem: WebAssembly.Memory, hdr: number, rq: CheckedRequant,
  biasPtr: number, aPtr: number, bPtr: number,
): void {
  // No new view per call (the scratchpad model writes headers per tile).
  words = wordsOf(mem);
  at = hdr >> 2;
  words.fill(0, at, at + HEADER_BYTES / 4);
  const scheme = schemeOf(rq);
  put("scheme", KERNEL_ID[scheme.kernel ? scheme.kernel(rq) : (scheme.kernels[0] as KernelName)]);
  const fields = rq as unknown as Record<string, number | boolean>;
  for (const [word, field] of headerOf(scheme)) put(word, Number(fields[field]));
  put("bias", biasPtr);
  put("pa", aPtr);
  put("pb", bPtr);
  words = NONE; // the memory's buffer is not kept alive from here
}
