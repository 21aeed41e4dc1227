// `dwpw run`, `dwpw plan` and `dwpw check` on ONNX models, as child processes of a private build of
// src/ (test/helpers/robustness.ts): outputs equal to ONNX Runtime's, the plan's totals equal to
// `dwpw report`'s, the deployment check's findings, and clean one-line errors.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cliPath, runCli, type Run } from "./helpers/cli.js";
import { decodeTensor, inflate, MODELS_DIR, smallFixtures } from "./helpers/models.js";
import { fullV1 } from "../scripts/onnx/nets.mjs";
import { qlinearModel } from "../scripts/onnx/netbuild.mjs";

let cli: string;
let tmp: string;
beforeAll(() => {
  cli = cliPath();
  tmp = mkdtempSync(join(tmpdir(), "dwpw-cli-"));
}, 120_000);


const dwpw = (args: string[], timeout?: number): Promise<Run> => runCli(cli, args, timeout);

const model = (f: string) => join(MODELS_DIR, f);

describe("dwpw run", () => {
  it("--input/--output: the raw output bytes equal ONNX Runtime's, and --check passes every layer", async () => {
    const f = smallFixtures().find((x) => x.name === "v2-uint8-same")!.fixture;
    const inPath = join(tmp, "x.bin");
    const outPath = join(tmp, "y.bin");
    writeFileSync(inPath, inflate(f.input!.deflate));
    const r = await dwpw(["run", model(f.forms.qdq), "--input", inPath, "--output", outPath, "--check"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/every layer equals the reference \(\d+ layers\)/);
    expect(r.stdout).toMatch(/top 5: #\d+/);
    const [outName, want] = Object.entries(f.outputs).find(([k]) => k.endsWith("_f"))!;
    expect(outName).toBe("classifier_out_f");
    expect(Buffer.compare(readFileSync(outPath), Buffer.from(inflate(want.deflate)))).toBe(0);
  });

  it("--json gives the outputs and the check; --blocks runs on the scratchpad model", async () => {
    const f = smallFixtures().find((x) => x.name === "odd-int8")!.fixture;
    const inPath = join(tmp, "odd.bin");
    writeFileSync(inPath, inflate(f.input!.deflate));
    const r = await dwpw(["run", model(f.forms.qlinear), "--input", inPath, "--json", "--check", "--blocks", "--layout", "CHW"]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.bitExact).toBe(true);
    expect(j.blocks.length).toBeGreaterThan(0);
    const want = decodeTensor(f.outputs.classifier_out!);
    expect(j.outputs[0].name).toBe("classifier_out");
    expect(j.outputs[0].data).toEqual(Array.from(want));
  });

  it("prints the deployment check's warnings on stderr (TF-SAME stride-2 depthwise layers)", async () => {
    const r = await dwpw(["run", model("v1-uint8-same.qlinear.onnx")]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: on pulp-nn, \d+ findings where the deployed kernels would not give these bytes:/m);
    expect(r.stderr).toMatch(/b2\.dw: \[dw-right-pad-count\]/);
    const quiet = await dwpw(["run", model("v1-int8-sym.qlinear.onnx")]);
    expect(quiet.stderr).toBe("");
  });

  it("bad invocations and bad files: one line, no stack", async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [["run"], 2, /^dwpw run: missing the model file/],
      [["run", join(tmp, "nope.onnx")], 1, /^dwpw run: cannot read .*nope\.onnx: no such file$/m],
      [["run", model("v1-int8-sym.qlinear.onnx"), "--input", model("v1-int8-sym.qlinear.onnx")], 1, /^dwpw run: --input .* has \d+ bytes; the model takes 12288: input float32 \[1, 3, 32, 32\]/],
      [["run", model("v1-int8-sym.qlinear.onnx"), "--engine", "gpu"], 2, /--engine must be one of wasm, reference/],
      [["run", model("v1-int8-sym.qlinear.onnx"), "--blocks", "--engine", "reference"], 2, /--blocks .* needs --engine wasm/],
      [["plan", MODELS_DIR], 1, /is a directory/],
      [["check", model("v1-int8-sym.json")], 1, /^dwpw check: .*v1-int8-sym\.json: (corrupt or truncated ONNX file|not an ONNX model)/],
    ];
    for (const [args, code, msg] of cases) {
      const r = await dwpw(args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(code);
      expect(r.stderr, args.join(" ")).toMatch(msg);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stdout).toBe("");
    }
    const trunc = join(tmp, "trunc.onnx");
    writeFileSync(trunc, readFileSync(model("v2-int8.qlinear.onnx")).subarray(0, 5000));
    const r = await dwpw(["plan", trunc]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^dwpw plan: .*trunc\.onnx: corrupt or truncated ONNX file: /);
  });
});

describe("dwpw plan", () => {
  it("gives the totals of `dwpw report` for the same MobileNet (V1 0.25-128, TF-SAME)", async () => {
    const path = join(tmp, "v1-025-128.onnx");
    writeFileSync(path, qlinearModel(fullV1({ alpha: 0.25, resolution: 128, padding: "tf-same", calibrate: false })));
    const p = await dwpw(["plan", path, "--json"]);
    expect(p.code, p.stderr).toBe(0);
    const rep = await dwpw(["report", "--network", "mobilenet-v1", "--alpha", "0.25", "--resolution", "128", "--padding", "tf-same", "--scheme", "onnx", "--no-run", "--json"]);
    expect(rep.code, rep.stderr).toBe(0);
    const plan = JSON.parse(p.stdout);
    const report = JSON.parse(rep.stdout)[0];
    expect(plan.total).toEqual(report.total);
    expect(plan.blocks.map((b: { schedule: string }) => b.schedule)).toEqual(report.blocks.map((b: { schedule: string }) => b.schedule));
    expect(plan.layersOutsideBlocks.map((l: { layer: string }) => l.layer)).toEqual(["stem", "pool", "classifier"]);
    // TF-SAME stride-2 depthwise layers: the dory-fused check warns.
    expect(p.stderr).toMatch(/warning: on dory-fused/);
  });

  it("prints the report table; --run emulates every block and checks it", async () => {
    const r = await dwpw(["plan", model("v2-int8.qdq.onnx"), "--run", "--l1", "48000"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^v2-int8: onnx, HWC, L1 20700\/48000 B usable/m);
    expect(r.stdout).toMatch(/^all\s+.*yes$/m);
    expect(r.stdout).not.toMatch(/\bNO\b/);
    expect(r.stdout).toMatch(/layers outside the blocks \(not planned\): stem \(conv\)/);
  });
});

describe("dwpw check", () => {
  it("TF-SAME stride-2 layers are errors (exit 1); symmetric padding gives none (exit 0)", async () => {
    const same = await dwpw(["check", model("v1-uint8-same.qlinear.onnx")]);
    expect(same.code).toBe(1);
    expect(same.stdout).toMatch(/10 depthwise\/pointwise layers checked; \d+ findings \(3 errors\)/);
    expect(same.stdout).toMatch(/error\s+b2\.dw: \[dw-right-pad-count\]/);
    expect(same.stdout).toMatch(/not covered by the check \(not depthwise\/pointwise\): stem \(conv\), pool \(globalAveragePool\), classifier \(fullyConnected\)/);
    const sym = await dwpw(["check", model("v1-int8-sym.qdq.onnx"), "--target", "dory-fused"]);
    expect(sym.code).toBe(0);
    expect(sym.stdout).toMatch(/\(0 errors\)/);
    const j = JSON.parse((await dwpw(["check", model("v1-uint8-same.qdq.onnx"), "--json", "--pointwise", "Co_parallel"])).stdout);
    expect(j.target).toEqual({ target: "pulp-nn", pointwise: "Co_parallel" });
    expect(j.findings.some((f: { rule: string }) => f.rule === "dw-right-pad-count")).toBe(true);
  });
});
