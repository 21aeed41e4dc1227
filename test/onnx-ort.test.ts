// Live cross-check with onnxruntime-node (a devDependency): test networks built on the spot, run by
// ONNX Runtime at every graph optimization level on fresh random inputs, and by dwpw, compared
// layer by layer. The committed fixtures (onnx-models.test.ts) need no ONNX Runtime; this test
// also catches an installed ONNX Runtime that computes differently from the one they came from.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../src/index.js";
import { loadOnnx } from "../src/onnx/index.js";
import { SMALL_NETS } from "../scripts/onnx/nets.mjs";
import { qdqModel, qlinearModel } from "../scripts/onnx/netbuild.mjs";
import { firstDiff } from "./helpers/models.js";
import { rng } from "./helpers/blocks.js";
import { skipMeta } from "./helpers/skip.js";

type Ort = typeof import("onnxruntime-node");
let ort: Ort | null = null;
try {
  ort = createRequire(import.meta.url)("onnxruntime-node") as Ort;
} catch {
  ort = null;
}

beforeAll(async () => {
  await init();
});


// On an x86-64 host without VNNI, ORT's u8 x s8 GEMM saturates pairs of products: the
// u8s8-stress network (full-range weights) then needs u8s8 "ort-x86-u8s8-saturation".
function saturatingHost(): boolean {
  if (process.arch !== "x64") return false;
  try {
    const flags = readFileSync("/proc/cpuinfo", "utf8");
    return /\bavx2\b/.test(flags) && !/\b(avx512_vnni|avx_vnni)\b/.test(flags);
  } catch {
    return false;
  }
}
const NETS = ["v2-int8", "v1-uint8-same", "odd-uint8", "v2-uint8-same", ...(saturatingHost() ? ["u8s8-stress"] : [])];
const LEVELS = ["disabled", "basic", "extended", "all"] as const;

describe.skipIf(!ort)("dwpw against onnxruntime-node, live", skipMeta(ort ? null : "onnxruntime-node is not installed"), () => {
  for (const name of NETS) {
    it(`${name}: QLinear form at every level and QDQ form at extended/all, every layer, 2 random inputs`, async () => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const net: any = (SMALL_NETS as Record<string, () => unknown>)[name]!();
      const acts: string[] = net.activationNames();
      const forms = { qlinear: qlinearModel(net, { extraOutputs: acts }), qdq: qdqModel(net, { extraOutputs: acts }) };
      for (const seed of [1, 2]) {
        const r = rng(seed * 7919 + name.length);
        const n = net.inputShape.reduce((a: number, b: number) => a * b, 1);
        const feed = net.floatInput
          ? Float32Array.from({ length: n }, () => Math.fround(r() * 2.4 - 1.2))
          : net.dtype === "int8"
            ? Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128)
            : Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
        const dtype = net.floatInput ? "float32" : net.dtype;
        for (const [form, bytes] of Object.entries(forms)) {
          const mine = loadOnnx(bytes);
          const ours = new Map<string, ArrayBufferView>();
          for (const engine of ["wasm", "reference"] as const) {
            const res = mine.run(feed, { engine, layers: true, u8s8: name === "u8s8-stress" ? "ort-x86-u8s8-saturation" : "exact" });
            for (const l of res.layers!) ours.set(`${engine}:${l.output.name}`, l.output.data);
            for (const [k, v] of Object.entries(res.outputs)) ours.set(`${engine}:${k}`, v.data);
          }
          const levels = form === "qlinear" ? LEVELS : (["extended", "all"] as const);
          for (const level of levels) {
            const options: Record<string, unknown> = { graphOptimizationLevel: level, intraOpNumThreads: 1 };
            if (form === "qdq") options.extra = { session: { qdqisint8allowed: "1" } };
            const s = await ort!.InferenceSession.create(bytes, options);
            const out = await s.run({ input: new ort!.Tensor(dtype, feed, net.inputShape) });
            for (const o of s.outputNames) {
              for (const engine of ["wasm", "reference"]) {
                const got = ours.get(`${engine}:${o}`);
                expect(got, `${name} ${form}: dwpw has no tensor ${o}`).toBeDefined();
                const d = firstDiff(got!, out[o]!.data as ArrayBufferView);
                expect(d, `${name} ${form} level ${level} seed ${seed} ${engine}: ${o} differs at byte ${d}`).toBe(-1);
              }
            }
            await s.release();
          }
        }
      }
    }, 120_000);
  }
});
