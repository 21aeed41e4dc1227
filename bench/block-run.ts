// Profiling aid (not part of `npm run bench`): one MobileNetV1 block on the scratchpad model,
// planned once and then run repeatedly with its plan given, e.g. under `node --cpu-prof`:
//   node build/bench/bench/block-run.js <block 1-13> <HWC|CHW> <int8|uint8> <seconds> [--vs-kernels]
// `--vs-kernels`: instead, the run and the block's two kernels through the API, timed
// alternately (5 calls each, for `seconds`), and the median of the run's time over theirs.
import { createEngine } from "../src/engine.js";
import { mobilenetV1, randomInput, randomOp } from "../src/presets/mobilenet.js";
import { runBlock } from "../src/scratchpad/index.js";
import type { ConvOp, Layout } from "../src/types.js";
import { median, msPerCall } from "./timing.js";

const [b = "5", layout = "HWC", dtype = "int8", secs = "3", mode] = process.argv.slice(2);
const e = await createEngine();
const [dl, pl] = mobilenetV1().blocks[Number(b) - 1]!.layers as [never, never];
const o = { scheme: "onnx" as const, dtype: dtype as "int8", layout: layout as Layout, seed: 1 };
const x = randomInput(dl, o);
const ops: [ConvOp, ConvOp] = [randomOp(dl, o), randomOp(pl, o)];
const options = { memory: { l2: 64 << 20 } };
const r = runBlock(e, x, ops, options);
const fixed = { ...options, schedule: r.report.schedule, tiling: r.report.tiling };
const run = () => runBlock(e, x, ops, fixed);
/** When the timing that starts now should stop. */
const deadline = () => performance.now() + Number(secs) * 1000;
const head = `${r.report.schedule} ${JSON.stringify(r.report.tiling)} tiles ${r.report.tiles}`;
if (mode === "--vs-kernels") {
  const kernels = () => e.conv(e.conv(x, ops[0]), ops[1]);
  for (let i = 0; i < 20; i++) { run(); kernels(); }
  const until = deadline();
  const runs: number[] = [], ks: number[] = [], ratios: number[] = [];
  while (performance.now() < until) {
    const a = msPerCall(run, 5), k = msPerCall(kernels, 5);
    runs.push(a); ks.push(k); ratios.push(a / k);
  }
  console.log(`${head} run ${median(runs).toFixed(3)} ms kernels ${median(ks).toFixed(3)} ms run/kernels ${median(ratios).toFixed(3)}`);
} else {
  let n = 0;
  const t0 = performance.now(), until = deadline();
  while (performance.now() < until) { run(); n++; }
  console.log(`${head} ms/run ${((performance.now() - t0) / n).toFixed(2)}`);
}
