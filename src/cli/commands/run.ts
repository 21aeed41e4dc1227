// `dwpw run model.onnx`: runs a quantized ONNX model on the dwpw kernels (bit-exact with ONNX
// Runtime's CPU arithmetic), optionally checking every layer against the TypeScript reference.
import { init } from "../../runtime.js";
import { loadOnnxFile } from "../../onnx/file.js";
import { ADD_ROUNDINGS, U8S8_MODES, type AddRounding, type U8S8Mode } from "../../network/types.js";
import type { LayerOutput, Network, NetworkValue, RunOptions, RunResult } from "../../network/network.js";
import { describeInputs, describeOutput, randomInput, readInputFile, warningLines, writeOutputFile } from "../../network/cli-support.js";
import { progressBar } from "../../network/progress.js";
import { choiceOpt, intOpt, onlyOptions, parseArgs, stringOpt, UsageError } from "../args.js";
import type { Command } from "./index.js";

const OPTIONS = ["input", "output", "check", "engine", "blocks", "add-rounding", "u8s8", "layout", "seed", "target", "json"];

const usage = `usage: dwpw run model.onnx [options]

Runs a quantized ONNX model (QLinear or QDQ form) layer by layer: depthwise and pointwise layers on
the WebAssembly kernels, the other ops as exact emulations of ONNX Runtime's CPU arithmetic.

  --input FILE        raw input bytes: each graph input in NCHW order (float32 little-endian,
                      int8 or uint8), concatenated in graph order (default: a seeded random input)
  --output FILE       write the graph outputs' raw bytes (NCHW, concatenated in graph order)
  --check             also run every layer on the TypeScript reference and compare byte for byte
                      (exit code 1 on any difference)
  --engine E          wasm | reference: where depthwise/pointwise layers run (default wasm)
  --blocks            run depthwise-separable blocks on the GAP8 scratchpad model, best schedule
  --add-rounding R    ${ADD_ROUNDINGS.join(" | ")}: QLinearAdd as ONNX Runtime's x86-64 build
                      (default) or its WebAssembly build rounds it
  --u8s8 M            ${U8S8_MODES.join(" | ")}: uint8 x int8 products of
                      pointwise / standard conv / fully connected layers, exact (default) or as
                      ONNX Runtime's x86-64 kernels without VNNI compute them (int16 pair saturation)
  --layout L          HWC | CHW: layout of activations between layers (default HWC)
  --seed N            seed of the random input (default 1)
  --target T          pulp-nn | dory-fused: deployment check behind the warnings (default pulp-nn)
  --json              print JSON`;

function sameBytes(a: NetworkValue, b: NetworkValue): number {
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  if (x.length !== y.length) return Math.max(x.length, y.length);
  let n = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) n++;
  return n;
}

function timed(net: Network, input: Parameters<Network["run"]>[0], options: RunOptions, title: string): { result: RunResult; ms: number } {
  const bar = progressBar(title);
  const t0 = performance.now();
  try {
    const result = net.run(input, { ...options, onLayer: (d, t, l) => bar.update(d, t, l.name) });
    return { result, ms: performance.now() - t0 };
  } finally {
    bar.done();
  }
}

export const run: Command = {
  summary: "run a quantized ONNX model on the kernels (bit-exact with ONNX Runtime), --check against the reference",
  usage,
  async run(argv) {
    const args = parseArgs(argv, ["check", "blocks", "json"]);
    onlyOptions(args, OPTIONS);
    if (args.positionals.length !== 1) throw new UsageError(args.positionals.length === 0 ? "missing the model file" : `unexpected argument ${args.positionals[1]}`);
    const file = args.positionals[0]!;
    const engine = choiceOpt(args, "engine", ["wasm", "reference"] as const) ?? "wasm";
    const addRounding = choiceOpt(args, "add-rounding", ADD_ROUNDINGS as readonly AddRounding[]);
    const u8s8 = choiceOpt(args, "u8s8", U8S8_MODES as readonly U8S8Mode[]);
    const layout = choiceOpt(args, "layout", ["HWC", "CHW"] as const);
    const target = choiceOpt(args, "target", ["pulp-nn", "dory-fused"] as const) ?? "pulp-nn";
    const seed = intOpt(args, "seed") ?? 1;
    const blocks = args.options.has("blocks");
    const checkRef = args.options.has("check");
    const json = args.options.has("json");
    if (blocks && engine !== "wasm") throw new UsageError("--blocks runs on the WebAssembly scratchpad model: it needs --engine wasm");
    if (blocks && u8s8 === "ort-x86-u8s8-saturation") throw new UsageError("--blocks computes exact products: it cannot be combined with --u8s8 ort-x86-u8s8-saturation");

    const net = loadOnnxFile(file, { addRounding, u8s8 });
    const inputPath = stringOpt(args, "input");
    const input = inputPath ? readInputFile(net, inputPath) : randomInput(net, seed);
    if (engine === "wasm") await init();
    const { result, ms } = timed(net, input, { engine, layout, blocks, layers: checkRef }, engine === "wasm" ? "kernels" : "reference");
    let check: { layers: Array<{ layer: string; kind: string; shape: number[]; dtype: string; differing: number }>; ms: number } | null = null;
    if (checkRef) {
      const ref = timed(net, input, { engine: "reference", layout, layers: true }, "reference");
      const byName = new Map<string, LayerOutput>(ref.result.layers!.map((l) => [l.output.name, l]));
      check = {
        ms: ref.ms,
        layers: result.layers!.map((l) => ({
          layer: l.layer,
          kind: l.kind,
          shape: l.output.shape,
          dtype: l.output.dtype,
          differing: sameBytes(l.output, byName.get(l.output.name)!.output),
        })),
      };
    }
    const outputs = net.outputs.map((o) => result.outputs[o.name]!);
    let written = 0;
    const outPath = stringOpt(args, "output");
    if (outPath) written = writeOutputFile(outPath, outputs);
    const findings = net.check({ target }, { layout }).findings;
    const bad = check ? check.layers.filter((l) => l.differing > 0).length : 0;

    if (json) {
      console.log(
        JSON.stringify(
          {
            model: file,
            network: net.name,
            input: inputPath ?? `random (seed ${seed})`,
            engine,
            addRounding: addRounding ?? net.addRounding,
            u8s8: net.u8s8,
            blocks: result.blocks ?? null,
            ms,
            outputs: outputs.map((o) => ({ name: o.name, dtype: o.dtype, shape: o.shape, scale: o.scale, zeroPoint: o.zeroPoint, data: Array.from(o.data as ArrayLike<number>) })),
            check,
            bitExact: check ? bad === 0 : null,
            findings,
          },
          null,
          2,
        ),
      );
    } else {
      const kinds = new Map<string, number>();
      for (const l of net.layers) kinds.set(l.kind, (kinds.get(l.kind) ?? 0) + 1);
      console.log(`${file}: ${net.name}, ${net.layers.length} layers (${[...kinds].map(([k, n]) => `${n} ${k}`).join(", ")})`);
      console.log(`input: ${inputPath ?? `random, seed ${seed}`}: ${describeInputs(net)}`);
      console.log(`ran on the ${engine === "wasm" ? "WebAssembly kernels" : "TypeScript reference"}${blocks ? `, ${result.blocks!.length} blocks on the scratchpad model` : ""} in ${ms.toFixed(1)} ms`);
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
      for (const o of outputs) for (const line of describeOutput(o)) console.log(line);
      if (outPath) console.log(`\nwrote ${outPath} (${written} bytes)`);
    }
    for (const line of warningLines(findings, target, file)) console.error(line);
    return bad === 0 ? 0 : 1;
  },
};
