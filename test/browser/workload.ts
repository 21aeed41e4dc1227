// One fixed, seeded workload run in Node and in Chromium so the two runtimes can be compared byte
// for byte: every layer of small MobileNetV1/V2 networks under every quantization scheme and both
// layouts, on the SIMD and the scalar kernels, and every fused schedule that applies to each
// depthwise-separable pair on the scratchpad model (output bytes and the counted transfer report).
// Each block folds into one digest, so a difference names the network, scheme, layout and block.
import { createEngine, type Engine } from "../../src/engine.js";
import { mobilenetV1, mobilenetV2, QUANT_SCHEMES, randomInput, randomOp, type NetworkSpec } from "../../src/presets/mobilenet.js";
import { runBlock } from "../../src/scratchpad/index.js";
import { L1OverflowError } from "../../src/scratchpad/plan.js";
import { SCHEDULES } from "../../src/scratchpad/schedules.js";
import type { ConvOp, Layout, Tensor } from "../../src/types.js";
import { wasmBase64 as scalarBase64 } from "../../src/wasm/scalar.generated.js";
import { wasmBase64 as simdBase64 } from "../../src/wasm/simd.generated.js";

/** Key of the digest of the WebAssembly builds themselves (both sides must have loaded the same). */
export const BUILDS_KEY = "webassembly builds";

/** FNV-1a (32 bit), fed bytes and strings, printed as hex. */
class Digest {
  private h = 0x811c9dc5;
  bytes(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.h = Math.imul(this.h ^ (b[i]! & 0xff), 0x01000193);
    return this;
  }
  text(s: string): this {
    for (let i = 0; i < s.length; i++) this.h = Math.imul(this.h ^ s.charCodeAt(i), 0x01000193);
    return this;
  }
  tensor(t: Tensor): this {
    return this.text(`${t.height}x${t.width}x${t.channels} ${t.layout} zp${t.zeroPoint} ${t.data.constructor.name}`).bytes(t.data);
  }
  hex(): string {
    return (this.h >>> 0).toString(16).padStart(8, "0");
  }
}

/** Small networks: every block shape of the real ones, at a fraction of the bytes. */
export const WORKLOAD_NETWORKS = (): NetworkSpec[] => [
  mobilenetV1({ alpha: 0.25, resolution: 32 }),
  mobilenetV2({ alpha: 0.35, resolution: 32 }),
];

/** Every fused schedule (or the baseline) that runs `pair`, folded into `d`. */
function blocksOn(d: Digest, engine: Engine, input: Tensor, pair: [ConvOp, ConvOp]): void {
  for (const schedule of SCHEDULES) {
    try {
      const { output, report } = runBlock(engine, input, pair, { schedule });
      d.text(schedule).tensor(output).text(JSON.stringify(report));
    } catch (e) {
      // Schedules for the other order or layout, and tilings that do not fit L1, are skipped alike in both runtimes.
      if (!(e instanceof RangeError || e instanceof L1OverflowError)) throw e;
      d.text(`${schedule}: ${e.name}`);
    }
  }
}

/** Digest of every block of the workload, keyed `network scheme layout block`. */
export async function workloadDigests(): Promise<Record<string, string>> {
  const engines = [await createEngine({ simd: true }), await createEngine({ simd: false })];
  const out: Record<string, string> = { [BUILDS_KEY]: new Digest().text(simdBase64).text(scalarBase64).hex() };
  for (const net of WORKLOAD_NETWORKS()) {
    for (const scheme of QUANT_SCHEMES) {
      for (const layout of ["HWC", "CHW"] as Layout[]) {
        for (const b of net.blocks) {
          const lo = { scheme, layout, seed: 7 };
          const ops = b.layers.map((l) => randomOp(l, lo));
          const input = randomInput(b.layers[0]!, lo);
          const d = new Digest();
          for (const engine of engines) {
            d.text(engine.simd ? "simd" : "scalar");
            let t = input;
            for (const op of ops) d.tensor((t = engine.conv(t, op)));
          }
          // The scratchpad model on the default (SIMD) engine: each adjacent pair of the block.
          let t = input;
          for (let k = 0; k + 1 < ops.length; k++) {
            blocksOn(d, engines[0]!, t, [ops[k]!, ops[k + 1]!]);
            t = engines[0]!.conv(t, ops[k]!);
          }
          out[`${net.name} ${scheme} ${layout} block ${b.index}`] = d.hex();
        }
      }
    }
  }
  return out;
}
