// One model, several deployments: runs the same inputs under each target and reports, per layer
// (matched by model tensor) and for the final outputs, how far each target drifts from the
// reference target, in its quantization steps and in real units.
import type { Network } from "../network/network.js";
import { Rng } from "../rng.js";
import type { GraphInput, GraphNetwork } from "../runner/network.js";
import { TARGETS, type TargetName } from "../targets/types.js";
import type { NetworkInput } from "../network/network.js";
import { isOnnxRuntimeTarget, lowerOnnxTo, onnxGraphOf } from "../import/onnx/targets.js";

/** How one target's tensor differs from the reference's (SPEC §7). */
export interface LayerDrift {
  values: number;
  /** Values whose real value differs from the reference's. */
  differing: number;
  /** Largest difference, in the reference tensor's quantization steps. */
  maxAbsSteps: number;
  /** Largest difference in real units (`scale * (q - zeroPoint)` of each target's own quantization). */
  maxAbsReal: number;
  /** Signal (the reference's real values) to drift ratio in dB; Infinity when identical. */
  sqnrDb: number;
}

export interface OutputDrift {
  differing: number;
  maxAbsReal: number;
  /** Share of inputs whose arg-max equals the reference's. */
  top1Agreement: number;
}

export interface CompareReport {
  reference: string;
  targets: string[];
  inputs: number;
  layers: Array<{
    name: string;
    index?: number;
    kind: string;
    byTarget: Record<string, LayerDrift>;
    /** How each target computes the layer, in a phrase (where the target says). */
    arithmetic?: Record<string, string>;
  }>;
  outputs: Array<{ name: string; byTarget: Record<string, OutputDrift> }>;
  /** The first layer (in execution order) where some target's values differ, or null. */
  firstDivergence: { name: string; index?: number; kind: string; targets: string[]; why?: string } | null;
}

export interface CompareOptions {
  /** Targets to run; the first is the reference unless `reference` is given. */
  targets?: readonly string[];
  reference?: string;
  /** Seed of the random inputs (when `inputs` is a count). */
  seed?: number;
  /** Called after each (input, target) run: progress for long comparisons. */
  onProgress?: (done: number, total: number) => void;
}

/** A value a run produced, with what is needed to compare it in real units. */
interface Produced {
  key: string;
  name: string;
  index?: number;
  kind: string;
  data: ArrayLike<number | bigint>;
  scale?: number;
  zeroPoint?: number;
}

interface TargetRun {
  layers: Produced[];
  outputs: Map<string, Produced>;
}

function isGraphNetwork(n: unknown): n is GraphNetwork {
  return typeof n === "object" && n !== null && "lowerTo" in n && "graph" in n;
}

/** The targets a network can run, and its default. An ONNX network runs every target: the
 * onnxruntime ones on its own layers, the others on its converted graph. */
function networkTargets(net: GraphNetwork | Network): { all: readonly string[]; dflt: string } {
  if (isGraphNetwork(net)) return { all: TARGETS, dflt: net.defaultTarget };
  return { all: TARGETS, dflt: "onnxruntime" };
}

/** A tensor's key across targets: its index in a TFLite model, its name in an ONNX one. */
const keyOf = (v: { name: string; index?: number }) => (v.index !== undefined ? `#${v.index}` : v.name);

function runOne(net: GraphNetwork | Network, input: unknown, target: string): TargetRun {
  const layers: Produced[] = [];
  const outputs = new Map<string, Produced>();
  if (isGraphNetwork(net)) {
    const r = net.run(input as GraphInput, { target: target as TargetName, layers: true });
    for (const l of r.layers ?? []) layers.push({ key: keyOf(l.output), name: l.output.name, index: l.output.index, kind: l.kind, data: l.output.data, scale: l.output.scale, zeroPoint: l.output.zeroPoint });
    for (const [name, v] of Object.entries(r.outputs)) outputs.set(name, { key: name, name, index: v.index, kind: "output", data: v.data, scale: v.scale, zeroPoint: v.zeroPoint });
  } else {
    const r = net.run(input as NetworkInput, { layers: true, target: target as TargetName });
    for (const l of r.layers ?? []) layers.push({ key: l.output.name, name: l.output.name, kind: l.kind, data: l.output.data, scale: l.output.scale, zeroPoint: l.output.zeroPoint });
    for (const [name, v] of Object.entries(r.outputs)) outputs.set(name, { key: name, name, kind: "output", data: v.data, scale: v.scale, zeroPoint: v.zeroPoint });
  }
  return { layers, outputs };
}

/** Per target, the arithmetic of the layer that writes each tensor, by tensor key (graph lowerings only). */
function arithmeticByTensor(net: GraphNetwork | Network, targets: string[]): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const t of targets) {
    const m = new Map<string, string>();
    if (isGraphNetwork(net)) {
      for (const l of net.lowerTo(t as TargetName).layers) if (l.arithmetic) for (const o of l.op.outputs) m.set(`#${o}`, l.arithmetic);
    } else if (!isOnnxRuntimeTarget(t)) {
      const g = onnxGraphOf(net.graph).graph;
      for (const l of lowerOnnxTo(net.graph, t as TargetName).layers) if (l.arithmetic) for (const o of l.op.outputs) m.set(g.tensors[o]!.name, l.arithmetic);
    }
    out.set(t, m);
  }
  return out;
}

/** Real values of a produced tensor. */
function real(p: Produced): Float64Array {
  const out = new Float64Array(p.data.length);
  const s = p.scale ?? 1;
  const z = p.zeroPoint ?? 0;
  for (let i = 0; i < out.length; i++) out[i] = s * (Number(p.data[i]) - z);
  return out;
}

/** Running sums of one (layer, target) pair over the inputs. */
class Drift {
  values = 0;
  differing = 0;
  maxAbsSteps = 0;
  maxAbsReal = 0;
  signal = 0;
  noise = 0;

  add(ref: Produced, got: Produced): void {
    const a = real(ref);
    const b = real(got);
    const step = ref.scale ?? 1;
    const n = Math.min(a.length, b.length);
    this.values += a.length;
    // A tensor of another size (a target that changed a shape) differs in every value.
    if (a.length !== b.length) this.differing += a.length;
    for (let i = 0; i < n; i++) {
      const d = Math.abs(a[i]! - b[i]!);
      this.signal += a[i]! * a[i]!;
      this.noise += d * d;
      if (d !== 0) {
        this.differing++;
        if (d > this.maxAbsReal) this.maxAbsReal = d;
        if (d / step > this.maxAbsSteps) this.maxAbsSteps = d / step;
      }
    }
  }

  report(): LayerDrift {
    const sqnrDb = this.noise === 0 ? Infinity : this.signal === 0 ? -Infinity : 10 * Math.log10(this.signal / this.noise);
    return { values: this.values, differing: this.differing, maxAbsSteps: this.maxAbsSteps, maxAbsReal: this.maxAbsReal, sqnrDb };
  }
}

function argmax(p: Produced): number {
  let best = 0;
  let bv = -Infinity;
  const r = real(p);
  for (let i = 0; i < r.length; i++) if (r[i]! > bv) [bv, best] = [r[i]!, i];
  return best;
}

/**
 * `count` random inputs for a network: every quantized input uniform over its dtype's range, every
 * float input uniform in [-1, 1), from a seeded generator (the same seed gives the same inputs).
 */
export function randomInputs(net: GraphNetwork | Network, count: number, seed = 1): unknown[] {
  if (!Number.isInteger(count) || count < 1 || count > 1_000_000) throw new RangeError(`inputs must be a whole number from 1 to 1000000, got ${count}`);
  const rng = new Rng(seed);
  const specs = net.inputs.map((s) => ({ name: s.name, n: s.shape.reduce((a, b) => a * b, 1), dtype: "dtype" in s ? s.dtype : (s.quant?.dtype ?? "float32") }));
  const one = () => {
    const rec: Record<string, unknown> = {};
    for (const s of specs) {
      const u = () => rng.u32();
      rec[s.name] =
        s.dtype === "int8" ? Int8Array.from({ length: s.n }, () => (u() >>> 24) - 128)
        : s.dtype === "uint8" ? Uint8Array.from({ length: s.n }, () => u() >>> 24)
        : s.dtype === "int16" ? Int16Array.from({ length: s.n }, () => (u() >>> 16) - 32768)
        : Float32Array.from({ length: s.n }, () => (u() / 2 ** 32) * 2 - 1);
    }
    return rec;
  };
  return Array.from({ length: count }, one);
}

/**
 * Runs `inputs` (a count of random inputs, or the inputs themselves) under each target and reports
 * the drift of every target from the reference, per layer and per graph output.
 */
export function compare(net: GraphNetwork | Network, inputs: number | readonly unknown[], options: CompareOptions = {}): CompareReport {
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  const { all, dflt } = networkTargets(net);
  const targets = [...(options.targets ?? [dflt])];
  if (targets.length === 0) throw new RangeError("options.targets must name at least one target");
  for (const t of targets) if (!all.includes(t)) throw new RangeError(`options.targets: "${String(t)}" is not a target of this model (one of ${all.join(", ")})`);
  const reference = options.reference ?? targets[0]!;
  if (!all.includes(reference)) throw new RangeError(`options.reference: "${String(reference)}" is not a target of this model (one of ${all.join(", ")})`);
  if (!targets.includes(reference)) targets.unshift(reference);
  const list = typeof inputs === "number" ? randomInputs(net, inputs, options.seed ?? 1) : [...inputs];
  if (list.length === 0) throw new RangeError("inputs must hold at least one input");

  const layerOrder: Produced[] = [];
  const layerDrift = new Map<string, Map<string, Drift>>();
  const outDrift = new Map<string, Map<string, { drift: Drift; agree: number }>>();
  const total = list.length * targets.length;
  let done = 0;
  list.forEach((input, k) => {
    const runs = new Map<string, TargetRun>();
    for (const t of targets) {
      runs.set(t, runOne(net, input, t));
      options.onProgress?.(++done, total);
    }
    const ref = runs.get(reference)!;
    if (k === 0) layerOrder.push(...ref.layers);
    for (const [t, run] of runs) {
      const byKey = new Map(run.layers.map((p) => [p.key, p]));
      for (const r of ref.layers) {
        const got = byKey.get(r.key);
        if (!got) continue;
        const m = layerDrift.get(r.key) ?? layerDrift.set(r.key, new Map()).get(r.key)!;
        (m.get(t) ?? m.set(t, new Drift()).get(t)!).add(r, got);
      }
      for (const [name, r] of ref.outputs) {
        const got = run.outputs.get(name);
        if (!got) continue;
        const m = outDrift.get(name) ?? outDrift.set(name, new Map()).get(name)!;
        const e = m.get(t) ?? m.set(t, { drift: new Drift(), agree: 0 }).get(t)!;
        e.drift.add(r, got);
        if (argmax(r) === argmax(got)) e.agree++;
      }
    }
  });

  const described = arithmeticByTensor(net, targets);
  const layers = layerOrder.map((p) => {
    const byTarget: Record<string, LayerDrift> = {};
    for (const [t, d] of layerDrift.get(p.key) ?? []) byTarget[t] = d.report();
    const entry: CompareReport["layers"][number] = { name: p.name, kind: p.kind, byTarget };
    if (p.index !== undefined) entry.index = p.index;
    const arithmetic: Record<string, string> = {};
    for (const t of targets) {
      const a = described.get(t)?.get(p.key);
      if (a) arithmetic[t] = a;
    }
    if (Object.keys(arithmetic).length > 0) entry.arithmetic = arithmetic;
    return entry;
  });
  const outputs = [...outDrift].map(([name, m]) => {
    const byTarget: Record<string, OutputDrift> = {};
    for (const [t, e] of m) {
      const d = e.drift.report();
      byTarget[t] = { differing: d.differing, maxAbsReal: d.maxAbsReal, top1Agreement: e.agree / list.length };
    }
    return { name, byTarget };
  });
  let firstDivergence: CompareReport["firstDivergence"] = null;
  for (const l of layers) {
    const differ = Object.entries(l.byTarget).filter(([, d]) => d.differing > 0).map(([t]) => t);
    if (differ.length > 0) {
      firstDivergence = { name: l.name, kind: l.kind, targets: differ };
      if (l.index !== undefined) firstDivergence.index = l.index;
      if (l.arithmetic) firstDivergence.why = [reference, ...differ].filter((t) => l.arithmetic![t]).map((t) => `${t}: ${l.arithmetic![t]}`).join("; ");
      break;
    }
  }
  return { reference, targets, inputs: list.length, layers, outputs, firstDivergence };
}
