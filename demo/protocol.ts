// Messages between the page and its workers: the fusion report (main.ts, worker.ts) and the drift
// view (drift.ts, drift-worker.ts).
import type { QuantScheme } from "../src/presets/mobilenet.js";
import type { MemoryConfig } from "../src/scratchpad/memory.js";
import type { BlockRow } from "../src/fusion-report.js";
import type { Layout } from "../src/types.js";
import type { Objective } from "../src/scratchpad/plan.js";
import type { BlockPlan } from "./candidates.js";
import type { CompareReport } from "../src/compare/index.js";

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

/** The drift view's job: one model, the targets to compare, and the seeded random inputs. */
export interface DriftJob {
  name: string;
  bytes: ArrayBuffer;
  /** The targets asked for (the reference among them). */
  targets: string[];
  reference: string;
  /** How many random inputs, and their seed (`compare(net, inputs, { seed })`). */
  inputs: number;
  seed: number;
}

/** A target that cannot run the model (its `UnsupportedOpError`), shown instead of its lane. */
export interface Refusal {
  target: string;
  message: string;
}

/** What the GAP8 NNTool deployment check says about the model (when gap8-nntool is compared). */
export interface DriftFinding {
  layer: string;
  index: number;
  rule: string;
  severity: string;
  message: string;
  fix: string;
}

export type FromDriftWorker =
  /** The model loaded: its format, graph name and input shapes. */
  | { type: "model"; format: "tflite" | "onnx"; graph: string; inputs: string }
  /** Which asked-for targets refused the model, and the reference actually used. */
  | { type: "targets"; ran: string[]; refused: Refusal[]; reference: string }
  /** `compare`'s progress: runs done out of inputs × targets. */
  | { type: "progress"; done: number; total: number }
  | { type: "report"; report: CompareReport; findings: DriftFinding[] | null }
  | { type: "done"; ms: number }
  | { type: "error"; message: string };
