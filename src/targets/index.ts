// THE list of targets: each name's lowering. `network.run(x, { target })` and `compare` look here.
import type { Graph } from "../graph/types.js";
import { lowerCmsisNn } from "./cmsis-nn/index.js";
import { lowerLitert } from "./litert/index.js";
import { lowerOnnxruntime, lowerOnnxruntimeWasm } from "./onnxruntime/index.js";
import { lowerGap8Nntool } from "./gap8-nntool/index.js";
import { lowerTfliteMicro } from "./tflite-micro/index.js";
import { TARGETS, type LowerGraph, type Lowered, type TargetName } from "./types.js";

const LOWERINGS: Partial<Record<TargetName, LowerGraph>> = {
  "tflite-micro": lowerTfliteMicro,
  "gap8-nntool": lowerGap8Nntool,
  litert: lowerLitert,
  "cmsis-nn": lowerCmsisNn,
  onnxruntime: lowerOnnxruntime,
  "onnxruntime-wasm": lowerOnnxruntimeWasm,
};

/** The targets that can be lowered to. */
export function availableTargets(): TargetName[] {
  return TARGETS.filter((t) => LOWERINGS[t] !== undefined);
}

/** Lowers a graph to a target; an unknown or unavailable target is a RangeError naming the choices. */
export function lowerGraph(graph: Graph, target: unknown): Lowered {
  const f = typeof target === "string" ? LOWERINGS[target as TargetName] : undefined;
  if (!f) throw new RangeError(`target must be one of ${availableTargets().join(", ")}; got ${String(target)}`);
  return f(graph);
}

export { TARGETS };
export type { TargetName, Lowered };
