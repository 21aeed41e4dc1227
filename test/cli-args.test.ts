// The CLI's parsing and error mapping, in process: strict options, decimal numbers, the exit code
// of each kind of error, and library field names turned into flags.
import { describe, expect, it } from "vitest";
import { parseArgs, usageText, type Flag } from "../src/cli/args.js";
import { blameBlock, errorMessage, exitCode, inFlags, UsageError, ValueError } from "../src/cli/errors.js";
import { L1OverflowError } from "../src/scratchpad/plan.js";

const FLAGS: Flag[] = [
  { name: "l1", value: "B", help: "L1 bytes" },
  { name: "alpha", value: "A", help: "width" },
  { name: "input", value: "FILE", help: "input" },
  { name: "check", help: "check" },
  { name: "json", help: "json" },
];

/** The error `f` throws (fails the test when it throws none). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("parseArgs", () => {
  it("takes values as `--name value` and `--name=value`, flags, positionals, and `--`", () => {
    const a = parseArgs(["m.onnx", "--l1", "7", "--alpha=0.5", "--check", "--", "--json"], FLAGS);
    expect(a.positionals).toEqual(["m.onnx", "--json"]);
    expect(a.int("l1")).toBe(7);
    expect(a.number("alpha")).toBe(0.5);
    expect(a.has("check")).toBe(true);
    expect(a.has("json")).toBe(false);
  });

  it("a value may start with a dash: negative numbers and `-` (stdin)", () => {
    const a = parseArgs(["--l1", "-5", "--input", "-"], FLAGS);
    expect(a.string("l1")).toBe("-5");
    expect(a.string("input")).toBe("-");
  });

  it("usage errors: unknown (with the near flag), missing value, value to a flag, given twice", () => {
    const cases: Array<[string[], RegExp]> = [
      [["--chek"], /^unknown option --chek; did you mean --check\?$/],
      [["--zzz=1"], /^unknown option --zzz$/],
      [["-q"], /^unknown option -q$/],
      [["--l1"], /^--l1 needs a value$/],
      [["--l1", "--json"], /^--l1 needs a value$/],
      [["--json=1"], /^--json takes no value$/],
      [["--l1", "1", "--l1=2"], /^--l1 is given more than once$/],
    ];
    for (const [argv, msg] of cases) {
      const e = thrown(() => parseArgs(argv, FLAGS));
      expect(e, argv.join(" ")).toBeInstanceOf(UsageError);
      expect(e.message, argv.join(" ")).toMatch(msg);
    }
  });

  it("integers are decimal: malformed is a UsageError, out of range a ValueError", () => {
    const int = (v: string) => parseArgs([`--l1=${v}`], FLAGS).int("l1", 1, 100);
    expect(int("42")).toBe(42);
    expect(int("+42")).toBe(42);
    expect(int("007")).toBe(7);
    for (const v of ["0x10", "1e2", "1.5", "", " 5", "5 ", "Infinity", "NaN", "0b1", "1_000"]) expect(thrown(() => int(v)), v).toBeInstanceOf(UsageError);
    for (const v of ["0", "-5", "101", "99999999999999999999999"]) {
      const e = thrown(() => int(v));
      expect(e, v).toBeInstanceOf(ValueError);
      expect(e.message).toBe(`--l1 must be an integer from 1 to 100, got ${v}`);
    }
  });

  it("numbers are decimal: no exponent, hex, Infinity or NaN", () => {
    const num = (v: string) => parseArgs([`--alpha=${v}`], FLAGS).number("alpha");
    expect(num("0.25")).toBe(0.25);
    expect(num(".5")).toBe(0.5);
    expect(num("-1")).toBe(-1);
    for (const v of ["1e0", "0x1", "Infinity", "NaN", "abc", "", "1,5"]) expect(thrown(() => num(v)), v).toBeInstanceOf(UsageError);
  });

  it("choices and positionals", () => {
    const a = parseArgs(["x", "y"], FLAGS);
    expect(thrown(() => a.expectPositionals("the model file"))).toMatchObject({ message: "unexpected argument y" });
    expect(thrown(() => parseArgs([], FLAGS).expectPositionals("the model file"))).toMatchObject({ message: "missing the model file" });
    const e = thrown(() => parseArgs(["--input=b"], FLAGS).choice("input", ["a", "c"]));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe("--input must be one of a, c, got b");
  });

  it("usage text lists every flag with its placeholder, and --help", () => {
    const u = usageText("dwpw x [options]", "Does x.", FLAGS);
    expect(u).toMatch(/^usage: dwpw x \[options\]\n\nDoes x\.\n\n/);
    expect(u).toMatch(/^ {2}--l1 B {2,}L1 bytes$/m);
    expect(u).toMatch(/^ {2}--check {2,}check$/m);
    expect(u).toMatch(/^ {2}--help {2,}show this help$/m);
  });
});

describe("exit codes and messages", () => {
  it("usage errors exit 2; every other error exits 1", () => {
    expect(exitCode(new UsageError("x"))).toBe(2);
    for (const e of [new ValueError("x"), new RangeError("x"), new TypeError("x"), new Error("x"), "x"]) expect(exitCode(e)).toBe(1);
  });

  it("API fields become flags", () => {
    const cases: Array<[string, string]> = [
      ["memory.l1 (20000) leaves no room for tiles; set memory.l1Usable too", "--l1 20000 leaves no room for tiles; set --l1-usable too"],
      ["memory.l1Usable (70000) exceeds memory.l1 (64000)", "--l1-usable 70000 exceeds --l1 64000"],
      ["options.alpha must be 1.0, 0.75, 0.5 or 0.25 for MobileNetV1, got 0.3", "--alpha must be 1.0, 0.75, 0.5 or 0.25 for MobileNetV1, got 0.3"],
      ["options.latency.overlap needs memory.doubleBuffer: true (the second tile buffer)", "--overlap needs --double-buffer (the second tile buffer)"],
      ["options.memory.l2 must be a positive integer", "--l2 must be a positive integer"],
      ["options.resolution must be an integer in [32, 4096], got 5", "--resolution must be an integer in [32, 4096], got 5"],
      ["node \"conv\" (Conv): its output is not quantized", "node \"conv\" (Conv): its output is not quantized"],
    ];
    for (const [api, cli] of cases) expect(inFlags(api)).toBe(cli);
    expect(errorMessage(new RangeError("memory.dma must be one of a, b\n  more"))).toBe("--dma must be one of a, b");
  });

  it("an L1 overflow names the first block that overflows on its own", () => {
    const overflow = new L1OverflowError("unfused", 296, 100, {});
    const tried: string[] = [];
    const blocks = ["block 1", "block 2", "block 3"].map((label, i) => ({
      label,
      attempt: () => {
        tried.push(label);
        if (i >= 1) throw overflow;
      },
    }));
    const e = blameBlock(overflow, blocks) as Error;
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toBe("block 2 does not fit in L1: 100 B usable by tiles (--l1-usable), and the smallest tiling of the unfused schedule needs 296 B; raise --l1-usable or --l1");
    expect(tried).toEqual(["block 1", "block 2"]);
    // No block fails alone: the original error stands.
    expect(blameBlock(overflow, [{ label: "b", attempt: () => 0 }])).toBe(overflow);
    expect(errorMessage(new L1OverflowError("unfused first layer", Infinity, 1, {}))).toBe("a block does not fit in L1: 1 B usable by tiles (--l1-usable), and no tiling of its first layer alone fits; raise --l1-usable or --l1");
  });
});
