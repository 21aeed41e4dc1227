// Tuning aid: a TFLite 1x1 stride-1 layer two ways through the engine, interleaved call by call:
// `engine.conv` (the pointwise kernel: the call validated, its weights copied and widened at every
// call) and `engine.prepareGeneral(...).run` (the general kernel, its constants made once). Same
// bytes checked. `node build/bench/bench/pw-route-ab.js [seconds per layer]`
import { performance } from "node:perf_hooks";
import { createEngine } from "../src/engine.js";
import type { GeneralConvOp } from "../src/general.js";
import { Rng } from "../src/rng.js";
import type { PointwiseOp, Requant, Tensor } from "../src/types.js";
import { median } from "./timing.js";

const secs = Number(process.argv[2] ?? 1.5);
const e = await createEngine();
const shapes: Array<[number, number, number]> = [[112, 16, 96], [56, 24, 144], [56, 144, 24], [28, 32, 192], [28, 192, 32], [14, 64, 384], [14, 384, 64], [14, 96, 576], [7, 160, 960], [7, 960, 160], [7, 320, 1280]];
for (const scheme of ["tflite", "onnx"] as const) {
  for (const [HW, C, O] of shapes) {
    const rng = new Rng(HW + C + O);
    const weights = Int8Array.from({ length: O * C }, () => rng.int(-127, 127));
    const bias = Int32Array.from({ length: O }, () => rng.int(-3000, 3000));
    const requant: Requant = scheme === "tflite"
      ? { scheme, multiplier: Int32Array.from({ length: O }, () => rng.int(2 ** 30, 2 ** 31 - 1)), shift: Int32Array.from({ length: O }, () => rng.int(-11, -8)), outputZeroPoint: -2, min: -128, max: 127 }
      : { scheme, scale: Float32Array.from({ length: O }, () => 0.0002 + rng.float() * 0.001), outputZeroPoint: -2, min: -128, max: 127 };
    const pw: PointwiseOp = { kind: "pointwise", outChannels: O, weights, bias, requant };
    const gop: GeneralConvOp = { kind: "conv", outChannels: O, kernel: [1, 1], stride: [1, 1], pad: { top: 0, left: 0, bottom: 0, right: 0 }, weights, bias, requant };
    const x: Tensor = { data: Int8Array.from({ length: HW * HW * C }, () => rng.int(-128, 127)), height: HW, width: HW, channels: C, layout: "HWC", zeroPoint: 5 };
    const p = e.prepareGeneral({ height: HW, width: HW, channels: C, layout: "HWC", zeroPoint: 5, dtype: "int8" }, gop);
    const same = Buffer.compare(Buffer.from(e.conv(x, pw).data.buffer), Buffer.from(p.run(x.data).buffer)) === 0;
    const ta: number[] = [], tb: number[] = [];
    const t0 = performance.now();
    while (performance.now() - t0 < secs * 1000 || ta.length < 20) {
      let t = performance.now(); e.conv(x, pw); ta.push(performance.now() - t);
      t = performance.now(); p.run(x.data); tb.push(performance.now() - t);
    }
    const macs = HW * HW * C * O;
    const g = (ms: number) => (macs / ms / 1e6).toFixed(1);
    console.log(`${scheme.padEnd(6)} ${HW}x${HW}x${C} -> ${O}`.padEnd(30) + ` same=${same} runs=${ta.length}  conv ${median(ta).toFixed(3)} ms (${g(median(ta))})  prepared general ${median(tb).toFixed(3)} ms (${g(median(tb))})  conv/general ${(median(ta) / median(tb)).toFixed(2)}`);
  }
}
