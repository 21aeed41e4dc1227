// `dwpw plan model.onnx`: the fusion plan of a quantized ONNX model's depthwise-separable blocks on
// the GAP8 scratchpad model, and the transfer report per block and in total (the same choices and
// totals as `dwpw report` gives for the MobileNet presets).
import { init } from "../../runtime.js";
import { formatReport } from "../../report.js";
import { planNetwork, planUnit, findUnits, layersOutsideUnits, type NetworkPlanOptions } from "../../network/plan.js";
import type { NetworkGraph } from "../../network/types.js";
import { warningLines } from "../../network/cli-support.js";
import { progressBar } from "../../network/progress.js";
import { L1OverflowError } from "../../scratchpad/plan.js";
import { parseArgs, usageText, UsageError, type Flag } from "../args.js";
import { blameBlock } from "../errors.js";
import { MEMORY_FLAGS, memoryOptions, modelInput, onnxNetwork } from "../common.js";
import { loadModelFile } from "../model-file.js";
import type { Command } from "./index.js";

const FLAGS: Flag[] = [
  ...MEMORY_FLAGS,
  { name: "layout", value: "L", help: "HWC | CHW: the layout tensors keep in L2 (default HWC)" },
  { name: "run", help: "also emulate every block on the model with its plan and check its bytes\nagainst the reference (exit code 1 on any difference)" },
  { name: "input", value: "FILE", help: "raw input for --run (default: a seeded random input; see dwpw run --help)" },
  { name: "target", value: "T", help: "pulp-nn | dory-fused: deployment check behind the warnings (default dory-fused)" },
  { name: "json", help: "print JSON" },
];

const usage = usageText(
  "dwpw plan model.onnx [options]",
  `The depthwise-separable blocks of a quantized ONNX model (dw+pw pairs, expand/dw/project
triples), each planned on the scratchpad model of GAP8: unfused against the best fused schedule,
L2<->L1 traffic per block and in total.`,
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

export const plan: Command = {
  summary: "fusion plan and transfer report of a quantized ONNX model's blocks on the GAP8 model",
  usage,
  async run(argv) {
    const args = parseArgs(argv, FLAGS);
    const [file] = args.expectPositionals("the model file");
    const memory = memoryOptions(args);
    const layout = args.choice("layout", ["HWC", "CHW"] as const) ?? "HWC";
    const target = args.choice("target", ["pulp-nn", "dory-fused"] as const) ?? "dory-fused";
    const emulate = args.has("run");
    const inputPath = args.string("input");
    if (inputPath !== undefined && !emulate) throw new UsageError("--input is used only with --run");
    const net = onnxNetwork(loadModelFile(file!), file!, "dwpw plan");
    const { report, plans } = planOrBlame(net.graph, { memory, layout });
    if (emulate) {
      await init();
      const input = modelInput(net, inputPath, 1) as Parameters<typeof net.run>[0];
      const bar = progressBar("emulating");
      let fused, ref;
      try {
        fused = net.run(input, { blocks: { memory }, layout, layers: true, onLayer: (d, t, l) => bar.update(d, t, l.name) });
        ref = net.run(input, { engine: "reference", layout, layers: true, onLayer: (d, t, l) => bar.update(d, t, `reference ${l.name}`) });
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
    const outside = layersOutsideUnits(net.graph, plans.map((p) => p.unit)).filter((l) => l.kind !== "quantize" && l.kind !== "dequantize" && l.kind !== "reshape");
    const findings = net.check({ target }, { memory, layout }).findings;
    if (args.has("json")) {
      console.log(JSON.stringify({ ...report, layersOutsideBlocks: outside.map((l) => ({ layer: l.name, kind: l.kind, opType: l.opType })), findings }, null, 2));
    } else {
      console.log(`${file}:`);
      console.log(formatReport(report));
      if (plans.length === 0) console.log("(no depthwise-separable block: nothing to fuse)");
      if (outside.length) console.log(`layers outside the blocks (not planned): ${outside.map((l) => `${l.name} (${l.kind})`).join(", ")}`);
    }
    for (const line of warningLines(findings, target, file!)) console.error(line);
    return report.bitExact === false ? 1 : 0;
  },
};
