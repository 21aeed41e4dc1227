// Profiling aid (not part of `npm run bench`): one MobileNetV1 block on the scratchpad model,
// planned once and then run repeatedly with its plan given, e.g. under `node --cpu-prof`:
//   node build/bench/bench/block-run.js <block 1-13> <HWC|CHW> <int8|uint8> <seconds>
import { createEngine } from "../src/engine.js";
import { mobilenetV1, randomInput, randomOp } from "../src/networks/mobilenet.js";
import { runBlock } from "../src/scratchpad/index.js";
import type { ConvOp, Layout } from "../src/types.js";

const [b = "5", layout = "HWC", dtype = "int8", secs = "3"] = process.argv.slice(2);
const e = await createEngine();
const [dl, pl] = mobilenetV1().blocks[Number(b) - 1]!.layers as [never, never];
const o = { scheme: "onnx" as const, dtype: dtype as "int8", layout: layout as Layout, seed: 1 };
const x = randomInput(dl, o);
const ops: [ConvOp, ConvOp] = [randomOp(dl, o), randomOp(pl, o)];
const options = { memory: { l2: 64 << 20 } };
const r = runBlock(e, x, ops, options);
const fixed = { ...options, schedule: r.report.schedule, tiling: r.report.tiling };
const t0 = performance.now();
let n = 0;
while (performance.now() - t0 < Number(secs) * 1000) { runBlock(e, x, ops, fixed); n++; }
console.log(r.report.schedule, JSON.stringify(r.report.tiling), "tiles", r.report.tiles, "ms/run", ((performance.now() - t0) / n).toFixed(2));
