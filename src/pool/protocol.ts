// What a WorkerPool (pool.ts) and its workers (worker.ts) say to each other. Every message is
// structured-cloned, so jobs and inputs hold plain data and typed arrays only.
import type { LoadOptions } from "../onnx/index.js";
import type { RunOptions } from "../network/network.js";
import type { ConvOp } from "../types.js";

/** What each worker builds once: a chain of layers, or an ONNX network. */
export type Job =
  | { kind: "layers"; ops: ConvOp[] }
  | { kind: "network"; model: Uint8Array; load: LoadOptions; run: Omit<RunOptions, "onLayer"> };

/** Main thread -> worker: the job (first message), then one input per request. */
export type Request = { job: Job } | { id: number; input: unknown };

/** An error as it crosses: rebuilt on the main thread as the same class where it is a standard one. */
export interface ErrorData {
  name: string;
  message: string;
}

/** Worker -> main thread: ready (or not) after the job, then one answer per request. */
export type Reply =
  | { ready: true }
  | { ready: false; error: ErrorData }
  | { id: number; output: unknown }
  | { id: number; error: ErrorData };
