// Tuning aid: depthwise with a depth multiplier, the two ways the general convolution can run it
// (the depthwise kernel on repeated channels vs the im2col GEMM with groups = channels), timed
// interleaved through `prepareGeneral` (each run copies its input and constants in and the output out).
//   node build/bench/bench/general-dw-ab.js [seconds]
import { performance } from "node:perf_hooks";
import { createEngine } from "../src/engine.js";
import { generalLayerFor, prepareGeneralOn } from "../src/general.js";
import { Rng } from "../src/rng.js";
import { generalLayers } from "./general-layers.js";
import { median } from "./timing.js";

const secs = Number(process.argv[2] ?? 2);
const e = await createEngine();
for (const l of generalLayers().filter((x) => x.name.includes("depthwise"))) {
  const layer = generalLayerFor(l.shape, l.op);
  const rng = new Rng(3);
  const x = Int8Array.from({ length: l.shape.height * l.shape.width * l.shape.channels }, () => rng.int(-128, 127));
  const A = prepareGeneralOn(e, layer, { gemmOnly: true }), B = prepareGeneralOn(e, layer);
  const same = Buffer.compare(Buffer.from(A.run(x).buffer), Buffer.from(B.run(x).buffer)) === 0;
  const ta: number[] = [], tb: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < secs * 1000 || ta.length < 20) {
    let t = performance.now(); A.run(x); ta.push(performance.now() - t);
    t = performance.now(); B.run(x); tb.push(performance.now() - t);
  }
  const g = (ms: number) => (l.macs / ms / 1e6).toFixed(2);
  console.log(`${l.name} same=${same} runs=${ta.length}: GEMM ${median(ta).toFixed(3)} ms (${g(median(ta))} GMAC/s), depthwise kernel ${median(tb).toFixed(3)} ms (${g(median(tb))} GMAC/s), ${(median(ta) / median(tb)).toFixed(1)}x`);
}
