// The plain TypeScript reference of SPEC §4: the same signatures as the WebAssembly entry points,
// never calls WebAssembly, and exists to be obviously correct rather than fast.
import type { ConvOp, Tensor } from "../types.js";
import { checkCall } from "../validate.js";
import { depthwise, depthwiseLayer } from "./depthwise.js";
import { pointwise, pointwiseLayer } from "./pointwise.js";

export { depthwise } from "./depthwise.js";
export { pointwise } from "./pointwise.js";
export { accumulatorBias, requantize } from "./requant.js";
export { convGeneral, fullyConnected, prepareGeneral } from "./general.js";
import { convGeneral, fullyConnected, prepareGeneral } from "./general.js";

/** Either kind of op, dispatched on `op.kind` after validation. */
export function conv(input: Tensor, op: ConvOp): Tensor {
  const { data, layer } = checkCall(input, op);
  return layer.kind === "depthwise" ? depthwiseLayer(data, layer) : pointwiseLayer(data, layer);
}

/** The reference implementation, shaped like the public WebAssembly API. */
export const reference = { depthwise, pointwise, conv, convGeneral, fullyConnected, prepareGeneral };
