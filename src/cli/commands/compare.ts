// `dwpw compare model`: one model under several deployments' arithmetic on the same inputs. Per
// layer, how far each target drifts from the reference target; for each target, the first layer
// where it parts ways and why (each side's arithmetic there); for the outputs, the top-1 agreement
// and the values themselves on the first inputs. A target that cannot run the model is reported
// with its reason and left out, so the others are still compared (as the report page's drift view).
import { init } from "../../runtime.js";
import { compare as compareTargets, randomInputs, type CompareReport, type LayerDrift } from "../../compare/index.js";
import { UnsupportedOpError } from "../../graph/errors.js";
import { Network } from "../../network/network.js";
import { progressBar } from "../../network/progress.js";
import type { GraphNetwork } from "../../runner/network.js";
import { TARGETS, type TargetName } from "../../targets/index.js";
import { parseArgs, usageText, UsageError, ValueError, type Flag } from "../args.js";
import { describeModelInputs, folderInputs, inputsLimit } from "../common.js";
import { loadModelFile, type LoadedModel } from "../model-file.js";
import type { Command } from "./index.js";

const TFLITE_TARGETS: readonly TargetName[] = ["tflite-micro", "litert", "gap8-nntool", "onnxruntime"];
/** An ONNX model's default comparison: the two ONNX Runtime builds (every target can be named). */
const ONNX_TARGETS: readonly TargetName[] = ["onnxruntime", "onnxruntime-wasm"];
const DEFAULT_INPUTS = 4;
/** Random inputs at most (each is held in memory for the whole comparison). */
const MAX_RANDOM = 1_000_000;
/** Output values are shown per input when each output has at most this many... */
const SHOWN_VALUES = 16;
/** ...for this many inputs. */
const SHOWN_INPUTS = 3;

const FLAGS: Flag[] = [
  { name: "targets", value: "T,...", help: `the targets to compare, a comma list of: ${TARGETS.slice(0, 3).join(", ")},\n${TARGETS.slice(3).join(", ")}. Default for TFLite:\n${TFLITE_TARGETS.join(",")}; for ONNX: ${ONNX_TARGETS.join(",")}` },
  { name: "reference", value: "T", help: "the target the others are measured against (default the first of --targets)" },
  { name: "inputs", value: "N|DIR", help: `N seeded random inputs (default ${DEFAULT_INPUTS}), or a folder of raw input files, each\none input's bytes as dwpw run --input takes them (model layout and dtype,\nexactly the input's size; names starting with "." are skipped)` },
  { name: "seed", value: "N", help: "seed of the random inputs (default 1)" },
  { name: "json", help: "print the report as JSON (sqnrDb is null where the values are identical)" },
];

const usage = usageText(
  "dwpw compare model.tflite|model.onnx [options]",
  `Runs the same inputs under several deployments' integer arithmetic (targets) and shows, per
layer, how far each target is from the reference: the share of values that differ, the largest
difference in the reference's quantization steps, the SQNR. For each target, the first layer
where it parts ways with the reference and why (each side's arithmetic there); for the outputs,
top-1 agreement over the inputs and the values on the first inputs. A target that cannot run the
model (an op or dtype its runtime refuses) is reported with its reason and left out. An ONNX
model compares between onnxruntime and onnxruntime-wasm. Exit code 0 whenever the comparison
ran, whatever drift it found; 1 when no target but the reference can run the model.`,
  FLAGS,
);

/** --targets: known names, none twice. */
function targetList(v: string | undefined): TargetName[] | undefined {
  if (v === undefined) return undefined;
  const names = v.split(",");
  for (const [i, n] of names.entries()) {
    if (!(TARGETS as readonly string[]).includes(n)) throw new UsageError(`--targets must be a comma list of ${TARGETS.join(", ")}, got ${n === "" ? `an empty name in "${v}"` : n}`);
    if (names.indexOf(n) !== i) throw new UsageError(`--targets names ${n} twice`);
  }
  return names as TargetName[];
}

/** Why a target cannot run the model, or null when it can. Lowering is where a target refuses one. */
function refusal(net: LoadedModel, target: TargetName): string | null {
  try {
    if (net instanceof Network) net.lower(target);
    else net.lowerTo(target);
    return null;
  } catch (e) {
    if (e instanceof UnsupportedOpError) return e.message.split("\n")[0]!;
    throw e;
  }
}

/** An output value as a target gives it: its bytes and the quantization they are in. */
interface OutputValue {
  dtype: string;
  data: ArrayLike<number | bigint>;
  scale?: number;
  zeroPoint?: number;
}

/** The outputs of one run under `target`, by output name. */
function outputsUnder(net: LoadedModel, input: unknown, target: TargetName): Map<string, OutputValue> {
  if (net instanceof Network) {
    const r = net.run(input as Parameters<Network["run"]>[0], { target });
    return new Map(net.outputs.map((o) => [o.name, r.outputs[o.name]!]));
  }
  const r = (net as GraphNetwork).run(input as Parameters<GraphNetwork["run"]>[0], { target });
  return new Map(net.outputs.map((o) => [o.name, r.outputs[o.name]!]));
}

/** A target's output values; in real units too where its quantization is not the reference's (NNTool's int16 softmax). */
function shownValues(v: OutputValue | undefined, ref: OutputValue | undefined): string {
  if (!v) return "-";
  const raw = Array.from(v.data, value).join(" ");
  if (!ref || (v.dtype === ref.dtype && v.scale === ref.scale && v.zeroPoint === ref.zeroPoint) || v.scale === undefined) return raw;
  const real = Array.from(v.data, (q) => (v.scale! * (Number(q) - (v.zeroPoint ?? 0))).toPrecision(3));
  return `${raw} (${v.dtype}, real ${real.join(" ")})`;
}

const num = (v: number, digits: number) => (v === Infinity ? "inf" : v === -Infinity ? "-inf" : Number.isInteger(v) ? String(v) : v.toFixed(digits));
const pct = (n: number, of: number) => {
  const p = (100 * n) / Math.max(of, 1);
  return p > 0 && p < 0.1 ? "<0.1%" : `${p.toFixed(1)}%`;
};
const value = (v: number | bigint) => (typeof v === "number" && !Number.isInteger(v) ? v.toPrecision(4) : String(v));

/**
 * An ONNX model's layers carry no arithmetic in the report; its two targets differ in one op only,
 * QLinearAdd (docs/targets/onnxruntime.md).
 */
function onnxArithmetic(kind: string, target: string): string | undefined {
  if (kind !== "add") return undefined;
  if (target === "onnxruntime") return "QLinearAdd as ONNX Runtime's x86-64 kernel rounds it, with fused multiply-adds (--add-rounding ort-x86)";
  if (target === "onnxruntime-wasm") return "QLinearAdd as ONNX Runtime's WebAssembly build rounds it, the portable rounding (--add-rounding ort-wasm)";
  return undefined;
}

/** TFLite tensors may have no name. */
const named = (n: string) => n || "(unnamed)";
const quoted = (n: string) => (n ? `"${n}"` : "(unnamed)");

function cell(d: LayerDrift | undefined): string {
  if (!d) return "-";
  if (d.differing === 0) return "same";
  return `${pct(d.differing, d.values)} ±${num(d.maxAbsSteps, 1)} ${num(d.sqnrDb, 1)}dB`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((v, c) => (c < 2 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join("  ").trimEnd());
}

interface Sample {
  label: string;
  /** Per target, per output name, the output values. */
  outputs: Map<TargetName, Map<string, OutputValue>>;
}

/** The report as text: the drift table, each target's first divergence and why, the outputs. */
function formatDrift(r: CompareReport, samples: Sample[]): string[] {
  const ref = r.reference;
  const others = r.targets.filter((t) => t !== ref);
  const lines: string[] = [];
  lines.push(`per layer, each target against ${ref}: share of values that differ, largest difference in ${ref}'s steps, SQNR`);
  lines.push("");
  const rows = r.layers.map((l) => [l.index !== undefined ? `${l.index} ${named(l.name)}` : named(l.name), l.kind, ...others.map((t) => cell(l.byTarget[t]))]);
  lines.push(...table([["layer", "kind", ...others], ...rows]));
  lines.push("");
  for (const t of others) {
    const at = r.layers.findIndex((l) => (l.byTarget[t]?.differing ?? 0) > 0);
    if (at < 0) {
      lines.push(`${t}: no layer differs from ${ref}`);
      continue;
    }
    const l = r.layers[at]!;
    lines.push(`first divergence under ${t}: ${l.index !== undefined ? `tensor ${l.index} ` : ""}${quoted(l.name)} (${l.kind}), layer ${at + 1} of ${r.layers.length}`);
    const mine = l.arithmetic?.[t] ?? onnxArithmetic(l.kind, t);
    const theirs = l.arithmetic?.[ref] ?? onnxArithmetic(l.kind, ref);
    if (mine && theirs && mine === theirs) {
      lines.push(`  both compute it the same way (${mine}): the difference comes in with its input, which ${t} holds at another quantization`);
    } else {
      const w = Math.max(ref.length, t.length) + 1;
      if (theirs) lines.push(`  ${`${ref}:`.padEnd(w)} ${theirs}`);
      if (mine) lines.push(`  ${`${t}:`.padEnd(w)} ${mine}`);
    }
  }
  for (const o of r.outputs) {
    lines.push("");
    lines.push(`output ${quoted(o.name)}:`);
    // The output tensor's own row, for the largest difference in steps.
    const row = [...r.layers].reverse().find((l) => l.name === o.name);
    for (const t of others) {
      const d = o.byTarget[t];
      if (!d) continue;
      const agree = Math.round(d.top1Agreement * r.inputs);
      const steps = row?.byTarget[t] ? ` (${num(row.byTarget[t]!.maxAbsSteps, 1)} steps)` : "";
      const values = row?.byTarget[t]?.values;
      const differ = d.differing === 0 ? "no value differs" : `${d.differing}${values ? ` of ${values}` : ""} values differ, largest ${num(d.maxAbsReal, 4)} in real units${steps}`;
      lines.push(`  ${t}: top-1 agreement ${pct(d.top1Agreement, 1)} (${agree} of ${r.inputs} input${r.inputs === 1 ? "" : "s"}); ${differ}`);
    }
    if (samples.length) {
      const w = Math.max(...samples.map((s) => s.label.length));
      for (const s of samples) {
        const refValue = s.outputs.get(ref as TargetName)?.get(o.name);
        const parts = r.targets.map((t) => `${t} ${shownValues(s.outputs.get(t as TargetName)?.get(o.name), refValue)}`);
        lines.push(`  ${s.label.padEnd(w)}  ${parts.join(" | ")}`);
      }
    }
  }
  return lines;
}

export const compare: Command = {
  summary: "one model under several targets: per-layer drift, first divergence and why, top-1 agreement",
  usage,
  async run(argv) {
    const args = parseArgs(argv, FLAGS);
    const [file] = args.expectPositionals("the model file");
    const asked = targetList(args.string("targets"));
    const referenceFlag = args.choice("reference", TARGETS);
    const inputsFlag = args.string("inputs");
    // A decimal number is a count of random inputs; anything else names a folder (./4 for a folder named 4).
    const count = inputsFlag === undefined ? DEFAULT_INPUTS : /^[+-]?[0-9]+$/.test(inputsFlag) ? args.int("inputs", 1, MAX_RANDOM)! : undefined;
    const dir = count === undefined ? inputsFlag : undefined;
    if (dir !== undefined && args.string("seed") !== undefined) throw new UsageError("--seed applies to random inputs (--inputs N), not to a folder of input files");
    const seed = args.int("seed", 0, 2 ** 32 - 1) ?? 1;
    const json = args.has("json");

    const net = loadModelFile(file!);
    const onnx = net instanceof Network;
    const targets = [...(asked ?? (onnx ? ONNX_TARGETS : TFLITE_TARGETS))];
    const reference = referenceFlag ?? targets[0]!;
    if (!targets.includes(reference)) targets.unshift(reference);
    const whyNot = refusal(net, reference);
    if (whyNot) throw new ValueError(`the reference ${reference}${referenceFlag ? "" : " (the first of --targets)"} cannot run ${file}: ${whyNot}`);
    const ran: TargetName[] = [];
    const refused: Array<{ target: TargetName; reason: string }> = [];
    for (const t of targets) {
      const why = t === reference ? null : refusal(net, t);
      if (why) refused.push({ target: t, reason: why });
      else ran.push(t);
    }
    if (ran.length < 2) {
      if (refused.length === 0) throw new ValueError(`nothing to compare: ${reference} is the only target; name others with --targets`);
      throw new ValueError(`only the reference ${reference} can run ${file}: ${refused.map((r) => `${r.target}: ${r.reason}`).join("; ")}`);
    }

    let inputs: Array<{ name: string; input: unknown }>;
    if (dir !== undefined) {
      inputs = folderInputs(net, dir, "--inputs");
    } else {
      const limit = inputsLimit(net);
      if (count! > limit.max) throw new ValueError(`--inputs ${count} is more than the comparison can hold: ${limit.text}`);
      inputs = randomInputs(net, count!, seed).map((input, k) => ({ name: `random ${k + 1}`, input }));
    }

    await init();
    const bar = progressBar("comparing");
    let report: CompareReport;
    const samples: Sample[] = [];
    try {
      report = compareTargets(net, inputs.map((i) => i.input), {
        targets: ran,
        reference,
        onProgress: (done, total) => bar.update(done, total, `input ${Math.ceil(done / ran.length)} of ${inputs.length}`),
      });
      // The output values themselves, where they are few enough to read (a classifier's scores).
      if (net.outputs.every((o) => o.shape.reduce((a, b) => a * b, 1) <= SHOWN_VALUES)) {
        for (const s of inputs.slice(0, SHOWN_INPUTS)) {
          const outputs = new Map<TargetName, Map<string, OutputValue>>();
          for (const t of ran) outputs.set(t, outputsUnder(net, s.input, t));
          samples.push({ label: s.name, outputs });
        }
      }
    } finally {
      bar.done();
    }

    if (json) {
      console.log(JSON.stringify({ model: file, format: onnx ? "onnx" : "tflite", inputFiles: dir !== undefined ? inputs.map((i) => i.name) : null, seed: dir === undefined ? seed : null, refused, ...report }, null, 2));
      return 0;
    }
    const what = onnx ? `ONNX, ${net.layers.length} layers` : `TFLite, ${(net as GraphNetwork).graph.ops.length} ops`;
    console.log(`${file}: ${net.name || "(unnamed)"}, ${what}`);
    console.log(`inputs: ${dir !== undefined ? `${inputs.length} file${inputs.length === 1 ? "" : "s"} in ${dir}` : `${inputs.length} random (seed ${seed})`}: ${describeModelInputs(net)}`);
    console.log(`targets: ${reference} (reference), ${ran.filter((t) => t !== reference).join(", ")}`);
    for (const r of refused) console.log(`not compared: ${r.target} cannot run the model: ${r.reason}`);
    console.log("");
    for (const line of formatDrift(report, samples)) console.log(line);
    if (!onnx && ran.includes("gap8-nntool")) {
      // What the drift alone does not say: tensors NNTool re-quantizes, the input conversion, the softmax.
      const findings = (net as GraphNetwork).check({ target: "gap8-nntool" }).findings;
      const notable = findings.filter((f) => f.severity !== "info").length;
      if (findings.length) console.log(`\ngap8-nntool: ${findings.length} deployment finding${findings.length === 1 ? "" : "s"} (${notable} warning${notable === 1 ? "" : "s"} or error${notable === 1 ? "" : "s"}): dwpw check ${file} --target gap8-nntool`);
    }
    return 0;
  },
};
