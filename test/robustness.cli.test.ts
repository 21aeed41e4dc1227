// For the command line: every bad invocation of `dwpw` exits with a non-zero
// code and one clear line on stderr (`dwpw <command>: ...`, followed for usage errors by the
// usage text), never a stack trace, in bounded time.
//
// The CLI runs as a child process from a private build of src/ (test/helpers/robustness.ts), so
// the test never depends on a stale or half-written dist/.
import { execFile } from "node:child_process";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, compiledPackage } from "./helpers/robustness.js";

let cli: string;
beforeAll(() => {
  cli = join(compiledPackage(), "cli", "dwpw.js");
}, 120_000);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function dwpw(args: string[], timeout = 60_000): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: ROOT, timeout, encoding: "utf8" }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : null) : 0;
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** The failure is clean: exit 1 or 2, nothing on stdout, one `dwpw ...: message` line first, no stack. */
function expectClean(r: Run, args: string[]): void {
  const what = `dwpw ${args.join(" ")}\n--- stderr:\n${r.stderr}`;
  expect([1, 2], what).toContain(r.code);
  expect(r.stdout, what).toBe("");
  const lines = r.stderr.replace(/\n+$/, "").split("\n");
  expect(lines[0], what).toMatch(/^dwpw( [a-z-]+)?: \S/);
  expect(r.stderr, what).not.toMatch(/^\s+at\s/m);
  expect(r.stderr, what).not.toMatch(/^(\w*Error|Error)\b/m);
  if (lines.length > 1) {
    // Usage errors (exit 2) add a blank line and the usage text; nothing else may follow.
    expect(r.code, what).toBe(2);
    expect(lines[1], what).toBe("");
    expect(lines[2], what).toMatch(/^usage: dwpw/);
  }
}

// Exit 2: the command line is malformed (unknown option, missing value, a number that is not a
// decimal, a value not among the choices). Exit 1: well formed, but out of range or refused.
const FIXED: Array<[string[], 1 | 2, RegExp]> = [
  [["report", "--l1", "abc"], 2, /^dwpw report: --l1 must be a decimal integer, got abc$/m],
  [["report", "--l1", "0x10"], 2, /--l1 must be a decimal integer, got 0x10/],
  [["report", "--l1", "1e3"], 2, /--l1 must be a decimal integer, got 1e3/],
  [["report", "--l1", "1.5"], 2, /--l1 must be a decimal integer, got 1.5/],
  [["report", "--l1", ""], 2, /--l1 must be a decimal integer, got ""/],
  [["report", "--l1", "0"], 1, /^dwpw report: --l1 must be an integer from 1 to 2147483648, got 0$/],
  [["report", "--l1=-5"], 1, /--l1 must be an integer from 1 to 2147483648, got -5/],
  [["report", "--l1", "-5"], 1, /--l1 must be an integer from 1 to 2147483648, got -5/],
  [["report", "--l1", "99999999999"], 1, /--l1 must be an integer from 1 to 2147483648, got 99999999999/],
  [["report", "--l1", "1"], 1, /^dwpw report: --l1 1 leaves no room for tiles .*; set --l1-usable too$/],
  [["report", "--l1-usable", "1"], 1, /^dwpw report: mobilenet_v1_1\.0_224 block 1 \(112x112x32 -> 112x112x64\) does not fit in L1: 1 B usable by tiles/],
  [["report", "--l1-usable", "70000"], 1, /^dwpw report: --l1-usable 70000 exceeds --l1 64000$/],
  [["report", "--l2", "abc"], 2, /--l2 must be a decimal integer/],
  [["report", "--l2", "-1"], 1, /--l2 must be an integer from 1/],
  [["report", "--alpha", "abc"], 2, /--alpha must be a decimal number, got abc/],
  [["report", "--alpha", "Infinity"], 2, /--alpha must be a decimal number/],
  [["report", "--alpha", "1e0"], 2, /--alpha must be a decimal number/],
  [["report", "--alpha", "0.3"], 1, /^dwpw report: --alpha must be 1.0, 0.75, 0.5 or 0.25 for MobileNetV1, got 0.3$/],
  [["report", "--alpha", "-1"], 1, /^dwpw report: --alpha must be a positive number/],
  [["report", "--resolution", "5"], 1, /^dwpw report: --resolution must be an integer in \[32, 4096\]/],
  [["report", "--resolution", "99999"], 1, /--resolution/],
  [["report", "--resolution", "abc"], 2, /--resolution must be a decimal integer/],
  [["report", "--network", "foo"], 2, /--network must be mobilenet-v1 or mobilenet-v2, got foo/],
  [["report", "--network", "mobilenet-v1,"], 2, /--network/],
  [["report", "--dma", "toString"], 2, /--dma must be one of dory-gap8, match-gap9\b.*, got toString$/],
  [["report", "--dma", "__proto__"], 2, /--dma/],
  [["report", "--scheme", "x"], 2, /--scheme must be one of/],
  [["report", "--layout", "NHWC"], 2, /--layout must be one of HWC, CHW/],
  [["report", "--padding", "x"], 2, /--padding/],
  [["report", "--l1"], 2, /--l1 needs a value/],
  [["report", "--l1", "--json"], 2, /--l1 needs a value/],
  [["report", "--json=yes"], 2, /--json takes no value/],
  [["report", "--json", "--json"], 2, /--json is given more than once/],
  [["report", "--bogus", "1"], 2, /unknown option --bogus$/],
  [["report", "--no-rn"], 2, /unknown option --no-rn; did you mean --no-run\?/],
  [["report", "-x"], 2, /unknown option -x/],
  [["report", "extra"], 2, /unexpected argument extra/],
  [["report", "--overlap"], 2, /--overlap needs --double-buffer/],
  [["frob"], 2, /^dwpw: unknown command "frob"/],
  [["--frob"], 2, /^dwpw: unknown option --frob/],
];

describe("dwpw CLI: bad invocations", () => {
  it("each fixed bad invocation: its exit code and one clear line", async () => {
    // A few at a time (each is a Node process).
    for (let i = 0; i < FIXED.length; i += 4) {
      const batch = FIXED.slice(i, i + 4);
      const runs = await Promise.all(batch.map(([args]) => dwpw(args)));
      runs.forEach((r, j) => {
        const [args, code, msg] = batch[j]!;
        expectClean(r, args);
        expect(r.code, args.join(" ")).toBe(code);
        expect(r.stderr.split("\n")[0], args.join(" ")).toMatch(msg);
      });
    }
  }, 180_000);

  it("fuzzed argument lists with at least one bad option: clean failure, bounded time", async () => {
    const bad: string[][] = [
      ["--l1", "abc"], ["--l1", "0"], ["--l1", "-5"], ["--l1", "1.5"], ["--l1", "99999999999"], ["--l1", "1"], ["--l1", "NaN"],
      ["--network", "foo"], ["--network", ""], ["--bogus", "1"], ["extra"], ["--resolution", "5"], ["--resolution", "1e9"],
      ["--alpha", "0.3"], ["--alpha", "abc"], ["--alpha", "-0"], ["--dma", "toString"], ["--scheme", "x"], ["--layout", "NHWC"],
      ["--padding", "x"], ["--l1-usable", "70000"], ["--l2", "abc"], ["--l2", "-1"], ["--l1-usable", "0"],
    ];
    const noise: string[][] = [
      ["--json"], ["--double-buffer"], ["--network", "mobilenet-v1"], ["--scheme", "onnx"], ["--layout", "CHW"],
      ["--dma", "match-gap9"], ["--resolution", "128"], ["--alpha", "0.5"], ["--padding", "tf-same"], ["--l2", "512000"],
    ];
    const name = (t: string[]) => (t[0]!.startsWith("--") ? t[0]!.split("=")[0] : "positional");
    const argvs = fc.sample(
      fc.tuple(fc.subarray(bad, { minLength: 1, maxLength: 2 }), fc.subarray(noise, { maxLength: 3 }), fc.nat()).map(([b, n, seed]) => {
        const used = new Set(b.map(name));
        const tokens = [...b, ...n.filter((t) => !used.has(name(t)))];
        // A seeded shuffle, so a failing list is reproducible from the printed argv.
        for (let i = tokens.length - 1; i > 0; i--) {
          const j = (seed + i * 7919) % (i + 1);
          [tokens[i], tokens[j]] = [tokens[j]!, tokens[i]!];
        }
        return ["report", ...tokens.flat()];
      }),
      { numRuns: 24, seed: 7 },
    );
    for (let i = 0; i < argvs.length; i += 4) {
      const batch = argvs.slice(i, i + 4);
      const runs = await Promise.all(batch.map((a) => dwpw(a)));
      runs.forEach((r, j) => {
        expectClean(r, batch[j]!);
        expect(r.ms, batch[j]!.join(" ")).toBeLessThan(60_000);
      });
    }
  }, 300_000);

  it("help and usage go to stdout with exit 0 (no arguments: exit 2)", async () => {
    const [help, cmdHelp, none] = await Promise.all([dwpw(["help"]), dwpw(["report", "--help"]), dwpw([])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: dwpw <command>/);
    expect(cmdHelp.code).toBe(0);
    expect(cmdHelp.stdout).toMatch(/^usage: dwpw report/);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe("");
  }, 60_000);

  // Regression: `report --no-run` on MobileNetV2 used to call the kernels without init() (a stack
  // trace, exit 1); fixed in src/fusion-report.ts.
  it("report --no-run on MobileNetV2 (small) exits 0 without touching the kernels", async () => {
    const r = await dwpw(["report", "--no-run", "--network", "mobilenet-v2", "--resolution", "32", "--alpha", "0.35"]);
    expect(r.stderr).not.toMatch(/^\s+at\s/m);
    expect(r.code, r.stderr).toBe(0);
  }, 60_000);
});
