// `dwpw run model`: runs a quantized ONNX or TFLite model on the dwpw kernels (bit-exact with the
// model's runtime), optionally checking every layer against the TypeScript reference.
import { init } from "../../runtime.js";
import { Network } from "../../network/network.js";
import { TARGETS, type TargetName } from "../../targets/index.js";
import { ADD_ROUNDINGS, U8S8_MODES, type AddRounding, type U8S8Mode } from "../../network/types.js";
import type { NetworkValue } from "../../network/network.js";
import { describeOutput, warningLines, writeOutputFile } from "../../network/cli-support.js";
import { progressBar } from "../../network/progress.js";
import { parseArgs, usageText, UsageError, ValueError, type Flag } from "../args.js";
import { errorMessage } from "../errors.js";
import { describeModelInputs, modelInput } from "../common.js";
import { loadModelFile, type LoadedModel } from "../model-file.js";
import { KERNELS } from "./plan.js";
import type { Command } from "./index.js";

/** The targets an ONNX model runs under, and the QLinearAdd rounding each stands for. */
const ONNX_TARGETS: Record<string, AddRounding> = { onnxruntime: "ort-x86", "onnxruntime-wasm": "ort-wasm" };

const FLAGS: Flag[] = [
  { name: "input", value: "FILE", help: "raw input bytes: each graph input in the model's layout (ONNX: NCHW, TFLite:\nNHWC) and dtype, little-endian, concatenated in graph order (default: a\nseeded random input); its size must be exactly what the model takes" },
  { name: "target", value: "T", help: `the deployment whose arithmetic to run. TFLite:\n${TARGETS.join(" | ")}\n(default tflite-micro). ONNX: onnxruntime (default) | onnxruntime-wasm, the\nsame as --add-rounding ort-x86 / ort-wasm, or any other target (the model\nconverted to its arithmetic)` },
  { name: "output", value: "FILE", help: "write the graph outputs' raw bytes (concatenated in graph order)" },
  { name: "check", help: "also run every layer on the TypeScript reference and compare byte for byte\n(exit code 1 on any difference)" },
  { name: "engine", value: "E", help: "wasm | reference: where depthwise/pointwise layers run (default wasm)" },
  { name: "blocks", help: "ONNX: run depthwise-separable blocks on the GAP8 scratchpad model, best schedule" },
  { name: "add-rounding", value: "R", help: `ONNX: ${ADD_ROUNDINGS.join(" | ")}: QLinearAdd as ONNX Runtime's x86-64 build\n(default) or its WebAssembly build rounds it` },
  { name: "u8s8", value: "M", help: `ONNX: ${U8S8_MODES.join(" | ")}: uint8 x int8 products of\npointwise / standard conv / fully connected layers, exact (default) or as\nONNX Runtime's x86-64 kernels without VNNI compute them (int16 pair saturation)` },
  { name: "layout", value: "L", help: "ONNX: HWC | CHW: layout of activations between layers (default HWC)" },
  { name: "seed", value: "N", help: "seed of the random input (default 1)" },
  { name: "kernels", value: "K", help: "ONNX: pulp-nn | dory-fused: the GAP8 kernels the deployment check behind the\nwarnings assumes (default pulp-nn)" },
  { name: "json", help: "print JSON" },
];

const usage = usageText(
  "dwpw run model.onnx|model.tflite [options]",
  `Runs a quantized model (ONNX in QLinear or QDQ form, or int8 TFLite) layer by layer: depthwise and
pointwise layers on the WebAssembly kernels, the other ops as exact emulations of the --target's
arithmetic (by default the model's own runtime: TFLite Micro's reference kernels, ONNX Runtime's
CPU arithmetic). Warnings on stderr (ONNX): where the GAP8 kernels (--kernels) would compute
other bytes.`,
  FLAGS,
);

/** Options that only the ONNX network runner has. */
const ONNX_ONLY = ["blocks", "add-rounding", "u8s8", "layout", "kernels"];

type Value = { name: string; dtype: string; shape: number[]; data: ArrayBufferView & ArrayLike<number | bigint> };
type LayerRow = { layer: string; kind: string; output: Value };

function differing(a: Value, b: Value): number {
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  if (x.length !== y.length) return Math.max(x.length, y.length);
  let n = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) n++;
  return n;
}

/** One run of either kind of model, with a progress bar; the outputs and (with `layers`) every layer's output. */
function runModel(
  net: LoadedModel,
  input: ReturnType<typeof modelInput>,
  o: { engine: "wasm" | "reference"; layers: boolean; target: string; layout?: "HWC" | "CHW"; blocks?: boolean },
  title: string,
): { outputs: Value[]; layers: LayerRow[] | null; blocks: unknown[] | null; ms: number } {
  const bar = progressBar(title);
  const t0 = performance.now();
  try {
    if (net instanceof Network) {
      // ONNX Runtime's own targets keep the ONNX runner's options; the others run the converted graph.
      const ort = ONNX_TARGETS[o.target];
      const r = ort
        ? net.run(input as Parameters<Network["run"]>[0], { engine: o.engine, layout: o.layout, blocks: o.blocks, layers: o.layers, addRounding: ort, onLayer: (d, t, l) => bar.update(d, t, l.name) })
        : net.run(input as Parameters<Network["run"]>[0], { target: o.target as TargetName, engine: o.engine, layers: o.layers, onLayer: (d, t, l) => bar.update(d, t, l.name) });
      return { outputs: net.outputs.map((v) => r.outputs[v.name]!), layers: r.layers ?? null, blocks: r.blocks ?? null, ms: performance.now() - t0 };
    }
    const r = net.run(input, { target: o.target as TargetName, engine: o.engine, layers: o.layers, onLayer: (d, t) => bar.update(d, t, "") });
    return { outputs: net.outputs.map((v) => r.outputs[v.name]! as Value), layers: (r.layers as LayerRow[] | undefined) ?? null, blocks: null, ms: performance.now() - t0 };
  } finally {
    bar.done();
  }
}

export const run: Command = {
  summary: "run a quantized ONNX or TFLite model bit-exact under a --target's arithmetic, --check against the reference",
  usage,
  async run(argv) {
    const args = parseArgs(argv, FLAGS);
    const [file] = args.expectPositionals("the model file");
    const engine = args.choice("engine", ["wasm", "reference"] as const) ?? "wasm";
    const addRounding = args.choice("add-rounding", ADD_ROUNDINGS as readonly AddRounding[]);
    const u8s8 = args.choice("u8s8", U8S8_MODES as readonly U8S8Mode[]);
    const layout = args.choice("layout", ["HWC", "CHW"] as const);
    const targetFlag = args.choice("target", TARGETS);
    const kernels = args.choice("kernels", KERNELS) ?? "pulp-nn";
    const seed = args.int("seed", 0, 2 ** 32 - 1) ?? 1;
    const blocks = args.has("blocks");
    const checkRef = args.has("check");
    const json = args.has("json");
    const inputPath = args.string("input");
    const outPath = args.string("output");
    if (blocks && engine !== "wasm") throw new UsageError("--blocks runs on the WebAssembly scratchpad model: it needs --engine wasm");
    if (blocks && u8s8 === "ort-x86-u8s8-saturation") throw new UsageError("--blocks computes exact products: it cannot be combined with --u8s8 ort-x86-u8s8-saturation");
    if (targetFlag && addRounding && ONNX_TARGETS[targetFlag] !== undefined && ONNX_TARGETS[targetFlag] !== addRounding) {
      throw new UsageError(`--target ${targetFlag} is --add-rounding ${ONNX_TARGETS[targetFlag]}; --add-rounding ${addRounding} contradicts it`);
    }

    const net = loadModelFile(file!, { addRounding, u8s8 });
    const onnx = net instanceof Network;
    if (!onnx) {
      const given = ONNX_ONLY.filter((f) => args.has(f) || args.string(f) !== undefined);
      if (given.length) throw new ValueError(`${given.map((f) => `--${f}`).join(", ")} ${given.length === 1 ? "applies" : "apply"} to ONNX models; ${file} is a TFLite model`);
    } else if (targetFlag && ONNX_TARGETS[targetFlag] === undefined) {
      const ortOnly = ["add-rounding", "u8s8", "blocks"].filter((f) => args.has(f) || args.string(f) !== undefined);
      if (ortOnly.length) throw new ValueError(`${ortOnly.map((f) => `--${f}`).join(", ")} ${ortOnly.length === 1 ? "applies" : "apply"} to ONNX Runtime's targets; --target ${targetFlag} runs the converted graph`);
    }
    // ONNX: the target the rounding of --add-rounding stands for, unless --target names one.
    const target: string = onnx
      ? (targetFlag ?? Object.keys(ONNX_TARGETS).find((t) => ONNX_TARGETS[t] === net.addRounding) ?? "onnxruntime")
      : (targetFlag ?? net.defaultTarget);
    if (!onnx || ONNX_TARGETS[target] === undefined) {
      // A target refuses a model it cannot run (an op, a dtype): say so in its terms, before any input is read.
      try {
        if (onnx) net.lower(target as TargetName);
        else net.lowerTo(target as TargetName);
      } catch (e) {
        throw new ValueError(`--target ${target} cannot run ${file}: ${errorMessage(e)}`);
      }
    }
    const input = modelInput(net, inputPath, seed);
    if (engine === "wasm") await init();
    const result = runModel(net, input, { engine, target, layout, blocks, layers: checkRef }, engine === "wasm" ? "kernels" : "reference");
    let check: { layers: Array<{ layer: string; kind: string; shape: number[]; dtype: string; differing: number }>; ms: number } | null = null;
    if (checkRef) {
      const ref = runModel(net, input, { engine: "reference", target, layout, layers: true }, "reference");
      const byName = new Map(ref.layers!.map((l) => [l.output.name, l]));
      check = {
        ms: ref.ms,
        layers: result.layers!.map((l) => ({ layer: l.layer, kind: l.kind, shape: l.output.shape, dtype: l.output.dtype, differing: differing(l.output, byName.get(l.output.name)!.output) })),
      };
    }
    const outputs = result.outputs;
    let written = 0;
    if (outPath) written = writeOutputFile(outPath, outputs as NetworkValue[]);
    const findings = onnx ? net.check({ target: kernels }, { layout }).findings : [];
    const bad = check ? check.layers.filter((l) => l.differing > 0).length : 0;

    if (json) {
      console.log(
        JSON.stringify(
          {
            model: file,
            network: net.name,
            format: onnx ? "onnx" : "tflite",
            input: inputPath ?? `random (seed ${seed})`,
            target,
            engine,
            ...(onnx ? { addRounding: ONNX_TARGETS[target], u8s8: net.u8s8, blocks: result.blocks } : {}),
            ms: result.ms,
            outputs: outputs.map((o) => ({ name: o.name, dtype: o.dtype, shape: o.shape, scale: (o as NetworkValue).scale, zeroPoint: (o as NetworkValue).zeroPoint, data: Array.from(o.data, (v) => (typeof v === "bigint" ? String(v) : v)) })),
            check,
            bitExact: check ? bad === 0 : null,
            findings,
          },
          null,
          2,
        ),
      );
    } else {
      if (onnx) {
        const kinds = new Map<string, number>();
        for (const l of net.layers) kinds.set(l.kind, (kinds.get(l.kind) ?? 0) + 1);
        console.log(`${file}: ${net.name}, ${net.layers.length} layers (${[...kinds].map(([k, n]) => `${n} ${k}`).join(", ")})`);
      } else {
        console.log(`${file}: ${net.name || "(unnamed)"}, TFLite, ${net.graph.ops.length} ops`);
      }
      console.log(`input: ${inputPath ?? `random, seed ${seed}`}: ${describeModelInputs(net)}`);
      console.log(`ran under ${target} on the ${engine === "wasm" ? "WebAssembly kernels" : "TypeScript reference"}${blocks ? `, ${result.blocks!.length} blocks on the scratchpad model` : ""} in ${result.ms.toFixed(1)} ms`);
      if (check) {
        const w = Math.max(5, ...check.layers.map((l) => l.layer.length));
        console.log(`\ncheck against the reference (${check.ms.toFixed(1)} ms):`);
        console.log(`${"#".padStart(3)}  ${"layer".padEnd(w)}  ${"kind".padEnd(17)}  ${"output".padEnd(20)}  exact`);
        check.layers.forEach((l, i) =>
          console.log(`${String(i + 1).padStart(3)}  ${l.layer.padEnd(w)}  ${l.kind.padEnd(17)}  ${`${l.dtype} [${l.shape.join(",")}]`.padEnd(20)}  ${l.differing === 0 ? "yes" : `NO (${l.differing} bytes differ)`}`),
        );
        console.log(bad === 0 ? `every layer equals the reference (${check.layers.length} layers)` : `${bad} of ${check.layers.length} layers differ from the reference`);
      }
      console.log("\noutputs:");
      for (const o of outputs) for (const line of describeOutput(o as NetworkValue)) console.log(line);
      if (outPath) console.log(`\nwrote ${outPath} (${written} bytes)`);
    }
    for (const line of warningLines(findings, kernels, file!)) console.error(line);
    return bad === 0 ? 0 : 1;
  },
};
