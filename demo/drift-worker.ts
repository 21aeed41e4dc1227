// The drift view's worker: loads the model, finds which of the asked-for targets can run it (a
// target that refuses the model is reported with its UnsupportedOpError instead of failing the
// whole comparison), then runs the library's `compare` on seeded random inputs, streaming progress.
// The page draws the report exactly as `compare` returns it.
import { init } from "../src/runtime.js";
import { loadModel } from "../src/import/index.js";
import { compare } from "../src/compare/index.js";
import { UnsupportedOpError } from "../src/graph/errors.js";
import { GraphNetwork } from "../src/runner/network.js";
import type { TargetName } from "../src/targets/index.js";
import type { DriftFinding, DriftJob, FromDriftWorker, Refusal } from "./protocol.js";

const post = (m: FromDriftWorker) => postMessage(m);

/** ONNX models run as a `Network`, which compares between the two ONNX Runtime builds only. */
const ONNX_TARGETS = ["onnxruntime", "onnxruntime-wasm"];

const shape = (s: number[]) => `[${s.join("×")}]`;

async function run(job: DriftJob): Promise<void> {
  const t0 = performance.now();
  await init();
  const net = loadModel(new Uint8Array(job.bytes));
  const graph = net instanceof GraphNetwork;
  post({
    type: "model",
    format: graph ? "tflite" : "onnx",
    graph: net.name,
    inputs: net.inputs.map((i) => `${i.name || "input"} ${"dtype" in i ? i.dtype : (i.quant?.dtype ?? "float32")} ${shape(i.shape)}`).join(", "),
  });

  // Lowering is where a target refuses a model (an op it has no kernel for, an input dtype it does
  // not take): try each one first, so the others still compare.
  const ran: string[] = [];
  const refused: Refusal[] = [];
  for (const t of job.targets) {
    if (!graph) {
      if (ONNX_TARGETS.includes(t)) ran.push(t);
      else refused.push({ target: t, message: "an ONNX model compares between onnxruntime and onnxruntime-wasm only" });
      continue;
    }
    try {
      net.lowerTo(t as TargetName);
      ran.push(t);
    } catch (err) {
      if (!(err instanceof UnsupportedOpError)) throw err;
      refused.push({ target: t, message: err.message });
    }
  }
  if (ran.length === 0) throw new Error(`none of the chosen targets can run this model:\n${refused.map((r) => `${r.target}: ${r.message}`).join("\n")}`);
  // A reference that refuses the model leaves the first target that runs it as the baseline.
  const reference = ran.includes(job.reference) ? job.reference : ran[0]!;
  post({ type: "targets", ran, refused, reference });

  let last = 0;
  const report = compare(net, job.inputs, {
    targets: ran,
    reference,
    seed: job.seed,
    onProgress: (done, total) => {
      if (done < total && performance.now() - last < 100) return;
      last = performance.now();
      post({ type: "progress", done, total });
    },
  });

  // What an NNTool deployment changes that the drift alone does not say (forced symmetric tensors,
  // the softmax's Q15 output and where its exp wraps).
  let findings: DriftFinding[] | null = null;
  if (graph && ran.includes("gap8-nntool")) {
    findings = net.check({ target: "gap8-nntool" }).findings.flatMap((f) =>
      "index" in f && "severity" in f ? [{ layer: f.layer, index: f.index, rule: f.rule, severity: String(f.severity), message: f.message, fix: f.fix }] : [],
    );
  }
  post({ type: "report", report, findings });
  post({ type: "done", ms: performance.now() - t0 });
}

onmessage = (e: MessageEvent<DriftJob>) => {
  run(e.data).catch((err: unknown) => post({ type: "error", message: err instanceof Error ? err.message : String(err) }));
};
