// The runner: executes a lowered graph, whatever the target. It knows neither file formats nor
// arithmetic: it binds the inputs, resets state tensors, runs each layer in order and hands out
// copies of the tensors asked for, labelled with the target's quantization. The arrays layers
// write into come from a pool kept per graph and target: each goes back once the last layer that
// reads its tensor has run, and the run's outputs once they are copied out.
import { numel, type DType, type Graph, type GraphTensor } from "../graph/types.js";
import { allocFor, viewAs } from "../targets/tensors.js";
import type { Lowered, RunContext, TargetName, TensorData } from "../targets/types.js";
import { RunBuffers } from "./buffers.js";
import { nchwShape, nhwcToNchw, presentedNchw } from "./layout.js";

/** A tensor a run produced, in the model's own layout and shape (NCHW for a model from ONNX). */
export interface GraphValue {
  name: string;
  /** Tensor index in the model (TFLite subgraph 0); absent for a model from ONNX, whose tensors go by name. */
  index?: number;
  dtype: DType;
  shape: number[];
  data: TensorData;
  /** The target's quantization of this tensor (absent for float and raw int tensors). */
  scale?: number;
  zeroPoint?: number;
}

/** One tensor a layer produced (`run(x, { layers: true })`). */
export interface GraphLayerOutput {
  /** The tensor's name. */
  layer: string;
  /** The producing op's index, kind and opcode. */
  op: number;
  kind: string;
  opType: string;
  output: GraphValue;
}

export interface GraphRunResult {
  outputs: Record<string, GraphValue>;
  layers?: GraphLayerOutput[];
}

/** A variable tensor's value before the first invoke: its zero point (int8), else 0 (TFLM's reset). */
function resetState(t: GraphTensor): TensorData {
  const d = allocFor(t);
  if (t.dtype === "int8" && t.quant) (d as Int8Array).fill(t.quant.zeroPoint[0]!);
  return d;
}

/** What runs of one graph under one target share: the constants' views, when each tensor is last
 * used, and the pool. */
interface RunPlan {
  /** Each constant's index and its typed view of the model (ops never write them). */
  constants: Array<[number, TensorData]>;
  /** Per layer, the tensors no later layer reads (graph outputs excepted). */
  lastUsedBy: number[][];
  /** Holds only arrays no tensor of a run under way holds, so a run started from another's
   * `onLayer` draws from it too. */
  buffers: RunBuffers;
}

const plans = new WeakMap<Graph, Map<TargetName, RunPlan>>();

function planOf(lowered: Lowered): RunPlan {
  let byTarget = plans.get(lowered.graph);
  if (!byTarget) plans.set(lowered.graph, (byTarget = new Map()));
  let p = byTarget.get(lowered.target);
  if (!p) {
    const g = lowered.graph;
    const last = new Array<number>(g.tensors.length).fill(-1);
    lowered.layers.forEach((l, i) => {
      for (const t of l.op.inputs) if (t >= 0) last[t] = i;
      for (const t of l.op.outputs) last[t] = i;
    });
    for (const o of g.outputs) last[o] = -1;
    const lastUsedBy = lowered.layers.map((): number[] => []);
    last.forEach((i, t) => i >= 0 && lastUsedBy[i]!.push(t));
    const constants = g.tensors.filter((t) => t.data).map((t): [number, TensorData] => [t.index, viewAs(t.dtype, t.data!)]);
    p = { constants, lastUsedBy, buffers: new RunBuffers() };
    byTarget.set(lowered.target, p);
  }
  return p;
}

/** Runs a lowered graph on inputs already in the target's dtype and quantization. */
export function runLowered(
  lowered: Lowered,
  inputs: TensorData[],
  options: { layers?: boolean; ctx: RunContext; onLayer?: (done: number, total: number) => void },
): GraphRunResult {
  const g = lowered.graph;
  const plan = planOf(lowered);
  const values: Array<TensorData | undefined> = new Array(g.tensors.length);
  for (const [i, d] of plan.constants) values[i] = d;
  // State starts from its reset value.
  for (const t of g.tensors) if (t.variable && !t.data) values[t.index] = resetState(t);
  g.inputs.forEach((ti, k) => (values[ti] = inputs[k]));
  const layers: GraphLayerOutput[] | undefined = options.layers ? [] : undefined;
  const total = lowered.layers.length;
  const buffers = plan.buffers;
  const ctx: RunContext = { ...options.ctx, output: (t) => buffers.acquire(t.dtype, numel(t.shape)) };
  // How many tensors hold each array (an op may hand on its input's array, as a reshape does).
  const holders = new Map<TensorData, number>();
  lowered.layers.forEach((layer, i) => {
    layer.run(values, ctx);
    const op = layer.op;
    if (layers) {
      // A state tensor the op updated in place is part of what the run produced.
      const produced = [...op.outputs, ...op.inputs.filter((t) => t >= 0 && g.tensors[t]!.variable)];
      for (const o of produced) layers.push({ layer: g.tensors[o]!.name, op: op.index, kind: op.kind, opType: op.opcode, output: publicValue(lowered, o, values) });
    }
    for (const o of op.outputs) {
      const d = values[o];
      if (d) holders.set(d, (holders.get(d) ?? 0) + 1);
    }
    for (const t of plan.lastUsedBy[i]!) {
      const d = values[t];
      if (!d) continue;
      const n = (holders.get(d) ?? 0) - 1;
      if (n > 0) holders.set(d, n);
      else {
        holders.delete(d);
        buffers.release(d);
      }
    }
    options.onLayer?.(i + 1, total);
  });
  const outputs: Record<string, GraphValue> = {};
  for (const o of g.outputs) outputs[g.tensors[o]!.name] = publicValue(lowered, o, values);
  // Everything still held was copied out: the arrays serve the next run.
  for (const d of holders.keys()) buffers.release(d);
  return layers ? { outputs, layers } : { outputs };
}

function publicValue(lowered: Lowered, index: number, values: Array<TensorData | undefined>): GraphValue {
  const t = lowered.graph.tensors[index]!;
  const f = lowered.formats[index]!;
  const data = values[index];
  if (!data) throw new Error(`internal: tensor ${index} ("${t.name}") was not computed`);
  if (data.length !== numel(f.shape)) throw new Error(`internal: tensor ${index} ("${t.name}") has ${data.length} values for shape [${f.shape.join(", ")}]`);
  const g = lowered.graph;
  const nchw = presentedNchw(g, f);
  const v: GraphValue = { name: t.name, dtype: f.dtype, shape: nchw ? nchwShape(f.shape) : f.shape.slice(), data: nchw ? nhwcToNchw(data, f.shape) : data.slice() };
  if (g.format === "tflite") v.index = index;
  if (f.scale !== undefined) {
    v.scale = f.scale;
    v.zeroPoint = f.zeroPoint!;
  }
  return v;
}
