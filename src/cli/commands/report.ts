// `dwpw report`: the fusion report of MobileNet networks on the GAP8 scratchpad model, with the
// estimated latency of the unfused deployment against the optimizer's plans.
import { init } from "../../runtime.js";
import { fusionReport, formatReport, type ReportOptions } from "../../fusion-report.js";
import { mobilenetV1, mobilenetV2, QUANT_SCHEMES, type NetworkSpec } from "../../presets/mobilenet.js";
import { L1OverflowError } from "../../scratchpad/plan.js";
import { check, presetSubjects } from "../../check/index.js";
import { parseArgs, usageText, UsageError, type Flag } from "../args.js";
import { blameBlock } from "../errors.js";
import { MEMORY_FLAGS, memoryOptions, OBJECTIVE_FLAG, OBJECTIVES } from "../common.js";
import type { Command } from "./index.js";

const NETWORKS = ["mobilenet-v1", "mobilenet-v2"] as const;

const FLAGS: Flag[] = [
  { name: "network", value: "NAME", help: `${NETWORKS.join(" | ")}, or both as a comma list (default both)` },
  { name: "alpha", value: "A", help: "width multiplier (default 1.0)" },
  { name: "resolution", value: "R", help: "input resolution (default 224)" },
  { name: "padding", value: "P", help: "symmetric | tf-same (default symmetric)" },
  { name: "scheme", value: "S", help: `${QUANT_SCHEMES.join(" | ")} (default tflite-double)` },
  { name: "layout", value: "L", help: "HWC | CHW: the layout tensors keep in L2 (default HWC)" },
  ...MEMORY_FLAGS,
  OBJECTIVE_FLAG,
  { name: "overlap", help: "estimate with transfers overlapping compute (needs --double-buffer)" },
  { name: "no-latency", help: "leave out the latency section" },
  { name: "no-run", help: "plan only (no emulation, no bit-exact check)" },
  { name: "json", help: "print JSON instead of tables" },
];

const usage = usageText(
  "dwpw report [options]",
  `Unfused vs best fused L2<->L1 traffic of every depthwise-separable block, counted on the
scratchpad model of GAP8, with the fused emulation checked byte for byte against the reference;
then the estimated GAP8 cycles per block and end to end, unfused against the optimized plans.`,
  FLAGS,
);

/** The report of one network; when memory options leave a block with no tiling, says which block. */
function reportOrBlame(net: NetworkSpec, options: ReportOptions) {
  try {
    return fusionReport(net, options);
  } catch (e) {
    if (!(e instanceof L1OverflowError)) throw e;
    throw blameBlock(
      e,
      net.blocks.map((b) => ({
        label: `${net.name} block ${b.index} (${b.input.height}x${b.input.width}x${b.input.channels} -> ${b.output.height}x${b.output.width}x${b.output.channels})`,
        attempt: () => fusionReport({ ...net, blocks: [b], layers: b.layers }, { ...options, run: false }),
      })),
    );
  }
}

export const report: Command = {
  summary: "fusion report (unfused vs best fused traffic) of MobileNetV1/V2 on the GAP8 model",
  usage,
  async run(argv) {
    const args = parseArgs(argv, FLAGS);
    args.expectPositionals();
    const names = (args.string("network") ?? NETWORKS.join(",")).split(",");
    for (const n of names) if (!NETWORKS.includes(n as (typeof NETWORKS)[number])) throw new UsageError(`--network must be ${NETWORKS.join(" or ")}, got ${n}`);
    const netOptions = {
      alpha: args.number("alpha"),
      // The network presets check the range and say which resolutions they take.
      resolution: args.int("resolution", 1, Number.MAX_SAFE_INTEGER),
      padding: args.choice("padding", ["symmetric", "tf-same"] as const),
    };
    const memory = memoryOptions(args);
    const scheme = args.choice("scheme", QUANT_SCHEMES);
    const layout = args.choice("layout", ["HWC", "CHW"] as const);
    const objective = args.choice("objective", OBJECTIVES);
    const overlap = args.has("overlap");
    if (overlap && !memory.doubleBuffer) throw new UsageError("--overlap needs --double-buffer (the second buffer the next tile's transfer fills)");
    if (overlap && args.has("no-latency")) throw new UsageError("--overlap and --no-latency contradict each other");
    if (objective === "cycles" && args.has("no-latency")) throw new UsageError("--objective cycles plans by the latency estimate; it contradicts --no-latency");
    const nets: NetworkSpec[] = names.map((n) => (n === "mobilenet-v1" ? mobilenetV1(netOptions) : mobilenetV2(netOptions)));
    const run = !args.has("no-run");
    if (run) await init();
    const reports = nets.map((net) =>
      reportOrBlame(net, { scheme, layout, memory, run, latency: args.has("no-latency") ? false : { overlap }, objective }),
    );
    if (args.has("json")) console.log(JSON.stringify(reports, null, 2));
    else console.log(reports.map(formatReport).join("\n\n"));
    // Where the real GAP8 kernels would compute other bytes than these: warnings on stderr.
    for (const net of nets) {
      for (const target of ["pulp-nn", "dory-fused"] as const) {
        for (const f of check(presetSubjects(net), { target }).filter((x) => x.severity !== "info")) {
          console.error(`warning: ${net.name} ${String(f.layer)} (${target}) ${f.rule}: ${f.message} Fix: ${f.fix}`);
        }
      }
    }
    return reports.every((r) => r.bitExact !== false) ? 0 : 1;
  },
};
