// `dwpw check model.onnx`: the deployment check (issue 9) of a quantized ONNX model's depthwise and
// pointwise layers: where the kernels that run on GAP8 would not compute the bytes dwpw (and ONNX
// Runtime) compute.
import { loadOnnxFile } from "../../onnx/file.js";
import { DMA_NAMES, memoryFrom, summarizeFindings } from "../../network/cli-support.js";
import type { CheckOptions } from "../../check/index.js";
import { choiceOpt, intOpt, onlyOptions, parseArgs, UsageError } from "../args.js";
import type { Command } from "./index.js";

const OPTIONS = ["target", "pointwise", "depthwise-kernel", "layout", "l1", "l1-usable", "l2", "dma", "double-buffer", "json"];

const usage = `usage: dwpw check model.onnx [options]

Lists the depthwise and pointwise layers of a quantized ONNX model where the kernels deployed on
GAP8 would compute other bytes than ONNX Runtime (and dwpw): the rule, what happens, and a fix.
Exit code 1 when a finding has severity "error".

  --target T             pulp-nn | dory-fused (default pulp-nn)
  --pointwise V          pulp-nn: HoWo_parallel | Co_parallel (default HoWo_parallel)
  --depthwise-kernel K   pulp-nn: generic | less_4_weights (default generic)
  --layout L             HWC | CHW: the layout of activations (default HWC)
  --l1, --l1-usable, --l2, --dma, --double-buffer
                         dory-fused: the memory the fusion plan (whose schedules are checked) uses
                         (as dwpw plan; --dma ${DMA_NAMES.join(" | ")})
  --json                 print JSON`;

export const check: Command = {
  summary: "deployment check of a quantized ONNX model: layers where GAP8's kernels would give other bytes",
  usage,
  async run(argv) {
    const args = parseArgs(argv, ["double-buffer", "json"]);
    onlyOptions(args, OPTIONS);
    if (args.positionals.length !== 1) throw new UsageError(args.positionals.length === 0 ? "missing the model file" : `unexpected argument ${args.positionals[1]}`);
    const file = args.positionals[0]!;
    const target = choiceOpt(args, "target", ["pulp-nn", "dory-fused"] as const) ?? "pulp-nn";
    const pointwise = choiceOpt(args, "pointwise", ["HoWo_parallel", "Co_parallel"] as const);
    const depthwiseKernel = choiceOpt(args, "depthwise-kernel", ["generic", "less_4_weights"] as const);
    if (target === "dory-fused" && (pointwise || depthwiseKernel)) throw new UsageError("--pointwise and --depthwise-kernel apply to --target pulp-nn only");
    const layout = choiceOpt(args, "layout", ["HWC", "CHW"] as const) ?? "HWC";
    const memory = memoryFrom({
      l1: intOpt(args, "l1"),
      l1Usable: intOpt(args, "l1-usable"),
      l2: intOpt(args, "l2"),
      dma: choiceOpt(args, "dma", DMA_NAMES),
      doubleBuffer: args.options.has("double-buffer") ? true : undefined,
    });
    const options: CheckOptions =
      target === "pulp-nn"
        ? { target, ...(pointwise ? { pointwise } : {}), ...(depthwiseKernel ? { depthwiseKernel } : {}) }
        : { target };
    const net = loadOnnxFile(file);
    const { findings, notChecked } = net.check(options, { memory, layout });
    const checked = net.layers.filter((l) => l.kind === "depthwise" || l.kind === "pointwise").length;
    const errors = findings.filter((f) => f.severity === "error").length;
    if (args.options.has("json")) {
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
