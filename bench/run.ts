// `npm run bench`: dwpw's kernels side by side with what a user would otherwise run, in one process
// on one thread, on the same inputs: the SIMD kernels alone and chained, the fused block on the
// scratchpad model, the scalar (non-SIMD) build, the TypeScript reference and onnxruntime-web
// (WebAssembly backend, one thread). Then MobileNetV1's 13 blocks per image, and a batch spread
// over worker threads. Prints tables and writes bench/results.json.
//
// Options: --quick (fewer and shorter runs), --no-ref, --no-ort, --no-network, --no-general,
// --no-tflite, --no-onnx, --only general,tflite,onnx (just those sections: general convolution
// layers, the TFLite whole network, the ONNX whole networks).
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { createEngine, type Engine } from "../src/engine.js";
import { layersPool } from "../src/pool/pool.js";
import { toLayout } from "../src/layout.js";
import { mobilenetV1, randomInput, randomOp, type LayerSpec } from "../src/presets/mobilenet.js";
import { reference } from "../src/reference/index.js";
import { runBlock } from "../src/scratchpad/index.js";
import type { ConvOp, DepthwiseOp, Dtype, Layout, PointwiseOp, Tensor } from "../src/types.js";
import { configureOrt, ortBlock, ortVersion } from "./ort.js";
import { buildNetwork, networkInput, runNetwork } from "./network.js";
import { median, time, timeRounds, type Entry, type Timing, type TimingOptions } from "./timing.js";
import { rawKernel } from "./raw-kernel.js";
import { generalLayers, placeGeneral } from "./general-layers.js";
import { tfliteNetworkBench, type TfliteNetworkResult } from "./tflite-network.js";
import { onnxNetworkBench, type OnnxNetworkResult } from "./onnx-network.js";
import { init } from "../src/runtime.js";
import { Rng } from "../src/rng.js";

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const WITH_REF = !argv.includes("--no-ref");
const WITH_ORT = !argv.includes("--no-ort");
const onlyArg = argv.indexOf("--only");
const ONLY = onlyArg >= 0 ? new Set((argv[onlyArg + 1] ?? "").split(",")) : null;
const section = (name: string, flag: string) => (ONLY ? ONLY.has(name) : !argv.includes(flag));
const WITH_KERNELS = section("kernels", "--no-kernels");
const WITH_NET = section("network", "--no-network");
const WITH_GENERAL = section("general", "--no-general");
const WITH_TFLITE = section("tflite", "--no-tflite");
const WITH_ONNX = section("onnx", "--no-onnx");

/** Rounds of interleaved runs per table row (see `timeRounds`): fast entries run `FAST_REPS` times a round. */
const ROUNDS: TimingOptions = QUICK ? { warmup: 2, warmupMs: 100, minRuns: 3, minMs: 300 } : { warmup: 3, warmupMs: 300, minRuns: 9, minMs: 2500, maxRuns: 60 };
const FAST_REPS = QUICK ? 2 : 4;

const net = mobilenetV1();
const layer = (name: string): LayerSpec => net.layers.find((l) => l.name === name)!;

/** Fixed shapes, so results compare across runs: four MobileNetV1 blocks, and the 56x56x128
 * layers for the kernels alone. */
const BLOCKS = [
  { name: "32x112x112 -> 64 (s1)", dw: "b1.dw", pw: "b1.pw" },
  { name: "64x112x112 -> 128 (s2)", dw: "b2.dw", pw: "b2.pw" },
  { name: "256x28x28 -> 256 (s1)", dw: "b5.dw", pw: "b5.pw" },
  { name: "512x14x14 -> 512 (s1)", dw: "b7.dw", pw: "b7.pw" },
];
const KERNEL_LAYERS = ["b1.dw", "b1.pw", "b2.dw", "b2.pw", "b3.dw", "b3.pw", "b5.dw", "b5.pw", "b7.dw", "b7.pw"];
const DTYPES: Dtype[] = ["int8", "uint8"];

const gmacs = (macs: number, ms: number): number => macs / ms / 1e6;
const r2 = (x: number): number => Math.round(x * 100) / 100;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const bytesOf = (t: Tensor): Uint8Array => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
const same = (a: Tensor, b: Tensor): boolean => Buffer.compare(Buffer.from(bytesOf(toLayout(a, "HWC"))), Buffer.from(bytesOf(toLayout(b, "HWC")))) === 0;

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => "| " + r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(" | ") + " |";
  return [line(head), "| " + w.map((n, i) => (i === 0 ? "-".repeat(n) : "-".repeat(n - 1) + ":")).join(" | ") + " |", ...cells.slice(1).map(line)].join("\n");
}

const fmtMs = (t: Timing | null): string => (t ? t.ms.toFixed(t.ms < 10 ? 3 : 1) : "-");
const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
const fmtX = (x: number | null): string => (x === null ? "-" : x >= 100 ? x.toFixed(0) + "x" : x.toFixed(2) + "x");

function log(msg: string): void {
  process.stderr.write(msg + "\n");
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  configureOrt();
  const simd = await createEngine({ simd: true });
  const scalar = await createEngine({ simd: false });
  // Kernel-only runs keep their buffers in their own engines' memory (an API call resets the arena).
  const rawH = await createEngine({ simd: true });
  const rawC = await createEngine({ simd: true });
  const started = new Date().toISOString();
  const meta = {
    started,
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    onnxruntimeWeb: ortVersion(),
    quick: QUICK,
    scheme: "onnx (the requantization ONNX Runtime uses, so all runtimes compute the same bytes)",
    timing: "median wall-clock ms over repeated runs after warm-up, one thread; the entries of a table row run interleaved, round by round, so load from other processes falls on all alike; cpuMs = median CPU time of this process",
  };

  // ---- The machine's peak for i32x4.dot_i16x8_s -----------------------------------------------
  const peakLoops = await loadPeakLoops();
  const peaks = dotPeaks(peakLoops);
  const peak = peaks.dotPeak;
  log(`dot peak ${peak.best.toFixed(1)} GMAC/s (median ${peak.median.toFixed(1)}); 8 per loop iteration ${peaks.dotLoop8.best.toFixed(1)}`);

  // ---- Kernels alone --------------------------------------------------------------------------
  interface KernelRow {
    layer: string; kind: string; shape: string; dtype: Dtype; macs: number;
    hwc: Timing; chw: Timing; rawHwc: Timing; rawChw: Timing;
    /** The HWC API call timed with the scalar build and the reference (their ratios' base). */
    peerHwc: Timing | null; scalar: Timing | null; reference: Timing | null; sameBytes: boolean;
    /** Pointwise rows: the peak loop on as many MACs, timed in the same rounds as the kernel. */
    peak: Timing | null;
  }
  const kernelRows: KernelRow[] = [];
  for (const dtype of WITH_KERNELS ? DTYPES : []) {
    for (const name of KERNEL_LAYERS) {
      const l = layer(name);
      const o = { scheme: "onnx" as const, dtype, seed: 1 };
      const xh = randomInput(l, { ...o, layout: "HWC" });
      const xc = toLayout(xh, "CHW");
      const op = randomOp(l, { ...o, layout: "HWC" });
      log(`kernel ${name} ${dtype}`);
      const entries: Entry[] = [
        { name: "hwc", fn: () => simd.conv(xh, op), reps: FAST_REPS },
        { name: "chw", fn: () => simd.conv(xc, op), reps: FAST_REPS },
        { name: "rawHwc", fn: rawKernel(rawH, xh, op), reps: FAST_REPS },
        { name: "rawChw", fn: rawKernel(rawC, xc, op), reps: FAST_REPS },
      ];
      // The pointwise target is a share of the peak: the peak loop runs in the same rounds, so that
      // both see the same load (a peak measured once, on a quieter minute, moved the share by 10%).
      if (l.kind === "pointwise") entries.push({ name: "peak", fn: () => peakLoops.dotPeak(Math.round(l.macs / PEAK_MACS.dotPeak), PEAK_OUT), reps: FAST_REPS });
      const tm = await timeRounds(entries, ROUNDS);
      const { hwc, chw, rawHwc, rawChw } = tm as Record<string, Timing>;
      const peakRow = tm.peak ?? null;
      // The scalar build and the reference against the same API call, in rounds of their own: a
      // call of several milliseconds through other code and memory between the SIMD calls slowed
      // the kernel-only call after it by up to 12% (b2.dw CHW).
      const peers: Entry[] = [{ name: "hwc", fn: () => simd.conv(xh, op), reps: FAST_REPS }];
      if (dtype === "int8") peers.push({ name: "scalar", fn: () => scalar.conv(xh, op) });
      if (WITH_REF && dtype === "int8") peers.push({ name: "reference", fn: () => reference.conv(xh, op) });
      const tp = peers.length > 1 ? await timeRounds(peers, ROUNDS) : {};
      const ySimd = simd.conv(xh, op);
      let ok = same(ySimd, simd.conv(xc, op));
      const sc = tp.scalar ?? null;
      if (sc) ok &&= same(ySimd, scalar.conv(xh, op));
      const ref = tp.reference ?? null;
      if (ref) ok &&= same(ySimd, reference.conv(xh, op));
      kernelRows.push({
        layer: name, kind: l.kind, shape: `${l.channels}x${l.height}x${l.width}` + (l.kind === "pointwise" ? ` -> ${l.outChannels}` : ` s${l.stride[0]}`),
        dtype, macs: l.macs, hwc: hwc!, chw: chw!, rawHwc: rawHwc!, rawChw: rawChw!, peerHwc: tp.hwc ?? null, scalar: sc, reference: ref, sameBytes: ok, peak: peakRow,
      });
    }
  }

  // ---- Blocks ---------------------------------------------------------------------------------
  interface BlockRow {
    block: string; dtype: Dtype; macs: number;
    kernelsHWC: Timing; kernelsCHW: Timing;
    scratchpad: { ms: Timing; planned: Timing; layout: Layout; schedule: string; tiling: Record<string, number>; l2Enlarged: boolean; kernelsSameLayout: Timing } | null;
    scratchpadOther: { ms: Timing; planned: Timing; layout: Layout; schedule: string } | null;
    ort: Timing | null; reference: Timing | null; scalar: Timing | null;
    sameBytes: { ort: boolean | null; scratchpad: boolean | null; reference: boolean | null; scalar: boolean | null };
  }
  const blockRows: BlockRow[] = [];
  for (const dtype of WITH_KERNELS ? DTYPES : []) {
    for (const b of BLOCKS) {
      const dl = layer(b.dw), pl = layer(b.pw);
      const o = { scheme: "onnx" as const, dtype, seed: 1 };
      const xh = randomInput(dl, { ...o, layout: "HWC" });
      const xc = toLayout(xh, "CHW");
      const dw = randomOp(dl, { ...o, layout: "HWC" }) as DepthwiseOp;
      const pw = randomOp(pl, { ...o, layout: "HWC" }) as PointwiseOp;
      const ops: [ConvOp, ConvOp] = [dw, pw];
      const macs = dl.macs + pl.macs;
      log(`block ${b.name} ${dtype}`);
      const kernels = (e: Engine, x: Tensor) => e.conv(e.conv(x, dw), pw);
      const want = kernels(simd, xc);

      // The scratchpad model: the planner's best schedule for each input layout; GAP8's 512 kB L2
      // cannot hold the 112x112 blocks' tensors, so those run with a larger L2 (same L1).
      const sp: { layout: Layout; options: object; given: object; schedule: string; tiling: Record<string, number>; l2Enlarged: boolean; ok: boolean }[] = [];
      for (const [layout, x] of [["HWC", xh], ["CHW", xc]] as [Layout, Tensor][]) {
        let options = {};
        let l2Enlarged = false;
        let r;
        try {
          r = runBlock(simd, x, ops, options);
        } catch {
          options = { memory: { l2: 64 * 1024 * 1024 } };
          l2Enlarged = true;
          r = runBlock(simd, x, ops, options);
        }
        // The same run with the plan given (schedule and tiling): the model's execution alone.
        const given = { ...options, schedule: r.report.schedule, tiling: r.report.tiling };
        sp.push({ layout, options, given, schedule: r.report.schedule, tiling: r.report.tiling, l2Enlarged, ok: same(r.output, want) });
      }
      let ortS: Awaited<ReturnType<typeof ortBlock>> | null = null;
      let ortOk: boolean | null = null;
      if (WITH_ORT) {
        ortS = await ortBlock(xc, dw, pw);
        ortOk = Buffer.compare(Buffer.from(await ortS.run()), Buffer.from(bytesOf(want))) === 0;
      }
      const entries: Entry[] = [
        { name: "HWC", fn: () => kernels(simd, xh), reps: FAST_REPS },
        { name: "CHW", fn: () => kernels(simd, xc), reps: FAST_REPS },
        { name: "blockHWC", fn: () => runBlock(simd, xh, ops, sp[0]!.options) },
        { name: "blockCHW", fn: () => runBlock(simd, xc, ops, sp[1]!.options) },
        { name: "runHWC", fn: () => runBlock(simd, xh, ops, sp[0]!.given), reps: FAST_REPS },
        { name: "runCHW", fn: () => runBlock(simd, xc, ops, sp[1]!.given), reps: FAST_REPS },
        { name: "scalar", fn: () => kernels(scalar, xh) },
      ];
      if (ortS) { const s = ortS; entries.push({ name: "ort", fn: () => s.run(), reps: dtype === "int8" ? 1 : FAST_REPS }); }
      if (WITH_REF && dtype === "int8") entries.push({ name: "reference", fn: () => reference.conv(reference.conv(xh, dw), pw) });
      const tm = await timeRounds(entries, ROUNDS);
      if (ortS) await ortS.release();
      const kernelsHWC = tm.HWC!, kernelsCHW = tm.CHW!;
      const spT = sp.map((p) => ({ ...p, ms: tm["block" + p.layout]!, planned: tm["run" + p.layout]! }));
      spT.sort((p, q) => p.planned.ms - q.planned.ms);
      const best = spT[0]!;
      const other = spT[1] ?? null;
      const ortT = tm.ort ?? null;
      const ref = tm.reference ?? null;
      const refOk = ref ? same(reference.conv(reference.conv(xh, dw), pw), want) : null;
      const sc = tm.scalar!;
      const scOk = same(kernels(scalar, xh), want);
      blockRows.push({
        block: b.name, dtype, macs, kernelsHWC, kernelsCHW,
        scratchpad: { ms: best.ms, planned: best.planned, layout: best.layout, schedule: best.schedule, tiling: best.tiling, l2Enlarged: best.l2Enlarged, kernelsSameLayout: best.layout === "HWC" ? kernelsHWC : kernelsCHW },
        scratchpadOther: other ? { ms: other.ms, planned: other.planned, layout: other.layout, schedule: other.schedule } : null,
        ort: ortT, reference: ref, scalar: sc,
        sameBytes: { ort: ortOk, scratchpad: spT.every((p) => p.ok), reference: refOk, scalar: scOk },
      });
    }
  }

  // ---- Whole network --------------------------------------------------------------------------
  interface NetRow { scheme: string; dtype: Dtype; macs: number; perImage: Timing }
  const netRows: NetRow[] = [];
  interface WorkerRow { scheme: string; dtype: Dtype; batch: number; workers: number; ms: number; imagesPerSecond: number; scaling: number; rounds: number; sameBytes: boolean }
  const workerRows: WorkerRow[] = [];
  if (WITH_NET) {
    // One network per ecosystem's rounding: ONNX Runtime, TFLite, GAP8 AutoTiler, PULP-NN/DORY.
    for (const [scheme, dtype] of [["onnx", "int8"], ["onnx", "uint8"], ["tflite-double", "int8"], ["gap-sq8", "int8"], ["pulp-bn", "uint8"]] as const) {
      log(`network ${scheme} ${dtype}`);
      const nw = buildNetwork(scheme, dtype);
      const x = networkInput(scheme, dtype, 0);
      const perImage = time(() => runNetwork(simd, nw, x), QUICK ? { warmup: 2, warmupMs: 200, minRuns: 5, minMs: 300 } : { warmup: 3, warmupMs: 500, minRuns: 15, minMs: 3000 });
      netRows.push({ scheme, dtype, macs: nw.macs, perImage });
    }
    const batch = QUICK ? 8 : 32;
    log("workers 1 and 2");
    // The package's throughput mode: each worker its own init(), images handed out as workers come free.
    const nw = buildNetwork("onnx", "int8");
    const images = Array.from({ length: batch }, (_, i) => networkInput("onnx", "int8", i));
    const pools = [await layersPool(nw.ops, { workers: 1 }), await layersPool(nw.ops, { workers: 2 })] as const;
    // Rounds alternate between the pools (and which goes first), so that load from other processes,
    // which on this shared machine comes and goes over seconds, falls on both alike; each round's
    // scaling compares the two batches timed next to each other.
    const rounds = QUICK ? 2 : 9;
    const ms: [number[], number[]] = [[], []];
    const oneThread = images.map((x) => runNetwork(simd, nw, x));
    let poolSameBytes = true;
    for (let r = 0; r <= rounds; r++) {
      for (const k of r % 2 ? [1, 0] : [0, 1]) {
        const t = performance.now();
        const outs = await pools[k]!.run(images);
        if (r > 0) ms[k]!.push(performance.now() - t);
        // Round 0 warms the workers up, and its outputs are checked against one thread's.
        else poolSameBytes &&= outs.every((o, i) => same(o, oneThread[i]!));
      }
    }
    for (const p of pools) await p.close();
    const scaling = median(ms[0].map((t1, r) => t1 / ms[1][r]!));
    pools.forEach((p, k) => {
      const t = median(ms[k]!);
      workerRows.push({ scheme: "onnx", dtype: "int8", batch, workers: p.size, ms: t, imagesPerSecond: (batch * 1000) / t, scaling: k === 0 ? 1 : scaling, rounds, sameBytes: poolSameBytes });
    });
  }

  // ---- General convolutions --------------------------------------------------------------------
  interface GeneralRow { name: string; macs: number; prepared: Timing; kernelOnly: Timing | null; scalar: Timing; sameBytes: boolean }
  const generalRows: GeneralRow[] = [];
  if (WITH_GENERAL) {
    const rawG = await createEngine({ simd: true });
    for (const l of generalLayers()) {
      log(`general ${l.name}`);
      const rng = new Rng(9);
      const x = Int8Array.from({ length: l.shape.height * l.shape.width * l.shape.channels }, () => rng.int(-128, 127));
      const p = simd.prepareGeneral(l.shape, l.op);
      const ps = scalar.prepareGeneral(l.shape, l.op);
      // Depthwise with a multiplier runs on the depthwise kernel (see prepareGeneralOn): no bare GEMM row.
      const gemm = !(l.op.kind === "conv" && l.op.groups === l.shape.channels);
      const raw = gemm ? placeGeneral(rawG.wasm as Parameters<typeof placeGeneral>[0], l, x) : null;
      const entries: Entry[] = [{ name: "prepared", fn: () => p.run(x), reps: FAST_REPS }, { name: "scalar", fn: () => ps.run(x) }];
      if (raw) entries.push({ name: "raw", fn: raw.run, reps: FAST_REPS });
      const tm = await timeRounds(entries, ROUNDS);
      const want = Buffer.from(ps.run(x).buffer);
      let ok = Buffer.compare(Buffer.from(p.run(x).buffer), want) === 0;
      if (raw) ok &&= Buffer.compare(Buffer.from(raw.out()), want) === 0;
      generalRows.push({ name: l.name, macs: l.macs, prepared: tm.prepared!, kernelOnly: tm.raw ?? null, scalar: tm.scalar!, sameBytes: ok });
    }
  }

  // ---- The TFLite path, whole network ----------------------------------------------------------
  let tflite: TfliteNetworkResult | null = null;
  const loadStart = loadAverage();
  if (WITH_TFLITE) {
    await init();
    tflite = await tfliteNetworkBench(QUICK ? { warmup: 2, warmupMs: 300, minRuns: 4, minMs: 1000 } : { warmup: 3, warmupMs: 1000, minRuns: 15, minMs: 8000, maxRuns: 60 }, log);
  }
  const loadEnd = loadAverage();

  // ---- The ONNX path, whole networks -----------------------------------------------------------
  let onnx: OnnxNetworkResult | null = null;
  const onnxLoadStart = loadAverage();
  if (WITH_ONNX) {
    await init();
    onnx = await onnxNetworkBench(QUICK ? { warmup: 2, warmupMs: 300, minRuns: 4, minMs: 1000 } : { warmup: 3, warmupMs: 1000, minRuns: 15, minMs: 8000, maxRuns: 60 }, log, WITH_ORT);
  }
  const onnxLoadEnd = loadAverage();

  // ---- Print ----------------------------------------------------------------------------------
  const out: string[] = [];
  out.push(`dwpw benchmark (${meta.cpu}, ${meta.cores} cores, Node ${meta.node}, onnxruntime-web ${meta.onnxruntimeWeb}; ${started})`);
  out.push("Median wall-clock ms per run after warm-up, one thread, requant scheme `onnx`; the entries of a row run interleaved,");
  out.push("round by round (the machine is shared: load falls on all alike). GMAC/s = multiply-accumulates / time.");
  out.push(`Peak of i32x4.dot_i16x8_s on this machine now (8 independent dot+add chains in registers, 32 per loop iteration): ${peak.best.toFixed(1)} GMAC/s best, ${peak.median.toFixed(1)} median;`);
  out.push(`with 8 per loop iteration, the shape of the kernels' inner loops: ${peaks.dotLoop8.best.toFixed(1)} best, ${peaks.dotLoop8.median.toFixed(1)} median.`);
  out.push("");
  out.push("Kernels alone: public API calls (validation, copies in and out, output allocation included); \"kernel only\" = the same");
  out.push("kernel on buffers already in WebAssembly memory (GMAC/s); the scalar build and the reference are timed against the HWC call in rounds of their own;");
  out.push("pointwise rows also run the peak loop in their rounds: \"of peak\" = kernel only (HWC / CHW) over that peak, same load");
  out.push(table(
    ["layer", "op", "dtype", "HWC ms", "GMAC/s", "kernel only", "CHW ms", "GMAC/s", "kernel only", "of peak", "scalar ms", "SIMD/scalar", "reference ms", "vs reference", "same bytes"],
    kernelRows.map((k) => [
      `${k.layer} ${k.shape}`, k.kind, k.dtype, fmtMs(k.hwc), gmacs(k.macs, k.hwc.ms).toFixed(1), gmacs(k.macs, k.rawHwc.ms).toFixed(1),
      fmtMs(k.chw), gmacs(k.macs, k.chw.ms).toFixed(1), gmacs(k.macs, k.rawChw.ms).toFixed(1),
      k.peak ? `${pct(peakShare(k.macs, k.rawHwc, k.peak))} / ${pct(peakShare(k.macs, k.rawChw, k.peak))}` : "-",
      fmtMs(k.scalar), fmtX(k.scalar && k.peerHwc ? k.scalar.ms / k.peerHwc.ms : null), fmtMs(k.reference), fmtX(k.reference && k.peerHwc ? k.reference.ms / k.peerHwc.ms : null), k.sameBytes ? "yes" : "NO",
    ]),
  ));
  out.push("");
  out.push("Depthwise -> pointwise blocks. dwpw = the two kernels through the public API; ORT/dwpw compares the CHW run with");
  out.push("onnxruntime-web (NCHW); ratios > 1 mean dwpw is faster. block() = the scratchpad model as called (planner included);");
  out.push("run only = the same with its plan (schedule, tiling) given; run/kernels compares it with the kernels in the same layout.");
  out.push(table(
    ["block", "dtype", "dwpw HWC ms", "dwpw CHW ms", "GMAC/s", "onnxruntime-web ms", "ORT/dwpw", "block() ms", "run only ms", "schedule (input layout best)", "run/kernels", "ORT/run", "reference ms", "ref/dwpw", "scalar ms", "same bytes"],
    blockRows.map((b) => {
      const sp = b.scratchpad!;
      const ok = Object.values(b.sameBytes).every((v) => v !== false);
      return [
        b.block, b.dtype, fmtMs(b.kernelsHWC), fmtMs(b.kernelsCHW), gmacs(b.macs, b.kernelsCHW.ms).toFixed(1),
        fmtMs(b.ort), fmtX(b.ort ? b.ort.ms / b.kernelsCHW.ms : null),
        fmtMs(sp.ms), fmtMs(sp.planned), `${sp.schedule}${sp.l2Enlarged ? " (L2 64 MB)" : ""}`, fmtX(sp.planned.ms / sp.kernelsSameLayout.ms),
        fmtX(b.ort ? b.ort.ms / sp.planned.ms : null),
        fmtMs(b.reference), fmtX(b.reference ? b.reference.ms / b.kernelsHWC.ms : null), fmtMs(b.scalar), ok ? "yes" : "NO",
      ];
    }),
  ));
  if (WITH_NET) {
    out.push("");
    out.push("MobileNetV1 1.0-224, the 13 depthwise-separable blocks (26 layers, HWC, bit-exact), one image");
    out.push(table(
      ["scheme", "dtype", "ms / image (1 thread)", "GMAC/s"],
      netRows.map((n) => [n.scheme, n.dtype, n.perImage.ms.toFixed(2), gmacs(n.macs, n.perImage.ms).toFixed(1)]),
    ));
    out.push("");
    out.push(`Throughput: a batch spread over worker threads by layersPool (each worker its own init()), onnx int8; median of ${workerRows[0]?.rounds} alternating`);
    out.push("rounds; scaling = median over rounds of (1-worker ms / 2-worker ms) of the same round");
    out.push(table(
      ["workers", "batch", "ms", "images / s", "scaling", "same bytes as one thread"],
      workerRows.map((w) => [w.workers, w.batch, w.ms.toFixed(1), w.imagesPerSecond.toFixed(1), w.scaling.toFixed(2) + "x", w.sameBytes ? "yes" : "NO"]),
    ));
  }
  if (WITH_GENERAL) {
    out.push("");
    out.push("General convolutions (im2col into the pointwise GEMM core; depthwise with a multiplier on the depthwise kernel):");
    out.push("prepared = `engine.prepareGeneral(...).run` (constants made once; input, weights and output copied at each run),");
    out.push("kernel only = the bare kernel on buffers already in memory; same bytes = SIMD and scalar builds agree");
    out.push(table(
      ["layer", "prepared ms", "GMAC/s", "kernel only ms", "GMAC/s", "scalar ms", "SIMD/scalar", "same bytes"],
      generalRows.map((g) => [
        g.name, fmtMs(g.prepared), gmacs(g.macs, g.prepared.ms).toFixed(1), fmtMs(g.kernelOnly), g.kernelOnly ? gmacs(g.macs, g.kernelOnly.ms).toFixed(1) : "-",
        fmtMs(g.scalar), fmtX(g.scalar.ms / g.prepared.ms), g.sameBytes ? "yes" : "NO",
      ]),
    ));
  }
  if (tflite) {
    out.push("");
    out.push(`The TFLite path: ${tflite.model} (scripts/tflite/make-models.mjs; ${(tflite.macs / 1e6).toFixed(0)} MMAC), one image, one thread, the entries interleaved`);
    out.push(`round by round; the ONNX MobileNetV2 1.0-224 int8 (scripts/make-models.mjs --full) alongside. Load average ${loadStart} before, ${loadEnd} after`);
    out.push(`(${meta.cores} cores): with other processes running, wall ms exceed CPU ms. Kernels and reference give the same TFLite bytes under every target: ${tflite.sameBytes ? "yes" : "NO"}.`);
    if (tflite.liteRtJsSameBytes !== null) out.push(`LiteRT.js (run in Node as bench/litertjs.ts says) and dwpw under \`litert\` give the same output bytes: ${tflite.liteRtJsSameBytes ? "yes" : "NO"}.`);
    out.push(table(
      ["runtime", "ms / image", "fastest ms", "CPU ms", "GMAC/s"],
      Object.entries(tflite.timings).map(([k, t]) => [k, t.ms.toFixed(1), t.min.toFixed(1), t.cpu.toFixed(1), k.startsWith("dwpw tflite") ? gmacs(tflite!.macs, t.ms).toFixed(1) : "-"]),
    ));
    for (const [target, rows] of Object.entries(tflite.breakdown)) {
      out.push("");
      out.push(`Where the time goes, ${target} (each layer timed, median over runs; wall ms):`);
      out.push(table(["layer kind", "layers", "ms", "share"], rows.map((r) => [r.kind, r.layers, r.ms.toFixed(2), (r.share * 100).toFixed(1) + "%"])));
    }
    for (const s of tflite.skipped) out.push(`skipped: ${s}`);
  }
  if (onnx) {
    out.push("");
    out.push("The ONNX path: quantized MobileNets 1.0-224 (QLinear form, scripts/make-models.mjs --full), one image, one thread, float input;");
    out.push("the entries of a model interleaved round by round. dwpw = loadOnnx(...).run(x) (ONNX Runtime's x86 arithmetic, bit-exact);");
    out.push(`blocks = run(x, { blocks: true }) (the GAP8 scratchpad model). Load average ${onnxLoadStart} before, ${onnxLoadEnd} after (${meta.cores} cores).`);
    const names = ["dwpw", "dwpw blocks", "onnxruntime-node", "onnxruntime-web"];
    out.push(table(
      ["model", "dtype", ...names.map((n) => `${n} ms`), "CPU ms dwpw / node / web", "GMAC/s", "node/dwpw", "web/dwpw", "blocks/plain", "same bytes as node"],
      onnx.rows.map((r) => {
        const t = (n: string) => r.timings[n] ?? null;
        const d = t("dwpw")!;
        return [
          r.model, r.dtype, ...names.map((n) => fmtMs(t(n))), [d, t("onnxruntime-node"), t("onnxruntime-web")].map((x) => (x ? x.cpu.toFixed(1) : "-")).join(" / "),
          gmacs(r.macs, d.ms).toFixed(1), fmtX(t("onnxruntime-node") ? t("onnxruntime-node")!.ms / d.ms : null), fmtX(t("onnxruntime-web") ? t("onnxruntime-web")!.ms / d.ms : null),
          fmtX(t("dwpw blocks")!.ms / d.ms), r.sameAsOrtNode === null ? "-" : r.sameAsOrtNode ? "yes" : "NO",
        ];
      }),
    ));
    for (const r of onnx.rows) {
      out.push("");
      out.push(`Where the time goes, dwpw onnx, ${r.model} ${r.dtype} (each layer timed, median over runs; wall ms):`);
      out.push(table(["layer kind", "layers", "ms", "share"], r.breakdown.map((b) => [b.kind, b.layers, b.ms.toFixed(2), (b.share * 100).toFixed(1) + "%"])));
    }
    for (const s of onnx.skipped) out.push(`skipped: ${s}`);
  }
  console.log(out.join("\n"));

  const results = {
    meta,
    dotPeakGmacs: { best: r2(peak.best), median: r2(peak.median) },
    dotLoop8Gmacs: { best: r2(peaks.dotLoop8.best), median: r2(peaks.dotLoop8.median) },
    kernels: kernelRows.map((k) => ({
      layer: k.layer, op: k.kind, shape: k.shape, dtype: k.dtype, macs: k.macs,
      hwc: { ms: r3(k.hwc.ms), cpuMs: r3(k.hwc.cpu), gmacs: r2(gmacs(k.macs, k.hwc.ms)), runs: k.hwc.runs },
      chw: { ms: r3(k.chw.ms), cpuMs: r3(k.chw.cpu), gmacs: r2(gmacs(k.macs, k.chw.ms)), runs: k.chw.runs },
      kernelOnly: {
        hwc: { ms: r3(k.rawHwc.ms), gmacs: r2(gmacs(k.macs, k.rawHwc.ms)) },
        chw: { ms: r3(k.rawChw.ms), gmacs: r2(gmacs(k.macs, k.rawChw.ms)) },
      },
      peakSameRounds: k.peak ? { gmacs: r2(gmacs(peakMacs(k.macs), k.peak.ms)), hwcShare: r3(peakShare(k.macs, k.rawHwc, k.peak)), chwShare: r3(peakShare(k.macs, k.rawChw, k.peak)) } : null,
      scalarMs: k.scalar ? r3(k.scalar.ms) : null,
      referenceMs: k.reference ? r3(k.reference.ms) : null,
      sameBytes: k.sameBytes,
    })),
    blocks: blockRows.map((b) => ({
      block: b.block, dtype: b.dtype, macs: b.macs,
      kernelsHWC: { ms: r3(b.kernelsHWC.ms), cpuMs: r3(b.kernelsHWC.cpu), gmacs: r2(gmacs(b.macs, b.kernelsHWC.ms)) },
      kernelsCHW: { ms: r3(b.kernelsCHW.ms), cpuMs: r3(b.kernelsCHW.cpu), gmacs: r2(gmacs(b.macs, b.kernelsCHW.ms)) },
      scratchpad: b.scratchpad && {
        ms: r3(b.scratchpad.ms.ms), cpuMs: r3(b.scratchpad.ms.cpu), runOnlyMs: r3(b.scratchpad.planned.ms),
        inputLayout: b.scratchpad.layout, schedule: b.scratchpad.schedule, tiling: b.scratchpad.tiling,
        l2Enlarged: b.scratchpad.l2Enlarged, runOverKernels: r2(b.scratchpad.planned.ms / b.scratchpad.kernelsSameLayout.ms),
      },
      scratchpadOtherLayout: b.scratchpadOther && { ms: r3(b.scratchpadOther.ms.ms), runOnlyMs: r3(b.scratchpadOther.planned.ms), inputLayout: b.scratchpadOther.layout, schedule: b.scratchpadOther.schedule },
      onnxruntimeWeb: b.ort && { ms: r3(b.ort.ms), cpuMs: r3(b.ort.cpu), overDwpwCHW: r2(b.ort.ms / b.kernelsCHW.ms), overScratchpadRun: b.scratchpad ? r2(b.ort.ms / b.scratchpad.planned.ms) : null },
      referenceMs: b.reference ? r3(b.reference.ms) : null,
      scalarMs: b.scalar ? r3(b.scalar.ms) : null,
      sameBytes: b.sameBytes,
    })),
    network: netRows.map((n) => ({ scheme: n.scheme, dtype: n.dtype, macs: n.macs, msPerImage: r3(n.perImage.ms), cpuMsPerImage: r3(n.perImage.cpu), gmacs: r2(gmacs(n.macs, n.perImage.ms)) })),
    workers: workerRows.map((w) => ({ ...w, ms: r2(w.ms), imagesPerSecond: r2(w.imagesPerSecond), scaling: r2(w.scaling) })),
    general: generalRows.map((g) => ({
      layer: g.name, macs: g.macs, preparedMs: r3(g.prepared.ms), preparedCpuMs: r3(g.prepared.cpu), gmacs: r2(gmacs(g.macs, g.prepared.ms)),
      kernelOnlyMs: g.kernelOnly ? r3(g.kernelOnly.ms) : null, scalarMs: r3(g.scalar.ms), sameBytes: g.sameBytes,
    })),
    tfliteNetwork: tflite && {
      model: tflite.model, macs: tflite.macs, loadAverage: { before: loadStart, after: loadEnd }, sameBytes: tflite.sameBytes, skipped: tflite.skipped,
      timings: Object.fromEntries(Object.entries(tflite.timings).map(([k, t]) => [k, { ms: r3(t.ms), minMs: r3(t.min), cpuMs: r3(t.cpu), runs: t.runs }])),
      breakdown: Object.fromEntries(Object.entries(tflite.breakdown).map(([k, rows]) => [k, rows.map((r) => ({ ...r, ms: r3(r.ms), share: r3(r.share) }))])),
    },
    onnxNetwork: onnx && {
      loadAverage: { before: onnxLoadStart, after: onnxLoadEnd }, skipped: onnx.skipped,
      rows: onnx.rows.map((r) => ({
        model: r.model, dtype: r.dtype, macs: r.macs, sameAsOrtNode: r.sameAsOrtNode,
        timings: Object.fromEntries(Object.entries(r.timings).map(([k, t]) => [k, { ms: r3(t.ms), minMs: r3(t.min), cpuMs: r3(t.cpu), runs: t.runs }])),
        breakdown: r.breakdown.map((b) => ({ ...b, ms: r3(b.ms), share: r3(b.share) })),
      })),
    },
  };
  const file = new URL("../../../bench/results.json", import.meta.url);
  writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
  log(`wrote ${file.pathname}`);
}

/** The 1, 5 and 15 minute load averages, as text. */
function loadAverage(): string {
  return loadavg().map((v) => v.toFixed(2)).join(" ");
}

type PeakLoop = "dotPeak" | "dotLoop8";
/** MACs per iteration of each loop of bench/peak/peak.ts. */
const PEAK_MACS: Record<PeakLoop, number> = { dotPeak: 256, dotLoop8: 64 };

/** Where the peak loops store their results in their module's memory. */
const PEAK_OUT = 1024;

/** The loops of bench/peak/peak.ts: `loop(iterations, out)`. */
async function loadPeakLoops(): Promise<Record<PeakLoop, (n: number, out: number) => void>> {
  const bytes = readFileSync(new URL("../peak.wasm", import.meta.url));
  const { instance } = await WebAssembly.instantiate(bytes, { env: { abort() {} } });
  return instance.exports as unknown as Record<PeakLoop, (n: number, out: number) => void>;
}

/** The MACs the peak loop does when asked for `macs` (whole iterations). */
function peakMacs(macs: number): number {
  return Math.round(macs / PEAK_MACS.dotPeak) * PEAK_MACS.dotPeak;
}

/** A kernel's GMAC/s over the peak loop's, both timed on `macs` MACs (the loop on whole iterations). */
function peakShare(macs: number, kernel: Timing, peak: Timing): number {
  return gmacs(macs, kernel.ms) / gmacs(peakMacs(macs), peak.ms);
}

/**
 * GMAC/s of the loops of bench/peak/peak.ts, best and median of 30 runs each, the two loops
 * alternating run by run so that the machine's phases fall on both alike.
 */
function dotPeaks(e: Record<PeakLoop, (n: number, out: number) => void>): Record<PeakLoop, { best: number; median: number }> {
  const out = PEAK_OUT;
  const loops = Object.keys(PEAK_MACS) as PeakLoop[];
  const macs = 1 << 26;
  for (let i = 0; i < 5; i++) for (const l of loops) e[l](macs / PEAK_MACS[l], out);
  const g: Record<PeakLoop, number[]> = { dotPeak: [], dotLoop8: [] };
  for (let i = 0; i < 30; i++) {
    for (const l of loops) {
      const t = performance.now();
      e[l](macs / PEAK_MACS[l], out);
      g[l].push(macs / (performance.now() - t) / 1e6);
    }
  }
  const stats = (v: number[]) => ({ best: Math.max(...v), median: median(v) });
  return { dotPeak: stats(g.dotPeak), dotLoop8: stats(g.dotLoop8) };
}

await main();
