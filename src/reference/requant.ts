// The requantization schemes of SPEC §3 as the reference computes them: each scheme's arithmetic is
// written straight from its formulas in its module in src/schemes/ (exact over speed: 64-bit
// products through BigInt, every int32 `+`/`*` of the C sources wrapped explicitly). This file is
// what the reference kernels call, and the definition the WebAssembly kernels are tested against.
import { schemeOf, type CheckedRequant } from "../schemes/index.js";

export { rdbpot, srdhm, tfliteDoubleRound, tfliteSingleRound } from "../schemes/tflite.js";
export { roundHalfToEven } from "../schemes/onnx.js";

/**
 * The output value of channel `c` for an int32 accumulator, per SPEC §3. The result is within the
 * output dtype's range (int8 or uint8), so it can be stored in the output tensor as is.
 */
export function requantize(acc: number, c: number, rq: CheckedRequant): number {
  return schemeOf(rq).requantize(acc, c, rq);
}

/**
 * The int32 value the accumulator of output channel `c` starts from: the bias (for `gap-sq8` the
 * bias pre-shifted by `biasNorm`, a wrapping int32 shift, as the AutoTiler's bias setup does),
 * or 0 without a bias.
 */
export function accumulatorBias(bias: Int32Array | null, c: number, rq: CheckedRequant): number {
  if (bias === null) return 0;
  const scheme = schemeOf(rq);
  return scheme.accumulatorBias ? scheme.accumulatorBias(bias[c]!, rq) : bias[c]!;
}
