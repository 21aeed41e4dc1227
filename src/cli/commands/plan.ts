// `dwpw plan model.onnx`: the fusion plan of a quantized ONNX model's depthwise-separable blocks on
// the GAP8 scratchpad model, and the transfer report per block and in total (the same choices and
// totals as `dwpw report` gives for the MobileNet presets).
import { init } from "../../runtime.js";
import { formatReport } from "../../report.js";
import { loadOnnxFile } from "../../onnx/file.js";
import { planNetwork, layersOutsideUnits } from "../../network/plan.js";
import { DMA_NAMES, memoryFrom, randomInput, readInputFile, warningLines } from "../../network/cli-support.js";
import { progressBar } from "../../network/progress.js";
import { choiceOpt, intOpt, onlyOptions, parseArgs, stringOpt, UsageError } from "../args.js";
import type { Command } from "./index.js";

const OPTIONS = ["l1", "l1-usable", "l2", "dma", "double-buffer", "layout", "run", "input", "target", "json"];

const usage = `usage: dwpw plan model.onnx [options]

The depthwise-separable blocks of a quantized ONNX model (dw+pw pairs, expand/dw/project
triples), each planned on the scratchpad model of GAP8: unfused against the best fused schedule,
L2<->L1 traffic per block and in total.

  --l1 B             L1 bytes (default 64000)
  --l1-usable B      L1 bytes usable by tiles (default 36700, or l1 - 27300)
  --l2 B             L2 bytes (default 512000)
  --dma NAME         ${DMA_NAMES.join(" | ")} (default dory-gap8)
  --double-buffer    double the tile buffers
  --layout L         HWC | CHW: the layout tensors keep in L2 (default HWC)
  --run              also emulate every block on the model with its plan and check its bytes
                     against the reference (exit code 1 on any difference)
  --input FILE       raw input for --run (default: a seeded random input; see dwpw run --help)
  --target T         pulp-nn | dory-fused: deployment check behind the warnings (default dory-fused)
  --json             print JSON`;

export const plan: Command = {
  summary: "fusion plan and transfer report of a quantized ONNX model's blocks on the GAP8 model",
  usage,
  async run(argv) {
    const args = parseArgs(argv, ["double-buffer", "run", "json"]);
    onlyOptions(args, OPTIONS);
    if (args.positionals.length !== 1) throw new UsageError(args.positionals.length === 0 ? "missing the model file" : `unexpected argument ${args.positionals[1]}`);
    const file = args.positionals[0]!;
    const memory = memoryFrom({
      l1: intOpt(args, "l1"),
      l1Usable: intOpt(args, "l1-usable"),
      l2: intOpt(args, "l2"),
      dma: choiceOpt(args, "dma", DMA_NAMES),
      doubleBuffer: args.options.has("double-buffer") ? true : undefined,
    });
    const layout = choiceOpt(args, "layout", ["HWC", "CHW"] as const) ?? "HWC";
    const target = choiceOpt(args, "target", ["pulp-nn", "dory-fused"] as const) ?? "dory-fused";
    const emulate = args.options.has("run");
    const inputPath = stringOpt(args, "input");
    if (inputPath && !emulate) throw new UsageError("--input is used only with --run");
    const net = loadOnnxFile(file);
    const { report, plans } = planNetwork(net.graph, { memory, layout });
    if (emulate) {
      await init();
      const input = inputPath ? readInputFile(net, inputPath) : randomInput(net, 1);
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
    if (args.options.has("json")) {
      console.log(JSON.stringify({ ...report, layersOutsideBlocks: outside.map((l) => ({ layer: l.name, kind: l.kind, opType: l.opType })), findings }, null, 2));
    } else {
      console.log(`${file}:`);
      console.log(formatReport(report));
      if (plans.length === 0) console.log("(no depthwise-separable block: nothing to fuse)");
      if (outside.length) console.log(`layers outside the blocks (not planned): ${outside.map((l) => `${l.name} (${l.kind})`).join(", ")}`);
    }
    for (const line of warningLines(findings, target, file)) console.error(line);
    return report.bitExact === false ? 1 : 0;
  },
};
