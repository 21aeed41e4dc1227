// `dwpw selftest`: the package's self-check (src/cli/selftest.ts): kernels against the reference
// under every scheme and layout, fused blocks on the GAP8 model, the deployment check.
import { parseArgs, usageText, UsageError, type Flag } from "../args.js";
import { selfTest } from "../selftest.js";
import type { Command } from "./index.js";

const FLAGS: Flag[] = [
  { name: "quick", help: "the quick check npm start runs: the kernels on MobileNetV1 0.25-128 (seconds)" },
  { name: "full", help: "every layer in every scheme x layout, not only the distinct shapes" },
  { name: "detail", help: "the per-layer table of every scheme x layout, not only the first" },
  { name: "seed", value: "N", help: "seed of the random weights and inputs (default 1)" },
];

const usage = usageText(
  "dwpw selftest [options]",
  `Checks the package the way a user would use it, and prints what it checked: every block of
MobileNetV1/V2 1.0-224 emulated on the GAP8 model and checked against the reference; every
depthwise and pointwise layer of MobileNetV1 1.0-224 on the WebAssembly kernels against the
TypeScript reference under every requantization scheme and both layouts (about 1.5 minutes on 2
cores, most of it in the reference); the deployment check. Exit code 1 on any byte that differs.`,
  FLAGS,
);

export const selftest: Command = {
  summary: "self-check: kernels vs reference under every scheme and layout, fused blocks, deployment check",
  usage,
  async run(argv) {
    const args = parseArgs(argv, FLAGS);
    args.expectPositionals();
    const quick = args.has("quick");
    if (quick && (args.has("full") || args.has("detail"))) throw new UsageError("--full and --detail apply to the exhaustive self-check, not --quick");
    return selfTest({ depth: quick ? "quick" : "exhaustive", full: args.has("full"), detail: args.has("detail"), seed: args.int("seed", 0, 2 ** 32 - 1) ?? 1 });
  },
};
