// Timing helpers: one thread, warm-up runs first (they also let V8 tier the WebAssembly up from
// Liftoff to TurboFan), then the median of repeated runs.
import { performance } from "node:perf_hooks";

export interface Timing {
  /** Median wall-clock milliseconds per run. */
  ms: number;
  /** Fastest run, wall-clock milliseconds. */
  min: number;
  /** Median CPU milliseconds (user + system) of this process per run: what the run costs when
   * other processes compete for the cores. */
  cpu: number;
  runs: number;
}

export interface TimingOptions {
  /** Warm-up runs (not measured)... */
  warmup?: number;
  /** ...and at least this much warm-up time (ms): V8 moves hot WebAssembly from its baseline
   * compiler to the optimizing one in the background, after some use. */
  warmupMs?: number;
  /** Measured runs: at least this many... */
  minRuns?: number;
  /** ...and keep going until this much time has been spent measuring (ms). */
  minMs?: number;
  /** Hard cap on measured runs. */
  maxRuns?: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Mean ms of `n` back-to-back calls of `fn` (the tuning aids' interleaved rounds). */
export function msPerCall(fn: () => unknown, n: number): number {
  const t = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - t) / n;
}

/** Times `fn` synchronously. */
export function time(fn: () => unknown, o: TimingOptions = {}): Timing {
  const { warmup = 3, warmupMs = 0, minRuns = 7, minMs = 400, maxRuns = 200 } = o;
  const w0 = performance.now();
  for (let i = 0; i < warmup || performance.now() - w0 < warmupMs; i++) fn();
  const t: number[] = [];
  const c: number[] = [];
  let spent = 0;
  while (t.length < maxRuns && (t.length < minRuns || spent < minMs)) {
    const u = process.cpuUsage();
    const a = performance.now();
    fn();
    const d = performance.now() - a;
    const du = process.cpuUsage(u);
    t.push(d);
    c.push((du.user + du.system) / 1000);
    spent += d;
  }
  return { ms: median(t), min: Math.min(...t), cpu: median(c), runs: t.length };
}

/** One contestant of `timeRounds`. */
export interface Entry {
  name: string;
  fn: () => unknown;
  /** Calls per round (fast entries more, so they get enough samples); default 1. */
  reps?: number;
}

/**
 * Times several entries interleaved: every round calls each entry `reps` times, one after the
 * other, so that load from other processes (this machine is shared) falls on all of them alike
 * and their ratios stay fair. Warm-up first (`warmup` calls and `warmupMs` per entry), then rounds
 * until `minRuns` rounds and `minMs` elapsed (or `maxRuns` rounds). Returns each entry's median.
 * `fn` may return a promise (onnxruntime's `run`); it is awaited.
 */
export async function timeRounds(entries: Entry[], o: TimingOptions = {}): Promise<Record<string, Timing>> {
  const { warmup = 3, warmupMs = 0, minRuns = 7, minMs = 400, maxRuns = 200 } = o;
  for (const e of entries) {
    const w0 = performance.now();
    for (let i = 0; i < warmup || performance.now() - w0 < warmupMs; i++) await e.fn();
  }
  const t = new Map<string, number[]>(entries.map((e) => [e.name, []]));
  const c = new Map<string, number[]>(entries.map((e) => [e.name, []]));
  const start = performance.now();
  for (let round = 0; round < maxRuns && (round < minRuns || performance.now() - start < minMs); round++) {
    for (const e of entries) {
      for (let r = 0; r < (e.reps ?? 1); r++) {
        const u = process.cpuUsage();
        const a = performance.now();
        await e.fn();
        const d = performance.now() - a;
        const du = process.cpuUsage(u);
        t.get(e.name)!.push(d);
        c.get(e.name)!.push((du.user + du.system) / 1000);
      }
    }
  }
  const out: Record<string, Timing> = {};
  for (const e of entries) {
    const ts = t.get(e.name)!;
    out[e.name] = { ms: median(ts), min: Math.min(...ts), cpu: median(c.get(e.name)!), runs: ts.length };
  }
  return out;
}
