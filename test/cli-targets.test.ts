// The command line on one model under several deployments: `dwpw compare` (per-layer drift, the
// first divergence and why, top-1 agreement, targets that refuse the model, a folder of real
// inputs), `run --target`, and `plan` / `check` on TFLite models (the NNTool deployment findings
// included). The expected bytes come from the runtime dumps in ../shared, read at test time.
//
// The CLI runs as a child process from a private build of src/ (test/helpers/robustness.ts).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cliPath, runCli, type Run, expectFailure } from "./helpers/cli.js";
import { MODELS_DIR } from "./helpers/models.js";
import { SHARED, sharedMissing, skipMeta } from "./helpers/shared.js";

let cli: string;
let tmp: string;
beforeAll(() => {
  cli = cliPath();
  tmp = mkdtempSync(join(tmpdir(), "dwpw-cli-targets-"));
}, 120_000);


const dwpw = (args: string[], timeout?: number): Promise<Run> => runCli(cli, args, timeout);


const PERSON = `${SHARED}tflite/models/person_detect.tflite`;
const SPEECH = `${SHARED}tflite/models/micro_speech_quantized.tflite`;
const KEYWORD = `${SHARED}tflite/models/keyword_scrambled_8bit.tflite`;
const ONNX = join(MODELS_DIR, "v2-int8.qdq.onnx");
const missing = sharedMissing(
  "tflite/models/person_detect.tflite",
  "tflite/models/micro_speech_quantized.tflite",
  "tflite/models/keyword_scrambled_8bit.tflite",
  "tflite/litert/person_detect.json",
  "tflite/ref/person_detect.json",
);

interface DumpTensor {
  index: number;
  data: string;
}
interface DumpCase {
  name: string;
  inputs: Array<{ data: string }>;
  outputs: number[];
  tensors: DumpTensor[];
}

/** A dump's cases (../shared/tflite/<dir>/person_detect.json): input bytes and output values. */
function dumpCases(dir: string): Array<{ name: string; input: Buffer; output: number[] }> {
  const d = JSON.parse(readFileSync(`${SHARED}tflite/${dir}/person_detect.json`, "utf8")) as { cases: DumpCase[] };
  return d.cases.map((c) => {
    const out = c.tensors.find((t) => t.index === c.outputs[0])!;
    return { name: c.name, input: Buffer.from(c.inputs[0]!.data, "base64"), output: Array.from(new Int8Array(Buffer.from(out.data, "base64"))) };
  });
}

describe.skipIf(missing)("dwpw compare", skipMeta(missing), () => {
  it("tflite-micro against litert on person_detect: the first divergence at the first depthwise layer, why, and the outputs", async () => {
    const r = await dwpw(["compare", PERSON, "--targets", "tflite-micro,litert", "--inputs", "2"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^targets: tflite-micro \(reference\), litert$/m);
    expect(r.stdout).toMatch(/^layer +kind +litert$/m);
    // The first layer of person_detect is a depthwise convolution (one input channel, depth multiplier 8).
    expect(r.stdout).toMatch(/^first divergence under litert: tensor \d+ "MobilenetV1\/MobilenetV1\/Conv2d_0\/Relu6" \(depthwiseConv2d\), layer 1 of \d+$/m);
    expect(r.stdout).toMatch(/^ {2}tflite-micro: .*double rounding/m);
    expect(r.stdout).toMatch(/^ {2}litert: +XNNPACK fp32 requantization/m);
    expect(r.stdout).toMatch(/^output "MobilenetV1\/Predictions\/Reshape_1":$/m);
    expect(r.stdout).toMatch(/^ {2}litert: top-1 agreement \d+\.\d% \(\d of 2 inputs\); (\d+ of 4 values differ, largest|no value differs)/m);
    expect(r.stdout).toMatch(/^ {2}random 1 +tflite-micro -?\d+ -?\d+ \| litert -?\d+ -?\d+$/m);
  });

  it("tflite-micro, gap8-nntool and onnxruntime: a per-layer drift table and the top-1 agreement of each", async () => {
    const r = await dwpw(["compare", PERSON, "--targets", "tflite-micro,gap8-nntool,onnxruntime", "--inputs", "2"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^layer +kind +gap8-nntool +onnxruntime$/m);
    // One row per layer, each cell "same" or the share that differs, the largest step and the SQNR.
    const rows = r.stdout.split("\n").filter((l) => /^\d+ MobilenetV1\//.test(l));
    expect(rows.length).toBe(31);
    for (const row of rows) expect(row).toMatch(/(same|[<\d.]+% ±[\d.]+ -?[\d.]+dB|inf)\s+(same|[<\d.]+% ±[\d.]+ -?[\d.]+dB)$/);
    for (const t of ["gap8-nntool", "onnxruntime"]) expect(r.stdout).toMatch(new RegExp(`^  ${t}: top-1 agreement \\d+\\.\\d% \\(\\d of 2 inputs\\)`, "m"));
    expect(r.stdout).toMatch(/^gap8-nntool: \d+ deployment findings .*dwpw check .* --target gap8-nntool$/m);
  });

  it("--json prints the CompareReport", async () => {
    const r = await dwpw(["compare", PERSON, "--targets", "tflite-micro,litert", "--inputs", "2", "--seed", "3", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as {
      reference: string; targets: string[]; inputs: number; seed: number; refused: unknown[];
      layers: Array<{ name: string; kind: string; index: number; byTarget: Record<string, { values: number; differing: number; maxAbsSteps: number; sqnrDb: number | null }>; arithmetic?: Record<string, string> }>;
      outputs: Array<{ name: string; byTarget: Record<string, { differing: number; maxAbsReal: number; top1Agreement: number }> }>;
      firstDivergence: { name: string; kind: string; targets: string[]; why?: string } | null;
    };
    expect(j.reference).toBe("tflite-micro");
    expect(j.targets).toEqual(["tflite-micro", "litert"]);
    expect(j.inputs).toBe(2);
    expect(j.seed).toBe(3);
    expect(j.refused).toEqual([]);
    expect(j.layers).toHaveLength(31);
    expect(j.layers[0]!.byTarget["tflite-micro"]!.sqnrDb).toBeNull(); // the reference against itself: infinite
    expect(j.firstDivergence).toMatchObject({ name: "MobilenetV1/MobilenetV1/Conv2d_0/Relu6", kind: "depthwiseConv2d", targets: ["litert"] });
    expect(j.firstDivergence!.why).toMatch(/litert: XNNPACK/);
    expect(j.outputs[0]!.byTarget.litert!.top1Agreement).toBeGreaterThanOrEqual(0);
  });

  it("a target that refuses the model is reported with its reason and the others are compared", async () => {
    const r = await dwpw(["compare", KEYWORD, "--targets", "tflite-micro,litert,cmsis-nn", "--inputs", "1"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^not compared: litert cannot run the model: op \d+ \(SVDF\): LiteRT refuses models with variable tensors/m);
    expect(r.stdout).toMatch(/^targets: tflite-micro \(reference\), cmsis-nn$/m);
    expect(r.stdout).toMatch(/^layer +kind +cmsis-nn$/m);
    const j = JSON.parse((await dwpw(["compare", KEYWORD, "--targets", "tflite-micro,litert,cmsis-nn", "--inputs", "1", "--json"])).stdout) as { targets: string[]; refused: Array<{ target: string; reason: string }> };
    expect(j.targets).toEqual(["tflite-micro", "cmsis-nn"]);
    expect(j.refused).toEqual([{ target: "litert", reason: expect.stringMatching(/SVDF/) }]);
  });

  it("when only the reference can run the model: exit 1 saying why", async () => {
    expectFailure(
      await dwpw(["compare", KEYWORD, "--targets", "tflite-micro,litert"]),
      1,
      /^dwpw compare: only the reference tflite-micro can run .*keyword_scrambled_8bit\.tflite: litert: op \d+ \(SVDF\): LiteRT refuses/,
    );
    expectFailure(await dwpw(["compare", KEYWORD, "--reference", "litert"]), 1, /^dwpw compare: the reference litert cannot run .*: op \d+ \(SVDF\)/);
    // An ONNX model runs under the TFLite-family targets too (converted); a uint8 one is refused by them.
    const UINT8 = join(MODELS_DIR, "v1-uint8-same.qlinear.onnx");
    expectFailure(await dwpw(["compare", UINT8, "--targets", "onnxruntime,tflite-micro"]), 1, /^dwpw compare: only the reference onnxruntime can run .*: tflite-micro: node "stem" \(QLinearConv\): .*uint8/);
  });

  it("--inputs DIR: one raw file per input; the no-person image gives TFLM's and LiteRT's own output bytes", async () => {
    const tflm = dumpCases("ref");
    const litert = dumpCases("litert");
    const dir = join(tmp, "images");
    mkdirSync(dir);
    for (const c of tflm.slice(0, 2)) writeFileSync(join(dir, `${c.name}.bin`), c.input);
    writeFileSync(join(dir, ".DS_Store"), "not an input");
    const r = await dwpw(["compare", PERSON, "--targets", "tflite-micro,litert", "--inputs", dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^inputs: 2 files in .*images: input int8 \[1, 96, 96, 1\] \(9216 bytes\)$/m);
    const noPerson = (cs: typeof tflm) => cs.find((c) => c.name === "no-person-image")!.output;
    expect(noPerson(tflm)).not.toEqual(noPerson(litert)); // [57, -57] against [60, -60]
    expect(r.stdout).toContain(`  no-person-image.bin  tflite-micro ${noPerson(tflm).join(" ")} | litert ${noPerson(litert).join(" ")}`);

    const bad = join(tmp, "bad");
    mkdirSync(bad);
    writeFileSync(join(bad, "short.bin"), new Uint8Array(100));
    expectFailure(await dwpw(["compare", PERSON, "--inputs", bad]), 1, /^dwpw compare: --inputs .*short\.bin has 100 bytes; the model takes 9216: input int8 \[1, 96, 96, 1\]/);
    const empty = join(tmp, "empty");
    mkdirSync(empty);
    expectFailure(await dwpw(["compare", PERSON, "--inputs", empty]), 1, /^dwpw compare: --inputs .*empty holds no input file/);
    expectFailure(await dwpw(["compare", PERSON, "--inputs", dir, "--seed", "2"]), 2, /^dwpw compare: --seed applies to random inputs/);
  });

  it("malformed target lists are usage errors", async () => {
    expectFailure(await dwpw(["compare", PERSON, "--targets", "tflite-micro,tvm"]), 2, /^dwpw compare: --targets must be a comma list of tflite-micro, .*, got tvm$/);
    expectFailure(await dwpw(["compare", PERSON, "--targets", "litert,litert"]), 2, /^dwpw compare: --targets names litert twice$/);
    expectFailure(await dwpw(["compare", PERSON, "--inputs", "0"]), 1, /^dwpw compare: --inputs must be an integer from 1 to 1000000, got 0$/);
  });
});

describe.skipIf(missing)("dwpw run --target", skipMeta(missing), () => {
  it("on person_detect: litert gives LiteRT's output bytes for the no-person image, the default TFLM's", async () => {
    const input = join(tmp, "no-person.bin");
    const litert = dumpCases("litert").find((c) => c.name === "no-person-image")!;
    const tflm = dumpCases("ref").find((c) => c.name === "no-person-image")!;
    writeFileSync(input, litert.input);
    const [l, d] = await Promise.all([dwpw(["run", PERSON, "--target", "litert", "--input", input, "--json"]), dwpw(["run", PERSON, "--input", input, "--json"])]);
    expect(l.code, l.stderr).toBe(0);
    const jl = JSON.parse(l.stdout) as { target: string; outputs: Array<{ data: number[] }> };
    const jd = JSON.parse(d.stdout) as { target: string; outputs: Array<{ data: number[] }> };
    expect(jl.target).toBe("litert");
    expect(jl.outputs[0]!.data).toEqual(litert.output);
    expect(jl.outputs[0]!.data).toEqual([60, -60]);
    expect(jd.target).toBe("tflite-micro");
    expect(jd.outputs[0]!.data).toEqual(tflm.output);
  });

  it("a target that refuses the model says why; ONNX models run under every target that takes their ops", async () => {
    expectFailure(await dwpw(["run", KEYWORD, "--target", "litert"]), 1, /^dwpw run: --target litert cannot run .*: op \d+ \(SVDF\): LiteRT refuses/);
    const converted = JSON.parse((await dwpw(["run", ONNX, "--target", "litert", "--json"])).stdout) as { target: string; format: string };
    expect(converted).toMatchObject({ target: "litert", format: "onnx" });
    expectFailure(await dwpw(["run", ONNX, "--target", "litert", "--add-rounding", "ort-x86"]), 1, /^dwpw run: --add-rounding applies to ONNX Runtime's targets; --target litert runs the converted graph$/);
    expectFailure(await dwpw(["run", ONNX, "--target", "onnxruntime-wasm", "--add-rounding", "ort-x86"]), 2, /^dwpw run: --target onnxruntime-wasm is --add-rounding ort-wasm; --add-rounding ort-x86 contradicts it$/);
    expectFailure(await dwpw(["run", PERSON, "--kernels", "dory-fused"]), 1, /^dwpw run: --kernels applies to ONNX models/);
    const wasm = JSON.parse((await dwpw(["run", ONNX, "--target", "onnxruntime-wasm", "--json"])).stdout) as { target: string; addRounding: string };
    expect(wasm).toMatchObject({ target: "onnxruntime-wasm", addRounding: "ort-wasm" });
  });
});

describe.skipIf(missing)("dwpw plan and check on TFLite models", skipMeta(missing), () => {
  it("plan: the blocks of person_detect under either objective, with bytes and cycles", async () => {
    const [bytes, cycles, text] = await Promise.all([
      dwpw(["plan", PERSON, "--json"]),
      dwpw(["plan", PERSON, "--objective", "cycles", "--json"]),
      dwpw(["plan", PERSON]),
    ]);
    for (const r of [bytes, cycles, text]) expect(r.code, r.stderr).toBe(0);
    const b = JSON.parse(bytes.stdout) as { objective: string; blocks: Array<{ activationBytes: number; cycles: number | null }>; layersOutsideBlocks: Array<{ layer: string }>; findings: unknown[] };
    const c = JSON.parse(cycles.stdout) as typeof b & { latency: { optimized: { totalCycles: number } } };
    expect(b.objective).toBe("bytes");
    expect(c.objective).toBe("cycles");
    expect(b.blocks.length).toBe(13);
    for (const row of b.blocks) expect(row.cycles).toBeGreaterThan(0);
    expect(b.layersOutsideBlocks.map((l) => l.layer)).toContain("MobilenetV1/Predictions/Reshape_1");
    expect(text.stdout).toMatch(/^objective bytes: /m);
    expect(hasBlockRows(text.stdout)).toBe(true);
    // --run emulates an ONNX model's blocks; a TFLite model is checked by dwpw run --check.
    expectFailure(await dwpw(["plan", PERSON, "--run"]), 1, /^dwpw plan: --run applies to ONNX models; .* is a TFLite model/);
  });

  it("check --target dory-fused on a TFLite model: the planned blocks under the same objective as plan", async () => {
    const [plan, check] = await Promise.all([dwpw(["plan", PERSON, "--objective", "cycles", "--json"]), dwpw(["check", PERSON, "--target", "dory-fused", "--objective", "cycles", "--json"])]);
    const p = JSON.parse(plan.stdout) as { findings: Array<{ layer: string; rule: string }> };
    const c = JSON.parse(check.stdout) as { findings: Array<{ layer: string; rule: string; severity: string }>; checkedLayers: number };
    expect(c.checkedLayers).toBe(27);
    expect(c.findings.map((f) => `${f.layer} ${f.rule}`)).toEqual(p.findings.map((f) => `${f.layer} ${f.rule}`));
    expect(check.code).toBe(c.findings.some((f) => f.severity === "error") ? 1 : 0);
  });

  it("check --target gap8-nntool lists what an NNTool deployment changes: the softmax's exp wrap, with layer and fix", async () => {
    const r = await dwpw(["check", SPEECH, "--target", "gap8-nntool"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/target gap8-nntool/);
    expect(r.stdout).toMatch(/^ {2}warning labels_softmax \(tensor \d+, softmax\): \[nntool-softmax-exp-wraps\] .*exp overflows int32.* Fix: /m);
    expect(r.stdout).toMatch(/^ {2}warning Reshape_2 \(tensor \d+, reshape\): \[nntool-forced-symmetric\]/m);
    const j = JSON.parse((await dwpw(["check", SPEECH, "--target", "gap8-nntool", "--json"])).stdout) as { findings: Array<{ layer: string; rule: string; severity: string; message: string; fix: string }> };
    const wrap = j.findings.find((f) => f.rule === "nntool-softmax-exp-wraps")!;
    expect(wrap).toMatchObject({ layer: "labels_softmax", severity: "warning" });
    expect(wrap.fix.length).toBeGreaterThan(0);
    expectFailure(await dwpw(["check", ONNX, "--target", "gap8-nntool"]), 1, /^dwpw check: --target gap8-nntool checks TFLite models .* is an ONNX model$/);
    expectFailure(await dwpw(["check", SPEECH, "--target", "gap8-nntool", "--l1", "30000"]), 2, /^dwpw check: --l1 applies to --target pulp-nn and dory-fused, not gap8-nntool$/);
  });
});

describe("dwpw compare on ONNX models", () => {
  it("onnxruntime against onnxruntime-wasm (the default targets): the QLinearAdd rounding, named at the first add", async () => {
    const r = await dwpw(["compare", join(MODELS_DIR, "add-stress-int8.qdq.onnx"), "--inputs", "2"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^targets: onnxruntime \(reference\), onnxruntime-wasm$/m);
    expect(r.stdout).toMatch(/^first divergence under onnxruntime-wasm: "c0" \(add\), layer 1 of 5$/m);
    expect(r.stdout).toMatch(/^ {2}onnxruntime-wasm: QLinearAdd as ONNX Runtime's WebAssembly build rounds it/m);
  });
});

describe("dwpw plan --objective and --kernels on ONNX models", () => {
  it("--objective reaches the plan; --kernels names the kernels behind the warnings", async () => {
    const [bytes, cycles] = await Promise.all([dwpw(["plan", ONNX, "--json"]), dwpw(["plan", ONNX, "--objective", "cycles", "--kernels", "pulp-nn", "--json"])]);
    expect(bytes.code, bytes.stderr).toBe(0);
    expect(cycles.code, cycles.stderr).toBe(0);
    expect((JSON.parse(bytes.stdout) as { objective: string }).objective).toBe("bytes");
    expect((JSON.parse(cycles.stdout) as { objective: string }).objective).toBe("cycles");
    expectFailure(await dwpw(["plan", ONNX, "--target", "pulp-nn"]), 2, /^dwpw plan: unknown option --target$/);
  });
});

/** The text plan prints one table row per block (blocks 1 to 13). */
function hasBlockRows(stdout: string): boolean {
  return Array.from({ length: 13 }, (_, i) => new RegExp(`^${i + 1} +\\d+x\\d+x\\d+ -> `, "m").test(stdout)).every(Boolean);
}
