// The depthwise and pointwise layers of a graph as the fusion planner and the deployment check see
// them: a kernel-layer view (src/network/types.ts) in which every other op is an opaque step. So
// `plan()` and `check()` treat a TFLite model exactly as an ONNX one.
import type { Graph, GraphTensor } from "../graph/types.js";
import type { NetworkLayer, NetworkGraph, QDtype, ValueSpec } from "../network/types.js";
import { kernelOp } from "../targets/tflite/kernel-op.js";

/** A unique value name per tensor (TFLite names need not be unique). */
function valueNames(graph: Graph): string[] {
  const seen = new Map<string, number>();
  for (const t of graph.tensors) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
  return graph.tensors.map((t) => (seen.get(t.name)! > 1 ? `${t.name}#${t.index}` : t.name));
}

/** A tensor as the planner's value: NCHW dims (batch 1) and per-tensor quantization. */
function valueSpec(t: GraphTensor, name: string): ValueSpec {
  const s = t.shape;
  const shape = s.length === 4 ? [s[0]!, s[3]!, s[1]!, s[2]!] : s.slice();
  const q = t.quant && (t.dtype === "int8" || t.dtype === "uint8") ? { dtype: t.dtype as QDtype, scale: t.quant.scale[0]!, zeroPoint: t.quant.zeroPoint[0]! } : null;
  return { name, shape, quant: q };
}

/** The kernel-layer view of a graph (TFLite Micro's arithmetic for the kernel ops). */
export function kernelLayers(graph: Graph): { graph: NetworkGraph; others: Array<{ layer: string; kind: string }> } {
  const names = valueNames(graph);
  const values = new Map<string, ValueSpec>();
  graph.tensors.forEach((t, i) => values.set(names[i]!, valueSpec(t, names[i]!)));
  const others: Array<{ layer: string; kind: string }> = [];
  const layers: NetworkLayer[] = graph.ops.map((op) => {
    const name = names[op.outputs[0]!]!;
    const base = { name, nodes: [name], opType: op.opcode, inputs: op.inputs.filter((i) => i >= 0).map((i) => names[i]!), output: name };
    const k = kernelOp(op, graph);
    if (k && (op.kind === "depthwiseConv2d" || op.kind === "conv2d")) {
      const x = graph.tensors[op.inputs[0]!]!;
      const y = graph.tensors[op.outputs[0]!]!;
      const out = { dtype: y.dtype as QDtype, scale: y.quant!.scale[0]!, zeroPoint: y.quant!.zeroPoint[0]! };
      const common = { ...base, inZeroPoint: x.quant!.zeroPoint[0]!, out, relu: op.activation !== "none" };
      return k.kind === "depthwise" ? { ...common, kind: "depthwise", op: k } : { ...common, kind: "pointwise", op: k };
    }
    if (op.kind !== "reshape" && op.kind !== "quantize" && op.kind !== "dequantize") others.push({ layer: name, kind: op.kind });
    // Not a kernel layer: an opaque step between blocks for the planner. It keeps its real inputs
    // (so a tensor it reads is not taken for a block's private intermediate), behind a stand-in
    // of its output's size that the view's size checks read as the step's input.
    const standIn = `${name}:in`;
    values.set(standIn, { ...values.get(name)!, name: standIn });
    return { ...base, inputs: [standIn, ...base.inputs], kind: "reshape" };
  });
  const spec = (i: number) => values.get(names[i]!)!;
  return {
    graph: { name: graph.name, producer: graph.format, inputs: graph.inputs.map(spec), outputs: graph.outputs.map(spec), values, constValues: new Map(), layers },
    others,
  };
}
