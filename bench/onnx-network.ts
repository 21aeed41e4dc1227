// The whole-network table of the ONNX path: quantized MobileNetV1 / V2 1.0-224 (int8 and uint8,
// QLinear form; scripts/make-models.mjs --full) run by dwpw's ONNX runner (ONNX Runtime's
// arithmetic), plain and with `{ blocks: true }` (the GAP8 scratchpad model), against
// onnxruntime-node (native CPU, one thread) and onnxruntime-web (WebAssembly, one thread), the
// entries of a model interleaved round by round on the same input; then where dwpw's time goes,
// by layer kind. Models that are missing are skipped with the command that makes them.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import * as ortWeb from "onnxruntime-web";
import { loadOnnx } from "../src/index.js";
import type { Network } from "../src/network/index.js";
import { Rng } from "../src/rng.js";
import { median, timeRounds, type Entry, type Timing, type TimingOptions } from "./timing.js";

const ROOT = new URL("../../../", import.meta.url);
const FULL = new URL("fixtures/models/full/", ROOT);

export const ONNX_MODELS = [
  { name: "MobileNetV1 1.0-224", tag: "mobilenet_v1_1.0_224" },
  { name: "MobileNetV2 1.0-224", tag: "mobilenet_v2_1.0_224" },
];

export interface OnnxNetworkRow {
  model: string;
  dtype: "int8" | "uint8";
  macs: number;
  /** By entry: dwpw, dwpw blocks, onnxruntime-node, onnxruntime-web. */
  timings: Record<string, Timing>;
  /** dwpw's final output equals onnxruntime-node's (null: not run). */
  sameAsOrtNode: boolean | null;
  /** ms per image by layer kind (median over runs), plain run. */
  breakdown: Array<{ kind: string; layers: number; ms: number; share: number }>;
}

export interface OnnxNetworkResult {
  rows: OnnxNetworkRow[];
  skipped: string[];
}

/** Multiply-accumulates of the network's convolutions and fully connected layers. */
function macsOf(net: Network): number {
  let n = 0;
  const shape = (v: string) => net.graph.values.get(v)!.shape;
  for (const l of net.layers) {
    const y = shape(l.output);
    const outs = y.reduce((a, b) => a * b, 1);
    if (l.kind === "depthwise") n += outs * l.op.kernel[0] * l.op.kernel[1];
    else if (l.kind === "pointwise") n += outs * shape(l.inputs[0]!)[1]!;
    else if (l.kind === "conv") n += outs * l.kernel[0] * l.kernel[1] * (l.inChannels / l.group);
    else if (l.kind === "fullyConnected") n += l.rows * l.inFeatures * l.outFeatures;
  }
  return n;
}

/** A label per layer: its kind, with the kernel shape of a standard convolution. */
function kindOf(l: Network["layers"][number]): string {
  if (l.kind === "conv") return `conv ${l.kernel[0]}x${l.kernel[1]}${l.stride[0] > 1 ? ` s${l.stride[0]}` : ""}${l.group > 1 ? ` g${l.group}` : ""}`;
  return l.kind;
}

/** One plain run with each layer timed between `onLayer` calls, added into `acc` (ms by kind). */
export function onnxLayerTimes(net: Network, x: Float32Array, acc: Map<string, number>): void {
  let t = performance.now();
  net.run(x, {
    onLayer: (_done, _total, l) => {
      const now = performance.now();
      const k = kindOf(l);
      acc.set(k, (acc.get(k) ?? 0) + now - t);
      t = now;
    },
  });
}

/** Layers by kind label. */
export function onnxLayerCounts(net: Network): Map<string, number> {
  const counts = new Map<string, number>();
  for (const l of net.layers) counts.set(kindOf(l), (counts.get(kindOf(l)) ?? 0) + 1);
  return counts;
}

/** Per-kind ms of `runs` plain runs; median per kind. */
function breakdownOf(net: Network, x: Float32Array, runs: number): OnnxNetworkRow["breakdown"] {
  const perRun: Array<Map<string, number>> = [];
  for (let r = 0; r < runs + 2; r++) {
    const acc = new Map<string, number>();
    onnxLayerTimes(net, x, acc);
    if (r >= 2) perRun.push(acc);
  }
  const counts = onnxLayerCounts(net);
  const rows = [...counts.keys()].map((kind) => ({ kind, layers: counts.get(kind)!, ms: median(perRun.map((m) => m.get(kind) ?? 0)), share: 0 }));
  const total = rows.reduce((s, r) => s + r.ms, 0);
  for (const r of rows) r.share = r.ms / total;
  return rows.sort((p, q) => q.ms - p.ms);
}

export async function onnxNetworkBench(o: TimingOptions, log: (m: string) => void, withOrt = true): Promise<OnnxNetworkResult> {
  const skipped: string[] = [];
  const rows: OnnxNetworkRow[] = [];
  let ortNode: typeof import("onnxruntime-node") | null = null;
  if (withOrt) {
    try {
      ortNode = createRequire(import.meta.url)("onnxruntime-node") as typeof import("onnxruntime-node");
    } catch (err) {
      skipped.push(`onnxruntime-node: ${(err as Error).message}`);
    }
  }
  for (const m of ONNX_MODELS) {
    for (const dtype of ["int8", "uint8"] as const) {
      const file = new URL(`${m.tag}.${dtype}.symmetric.qlinear.onnx`, FULL);
      if (!existsSync(file)) {
        skipped.push(`${m.name} ${dtype}: run \`node scripts/make-models.mjs --full --dtype ${dtype} --only ${m.tag}\` first`);
        continue;
      }
      log(`onnx network ${m.name} ${dtype}`);
      const bytes = new Uint8Array(readFileSync(file));
      const net = loadOnnx(bytes);
      const inSpec = net.inputs[0]!;
      const rng = new Rng(224);
      const x = Float32Array.from({ length: inSpec.shape.reduce((a, b) => a * b, 1) }, () => rng.range(-1, 1));
      const entries: Entry[] = [
        { name: "dwpw", fn: () => net.run(x) },
        { name: "dwpw blocks", fn: () => net.run(x, { blocks: true }) },
      ];
      const releases: Array<() => Promise<void>> = [];
      let sameAsOrtNode: boolean | null = null;
      if (ortNode) {
        const s = await ortNode.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all" });
        const feeds = { [s.inputNames[0]!]: new ortNode.Tensor("float32", x, inSpec.shape) };
        const want = (await s.run(feeds))[s.outputNames[0]!]!.data as Float32Array;
        const got = net.run(x).outputs[s.outputNames[0]!]!.data;
        sameAsOrtNode = Buffer.compare(Buffer.from(want.buffer, want.byteOffset, want.byteLength), Buffer.from(got.buffer, got.byteOffset, got.byteLength)) === 0;
        entries.push({ name: "onnxruntime-node", fn: () => s.run(feeds) });
        releases.push(() => s.release());
      }
      if (withOrt) {
        const s = await ortWeb.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
        const feeds = { [s.inputNames[0]!]: new ortWeb.Tensor("float32", x, inSpec.shape) };
        entries.push({ name: "onnxruntime-web", fn: () => s.run(feeds) });
        releases.push(() => s.release());
      }
      const timings = await timeRounds(entries, o);
      for (const r of releases) await r();
      rows.push({ model: m.name, dtype, macs: macsOf(net), timings, sameAsOrtNode, breakdown: breakdownOf(net, x, Math.max(5, Math.min(15, o.minRuns ?? 7))) });
    }
  }
  return { rows, skipped };
}
