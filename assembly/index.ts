// The WebAssembly module's exports. Built twice from this one entry (asconfig.json): `release`
// with SIMD and `scalar` without; both export the same functions and give the same bytes.
export { depthwise, depthwiseScratchBytes } from "./depthwise";
export { pointwise, pointwiseScratchBytes, pointwiseWeightSlotBytes } from "./pointwise";
export { convGeneral, convScratchBytes, convPackWeights, convWeightBytes, repeatChannels } from "./conv";
export { quantizeF32 } from "./quantize";

/** First free byte of linear memory: the host owns everything from here on. */
export function heapBase(): usize {
  return __heap_base;
}
export { spReset, l1Alloc, l1Reset, l1Shortfall, l1Check, dmaBox, dmaLinear, spReplay } from "./scratchpad";
