// The dwpw command line as a user meets it: --version, --help per command, unknown options named
// as such, errors that speak in flags, an infeasible memory option that names the block, a float
// model told to quantize first, bounded reads of model and input files, TFLite models by content,
// and `dwpw selftest --quick` (what `npm start` runs).
//
// The CLI runs as a child process from a private build of src/ (test/helpers/robustness.ts).
import { copyFileSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./helpers/robustness.js";
import { cliPath, runCli, type Run, expectFailure } from "./helpers/cli.js";
import { MODELS_DIR } from "./helpers/models.js";
import { SHARED, sharedMissing, skipMeta } from "./helpers/shared.js";
import { DataType, attrInts, graph, model as onnxModel, node, tensor, valueInfo } from "../scripts/onnx/proto.mjs";
import { writeModel } from "../scripts/tflite/write-model.mjs";

let cli: string;
let tmp: string;
beforeAll(() => {
  cli = cliPath();
  tmp = mkdtempSync(join(tmpdir(), "dwpw-cli-"));
}, 120_000);


const dwpw = (args: string[], timeout?: number): Promise<Run> => runCli(cli, args, timeout);


const model = (f: string) => join(MODELS_DIR, f);
const V2 = model("v2-int8.qdq.onnx");
const TFLITE = `${SHARED}tflite/models/hello_world_int8.tflite`;
/** The TFLite model is in ../shared; without it its tests skip (test/helpers/shared.ts). */
const noTflite = sharedMissing("tflite/models/hello_world_int8.tflite");

describe("dwpw: version and help", () => {
  it("--version prints the package.json version", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const r = await dwpw(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`dwpw ${pkg.version}\n`);
  });

  it("every command has --help (and -h, and dwpw help <command>): its usage, its flags, exit 0", async () => {
    const help = await dwpw(["help"]);
    expect(help.stdout).toMatch(/^Exit codes: 0 success; 1 [^;]+[\s\S]*; 2 a malformed command line/m);
    expect(help.stdout).toMatch(/at most 512 MiB/);
    const names = [...help.stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]!);
    expect(names).toEqual(expect.arrayContaining(["report", "run", "plan", "check", "compare", "selftest"]));
    for (const name of names) {
      const [long, short, topic] = await Promise.all([dwpw([name, "--help"]), dwpw([name, "-h"]), dwpw(["help", name])]);
      expect(long.code, name).toBe(0);
      expect(long.stdout, name).toMatch(new RegExp(`^usage: dwpw ${name}\\b`));
      expect(long.stdout, name).toMatch(/^ {2}--help {2,}show this help$/m);
      expect(short.stdout).toBe(long.stdout);
      expect(topic.stdout).toBe(long.stdout);
    }
    // --help wins over anything else on the line, even a bad option.
    const withBad = await dwpw(["plan", "--chek", "--help"]);
    expect(withBad.code).toBe(0);
    expect(withBad.stdout).toMatch(/^usage: dwpw plan/);
  }, 120_000);
});

describe("dwpw: errors in the terms of the command line", () => {
  it("an unknown option is reported as unknown (with the near flag), not as a missing value", async () => {
    expectFailure(await dwpw(["run", V2, "--chek"]), 2, /^dwpw run: unknown option --chek; did you mean --check\?$/);
    expectFailure(await dwpw(["plan", V2, "--l1usable", "5"]), 2, /^dwpw plan: unknown option --l1usable; did you mean --l1-usable\?$/);
  });

  it("library messages name flags, not API fields", async () => {
    const [l1, alpha, overlap] = await Promise.all([
      dwpw(["plan", V2, "--l1", "20000"]),
      dwpw(["report", "--alpha", "0.3", "--no-run"]),
      dwpw(["report", "--l1-usable", "70000", "--l1", "64000", "--no-run"]),
    ]);
    expectFailure(l1, 1, /^dwpw plan: --l1 20000 leaves no room for tiles after the 27300 B kept for the cores' stacks; set --l1-usable too$/);
    expectFailure(alpha, 1, /^dwpw report: --alpha must be 1\.0, 0\.75, 0\.5 or 0\.25 for MobileNetV1, got 0\.3$/);
    expectFailure(overlap, 1, /^dwpw report: --l1-usable 70000 exceeds --l1 64000$/);
    for (const r of [l1, alpha, overlap]) expect(r.stderr).not.toMatch(/memory\.|options\./);
  });

  it("an L1 too small for a block names the block", async () => {
    const r = await dwpw(["plan", V2, "--l1-usable", "100"]);
    expectFailure(r, 1, /^dwpw plan: block 1 \(b1\.dw, b1\.project\) does not fit in L1: 100 B usable by tiles \(--l1-usable\), and the smallest tiling of .* needs \d+ B; raise --l1-usable or --l1$/);
    const c = await dwpw(["check", V2, "--target", "dory-fused", "--l1-usable", "100"]);
    expectFailure(c, 1, /^dwpw check: block 1 \(b1\.dw, b1\.project\) does not fit in L1/);
  });

  it("numbers: malformed is a usage error (2), well formed but out of range a value error (1)", async () => {
    const [hex, neg, huge, seed] = await Promise.all([
      dwpw(["plan", V2, "--l1", "0x10"]),
      dwpw(["plan", V2, "--l1", "-5"]),
      dwpw(["plan", V2, "--l1", "99999999999"]),
      dwpw(["run", V2, "--seed", "1e3"]),
    ]);
    expectFailure(hex, 2, /^dwpw plan: --l1 must be a decimal integer, got 0x10$/);
    expectFailure(neg, 1, /^dwpw plan: --l1 must be an integer from 1 to 2147483648, got -5$/);
    expectFailure(huge, 1, /^dwpw plan: --l1 must be an integer from 1 to 2147483648, got 99999999999$/);
    expectFailure(seed, 2, /^dwpw run: --seed must be a decimal integer, got 1e3$/);
  });

  it("a float model is told to quantize first, and how", async () => {
    const w = new Float32Array(8 * 3 * 3 * 3).fill(0.1);
    const g = graph({
      name: "float",
      nodes: [node("Conv", ["x", "w"], ["y"], [attrInts("kernel_shape", [3, 3])], "conv")],
      initializers: [tensor("w", DataType.FLOAT, [8, 3, 3, 3], w)],
      inputs: [valueInfo("x", DataType.FLOAT, [1, 3, 8, 8])],
      outputs: [valueInfo("y", DataType.FLOAT, [1, 8, 6, 6])],
    });
    const path = join(tmp, "float.onnx");
    writeFileSync(path, onnxModel({ graph: g, opset: 13 }));
    for (const cmd of ["run", "plan", "check"]) {
      expectFailure(await dwpw([cmd, path]), 1, new RegExp(`^dwpw ${cmd}: .*float\\.onnx is a float model: dwpw runs int8-quantized models; quantize it to int8 first, e\\.g\\. with ONNX Runtime: onnxruntime\\.quantization\\.quantize_static\\(`));
    }
  });

  it("a float TFLite model is told to convert with full-integer quantization", async () => {
    const path = join(tmp, "float.tflite");
    writeFileSync(
      path,
      writeModel({
        tensors: [
          { name: "x", shape: [1, 4], dtype: "float32" },
          { name: "w", shape: [2, 4], dtype: "float32", data: new Float32Array(8).fill(0.5) },
          { name: "y", shape: [1, 2], dtype: "float32" },
        ],
        inputs: [0],
        outputs: [2],
        operators: [{ op: "FULLY_CONNECTED", inputs: [0, 1, -1], outputs: [2] }],
      }),
    );
    expectFailure(await dwpw(["run", path]), 1, /^dwpw run: .*float\.tflite is a float model: dwpw runs int8-quantized models; convert it with full-integer quantization first, e\.g\. tf\.lite\.TFLiteConverter .*TFLITE_BUILTINS_INT8/);
  });
});

describe("dwpw: bounded reads", () => {
  it("a model path that is a device, a directory or larger than 512 MiB is refused before reading", async () => {
    const big = join(tmp, "big.onnx");
    writeFileSync(big, "");
    truncateSync(big, 512 * 2 ** 20 + 1); // sparse: takes no disk space
    const [zero, dir, large] = await Promise.all([dwpw(["run", "/dev/zero"]), dwpw(["plan", MODELS_DIR]), dwpw(["check", big])]);
    expectFailure(zero, 1, /^dwpw run: \/dev\/zero is a device, not a model file$/);
    expectFailure(dir, 1, /is a directory, not a model file$/);
    expectFailure(large, 1, /big\.onnx has 536870913 bytes; model files are at most 536870912 bytes \(512 MiB\)$/);
  });

  it("--input must have exactly the model's size: a device is read one byte past it, a file by its size", async () => {
    const short = join(tmp, "short.bin");
    writeFileSync(short, new Uint8Array(100));
    const [zero, small, missing] = await Promise.all([
      dwpw(["run", V2, "--input", "/dev/zero"]),
      dwpw(["run", V2, "--input", short]),
      dwpw(["run", V2, "--input", join(tmp, "none.bin")]),
    ]);
    expectFailure(zero, 1, /^dwpw run: --input \/dev\/zero has more than 12288 bytes; the model takes 12288: input float32 \[1, 3, 32, 32\]/);
    expectFailure(small, 1, /^dwpw run: --input .*short\.bin has 100 bytes; the model takes 12288/);
    expectFailure(missing, 1, /^dwpw run: cannot read --input .*none\.bin: no such file$/);
  });
});

describe.skipIf(noTflite)("dwpw: TFLite models", skipMeta(noTflite), () => {
  it("run takes a .tflite model (by content, whatever the extension) and --check passes every layer", async () => {
    const renamed = join(tmp, "hello.onnx");
    copyFileSync(TFLITE, renamed);
    for (const path of [TFLITE, renamed]) {
      const r = await dwpw(["run", path, "--check"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/TFLite, \d+ ops/);
      expect(r.stdout).toMatch(/every layer equals the reference \(\d+ layers\)/);
    }
  });

  it("ONNX-only options on a TFLite model are value errors that say so", async () => {
    expectFailure(await dwpw(["run", TFLITE, "--blocks"]), 1, /^dwpw run: --blocks applies to ONNX models; .*hello_world_int8\.tflite is a TFLite model$/);
  });
});

describe("dwpw selftest", () => {
  it("--quick (what npm start runs): the three sections and a bit-exact verdict", async () => {
    const r = await dwpw(["selftest", "--quick"], 300_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^dwpw quick check/);
    expect(r.stdout).toMatch(/^== 1\. Fused depthwise-separable blocks/m);
    expect(r.stdout).toMatch(/^== 2\. Kernels vs reference: mobilenet_v1_0\.25_128, every depthwise and pointwise layer ==$/m);
    expect(r.stdout).toMatch(/^all: 416\/416 layer runs bit-exact/m);
    expect(r.stdout).toMatch(/^== 3\. Deployment check/m);
    expect(r.stdout).toMatch(/^VERDICT: all \d+ checks bit-exact/m);
    expect(r.stdout).not.toMatch(/MISMATCH/);
  }, 300_000);

  it("--full and --detail belong to the exhaustive check", async () => {
    expectFailure(await dwpw(["selftest", "--quick", "--full"]), 2, /^dwpw selftest: --full and --detail apply to the exhaustive self-check/);
  });
});
