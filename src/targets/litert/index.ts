// The `litert` target: desktop TFLite / LiteRT with its default CPU path, the bytes people validate
// with in Python or the browser. The XNNPACK delegate runs the int8 ops it accepts with its own
// arithmetic (./ops: float32 requantization with ties to even, 8.8 fixed-point converts, 21-bit
// add multipliers); every other op, and every variant of an op the delegate declines, runs in
// TFLite's built-in kernels, whose integer arithmetic is TFLite Micro's (the tflite-micro lowering).
import { UnsupportedOpError } from "../../graph/errors.js";
import type { Graph, OpKind } from "../../graph/types.js";
import { lowerOps, type OpLowering, type OpTable } from "../lowering.js";
import { TFLITE_MICRO_OPS } from "../tflite-micro/index.js";
import { fileFormats } from "../tensors.js";
import { TFLITE_MICRO_ARITHMETIC } from "../tflite-micro/arithmetic.js";
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

/** XNNPACK's arithmetic, by the requantization scheme a delegated layer records. */
const XNNPACK_ARITHMETIC: Record<string, string> = {
  "xnnpack-fp32": "XNNPACK fp32 requantization: f32(acc) x f32(scale), rounded half to even (magic bias); activation bounds rounded half to even",
  "xnnpack-f32-qs8": "XNNPACK: x x f32(1 / scale), rounded half to even",
  "xnnpack-qs8-cvt": "XNNPACK 8.8 fixed-point rescale, rounding half up",
  "xnnpack-qs8-lrelu": "XNNPACK 8.8 fixed point, one multiplier per sign, rounding half up",
  "xnnpack-add": "XNNPACK add: about 21-bit per-input multipliers and a shared shift, rounding half up",
};

/** A litert layer's arithmetic: XNNPACK's where the delegate took it, TFLite's kernel otherwise. */
function describe(kind: OpKind, params: Record<string, unknown>): string {
  const xnn = typeof params.scheme === "string" ? XNNPACK_ARITHMETIC[params.scheme] : undefined;
  if (xnn) return xnn;
  const tflite = TFLITE_MICRO_ARITHMETIC[kind] ?? "TFLite's kernel";
  if (kind === "relu" || kind === "relu6" || kind === "reluN1To1") return `TFLite's desktop kernel: requantized to the output scale (double rounding), then clamped`;
  return params.kernel === "xnnpack" ? `XNNPACK, same bytes as TFLite: ${tflite}` : `TFLite's built-in kernel: ${tflite}`;
}

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
  const layers = lowerOps(graph, LITERT_OPS, "litert").map((l) => ({ ...l, arithmetic: describe(l.op.kind, l.params) }));
  return { target: "litert", graph, formats: fileFormats(graph), layers };
}
