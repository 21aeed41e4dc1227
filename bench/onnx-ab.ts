// Tuning aid (not part of `npm run bench`): two builds of the package (e.g. the last commit's, made
// with `git archive HEAD | tar -x -C /tmp/base && cd /tmp/base && npm run build`, and this tree's
// `npm run build`) run the same ONNX model in one process, interleaved call by call, so that the
// load of a shared machine falls on both alike; checks that both give the same bytes.
//   node build/bench/bench/onnx-ab.js /tmp/base/dist dist model.onnx [seconds] [--blocks]
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import { Rng } from "../src/rng.js";
import { median } from "./timing.js";

interface Pkg {
  init(): Promise<void>;
  loadOnnx(bytes: Uint8Array): { inputs: Array<{ shape: number[] }>; run(x: Float32Array, o?: object): { outputs: Record<string, { data: ArrayBufferView }> } };
}

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const blocks = process.argv.includes("--blocks");
const [da, db, model, secs = "20"] = args as [string, string, string, string?];
const load = async (d: string): Promise<Pkg> => (await import(pathToFileURL(resolve(d, "index.js")).href)) as Pkg;
const A = await load(da);
const B = await load(db);
await A.init();
await B.init();
const bytes = new Uint8Array(readFileSync(model));
const na = A.loadOnnx(bytes);
const nb = B.loadOnnx(bytes);
const n = na.inputs[0]!.shape.reduce((p, q) => p * q, 1);
const rng = new Rng(7);
const x = Float32Array.from({ length: n }, () => rng.range(-1, 1));
const opts = blocks ? { blocks: true } : {};
const out = (r: { outputs: Record<string, { data: ArrayBufferView }> }) =>
  Object.values(r.outputs).map((v) => Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength));
const oa = out(na.run(x, opts));
const ob = out(nb.run(x, opts));
const same = oa.length === ob.length && oa.every((b, i) => Buffer.compare(b, ob[i]!) === 0);
for (let i = 0; i < 3; i++) { na.run(x, opts); nb.run(x, opts); }
const ta: number[] = [], tb: number[] = [], ca: number[] = [], cb: number[] = [];
const load0 = loadavg()[0]!.toFixed(2);
const t0 = performance.now();
const timed = (f: () => void, t: number[], c: number[]) => {
  const u = process.cpuUsage();
  const s = performance.now();
  f();
  t.push(performance.now() - s);
  const d = process.cpuUsage(u);
  c.push((d.user + d.system) / 1000);
};
while (performance.now() - t0 < Number(secs) * 1000 || ta.length < 10) {
  timed(() => na.run(x, opts), ta, ca);
  timed(() => nb.run(x, opts), tb, cb);
}
console.log(`${model.split("/").pop()}${blocks ? " blocks" : ""}: same bytes ${same}, ${ta.length} runs each, load ${load0} -> ${loadavg()[0]!.toFixed(2)}`);
console.log(`  A ${da}: median ${median(ta).toFixed(1)} ms, CPU ${median(ca).toFixed(1)} ms, min ${Math.min(...ta).toFixed(1)}`);
console.log(`  B ${db}: median ${median(tb).toFixed(1)} ms, CPU ${median(cb).toFixed(1)} ms, min ${Math.min(...tb).toFixed(1)}`);
