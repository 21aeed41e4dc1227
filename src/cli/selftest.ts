// The self-check of the package: it uses dwpw the way a user would (only the public API of
// ../index.js for kernels and reference) and reports, section by section, what it checked.
//
// Fused blocks: every block of MobileNetV1/V2 1.0-224 emulated on the GAP8 scratchpad model and
// checked against the reference, with the transfer and latency report. Kernels vs reference: every
// depthwise and pointwise layer of a MobileNetV1 (deterministic random quantized weights and
// inputs) through the WebAssembly kernels and through the plain TypeScript reference, under every
// requantization scheme and both layouts, every output byte compared and both timed. Then the
// deployment check. The fused blocks come first: after the reference has run under every scheme,
// V8's code for it is polymorphic and the blocks' reference runs take about 1.6 times as long.
//
// Two depths. `quick` (what `npm start` runs) takes MobileNetV1 0.25-128 for the kernels, whose
// layers have every kind of shape the kernels specialise on (strides 1 and 2, channel counts that
// are and are not multiples of the SIMD width) at a fiftieth of the multiply-accumulates, so the
// whole job takes seconds. `exhaustive` (`dwpw selftest`) takes MobileNetV1 1.0-224, where the
// TypeScript reference dominates the time: the first combination (tflite-double, HWC) runs all 26
// layers in detail and every other scheme x layout the 18 layers of distinct shape (b8..b11
// repeat b7's shapes); `full` runs all 26 everywhere, `detail` prints every combination's table.
import { check, depthwise, formatReport, fusionReport, init, mobilenetV1, mobilenetV2, pointwise, reference } from "../index.js";
import type { ConvOp, Dtype, Layout, Tensor } from "../index.js";
// The random-op builder is a helper for the main job and the benchmarks, not part of the package API.
import { QUANT_SCHEMES, randomLayer, type LayerSpec, type QuantScheme } from "../presets/mobilenet.js";
import { presetSubjects } from "../check/index.js";

// ---------------------------------------------------------------------------------------------
// Shared context: options, the mismatch log and the verdict.

export interface SelfTestOptions {
  /** `quick`: a small MobileNetV1 for the kernels; `exhaustive`: MobileNetV1 1.0-224. */
  depth: "quick" | "exhaustive";
  /** Exhaustive: every layer in every combination. */
  full: boolean;
  /** Exhaustive: the per-layer table of every combination. */
  detail: boolean;
  seed: number;
}

interface Context extends SelfTestOptions {
  /** Number of the section being run (1-based). */
  section: number;
  /** Checks made (one per layer run compared byte for byte). */
  checks: number;
  /** One line per failed check. */
  failures: string[];
  /** Print a line. */
  out: (line?: string) => void;
}

type Section = (ctx: Context) => Promise<void>;

// ---------------------------------------------------------------------------------------------
// Small table printer with fixed column widths, so rows can be printed as they are computed.

interface Column {
  header: string;
  width: number;
  align?: "left" | "right";
}

function formatRow(cols: Column[], cells: string[]): string {
  return cols
    .map((c, i) => {
      const s = cells[i] ?? "";
      return c.align === "left" ? s.padEnd(c.width) : s.padStart(c.width);
    })
    .join("  ")
    .trimEnd();
}

function printHeader(ctx: Context, cols: Column[]): void {
  const header = formatRow(cols, cols.map((c) => c.header));
  ctx.out(header);
  ctx.out("-".repeat(header.length));
}

const ms = (t: number) => (t >= 100 ? t.toFixed(0) : t >= 10 ? t.toFixed(1) : t.toFixed(2));
const times = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) + "x" : "-");
const mmac = (macs: number) => (macs / 1e6).toFixed(2);

// ---------------------------------------------------------------------------------------------
// Running one layer: kernel (warm-up + timed repetitions) and reference (one timed run).

interface LayerResult {
  layer: LayerSpec;
  exact: boolean;
  /** Median time of one kernel call, ms. */
  kernelMs: number;
  /** Time of the one reference call, ms. */
  referenceMs: number;
  /** Where the first difference is, when not exact. */
  diff?: string;
}

function runKernel(input: Tensor, op: ConvOp): Tensor {
  return op.kind === "depthwise" ? depthwise(input, op) : pointwise(input, op);
}

function runReference(input: Tensor, op: ConvOp): Tensor {
  return op.kind === "depthwise" ? reference.depthwise(input, op) : reference.pointwise(input, op);
}

/** Null when equal (dtype, shape, layout, zero point and every byte), else what differs first. */
function difference(got: Tensor, want: Tensor): string | null {
  const meta = (t: Tensor) =>
    `${t.data.constructor.name} ${t.height}x${t.width}x${t.channels} ${t.layout} zp=${t.zeroPoint}`;
  if (meta(got) !== meta(want)) return `kernel gave ${meta(got)}, reference ${meta(want)}`;
  let first = -1;
  let count = 0;
  for (let i = 0; i < want.data.length; i++) {
    if (got.data[i] !== want.data[i]) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (first < 0) return null;
  return `${count} of ${want.data.length} bytes differ; first at index ${first}: kernel ${got.data[first]}, reference ${want.data[first]}`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function runLayer(layer: LayerSpec, scheme: QuantScheme, layout: Layout, dtype: Dtype | undefined, seed: number): LayerResult {
  const { input, op } = randomLayer(layer, { scheme, layout, dtype, seed });
  // Kernel: one warm-up call, then at least 3 timed calls (more for fast layers, up to ~30 ms).
  const warm = runKernel(input, op);
  const samples: number[] = [];
  let last = warm;
  let spent = 0;
  while (samples.length < 3 || (spent < 30 && samples.length < 20)) {
    const t0 = performance.now();
    last = runKernel(input, op);
    const dt = performance.now() - t0;
    samples.push(dt);
    spent += dt;
  }
  // Reference: slow, one timed call.
  const t0 = performance.now();
  const want = runReference(input, op);
  const referenceMs = performance.now() - t0;
  // Both the first and the last kernel output must match (repeated calls must not drift).
  const diff = difference(warm, want) ?? difference(last, want);
  return { layer, exact: diff === null, kernelMs: median(samples), referenceMs, diff: diff ?? undefined };
}

// ---------------------------------------------------------------------------------------------
// Kernels vs reference on a MobileNetV1.

interface Combo {
  scheme: QuantScheme;
  layout: Layout;
  dtype?: Dtype;
}

function comboName(c: Combo): string {
  return c.dtype ? `${c.scheme} (${c.dtype})` : c.scheme;
}

function shapeOf(l: LayerSpec): string {
  const k = l.kind === "depthwise" ? `dw ${l.kernel[0]}x${l.kernel[1]}/${l.stride[0]}` : "pw 1x1/1";
  return `${l.height}x${l.width}x${l.channels} -> ${l.outHeight}x${l.outWidth}x${l.outChannels}  ${k}`;
}

const LAYER_COLUMNS: Column[] = [
  { header: "layer", width: 6, align: "left" },
  { header: "shape (HxWxC -> HoxWoxCo, kernel/stride)", width: 40, align: "left" },
  { header: "MMAC", width: 7 },
  { header: "bit-exact", width: 9 },
  { header: "kernel ms", width: 9 },
  { header: "ref ms", width: 8 },
  { header: "speed-up", width: 8 },
];

const SUMMARY_COLUMNS: Column[] = [
  { header: "scheme", width: 16, align: "left" },
  { header: "layout", width: 6, align: "left" },
  { header: "act", width: 5, align: "left" },
  { header: "bit-exact", width: 9 },
  { header: "DW kernel ms", width: 12 },
  { header: "DW ref ms", width: 9 },
  { header: "DW x", width: 6 },
  { header: "PW kernel ms", width: 12 },
  { header: "PW ref ms", width: 9 },
  { header: "PW x", width: 6 },
  { header: "min PW x", width: 8 },
];

interface Totals {
  kernelMs: number;
  referenceMs: number;
  macs: number;
}

function totals(rs: LayerResult[]): Totals {
  return rs.reduce(
    (t, r) => ({ kernelMs: t.kernelMs + r.kernelMs, referenceMs: t.referenceMs + r.referenceMs, macs: t.macs + r.layer.macs }),
    { kernelMs: 0, referenceMs: 0, macs: 0 },
  );
}

const kernelsVsReference: Section = async (ctx) => {
  const quick = ctx.depth === "quick";
  const net = quick ? mobilenetV1({ alpha: 0.25, resolution: 128, padding: "symmetric" }) : mobilenetV1({ alpha: 1.0, resolution: 224, padding: "symmetric" });
  const all = net.layers;
  // b8..b11 repeat b7's shapes exactly: unless full (or quick, where every layer is cheap), the
  // summary combinations run each distinct shape once.
  const seen = new Set<string>();
  const distinct = all.filter((l) => {
    const key = shapeOf(l);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const skipped = all.filter((l) => !distinct.includes(l)).map((l) => l.name);
  const combos: Combo[] = [];
  for (const scheme of QUANT_SCHEMES) {
    for (const layout of ["HWC", "CHW"] as const) combos.push({ scheme, layout });
    if (scheme === "onnx") for (const layout of ["HWC", "CHW"] as const) combos.push({ scheme, layout, dtype: "uint8" });
  }
  // Detailed tables: the first combination (or all with --detail); the rest get one summary row each.
  const detailed = new Set(ctx.detail ? combos : quick ? [] : combos.slice(0, 1));
  const layersOf = (c: Combo) => (detailed.has(c) || ctx.full || quick ? all : distinct);
  const runs = combos.reduce((n, c) => n + layersOf(c).length, 0);
  const nDw = all.filter((l) => l.kind === "depthwise").length;

  ctx.out(`== ${ctx.section}. Kernels vs reference: ${net.name}, every depthwise and pointwise layer ==`);
  ctx.out(
    `Network: ${all.length} layers (${nDw} depthwise 3x3, ${all.length - nDw} pointwise), ${mmac(all.reduce((s, l) => s + l.macs, 0))} MMAC ` +
      `(the 3x3/2 stem and the classifier are not depthwise/pointwise layers and are not run).`,
  );
  ctx.out(
    `Combinations: ${QUANT_SCHEMES.length} schemes x 2 layouts, plus onnx with uint8 activations = ${combos.length}; ` +
      `${runs} layer runs in all.`,
  );
  if (!ctx.full && !quick) {
    ctx.out(
      `Detailed combination(s): all ${all.length} layers. Other combinations: the ${distinct.length} layers of distinct shape ` +
        `(${skipped.join(", ")} repeat b7's shapes and are skipped; dwpw selftest --full runs them too).`,
    );
  }
  ctx.out(
    `Inputs: deterministic random int8 weights, int32 bias, per-channel parameters and a random input (seed ${ctx.seed}, ` +
      `symmetric padding); every output byte of the kernel is compared with the reference's.`,
  );
  ctx.out(`kernel ms: median of >= 3 calls after one warm-up (includes validation and the copies in/out of WebAssembly memory);`);
  ctx.out(`ref ms: one call of the plain TypeScript reference; speed-up = ref ms / kernel ms.`);

  const record = (c: Combo, r: LayerResult) => {
    ctx.checks++;
    if (!r.exact) ctx.failures.push(`${r.layer.name} [${shapeOf(r.layer)}] scheme ${comboName(c)} layout ${c.layout}: ${r.diff}`);
  };
  const dtypeOf = (c: Combo): Dtype => c.dtype ?? (c.scheme.startsWith("pulp-") ? "uint8" : "int8");
  const results = new Map<Combo, LayerResult[]>();

  for (const c of combos) {
    if (!detailed.has(c)) continue;
    ctx.out();
    ctx.out(`-- ${c.scheme} / ${c.layout}, ${dtypeOf(c)} activations: every layer --`);
    printHeader(ctx, LAYER_COLUMNS);
    const rs: LayerResult[] = [];
    for (const l of layersOf(c)) {
      const r = runLayer(l, c.scheme, c.layout, c.dtype, ctx.seed);
      record(c, r);
      rs.push(r);
      ctx.out(formatRow(LAYER_COLUMNS, [
        l.name, shapeOf(l), mmac(l.macs), r.exact ? "yes" : "NO", ms(r.kernelMs), ms(r.referenceMs), times(r.referenceMs / r.kernelMs),
      ]));
    }
    const t = totals(rs);
    ctx.out("-".repeat(formatRow(LAYER_COLUMNS, LAYER_COLUMNS.map((col) => col.header)).length));
    ctx.out(formatRow(LAYER_COLUMNS, [
      "total", `${rs.length} layers`, mmac(t.macs), `${rs.filter((r) => r.exact).length}/${rs.length}`,
      ms(t.kernelMs), ms(t.referenceMs), times(t.referenceMs / t.kernelMs),
    ]));
    results.set(c, rs);
  }

  ctx.out();
  ctx.out(`-- every scheme x layout, one row each (DW = depthwise layers, PW = pointwise layers, x = speed-up) --`);
  printHeader(ctx, SUMMARY_COLUMNS);
  for (const c of combos) {
    let rs = results.get(c);
    if (!rs) {
      rs = [];
      for (const l of layersOf(c)) {
        const r = runLayer(l, c.scheme, c.layout, c.dtype, ctx.seed);
        record(c, r);
        rs.push(r);
      }
      results.set(c, rs);
    }
    const dw = totals(rs.filter((r) => r.layer.kind === "depthwise"));
    const pw = totals(rs.filter((r) => r.layer.kind === "pointwise"));
    const minPw = Math.min(...rs.filter((r) => r.layer.kind === "pointwise").map((r) => r.referenceMs / r.kernelMs));
    ctx.out(formatRow(SUMMARY_COLUMNS, [
      c.scheme, c.layout, dtypeOf(c), `${rs.filter((r) => r.exact).length}/${rs.length}`,
      ms(dw.kernelMs), ms(dw.referenceMs), times(dw.referenceMs / dw.kernelMs),
      ms(pw.kernelMs), ms(pw.referenceMs), times(pw.referenceMs / pw.kernelMs), times(minPw),
    ]));
  }
  const every = [...results.values()].flat();
  const t = totals(every);
  ctx.out(
    `all: ${every.filter((r) => r.exact).length}/${every.length} layer runs bit-exact; kernels ${ms(t.kernelMs)} ms, ` +
      `reference ${ms(t.referenceMs)} ms in total (${times(t.referenceMs / t.kernelMs)}); ` +
      `kernels averaged ${(t.macs / t.kernelMs / 1e6).toFixed(2)} GMAC/s`,
  );
};

// ---------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------
// Fused blocks: the paper's question on MobileNetV1/V2: how much L2<->L1 traffic does fusion save on
// GAP8's memory, with every block emulated on the scratchpad model and checked byte for byte.

async function fusedBlocks(ctx: Context): Promise<void> {
  ctx.out(`== ${ctx.section}. Fused depthwise-separable blocks on the GAP8 scratchpad model ==`);
  ctx.out("Per block: L2<->L1 activation bytes of the unfused deployment (each layer tiled alone, DORY style, the");
  ctx.out("intermediate through L2) vs the best fused schedule; DMA commands and cycles (dory-gap8 model) unfused/fused;");
  ctx.out("peak L1 of the chosen plan; whether the emulated block gave the reference's bytes. Counts come from the model.");
  for (const net of [mobilenetV1(), mobilenetV2()]) {
    ctx.out();
    const r = fusionReport(net, { scheme: "tflite-double", layout: "HWC", seed: ctx.seed });
    ctx.out(formatReport(r));
    for (const b of r.blocks) {
      ctx.checks++;
      if (b.bitExact === false) ctx.failures.push(`${net.name} block ${b.block} (${b.schedule ?? "unfused"}): fused emulation differs from the reference`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Deployment check: which layers the real GAP8 kernels (PULP-NN, the paper's fused kernels) would compute
// wrongly, on MobileNetV1 with TF-SAME and with symmetric padding.

async function deploymentCheck(ctx: Context): Promise<void> {
  ctx.out(`== ${ctx.section}. Deployment check: layers the real GAP8 kernels would not compute exactly ==`);
  for (const padding of ["tf-same", "symmetric"] as const) {
    const net = mobilenetV1({ padding });
    const layers = presetSubjects(net, "pulp-bn", ctx.seed);
    for (const target of ["pulp-nn", "dory-fused"] as const) {
      const findings = check(layers, { target }).filter((f) => f.severity !== "info");
      ctx.out(`${net.name} (${padding} padding), target ${target}: ${findings.length === 0 ? "no findings" : `${findings.length} finding(s)`}`);
      for (const f of findings) ctx.out(`  ${String(f.layer).padEnd(7)} ${f.rule}: ${f.message}
          fix: ${f.fix}`);
    }
  }
}

// The sections of the self-check, in order.

const sections: Section[] = [fusedBlocks, kernelsVsReference, deploymentCheck];

/** Runs every section, printing as it goes; resolves to the exit code (1 on any mismatch). */
export async function selfTest(options: SelfTestOptions, out: (line?: string) => void = (line = "") => console.log(line)): Promise<number> {
  const started = performance.now();
  const ctx: Context = { ...options, section: 0, checks: 0, failures: [], out };
  const what = options.depth === "quick" ? "quick check" : "exhaustive self-check";
  ctx.out(`dwpw ${what} (Node ${process.version}, ${process.arch}): fused blocks on the GAP8 model, kernels vs reference, deployment check`);
  if (options.depth === "quick") ctx.out("(the exhaustive self-check on MobileNetV1 1.0-224, about 1.5 minutes: npm run selftest, or dwpw selftest)");
  await init();
  ctx.out();
  for (const section of sections) {
    ctx.section++;
    await section(ctx);
    ctx.out();
  }
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  if (ctx.failures.length === 0 && ctx.checks > 0) {
    ctx.out(`VERDICT: all ${ctx.checks} checks bit-exact (kernels == reference, every byte) in ${secs} s.`);
    return 0;
  }
  for (const f of ctx.failures) ctx.out(`MISMATCH ${f}`);
  ctx.out(`VERDICT: ${ctx.failures.length} of ${ctx.checks} checks NOT bit-exact (${secs} s).`);
  return 1;
}
