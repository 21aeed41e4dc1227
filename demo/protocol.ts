// Messages between the page (main.ts) and the report worker (worker.ts).
import type { QuantScheme } from "../src/networks/mobilenet.js";
import type { MemoryConfig } from "../src/scratchpad/memory.js";
import type { BlockRow } from "../src/report.js";
import type { Layout } from "../src/types.js";
import type { Objective } from "../src/scratchpad/plan.js";
import type { BlockPlan } from "./candidates.js";

export const NETWORKS = { "mobilenet-v1": "MobileNetV1", "mobilenet-v2": "MobileNetV2" } as const;
export type NetworkName = keyof typeof NETWORKS;

/** What to report on: one per worker (the page starts a new worker when the form changes). */
export interface Job {
  /** A MobileNet preset (with seeded ops under `scheme`), or a quantized ONNX model's bytes. */
  source: { kind: "preset"; network: NetworkName } | { kind: "onnx"; name: string; bytes: ArrayBuffer };
  /** Presets only: the model defines an ONNX network's quantization. */
  scheme: QuantScheme;
  layout: Layout;
  /** What each block's plan minimises. */
  objective: Objective;
  memory: Partial<MemoryConfig>;
}

export type FromWorker =
  /** The network and the memory as resolved (defaults filled in). */
  | { type: "start"; network: string; blocks: number; memory: { l1: number; l1Usable: number; l2: number; dma: string; doubleBuffer: boolean } }
  /** One block planned: every candidate's bytes and cycles (fast, closed form), the plan and its check. */
  | { type: "plan"; plan: BlockPlan }
  /** One block emulated as planned: the report's row, and whether it matches the plan. */
  | { type: "checked"; row: BlockRow; agrees: boolean }
  /** The deployment check of single layers on PULP-NN (the plan's own check comes with each block's plan). */
  | { type: "findings"; findings: Array<{ layer: string; target: string; rule: string; message: string; fix: string }> }
  /** Progress of a long emulation (an ONNX network runs as a whole, layer by layer). */
  | { type: "progress"; text: string }
  | { type: "done"; ms: number }
  | { type: "error"; message: string };
