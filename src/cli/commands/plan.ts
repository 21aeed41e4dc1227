// `dwpw plan model`: the fusion plan of a quantized model's depthwise-separable blocks (ONNX or
// TFLite) on the GAP8 scratchpad model, and the transfer report per block and in total (the same
// choices and totals as `dwpw report` gives for the MobileNet presets).
import { init } from "../../runtime.js";
import { formatReport, type NetworkReport } from "../../fusion-report.js";
import { Network } from "../../network/network.js";
import { planNetwork, planUnit, findUnits, layersOutsideUnits, type NetworkPlanOptions, type UnitPlan } from "../../network/fusion-plan.js";
import type { NetworkGraph } from "../../network/types.js";
import { warningLines } from "../../network/cli-support.js";
import { progressBar } from "../../network/progress.js";
import { kernelLayers } from "../../runner/kernel-layers.js";
import type { GraphNetwork } from "../../runner/network.js";
import { L1OverflowError } from "../../scratchpad/plan.js";
import { parseArgs, usageText, UsageError, ValueError, type Flag } from "../args.js";
import { blameBlock } from "../errors.js";
import { MEMORY_FLAGS, memoryOptions, modelInput, OBJECTIVE_FLAG, OBJECTIVES } from "../common.js";
import { loadModelFile } from "../model-file.js";
import type { Command } from "./index.js";

/** The kernels a deployment check can assume: PULP-NN's layer kernels, or DORY's fused ones. */
export const KERNELS = ["pulp-nn", "dory-fused"] as const;

const FLAGS: Flag[] = [
  ...MEMORY_FLAGS,
  { name: "layout", value: "L", help: "HWC | CHW: the layout tensors keep in L2 (default HWC)" },
  OBJECTIVE_FLAG,
  { name: "run", help: "ONNX: also emulate every block on the model with its plan and check its\nbytes against the reference (exit code 1 on any difference)" },
  { name: "input", value: "FILE", help: "raw input for --run (default: a seeded random input; see dwpw run --help)" },
  { name: "kernels", value: "K", help: "pulp-nn | dory-fused: the kernels the deployment check behind the warnings\nassumes (default dory-fused)" },
  { name: "json", help: "print JSON" },
];

const usage = usageText(
  "dwpw plan model.onnx|model.tflite [options]",
  `The depthwise-separable blocks of a quantized model (ONNX or int8 TFLite; dw+pw pairs,
expand/dw/project triples), each planned on the scratchpad model of GAP8 under --objective:
unfused against the recommended plan, L2<->L1 traffic and estimated cycles per block and in
total. Warnings on stderr: where the deployment check (--kernels) flags the planned layers.`,
  FLAGS,
);

/** Plans the network; when memory options leave a block with no tiling, says which block. */
export function planOrBlame(graph: NetworkGraph, options: NetworkPlanOptions): ReturnType<typeof planNetwork> {
  try {
    return planNetwork(graph, options);
  } catch (e) {
    if (!(e instanceof L1OverflowError)) throw e;
    throw blameBlock(
      e,
      findUnits(graph).map((u) => ({
        label: `block ${u.index} (${u.layers.map((l) => l.name).join(", ")})`,
        attempt: () => planUnit(graph, u, options),
      })),
    );
  }
}

/**
 * `network.plan(options)` for a TFLite model; when memory options leave a block with no tiling,
 * says which block (on the kernel-layer view the library plans).
 */
export function planGraphOrBlame(net: GraphNetwork, options: NetworkPlanOptions): NetworkReport {
  try {
    return net.plan(options);
  } catch (e) {
    if (e instanceof L1OverflowError) planOrBlame(kernelLayers(net.graph).graph, options);
    throw e;
  }
}

/** Layers of a TFLite model outside every block: kernel layers left alone, and the other ops. */
function graphLayersOutside(net: GraphNetwork): Array<{ layer: string; kind: string; opType: string }> {
  const view = kernelLayers(net.graph);
  const others = new Map(view.others.map((o) => [o.layer, o.kind]));
  return layersOutsideUnits(view.graph, findUnits(view.graph))
    .filter((l) => l.kind === "depthwise" || l.kind === "pointwise" || others.has(l.name))
    .map((l) => ({ layer: l.name, kind: others.get(l.name) ?? l.kind, opType: l.opType }));
}

/** Emulates every planned block of an ONNX model and marks each row bit-exact or not. */
async function emulateBlocks(net: Network, report: NetworkReport, plans: UnitPlan[], options: NetworkPlanOptions, inputPath: string | undefined): Promise<void> {
  await init();
  const input = modelInput(net, inputPath, 1) as Parameters<typeof net.run>[0];
  const bar = progressBar("emulating");
  let fused, ref;
  try {
    fused = net.run(input, { blocks: { memory: options.memory }, layout: options.layout, layers: true, onLayer: (d, t, l) => bar.update(d, t, l.name) });
    ref = net.run(input, { engine: "reference", layout: options.layout, layers: true, onLayer: (d, t, l) => bar.update(d, t, `reference ${l.name}`) });
  } finally {
    bar.done();
  }
  const want = new Map(ref.layers!.map((l) => [l.output.name, l.output.data]));
  const got = new Map(fused.layers!.map((l) => [l.output.name, l.output.data]));
  for (const p of plans) {
    const last = p.unit.layers[p.unit.layers.length - 1]!.output;
    const a = got.get(last)!;
    const b = want.get(last)!;
    p.row.bitExact = a.length === b.length && a.every((v, i) => v === b[i]);
  }
  report.bitExact = plans.every((p) => p.row.bitExact);
}

export const plan: Command = {
  summary: "fusion plan and transfer report of a quantized ONNX or TFLite model's blocks on the GAP8 model",
  usage,
  async run(argv) {
    const args = parseArgs(argv, FLAGS);
    const [file] = args.expectPositionals("the model file");
    const memory = memoryOptions(args);
    const layout = args.choice("layout", ["HWC", "CHW"] as const) ?? "HWC";
    const objective = args.choice("objective", OBJECTIVES);
    const kernels = args.choice("kernels", KERNELS) ?? "dory-fused";
    const emulate = args.has("run");
    const inputPath = args.string("input");
    if (inputPath !== undefined && !emulate) throw new UsageError("--input is used only with --run");
    const net = loadModelFile(file!);
    // The check plans the blocks too: the same options, so that its warnings are about this plan.
    const options: NetworkPlanOptions = { memory, layout, ...(objective ? { objective } : {}) };
    let report: NetworkReport;
    let outside: Array<{ layer: string; kind: string; opType: string }>;
    if (net instanceof Network) {
      const planned = planOrBlame(net.graph, options);
      report = planned.report;
      if (emulate) await emulateBlocks(net, report, planned.plans, options, inputPath);
      outside = layersOutsideUnits(net.graph, planned.plans.map((p) => p.unit))
        .filter((l) => l.kind !== "quantize" && l.kind !== "dequantize" && l.kind !== "reshape")
        .map((l) => ({ layer: l.name, kind: l.kind, opType: l.opType }));
    } else {
      if (emulate) throw new ValueError(`--run applies to ONNX models; ${file} is a TFLite model (dwpw run ${file} --check checks its layers)`);
      report = planGraphOrBlame(net, options);
      outside = graphLayersOutside(net);
    }
    const findings = net.check({ target: kernels }, options).findings;
    if (args.has("json")) {
      console.log(JSON.stringify({ ...report, layersOutsideBlocks: outside, findings }, null, 2));
    } else {
      console.log(`${file}:`);
      console.log(formatReport(report));
      if (report.blocks.length === 0) console.log("(no depthwise-separable block: nothing to fuse)");
      if (outside.length) console.log(`layers outside the blocks (not planned): ${outside.map((l) => `${l.layer} (${l.kind})`).join(", ")}`);
    }
    for (const line of warningLines(findings as Parameters<typeof warningLines>[0], kernels, file!)) console.error(line);
    return report.bitExact === false ? 1 : 0;
  },
};
