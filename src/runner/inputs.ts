// A run's inputs, checked and copied: the model's own bytes (a typed array of the input's dtype, in
// the model's own layout and shape), or a record of those by input name. For a graph whose file is
// NCHW (ONNX) a 4-D input comes in NCHW and is transposed to the graph's NHWC here.
import { numel, type DType, type Graph } from "../graph/types.js";
import type { TensorData } from "../targets/types.js";
import { snapshotView } from "../validate.js";
import { nchwShape, nchwToNhwc, presentedNchw } from "./layout.js";

/** An input: the model's own bytes as a typed array of its dtype, or a record of those by input name. */
export type GraphInput = TensorData | Record<string, TensorData>;

const ARRAY_OF: Record<DType, string> = { int8: "Int8Array", uint8: "Uint8Array", int16: "Int16Array", int32: "Int32Array", int64: "BigInt64Array", float32: "Float32Array", bool: "Uint8Array" };

/** The graph's inputs as the model declares them: name, dtype and shape in the model's own layout. */
export function inputSpecs(graph: Graph): Array<{ name: string; dtype: DType; shape: number[] }> {
  return graph.inputs.map((i) => {
    const t = graph.tensors[i]!;
    return { name: t.name, dtype: t.dtype, shape: presentedNchw(graph, t) ? nchwShape(t.shape) : t.shape.slice() };
  });
}

/** Checks and copies the caller's inputs (so later changes to them cannot reach the run), in the graph's layout. */
export function bindGraphInputs(graph: Graph, input: GraphInput): TensorData[] {
  const specs = inputSpecs(graph);
  let byName: Record<string, unknown>;
  if (ArrayBuffer.isView(input)) {
    if (specs.length !== 1) throw new TypeError(`the network has ${specs.length} inputs (${specs.map((i) => i.name).join(", ")}); pass a record by name`);
    byName = { [specs[0]!.name]: input };
  } else if (typeof input === "object" && input !== null) {
    byName = input as Record<string, unknown>;
    for (const k of Object.keys(byName)) if (!specs.some((i) => i.name === k)) throw new TypeError(`input "${k}" is not an input of the network (its inputs: ${specs.map((i) => i.name).join(", ")})`);
  } else {
    throw new TypeError("input must be a typed array or a record of typed arrays by input name");
  }
  return specs.map((s, k) => {
    const v = byName[s.name];
    const field = `input "${s.name}"`;
    if (v === undefined) throw new TypeError(`${field} is missing`);
    const want = ARRAY_OF[s.dtype];
    // A plain view of the array's own memory, read through the typed arrays' intrinsic accessors:
    // a subclass or an imitation cannot lie about its type, length or contents after this.
    const view = snapshotView(v);
    if (!ArrayBuffer.isView(view) || (view as object).constructor.name !== want) throw new TypeError(`${field} is ${s.dtype} [${s.shape.join(", ")}]: pass a ${want} in the model's own layout`);
    const arr = (view as TensorData).slice();
    const n = numel(s.shape);
    if (arr.length !== n) throw new RangeError(`${field} has ${arr.length} values; the model takes ${n} (shape [${s.shape.join(", ")}])`);
    const t = graph.tensors[graph.inputs[k]!]!;
    return presentedNchw(graph, t) ? nchwToNhwc(arr, t.shape) : arr;
  });
}
