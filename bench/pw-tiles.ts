// Profiling aid (not part of `npm run bench`): one pointwise layer computed whole, and computed the
// way the scratchpad model's dw-pw rows schedule does (one row at a time, output-channel tiles of
// `tile` channels with weight slots and the packing reused), timed interleaved:
//   node build/bench/bench/pw-tiles.js <layer, e.g. b7.pw> <tile channels> <rounds> [tiles' kernels.wasm]
// (scheme onnx, int8, HWC). The tiled output is checked against the whole layer's.
import { readFileSync } from "node:fs";
import { Engine, createEngine, denseView, runKernel, layerCall } from "../src/engine.js";
import type { KernelExports } from "../src/wasm/module.js";
import { mobilenetV1, randomInput, randomOp } from "../src/presets/mobilenet.js";
import { checkConv } from "../src/validate.js";
import { HEADER_BYTES, channelParams, writeHeader } from "../src/wasm/params.js";
import { median, msPerCall } from "./timing.js";

const [name = "b7.pw", tileArg = "12", roundsArg = "20", wasmFile] = process.argv.slice(2);
/** The tiles run on the package's kernels, or on another build of them given as a file. */
async function tileEngine(): Promise<Engine> {
  if (!wasmFile) return createEngine();
  const { instance } = await WebAssembly.instantiate(readFileSync(wasmFile), { env: { abort() { throw new Error("abort"); } } });
  return new Engine(instance.exports as unknown as KernelExports, true);
}
const e = await tileEngine();
const spec = mobilenetV1().layers.find((l) => l.name === name)!;
const o = { scheme: "onnx" as const, dtype: "int8" as const, layout: "HWC" as const, seed: 1 };
const x = randomInput(spec, o);
const layer = checkConv(x, randomOp(spec, o));
const eW = await createEngine();
const whole = eW.prepare(x, layer);
const { height: H, width: W, channels: C, outChannels: Co } = layer;
const T = Number(tileArg);
const a = e.arena, wasm = e.wasm;
a.reset();
const p = channelParams(layer.requant, layer.bias);
const src = a.alloc(H * W * C), wts = a.alloc(Co * C), dst = a.alloc(H * W * Co);
const bias = a.alloc(p.bias!.length), pa = a.alloc(p.a!.length);
const tiles = Math.ceil(Co / T);
const hdrs = Array.from({ length: tiles }, () => a.alloc(HEADER_BYTES));
const slotBytes = wasm.pointwiseWeightSlotBytes(C, T);
const slots = a.alloc(tiles * slotBytes);
const scratch = a.alloc(wasm.pointwiseScratchBytes(C, Co));
a.commit();
a.write(src, x.data); a.write(wts, layer.weights); a.write(bias, p.bias!); a.write(pa, p.a!);
for (let t = 0; t < tiles; t++) writeHeader(wasm.memory, hdrs[t]!, layer.requant, bias + t * T * 4, pa + t * T * 4, 0);
for (let t = 0; t < tiles; t++) a.bytes(slots + t * slotBytes, 16).fill(0);
const call = layerCall(layer);
const sv = denseView(src, "HWC", H, W, C), dv = denseView(dst, "HWC", H, W, Co);
const tiled = () => {
  for (let y = 0; y < H; y++) {
    for (let c0 = 0; c0 < Co; c0 += T) {
      const n = Math.min(T, Co - c0);
      runKernel(wasm, { ...call, height: 1, outChannels: n }, { ...sv, ptr: src + y * sv.row }, { ...dv, ptr: dst + y * dv.row + c0 }, wts + c0 * C, hdrs[c0 / T]!, scratch, c0 > 0, slots + (c0 / T) * slotBytes);
    }
  }
};
for (let i = 0; i < 10; i++) { tiled(); whole.run(); }
const w0: number[] = [], t0: number[] = [];
for (let i = 0; i < Number(roundsArg); i++) { w0.push(msPerCall(whole.run, 5)); t0.push(msPerCall(tiled, 5)); }
const same = Buffer.compare(Buffer.from(a.bytes(dst, H * W * Co)), Buffer.from(whole.output().data.buffer)) === 0;
if (!same) throw new Error("the tiled output differs from the whole layer's");
const macs = H * W * C * Co;
console.log(`${name} tile ${T}: whole ${median(w0).toFixed(3)} ms (${(macs / median(w0) / 1e6).toFixed(1)} GMAC/s), tiled ${median(t0).toFixed(3)} ms (${(macs / median(t0) / 1e6).toFixed(1)}), ratio ${(median(t0) / median(w0)).toFixed(3)}`);
