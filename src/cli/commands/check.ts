// `dwpw check model`: the deployment check of a quantized model (ONNX or TFLite). With --target
// pulp-nn or dory-fused: where the kernels that run its depthwise and pointwise layers on GAP8
// would not compute the bytes dwpw (and the model's runtime) compute. With --target gap8-nntool (a
// TFLite model): what a GAP8 deployment through NNTool changes (re-quantized tensors, the input
// conversion, the softmax's int16 output and where its exp wraps).
import { summarizeFindings } from "../../network/cli-support.js";
import type { CheckOptions, Finding } from "../../check/index.js";
import { Network } from "../../network/network.js";
import { kernelLayers } from "../../runner/kernel-layers.js";
import type { ModelFinding } from "../../targets/gap8-nntool/check.js";
import { L1OverflowError } from "../../scratchpad/plan.js";
import { parseArgs, usageText, UsageError, ValueError, type Flag } from "../args.js";
import { MEMORY_FLAGS, memoryOptions, OBJECTIVE_FLAG, OBJECTIVES } from "../common.js";
import { loadModelFile } from "../model-file.js";
import { planGraphOrBlame, planOrBlame } from "./plan.js";
import type { Command } from "./index.js";

/** What can be checked: PULP-NN's layer kernels, DORY's fused kernels, an NNTool deployment. */
const CHECKED = ["pulp-nn", "dory-fused", "gap8-nntool"] as const;

const FLAGS: Flag[] = [
  { name: "target", value: "T", help: "what is checked (here not a runtime, as for run and compare): pulp-nn |\ndory-fused: the GAP8 kernels of the depthwise and pointwise layers;\ngap8-nntool (TFLite): an NNTool + AutoTiler deployment (default pulp-nn)" },
  { name: "pointwise", value: "V", help: "pulp-nn: HoWo_parallel | Co_parallel (default HoWo_parallel)" },
  { name: "depthwise-kernel", value: "K", help: "pulp-nn: generic | less_4_weights (default generic)" },
  { name: "layout", value: "L", help: "pulp-nn, dory-fused: HWC | CHW: the layout of activations (default HWC)" },
  ...MEMORY_FLAGS.map((f) => ({ ...f, help: `dory-fused: ${f.help}` })),
  { ...OBJECTIVE_FLAG, help: "dory-fused: bytes | cycles: what the fusion plan minimises (default bytes)" },
  { name: "json", help: "print JSON" },
];

const usage = usageText(
  "dwpw check model.onnx|model.tflite [options]",
  `The deployment check of a quantized model (ONNX or int8 TFLite). --target pulp-nn or dory-fused:
the depthwise and pointwise layers where the kernels deployed on GAP8 would compute other bytes
than the model's runtime (and dwpw): the rule, what happens, and a fix. With dory-fused the
memory flags and --objective set the fusion plan whose schedules are checked (as dwpw plan).
--target gap8-nntool (TFLite models): what a GAP8 deployment through NNTool changes, per tensor:
forced symmetric quantization and the resolution it costs, the input conversion, the softmax's
int16 Q15 output and the logit range where the AutoTiler's exp wraps, each with a fix.
Exit code 1 when a finding has severity "error".`,
  FLAGS,
);

/** An NNTool finding on one line: severity, tensor, rule, message, fix. */
function nntoolLine(f: ModelFinding): string {
  return `${f.severity.padEnd(7)} ${f.layer} (tensor ${f.index}, ${f.kind}): [${f.rule}] ${f.message} Fix: ${f.fix}`;
}

export const check: Command = {
  summary: "deployment check of a quantized ONNX or TFLite model: GAP8 kernels (pulp-nn, dory-fused) or an NNTool deployment",
  usage,
  async run(argv) {
    const args = parseArgs(argv, FLAGS);
    const [file] = args.expectPositionals("the model file");
    const target = args.choice("target", CHECKED) ?? "pulp-nn";
    const pointwise = args.choice("pointwise", ["HoWo_parallel", "Co_parallel"] as const);
    const depthwiseKernel = args.choice("depthwise-kernel", ["generic", "less_4_weights"] as const);
    if (target !== "pulp-nn" && (pointwise || depthwiseKernel)) throw new UsageError("--pointwise and --depthwise-kernel apply to --target pulp-nn only");
    const layout = args.choice("layout", ["HWC", "CHW"] as const);
    const memory = memoryOptions(args);
    const objective = args.choice("objective", OBJECTIVES);
    if (target === "gap8-nntool") {
      // NNTool decides its own memory and layout; the planner's flags have nothing to set there.
      const planFlags = ["layout", "objective", ...MEMORY_FLAGS.map((f) => f.name)].filter((f) => args.has(f) || args.string(f) !== undefined);
      if (planFlags.length) throw new UsageError(`${planFlags.map((f) => `--${f}`).join(", ")} ${planFlags.length === 1 ? "applies" : "apply"} to --target pulp-nn and dory-fused, not gap8-nntool`);
    }
    const net = loadModelFile(file!);
    const onnx = net instanceof Network;
    const name = net.name || "(unnamed)";

    if (target === "gap8-nntool") {
      if (onnx) throw new ValueError(`--target gap8-nntool checks TFLite models (NNTool deploys TFLite files); ${file} is an ONNX model`);
      const findings = net.check({ target }).findings as ModelFinding[];
      const errors = findings.filter((f) => f.severity === "error").length;
      if (args.has("json")) {
        console.log(JSON.stringify({ model: file, network: net.name, target: { target }, findings }, null, 2));
      } else {
        console.log(`${file}: ${name}, target gap8-nntool (NNTool SQ8 + AutoTiler)`);
        console.log(`${findings.length} finding${findings.length === 1 ? "" : "s"} (${errors} error${errors === 1 ? "" : "s"})`);
        for (const f of findings) console.log(`  ${nntoolLine(f)}`);
      }
      return errors > 0 ? 1 : 0;
    }

    const options: CheckOptions =
      target === "pulp-nn"
        ? { target, ...(pointwise ? { pointwise } : {}), ...(depthwiseKernel ? { depthwiseKernel } : {}) }
        : { target };
    const planOptions = { memory, layout: layout ?? "HWC", ...(objective ? { objective } : {}) };
    let result;
    try {
      result = net.check(options, planOptions);
    } catch (e) {
      // The dory-fused check plans the blocks first: name the block the memory flags leave no room for.
      if (e instanceof L1OverflowError) {
        if (onnx) planOrBlame(net.graph, planOptions);
        else planGraphOrBlame(net, planOptions);
      }
      throw e;
    }
    const findings = result.findings as Finding[];
    const { notChecked } = result;
    const layers = onnx ? net.layers : kernelLayers(net.graph).graph.layers;
    const checked = layers.filter((l) => l.kind === "depthwise" || l.kind === "pointwise").length;
    const errors = findings.filter((f) => f.severity === "error").length;
    if (args.has("json")) {
      console.log(JSON.stringify({ model: file, network: net.name, target: options, checkedLayers: checked, notChecked, findings }, null, 2));
    } else {
      console.log(`${file}: ${name}, target ${target}${pointwise ? ` (${pointwise})` : ""}${depthwiseKernel ? ` (${depthwiseKernel})` : ""}`);
      console.log(`${checked} depthwise/pointwise layers checked; ${findings.length} finding${findings.length === 1 ? "" : "s"} (${errors} error${errors === 1 ? "" : "s"})`);
      for (const line of summarizeFindings(findings)) console.log(`  ${line}`);
      if (notChecked.length) console.log(`not covered by the check (not depthwise/pointwise): ${notChecked.map((l) => `${l.layer} (${l.kind})`).join(", ")}`);
    }
    return errors > 0 ? 1 : 0;
  },
};
