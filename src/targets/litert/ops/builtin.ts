// TFLite's own kernels, for the ops (or the variants of an op) the XNNPACK delegate declines. Their
// int8 arithmetic is TFLite's fixed-point arithmetic, which TFLite Micro's reference kernels share,
// so these run the tflite-micro lowering of the op.
import { UnsupportedOpError } from "../../../graph/errors.js";
import type { Graph, GraphOp } from "../../../graph/types.js";
import type { OpLowering } from "../../lowering.js";
import type { LoweredLayer } from "../../types.js";
import { TFLITE_MICRO_OPS } from "../../tflite-micro/index.js";

/** Lowers `op` with TFLite's built-in kernel (the tflite-micro lowering), marking it as not delegated. */
export function builtin(op: GraphOp, graph: Graph): LoweredLayer {
  const f = TFLITE_MICRO_OPS[op.kind] as OpLowering<typeof op.kind> | undefined;
  if (!f) throw new UnsupportedOpError(op.index, op.opcode, "target litert does not support this op");
  const layer = f(op as never, graph);
  return { op: layer.op, params: { kernel: "tflite-builtin", ...layer.params }, run: (values, ctx) => layer.run(values, ctx) };
}
