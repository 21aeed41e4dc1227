// Tuning aid (not part of `npm run bench`, whose kernel rows use the `onnx` scheme only): the
// kernels alone on the bench's MobileNetV1 layers under several requantization schemes, both
// layouts, interleaved round by round (one engine per contestant, so each keeps its buffers), with
// the machine's i32x4.dot_i16x8_s peak measured in the same process and the load average quoted.
// Run after `npm run bench` (or its build steps) has built build/bench and build/peak.wasm:
//   node build/bench/bench/schemes.js [--quick] [--layers b3.dw,b5.pw] [--schemes onnx,tflite-double]
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { createEngine } from "../src/engine.js";
import { mobilenetV1, randomInput, randomOp, type QuantScheme } from "../src/presets/mobilenet.js";
import type { Layout } from "../src/types.js";
import { rawKernel } from "./raw-kernel.js";
import { median, timeRounds, type Entry } from "./timing.js";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : dflt;
};
const QUICK = args.includes("--quick");
const LAYERS = opt("--layers", "b1.dw,b2.dw,b3.dw,b5.dw,b7.dw,b3.pw,b5.pw,b7.pw").split(",");
const SCHEMES = opt("--schemes", "onnx,tflite-double").split(",") as QuantScheme[];
const LAYOUTS: Layout[] = ["HWC", "CHW"];

/** Best and median GMAC/s of bench/peak/peak.ts's 32-dot loop (see `dotPeaks` in run.ts). */
async function dotPeak(): Promise<{ best: number; median: number }> {
  const bytes = readFileSync(new URL("../peak.wasm", import.meta.url));
  const { instance } = await WebAssembly.instantiate(bytes, { env: { abort() {} } });
  const f = (instance.exports as Record<string, (n: number, out: number) => void>).dotPeak!;
  const macs = 1 << 26;
  for (let i = 0; i < 5; i++) f(macs / 256, 1024);
  const g: number[] = [];
  for (let i = 0; i < (QUICK ? 10 : 30); i++) {
    const t = performance.now();
    f(macs / 256, 1024);
    g.push(macs / (performance.now() - t) / 1e6);
  }
  return { best: Math.max(...g), median: median(g) };
}

const la = () => loadavg().map((x) => x.toFixed(2)).join(" ");
console.log(`load average before: ${la()}`);
const peak = await dotPeak();
console.log(`dot peak ${peak.best.toFixed(1)} GMAC/s best, ${peak.median.toFixed(1)} median`);
const net = mobilenetV1();
console.log(["layer", "shape", ...SCHEMES.flatMap((s) => LAYOUTS.map((l) => `${s} ${l}`))].join(" | "));
for (const name of LAYERS) {
  const l = net.layers.find((x) => x.name === name);
  if (!l) throw new RangeError(`no layer ${name}`);
  const entries: Entry[] = [];
  for (const scheme of SCHEMES) {
    for (const layout of LAYOUTS) {
      const o = { scheme, layout, seed: 1 };
      const e = await createEngine({ simd: true });
      entries.push({ name: `${scheme} ${layout}`, fn: rawKernel(e, randomInput(l, o), randomOp(l, o)), reps: 4 });
    }
  }
  const tm = await timeRounds(entries, { warmupMs: QUICK ? 100 : 300, minRuns: 7, minMs: QUICK ? 600 : 2500, maxRuns: 400 });
  const cell = (k: string) => {
    const g = l.macs / tm[k]!.ms / 1e6;
    const pct = l.kind === "pointwise" ? ` (${((100 * g) / peak.best).toFixed(0)}%)` : "";
    return `${g.toFixed(2)}${pct}`;
  };
  const shape = `${l.channels}x${l.height}x${l.width}` + (l.kind === "pointwise" ? `->${l.outChannels}` : ` s${l.stride[0]}`);
  console.log([name, shape, ...entries.map((e) => cell(e.name))].join(" | "));
}
console.log(`GMAC/s, median of the interleaved runs; pointwise as % of the best dot peak. load average after: ${la()}`);
