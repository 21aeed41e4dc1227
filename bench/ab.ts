// Tuning aid (not part of `npm run bench`): A/B timing of two kernel builds on one MobileNetV1
// layer, interleaved run by run so that load from other processes hits both alike; also checks
// that both give the same bytes.
//   node build/bench/bench/ab.js a.wasm b.wasm <layer, e.g. b3.pw> [HWC|CHW] [scheme]
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { Engine } from "../src/engine.js";
import type { KernelExports } from "../src/wasm/module.js";
import { mobilenetV1, randomInput, randomOp } from "../src/presets/mobilenet.js";
import { checkConv } from "../src/validate.js";
import type { Layout } from "../src/types.js";
import { median } from "./timing.js";

const [fa, fb, name, layout = "HWC", scheme = "onnx"] = process.argv.slice(2) as [string, string, string, Layout?, string?];
async function load(f: string): Promise<KernelExports> {
  const { instance } = await WebAssembly.instantiate(readFileSync(f), { env: { abort() { throw new Error("abort"); } } });
  return instance.exports as unknown as KernelExports;
}
const l = mobilenetV1().layers.find((x) => x.name === name)!;
const o = { scheme: scheme as "onnx", layout, seed: 1 };
const x = randomInput(l, o);
const op = randomOp(l, o);
/** The layer's kernel on buffers already in `w`'s memory (each build has its own engine). */
function setup(w: KernelExports): { run: () => void; out: () => Uint8Array } {
  const k = new Engine(w, true).prepare(x, checkConv(x, op));
  return { run: k.run, out: () => new Uint8Array(k.output().data.buffer) };
}
const A = setup(await load(fa));
const B = setup(await load(fb));
for (let i = 0; i < 5; i++) { A.run(); B.run(); }
const same = Buffer.compare(Buffer.from(A.out()), Buffer.from(B.out())) === 0;
const ta: number[] = [], tb: number[] = [];
const t0 = performance.now();
while (performance.now() - t0 < 3000 || ta.length < 30) {
  let t = performance.now(); A.run(); ta.push(performance.now() - t);
  t = performance.now(); B.run(); tb.push(performance.now() - t);
}
const g = (ms: number) => (l.macs / ms / 1e6).toFixed(2);
const q = (xs: number[], f: number) => [...xs].sort((u, v) => u - v)[Math.floor(xs.length * f)] as number;
console.log(`${name} ${layout} ${scheme} same=${same} runs=${ta.length}`);
console.log(`  A min ${g(Math.min(...ta))} p10 ${g(q(ta, 0.1))} med ${g(median(ta))} GMAC/s`);
console.log(`  B min ${g(Math.min(...tb))} p10 ${g(q(tb, 0.1))} med ${g(median(tb))} GMAC/s`);
