// Tuning aid (not part of `npm run bench`): A/B timing of two kernel builds on one MobileNetV1
// layer, interleaved run by run so that load from other processes hits both alike; also checks
// that both give the same bytes.
//   node build/bench/bench/ab.js a.wasm b.wasm <layer, e.g. b3.pw> [HWC|CHW] [scheme]
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { Engine, denseView, layerCall, runKernel, scratchBytes } from "../src/engine.js";
import type { KernelExports } from "../src/wasm/module.js";
import { mobilenetV1, randomInput, randomOp } from "../src/networks/mobilenet.js";
import { HEADER_BYTES, channelParams, writeHeader } from "../src/wasm/params.js";
import { checkConv, outputTensor } from "../src/validate.js";
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
function setup(w: KernelExports): { run: () => void; out: () => Uint8Array } {
  const e = new Engine(w, true);
  const layer = checkConv(x, op);
  const out = outputTensor(layer);
  const call = layerCall(layer);
  const p = channelParams(layer.requant, layer.bias);
  const a = e.arena;
  a.reset();
  const src = a.alloc(x.data.length), wt = a.alloc(layer.weights.length);
  const bias = p.bias ? a.alloc(p.bias.length) : 0, pa = p.a ? a.alloc(p.a.length) : 0, pb = p.b ? a.alloc(p.b.length) : 0;
  const hdr = a.alloc(HEADER_BYTES), dst = a.alloc(out.data.length), scr = a.alloc(scratchBytes(w, call));
  a.commit();
  a.write(src, x.data); a.write(wt, layer.weights);
  if (p.bias) a.write(bias, p.bias); if (p.a) a.write(pa, p.a); if (p.b) a.write(pb, p.b);
  writeHeader(w.memory, hdr, layer.requant, bias, pa, pb);
  const sv = denseView(src, layout, layer.height, layer.width, layer.channels);
  const dv = denseView(dst, layout, layer.outHeight, layer.outWidth, layer.outChannels);
  return { run: () => runKernel(w, call, sv, dv, wt, hdr, scr), out: () => a.bytes(dst, out.data.length).slice() };
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
