// Tuning aid (not part of `npm run bench`): A/B timing of two kernel builds on the general
// convolution layers of bench/general-layers.ts, interleaved call by call; checks both give the
// same bytes. Times the kernel call alone (buffers already in memory).
//   node build/bench/bench/general-ab.js a.wasm b.wasm [name filter] [seconds per layer]
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import type { GeneralExports } from "../src/general.js";
import type { KernelExports } from "../src/wasm/module.js";
import { Rng } from "../src/rng.js";
import { generalLayers, placeGeneral } from "./general-layers.js";
import { median } from "./timing.js";

const [fa, fb, filter = "", secs = "2"] = process.argv.slice(2) as [string, string, string?, string?];
async function load(f: string): Promise<KernelExports & GeneralExports> {
  const { instance } = await WebAssembly.instantiate(readFileSync(f), { env: { abort() { throw new Error("abort"); } } });
  return instance.exports as unknown as KernelExports & GeneralExports;
}

if (fa && fb) {
  const A0 = await load(fa), B0 = await load(fb);
  for (const l of generalLayers().filter((x) => x.name.includes(filter))) {
    const rng = new Rng(5);
    const x = Int8Array.from({ length: l.shape.height * l.shape.width * l.shape.channels }, () => rng.int(-128, 127));
    const A = placeGeneral(A0, l, x), B = placeGeneral(B0, l, x);
    for (let i = 0; i < 5; i++) { A.run(); B.run(); }
    const same = Buffer.compare(Buffer.from(A.out()), Buffer.from(B.out())) === 0;
    const ta: number[] = [], tb: number[] = [];
    const t0 = performance.now();
    while (performance.now() - t0 < Number(secs) * 1000 || ta.length < 20) {
      let t = performance.now(); A.run(); ta.push(performance.now() - t);
      t = performance.now(); B.run(); tb.push(performance.now() - t);
    }
    const g = (ms: number) => (l.macs / ms / 1e6).toFixed(2);
    console.log(`${l.name.padEnd(44)} same=${same} runs=${ta.length}  A med ${median(ta).toFixed(3)} ms ${g(median(ta))} GMAC/s (min ${g(Math.min(...ta))})   B med ${median(tb).toFixed(3)} ms ${g(median(tb))} GMAC/s (min ${g(Math.min(...tb))})  B/A ${(median(ta) / median(tb)).toFixed(3)}`);
  }
}
