// `dwpw check model.onnx`: the deployment check of a quantized ONNX model's depthwise and pointwise
// layers: where the kernels that run on GAP8 would not compute the bytes dwpw (and ONNX Runtime)
// compute.
import { summarizeFindings } from "../../network/cli-support.js";
import type { CheckOptions } from "../../check/index.js";
import { L1OverflowError } from "../../scratchpad/plan.js";
import { parseArgs, usageText, UsageError, type Flag } from "../args.js";
import { MEMORY_FLAGS, memoryOptions, onnxNetwork } from "../common.js";
import { loadModelFile } from "../model-file.js";
import { planOrBlame } from "./plan.js";
import type { Command } from "./index.js";

const FLAGS: Flag[] = [
  { name: "target", value: "T", help: "pulp-nn | dory-fused (default pulp-nn)" },
  { name: "pointwise", value: "V", help: "pulp-nn: HoWo_parallel | Co_parallel (default HoWo_parallel)" },
  { name: "depthwise-kernel", value: "K", help: "pulp-nn: generic | less_4_weights (default generic)" },
  { name: "layout", value: "L", help: "HWC | CHW: the layout of activations (default HWC)" },
  ...MEMORY_FLAGS.map((f) => ({ ...f, help: `dory-fused: ${f.help}` })),
  { name: "json", help: "print JSON" },
];

const usage = usageText(
  "dwpw check model.onnx [options]",
  `Lists the depthwise and pointwise layers of a quantized ONNX model where the kernels deployed on
GAP8 would compute other bytes than ONNX Runtime (and dwpw): the rule, what happens, and a fix.
With --target dory-fused, the memory flags set the memory of the fusion plan whose schedules are
checked (as dwpw plan). Exit code 1 when a finding has severity "error".`,
  FLAGS,
);

export const check: Command = {
  summary: "deployment check of a quantized ONNX model: layers where GAP8's kernels would give other bytes",
  usage,
  async run(argv) {
    const args = parseArgs(argv, FLAGS);
    const [file] = args.expectPositionals("the model file");
    const target = args.choice("target", ["pulp-nn", "dory-fused"] as const) ?? "pulp-nn";
    const pointwise = args.choice("pointwise", ["HoWo_parallel", "Co_parallel"] as const);
    const depthwiseKernel = args.choice("depthwise-kernel", ["generic", "less_4_weights"] as const);
    if (target === "dory-fused" && (pointwise || depthwiseKernel)) throw new UsageError("--pointwise and --depthwise-kernel apply to --target pulp-nn only");
    const layout = args.choice("layout", ["HWC", "CHW"] as const) ?? "HWC";
    const memory = memoryOptions(args);
    const options: CheckOptions =
      target === "pulp-nn"
        ? { target, ...(pointwise ? { pointwise } : {}), ...(depthwiseKernel ? { depthwiseKernel } : {}) }
        : { target };
    const net = onnxNetwork(loadModelFile(file!), file!, "dwpw check");
    let result;
    try {
      result = net.check(options, { memory, layout });
    } catch (e) {
      // The dory-fused check plans the blocks first: name the block the memory flags leave no room for.
      if (e instanceof L1OverflowError) planOrBlame(net.graph, { memory, layout });
      throw e;
    }
    const { findings, notChecked } = result;
    const checked = net.layers.filter((l) => l.kind === "depthwise" || l.kind === "pointwise").length;
    const errors = findings.filter((f) => f.severity === "error").length;
    if (args.has("json")) {
      console.log(JSON.stringify({ model: file, network: net.name, target: options, checkedLayers: checked, notChecked, findings }, null, 2));
    } else {
      console.log(`${file}: ${net.name}, target ${target}${pointwise ? ` (${pointwise})` : ""}${depthwiseKernel ? ` (${depthwiseKernel})` : ""}`);
      console.log(`${checked} depthwise/pointwise layers checked; ${findings.length} finding${findings.length === 1 ? "" : "s"} (${errors} error${errors === 1 ? "" : "s"})`);
      for (const line of summarizeFindings(findings)) console.log(`  ${line}`);
      if (notChecked.length) console.log(`not covered by the check (not depthwise/pointwise): ${notChecked.map((l) => `${l.layer} (${l.kind})`).join(", ")}`);
    }
    return errors > 0 ? 1 : 0;
  },
};
