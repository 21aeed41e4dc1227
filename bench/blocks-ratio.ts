// Tuning aid (not part of `npm run bench`): one or more builds of the package run an ONNX model
// plain and with `{ blocks: true }` (the scratchpad model), all interleaved call by call in one
// process so that the load of a shared machine falls on every entry alike. Prints each entry's
// median and each build's blocks/plain ratio (median of the per-round ratios), and checks that
// every build's blocks output and block reports (the model's counts) equal the first build's
// first run (a later run of a network may replay what its first one recorded).
//   node build/bench/bench/blocks-ratio.js model.onnx seconds dist [/tmp/base/dist ...]
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import { Rng } from "../src/rng.js";
import { median } from "./timing.js";

interface Net {
  inputs: Array<{ shape: number[] }>;
  run(x: Float32Array, o?: object): { outputs: Record<string, { data: ArrayBufferView }>; blocks?: unknown[] };
}
interface Pkg {
  init(): Promise<void>;
  loadOnnx(bytes: Uint8Array): Net;
}

const [model, secs, ...dists] = process.argv.slice(2) as [string, string, ...string[]];
const bytes = new Uint8Array(readFileSync(model));
const nets: Array<{ dist: string; net: Net }> = [];
for (const d of dists) {
  const p = (await import(pathToFileURL(resolve(d, "index.js")).href)) as Pkg;
  await p.init();
  nets.push({ dist: d, net: p.loadOnnx(bytes) });
}
const n = nets[0]!.net.inputs[0]!.shape.reduce((p, q) => p * q, 1);
const rng = new Rng(7);
const x = Float32Array.from({ length: n }, () => rng.range(-1, 1));
const out = (r: ReturnType<Net["run"]>) => Object.values(r.outputs).map((v) => Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength));
const first = nets[0]!.net.run(x, { blocks: true });
const want = out(first);
const wantBlocks = JSON.stringify(first.blocks);
const same = nets.map(({ net }) => {
  const r = net.run(x, { blocks: true });
  const again = net.run(x, { blocks: true });
  const plain = out(net.run(x));
  return [r, again].every((b) => out(b).every((d, i) => Buffer.compare(d, want[i]!) === 0) && JSON.stringify(b.blocks) === wantBlocks) &&
    plain.every((b, i) => Buffer.compare(b, want[i]!) === 0);
});
for (let i = 0; i < 3; i++) for (const { net } of nets) { net.run(x); net.run(x, { blocks: true }); }
const t = nets.map(() => ({ plain: [] as number[], blocks: [] as number[], ratio: [] as number[] }));
const load0 = loadavg()[0]!.toFixed(2);
const t0 = performance.now();
const ms = (f: () => void) => {
  const s = performance.now();
  f();
  return performance.now() - s;
};
while (performance.now() - t0 < Number(secs) * 1000 || t[0]!.plain.length < 10) {
  nets.forEach(({ net }, i) => {
    const p = ms(() => net.run(x));
    const b = ms(() => net.run(x, { blocks: true }));
    t[i]!.plain.push(p);
    t[i]!.blocks.push(b);
    t[i]!.ratio.push(b / p);
  });
}
console.log(`${model.split("/").pop()}: ${t[0]!.plain.length} rounds, load ${load0} -> ${loadavg()[0]!.toFixed(2)}`);
nets.forEach(({ dist }, i) => {
  const r = t[i]!;
  console.log(`  ${dist}: plain ${median(r.plain).toFixed(1)} ms, blocks ${median(r.blocks).toFixed(1)} ms, blocks/plain ${median(r.ratio).toFixed(3)} (same bytes and counts ${same[i]})`);
});
