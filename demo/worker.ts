// The report worker. Plans every block under the chosen objective (all candidates with their
// bytes and cycles, the plan and the deployment check of the plan, streamed block by block so the
// chart fills as it goes), then emulates the planned blocks on the scratchpad model and compares
// their bytes with the reference, taking the library's own rows for the final numbers:
//  - a MobileNet preset: `fusionReport` block by block, as `dwpw report` runs it;
//  - an ONNX model: `planNetwork`, then the network run with its blocks on the model against the
//    reference run, as `dwpw plan --run` does.
import { init } from "../src/runtime.js";
import { fusionReport, type BlockRow } from "../src/fusion-report.js";
import { mobilenetV1, mobilenetV2, type NetworkSpec } from "../src/presets/mobilenet.js";
import { loadOnnx } from "../src/onnx/index.js";
import { planNetwork } from "../src/network/fusion-plan.js";
import type { Network } from "../src/network/network.js";
import { resolveMemory } from "../src/scratchpad/memory.js";
import { check, presetSubjects, type Finding } from "../src/check/index.js";
import { blockPlan, type BlockPlan } from "./candidates.js";
import type { FromWorker, Job } from "./protocol.js";

const post = (m: FromWorker) => postMessage(m);

/** Whether the emulated row says what the plan said. */
const agrees = (row: BlockRow, p: BlockPlan) =>
  row.unfused.activationBytes === p.unfused && row.activationBytes === p.planned && row.cycles === p.plannedCycles &&
  row.schedule === (p.chosen === null ? null : p.candidates[p.chosen]!.schedule);

function start(name: string, blocks: number, job: Job): void {
  const mem = resolveMemory(job.memory);
  post({ type: "start", network: name, blocks, memory: { l1: mem.l1, l1Usable: mem.l1Usable, l2: mem.l2, dma: mem.dmaName, doubleBuffer: mem.doubleBuffer } });
}

/** Posts PULP-NN's findings on the single layers (the unfused deployment's kernels). */
function postFindings(run: () => Finding[]): void {
  const findings = run().filter((f) => f.severity !== "info").map((f) => ({ layer: String(f.layer), target: "pulp-nn", rule: f.rule, message: f.message, fix: f.fix }));
  post({ type: "findings", findings });
}

function runPreset(job: Job, net: NetworkSpec): void {
  start(net.name, net.blocks.length, job);
  postFindings(() => check(presetSubjects(net), { target: "pulp-nn" }));
  const options = { scheme: job.scheme, layout: job.layout, memory: job.memory, objective: job.objective };
  // The network cut down to one block: the report seeds each layer by its name, so the row is the full report's.
  const one = (i: number) => ({ ...net, blocks: [net.blocks[i]!], layers: net.blocks[i]!.layers });
  const plans = net.blocks.map((_, i) => {
    const plan = blockPlan(fusionReport(one(i), { ...options, run: false, candidates: true }).blocks[0]!);
    post({ type: "plan", plan });
    return plan;
  });
  for (const [i, plan] of plans.entries()) {
    const row = fusionReport(one(i), { ...options, run: true }).blocks[0]!;
    post({ type: "checked", row, agrees: agrees(row, plan) });
  }
}

/** A seeded input for every graph input (raw NCHW values; bit-exactness holds for any input). */
function seededInput(net: Network): Record<string, Float32Array | Int8Array | Uint8Array> {
  let s = 0x9e3779b9;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const out: Record<string, Float32Array | Int8Array | Uint8Array> = {};
  for (const i of net.inputs) {
    const n = i.shape.reduce((a, b) => a * b, 1);
    if (!i.quant) out[i.name] = Float32Array.from({ length: n }, () => Math.fround(next() * 2 - 1));
    else if (i.quant.dtype === "int8") out[i.name] = Int8Array.from({ length: n }, () => Math.floor(next() * 256) - 128);
    else out[i.name] = Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
  }
  return out;
}

function runOnnx(job: Job, name: string, bytes: ArrayBuffer): void {
  const net = loadOnnx(new Uint8Array(bytes));
  const { report, plans: units } = planNetwork(net.graph, { memory: job.memory, layout: job.layout, objective: job.objective, candidates: true });
  start(`${name} (${net.name})`, units.length, job);
  postFindings(() => net.check({ target: "pulp-nn" }).findings);
  if (units.length === 0) throw new Error(`${name}: no depthwise-separable block (dw+pw, pw+dw or expand/dw/project) to plan`);
  const plans = units.map((u) => {
    const plan = blockPlan(u.row);
    post({ type: "plan", plan });
    return plan;
  });
  const input = seededInput(net);
  let last = 0;
  const progress = (what: string) => (done: number, total: number) => {
    if (performance.now() - last < 200) return;
    last = performance.now();
    post({ type: "progress", text: `${what}: layer ${done}/${total}` });
  };
  // Network.run plans its blocks for bytes; any schedule gives the reference's bytes, so the
  // comparison holds for the plan shown under either objective.
  const onModel = net.run(input, { blocks: { memory: job.memory }, layout: job.layout, layers: true, onLayer: progress("Emulating the blocks on the scratchpad model") });
  const onRef = net.run(input, { engine: "reference", layout: job.layout, layers: true, onLayer: progress("Running the reference") });
  const got = new Map(onModel.layers!.map((l) => [l.output.name, l.output.data]));
  const want = new Map(onRef.layers!.map((l) => [l.output.name, l.output.data]));
  units.forEach((u, i) => {
    const out = u.unit.layers[u.unit.layers.length - 1]!.output;
    const a = got.get(out), b = want.get(out);
    const { candidates: _, ...planned } = report.blocks[i]!;
    const row = { ...planned, bitExact: !!a && !!b && a.length === b.length && a.every((v, k) => v === b[k]) };
    post({ type: "checked", row, agrees: agrees(row, plans[i]!) });
  });
}

async function run(job: Job): Promise<void> {
  const t0 = performance.now();
  await init();
  if (job.source.kind === "preset") runPreset(job, job.source.network === "mobilenet-v1" ? mobilenetV1() : mobilenetV2());
  else runOnnx(job, job.source.name, job.source.bytes);
  post({ type: "done", ms: performance.now() - t0 });
}

onmessage = (e: MessageEvent<Job>) => {
  run(e.data).catch((err: unknown) => post({ type: "error", message: err instanceof Error ? err.message : String(err) }));
};
