// The `litert` target: desktop TFLite / LiteRT with its default CPU path, the bytes people validate
// with in Python or the browser. The XNNPACK delegate runs the int8 ops it accepts with its own
// arithmetic (./ops: float32 requantization with ties to even, 8.8 fixed-point converts, 21-bit
// add multipliers); every other op, and every variant of an op the delegate declines, runs in
// TFLite's built-in kernels, whose integer arithmetic is TFLite Micro's (the tflite-micro lowering).
import { UnsupportedOpError } from "../../graph/errors.js";
import type { Graph, OpKind } from "../../graph/types.js";
import { lowerOps, type OpLowering, type OpTable } from "../lowering.js";
import { TFLITE_MICRO_OPS, fileFormats } from "../tflite-micro/index.js";
import type { Lowered } from "../types.js";
import { ELEMENTWISE_OPS } from "./ops/elementwise.js";
import { MEAN_OPS } from "./ops/mean.js";
import { UNARY_OPS } from "./ops/unary.js";
import { WEIGHTED_OPS } from "./ops/weighted.js";

/**
 * Ops whose bytes are TFLite's whoever runs them, labelled with the runtime that does: XNNPACK takes
 * the ones that only move or compare bytes (and int8 LOGISTIC / TANH, whose float-built tables gave
 * TFLite's bytes in every recorded case); the rest are float-only in the delegate.
 */
const INHERITED_KERNEL: Partial<Record<OpKind, string>> = {
  maxPool2d: "xnnpack",
  pad: "xnnpack",
  reshape: "xnnpack",
  transpose: "xnnpack",
  concatenation: "xnnpack",
  dequantize: "xnnpack",
  logistic: "xnnpack",
  tanh: "xnnpack",
  averagePool2d: "tflite-builtin",
  softmax: "tflite-builtin",
  hardSwish: "tflite-builtin",
};

function labelled(table: OpTable): OpTable {
  const out: OpTable = {};
  for (const [kind, f] of Object.entries(table) as Array<[OpKind, OpLowering<OpKind>]>) {
    const kernel = INHERITED_KERNEL[kind] ?? "tflite-builtin";
    (out as Record<string, OpLowering<OpKind>>)[kind] = (op, graph) => {
      const layer = f(op as never, graph);
      return { op: layer.op, params: { kernel, arithmetic: "tflite-micro", ...layer.params }, run: (values, ctx) => layer.run(values, ctx) };
    };
  }
  return out;
}

/** LiteRT's op table: TFLite's kernels, overridden where XNNPACK (or TFLite's desktop kernel) computes differently. */
export const LITERT_OPS: OpTable = { ...labelled(TFLITE_MICRO_OPS), ...WEIGHTED_OPS, ...ELEMENTWISE_OPS, ...MEAN_OPS, ...UNARY_OPS };

/** Models LiteRT refuses to load, with the reason it gives. */
function refuse(graph: Graph): void {
  const variable = graph.tensors.find((t) => t.variable);
  if (variable) {
    const op = graph.ops.find((o) => o.inputs.includes(variable.index)) ?? graph.ops[0];
    throw new UnsupportedOpError(op?.index ?? 0, op?.opcode ?? "", `LiteRT refuses models with variable tensors (tensor ${variable.index} "${variable.name}"): "Variable tensors not yet supported", the model fails to load`);
  }
}

export function lowerLitert(graph: Graph): Lowered {
  refuse(graph);
  return { target: "litert", graph, formats: fileFormats(graph), layers: lowerOps(graph, LITERT_OPS, "litert") };
}
