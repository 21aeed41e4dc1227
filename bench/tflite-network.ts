// The whole-network table of the TFLite path: a MobileNetV2 1.0-224 int8 `.tflite`
// (scripts/tflite/make-models.mjs) run by dwpw under `tflite-micro` (and `litert`), per image, with
// where the time goes by layer kind, interleaved round by round with the ONNX MobileNetV2 1.0-224
// int8 (scripts/make-models.mjs --full) under onnxruntime-node (native CPU, one thread) and
// under dwpw's ONNX runner. Models that are missing are generated (TFLite) or the entry is skipped
// with the command that makes them (ONNX: a few minutes of ONNX Runtime checks).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { loadOnnx, loadTflite } from "../src/index.js";
import { reference } from "../src/reference/index.js";
import { defaultEngine } from "../src/runtime.js";
import { runLowered } from "../src/runner/run.js";
import type { Lowered, RunContext, TargetName } from "../src/targets/types.js";
import { Rng } from "../src/rng.js";
import { timeRounds, type Entry, type Timing, type TimingOptions } from "./timing.js";
import { onnxLayerCounts, onnxLayerTimes } from "./onnx-network.js";
import type { Network } from "../src/network/index.js";
import { liteRtJs } from "./litertjs.js";

const ROOT = new URL("../../../", import.meta.url);
export const TFLITE_V2 = new URL("build/models/mobilenet_v2_1.0_224_int8.tflite", ROOT);
export const ONNX_V2 = new URL("fixtures/models/full/mobilenet_v2_1.0_224.int8.symmetric.qlinear.onnx", ROOT);

export interface TfliteNetworkResult {
  model: string;
  macs: number;
  /** Per entry: timing of one image. */
  timings: Record<string, Timing>;
  /** Per target: ms per image by layer kind (median over the timed runs), and how many layers. */
  breakdown: Record<string, Array<{ kind: string; layers: number; ms: number; share: number }>>;
  /** The TFLite outputs of the kernels and of the reference are the same bytes. */
  sameBytes: boolean;
  /** LiteRT.js's output and dwpw's under `litert` are the same bytes (null: LiteRT.js did not run). */
  liteRtJsSameBytes: boolean | null;
  skipped: string[];
}

/** Multiply-accumulates of the convolutions and fully connected layers of a lowered graph. */
function macsOf(l: Lowered): number {
  let n = 0;
  for (const layer of l.layers) {
    const op = layer.op;
    const t = (i: number) => l.graph.tensors[i]!;
    if (op.kind === "conv2d") {
      const w = t(op.inputs[1]!).shape, y = t(op.outputs[0]!).shape;
      n += y[1]! * y[2]! * y[3]! * w[1]! * w[2]! * w[3]!;
    } else if (op.kind === "depthwiseConv2d") {
      const w = t(op.inputs[1]!).shape, y = t(op.outputs[0]!).shape;
      n += y[1]! * y[2]! * y[3]! * w[1]! * w[2]!;
    } else if (op.kind === "fullyConnected") {
      const w = t(op.inputs[1]!).shape, y = t(op.outputs[0]!).shape;
      n += (y.reduce((a, b) => a * b, 1) / w[0]!) * w[0]! * w[1]!;
    }
  }
  return n;
}

/** A label per lowered layer: its kind, and where a weighted layer runs. */
function kindOf(layer: Lowered["layers"][number]): string {
  const k = layer.params.kernel;
  return typeof k === "string" && k !== "xnnpack" ? `${layer.op.kind} (${k})` : layer.op.kind;
}

/** Runs `lowered` with every layer timed into `acc` (ms by kind). */
function timedRun(lowered: Lowered, input: Int8Array, ctx: RunContext, acc: Map<string, number>): void {
  const layers = lowered.layers.map((layer) => {
    const kind = kindOf(layer);
    return {
      ...layer,
      run(values: Parameters<typeof layer.run>[0], c: RunContext) {
        const t = performance.now();
        layer.run(values, c);
        acc.set(kind, (acc.get(kind) ?? 0) + performance.now() - t);
      },
    };
  });
  runLowered({ ...lowered, layers }, [input], { ctx });
}

export async function tfliteNetworkBench(o: TimingOptions, log: (m: string) => void): Promise<TfliteNetworkResult | null> {
  const skipped: string[] = [];
  if (!existsSync(TFLITE_V2)) {
    log("making build/models/mobilenet_v2_1.0_224_int8.tflite");
    try {
      execFileSync(process.execPath, [new URL("scripts/tflite/make-models.mjs", ROOT).pathname], { stdio: "inherit" });
    } catch {
      skipped.push("TFLite MobileNetV2: `node scripts/tflite/make-models.mjs` failed (it needs dist/: `npm run build:ts`)");
      return { model: "mobilenet_v2_1.0_224_int8.tflite", macs: 0, timings: {}, breakdown: {}, sameBytes: false, liteRtJsSameBytes: null, skipped };
    }
  }
  const net = loadTflite(new Uint8Array(readFileSync(TFLITE_V2)));
  const rng = new Rng(224);
  const x = Int8Array.from({ length: 224 * 224 * 3 }, () => rng.int(-128, 127));
  const e = defaultEngine();
  const wasmCtx: RunContext = { conv: (t, op) => e.conv(t, op), general: e };
  // Every target is timed; the two TFLite runtimes also get the per-layer breakdown.
  const timed: TargetName[] = ["tflite-micro", "cmsis-nn", "litert", "onnxruntime", "gap8-nntool"];
  const targets: TargetName[] = ["tflite-micro", "litert"];
  const lowered = Object.fromEntries(targets.map((t) => [t, net.lowerTo(t)])) as Record<string, Lowered>;
  const macs = macsOf(lowered["tflite-micro"]!);

  // Bytes: the kernels against the reference engine, once per target.
  const sameBytes = timed.every((target) => {
    const a = net.run(x, { target }).outputs;
    const b = net.run(x, { target, engine: "reference" }).outputs;
    return Object.keys(a).every((k) => Buffer.compare(Buffer.from(a[k]!.data.buffer), Buffer.from(b[k]!.data.buffer)) === 0);
  });
  void reference;

  const entries: Entry[] = timed.map((t) => ({ name: `dwpw tflite ${t}`, fn: () => net.run(x, { target: t }) }));
  let releaseLiteRt: (() => void) | null = null;
  let liteRtJsSameBytes: boolean | null = null;
  try {
    const peer = await liteRtJs(new Uint8Array(readFileSync(TFLITE_V2)), [1, 224, 224, 3]);
    const theirs = await peer.run(x);
    const ours = Object.values(net.run(x, { target: "litert" }).outputs)[0]!.data;
    liteRtJsSameBytes = Buffer.compare(Buffer.from(theirs.buffer, theirs.byteOffset, theirs.byteLength), Buffer.from(ours.buffer, ours.byteOffset, ours.byteLength)) === 0;
    entries.push({ name: `LiteRT.js ${peer.version} (XNNPACK, wasm, 1 thread)`, fn: () => peer.run(x) });
    releaseLiteRt = () => peer.release();
  } catch (err) {
    skipped.push(`LiteRT.js: ${(err as Error).message}`);
  }
  let releaseOrt: (() => Promise<void>) | null = null;
  let onnxNet: Network | null = null;
  const fx = new Float32Array(3 * 224 * 224);
  if (existsSync(ONNX_V2)) {
    const bytes = new Uint8Array(readFileSync(ONNX_V2));
    for (let i = 0; i < fx.length; i++) fx[i] = rng.range(-1, 1);
    const net = loadOnnx(bytes);
    onnxNet = net;
    entries.push({ name: "dwpw onnx (onnxruntime arithmetic)", fn: () => net.run(fx) });
    try {
      const ortNode = createRequire(import.meta.url)("onnxruntime-node") as typeof import("onnxruntime-node");
      const session = await ortNode.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all" });
      const feeds = { [session.inputNames[0]!]: new ortNode.Tensor("float32", fx, [1, 3, 224, 224]) };
      entries.push({ name: "onnxruntime-node (native, 1 thread)", fn: () => session.run(feeds) });
      releaseOrt = () => session.release();
    } catch (err) {
      skipped.push(`onnxruntime-node: ${(err as Error).message}`);
    }
  } else {
    skipped.push("ONNX MobileNetV2 (onnxruntime-node, dwpw onnx): run `node scripts/make-models.mjs --full --only mobilenet_v2_1.0_224` first");
  }
  log(`tflite network: ${entries.map((en) => en.name).join(", ")}`);
  const timings = await timeRounds(entries, o);
  if (releaseOrt) await releaseOrt();
  releaseLiteRt?.();

  // Where the time goes: each layer timed, the runs interleaved between the targets.
  const runs = Math.max(5, Math.min(15, o.minRuns ?? 7));
  const ONNX_KEY = "dwpw onnx (onnxruntime arithmetic)";
  const keys = onnxNet ? [...targets, ONNX_KEY] : targets;
  const perRun = new Map<string, Array<Map<string, number>>>(keys.map((t) => [t, []]));
  for (let r = 0; r < runs + 2; r++) {
    for (const t of keys) {
      const acc = new Map<string, number>();
      if (t === ONNX_KEY) onnxLayerTimes(onnxNet!, fx, acc);
      else timedRun(lowered[t]!, x, wasmCtx, acc);
      if (r >= 2) perRun.get(t)!.push(acc);
    }
  }
  const breakdown: TfliteNetworkResult["breakdown"] = {};
  for (const t of keys) {
    let counts = new Map<string, number>();
    if (t === ONNX_KEY) counts = onnxLayerCounts(onnxNet!);
    else for (const layer of lowered[t]!.layers) counts.set(kindOf(layer), (counts.get(kindOf(layer)) ?? 0) + 1);
    const rows = [...counts.keys()].map((kind) => {
      const xs = perRun.get(t)!.map((m) => m.get(kind) ?? 0).sort((p, q) => p - q);
      return { kind, layers: counts.get(kind)!, ms: xs[xs.length >> 1]!, share: 0 };
    });
    const total = rows.reduce((s, r) => s + r.ms, 0);
    for (const r of rows) r.share = r.ms / total;
    breakdown[t] = rows.sort((p, q) => q.ms - p.ms);
  }
  return { model: "mobilenet_v2_1.0_224_int8.tflite", macs, timings, breakdown, sameBytes, liteRtJsSameBytes, skipped };
}
