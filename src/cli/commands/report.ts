// `dwpw report`: the fusion report of MobileNet networks on the GAP8 scratchpad model, with the
// estimated latency of the unfused deployment against the optimizer's plans.
import { init } from "../../runtime.js";
import { fusionReport, formatReport } from "../../report.js";
import { mobilenetV1, mobilenetV2, QUANT_SCHEMES, type NetworkSpec } from "../../networks/mobilenet.js";
import { DMA_PRESETS } from "../../scratchpad/memory.js";
import { choiceOpt, intOpt, onlyOptions, parseArgs, stringOpt, UsageError } from "../args.js";
import type { Command } from "./index.js";
import { check, presetSubjects } from "../../check/index.js";

const NETWORKS = ["mobilenet-v1", "mobilenet-v2"] as const;
const OPTIONS = [
  "network", "alpha", "resolution", "padding", "scheme", "layout", "l1", "l1-usable", "l2", "dma", "double-buffer", "no-run", "json",
  "objective", "overlap", "no-latency",
];
/** DMA models by name: the memory presets and the constants fitted to GAP8 measurements. */
const DMA_NAMES = Object.keys(DMA_PRESETS) as Array<keyof typeof DMA_PRESETS>;

const usage = `usage: dwpw report [options]

Unfused vs best fused L2<->L1 traffic of every depthwise-separable block, counted on the
scratchpad model of GAP8, with the fused emulation checked byte for byte against the reference;
then the estimated GAP8 cycles per block and end to end, unfused against the optimized plans.

  --network NAME     ${NETWORKS.join(" | ")} (repeatable as a comma list; default both)
  --alpha A          width multiplier (default 1.0)
  --resolution R     input resolution (default 224)
  --padding P        symmetric | tf-same (default symmetric)
  --scheme S         ${QUANT_SCHEMES.join(" | ")} (default tflite-double)
  --layout L         HWC | CHW: the layout tensors keep in L2 (default HWC)
  --l1 B             L1 bytes (default 64000)
  --l1-usable B      L1 bytes usable by tiles (default 36700, or l1 - 27300)
  --l2 B             L2 bytes (default 512000)
  --dma NAME         ${DMA_NAMES.join(" | ")} (default dory-gap8; gap8-fit: fitted to
                     measured GAP8 layers, see src/latency/calibrate.ts)
  --double-buffer    double the tile buffers
  --objective O      cycles | bytes: what the optimized plans minimise (default cycles)
  --overlap          estimate with transfers overlapping compute (needs --double-buffer)
  --no-latency       leave out the latency section
  --no-run           plan only (no emulation, no bit-exact check)
  --json             print JSON instead of tables`;

export const report: Command = {
  summary: "fusion report (unfused vs best fused traffic) of MobileNetV1/V2 on the GAP8 model",
  usage,
  async run(argv) {
    const args = parseArgs(argv, ["double-buffer", "no-run", "json", "overlap", "no-latency"], OPTIONS);
    onlyOptions(args, OPTIONS);
    if (args.positionals.length) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    const names = (stringOpt(args, "network") ?? NETWORKS.join(",")).split(",");
    for (const n of names) if (!NETWORKS.includes(n as (typeof NETWORKS)[number])) throw new UsageError(`--network must be ${NETWORKS.join(" or ")}, got ${n}`);
    const alpha = stringOpt(args, "alpha");
    const netOptions = {
      alpha: alpha === undefined ? undefined : Number(alpha),
      resolution: intOpt(args, "resolution"),
      padding: choiceOpt(args, "padding", ["symmetric", "tf-same"] as const),
    };
    const nets: NetworkSpec[] = names.map((n) => (n === "mobilenet-v1" ? mobilenetV1(netOptions) : mobilenetV2(netOptions)));
    const memory = {
      l1: intOpt(args, "l1"),
      l1Usable: intOpt(args, "l1-usable"),
      l2: intOpt(args, "l2"),
      dma: choiceOpt(args, "dma", DMA_NAMES),
      doubleBuffer: args.options.has("double-buffer") ? true : undefined,
    };
    const overlap = args.options.has("overlap");
    if (overlap && !memory.doubleBuffer) throw new UsageError("--overlap needs --double-buffer (the second buffer the next tile's transfer fills)");
    if (overlap && args.options.has("no-latency")) throw new UsageError("--overlap and --no-latency contradict each other");
    const objective = choiceOpt(args, "objective", ["cycles", "bytes"] as const);
    const run = !args.options.has("no-run");
    if (run) await init();
    const reports = nets.map((net) =>
      fusionReport(net, {
        scheme: choiceOpt(args, "scheme", QUANT_SCHEMES),
        layout: choiceOpt(args, "layout", ["HWC", "CHW"] as const),
        memory: Object.fromEntries(Object.entries(memory).filter(([, v]) => v !== undefined)),
        run,
        latency: args.options.has("no-latency") ? false : { overlap },
        objective,
      }),
    );
    if (args.options.has("json")) console.log(JSON.stringify(reports, null, 2));
    else console.log(reports.map(formatReport).join("\n\n"));
    // Where the real GAP8 kernels would compute other bytes than these (issue 9): warnings on stderr.
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

