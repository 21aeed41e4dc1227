// One recommendation per block of a network: every way of running the block (the unfused
// baseline, and each fused schedule of each pair of its layers), tiled under one objective, each
// with its activation bytes, its estimated GAP8 cycles and what the deployment check says about it
// under the kernels it would run on (target `dory-fused`: the paper's fused kernels, PULP-NN's for
// layers run alone). The choice is the best candidate under the objective among those the check
// does not flag with an error the unfused baseline does not have, so a user is never told to
// deploy a schedule whose kernel computes other bytes. The network report (src/fusion-report.ts), the
// model planner (src/network/fusion-plan.ts) and the report page all plan through here.
import { check, type CheckOp, type Finding, type FusedSchedule, type Severity } from "../check/index.js";
import { resolveLatency, type LatencyOptions, type ResolvedLatency } from "../latency/model.js";
import { addEstimates, type LatencyEstimate } from "../latency/estimate.js";
import type { ConvOp, Tensor } from "../types.js";
import { describeBlock } from "./block.js";
import { resolveMemory, type MemoryConfig, type ResolvedMemory } from "./memory.js";
import { bestTiling, L1OverflowError, planLayer, type Objective, type SearchObjective } from "./search.js";
import type { TransferReport } from "./transfer-report.js";
import { schedule, SCHEDULES } from "./schedules.js";

/** Traffic of one way of running a block. */
export interface Traffic {
  activationBytes: number;
  weightBytes: number;
  dmaCommands: number;
  dmaCycles: number;
  peakL1Bytes: number;
}

export const ZERO: Traffic = { activationBytes: 0, weightBytes: 0, dmaCommands: 0, dmaCycles: 0, peakL1Bytes: 0 };

/** The traffic fields of a transfer report. */
export function traffic(r: TransferReport): Traffic {
  return { activationBytes: r.activationBytes, weightBytes: r.l2ToL1.weights + r.l2ToL1.params, dmaCommands: r.dmaCommands, dmaCycles: r.dmaCycles, peakL1Bytes: r.peakL1Bytes };
}

/** Two ways of running summed (peak L1: the larger). */
export function add(a: Traffic, b: Traffic): Traffic {
  return {
    activationBytes: a.activationBytes + b.activationBytes,
    weightBytes: a.weightBytes + b.weightBytes,
    dmaCommands: a.dmaCommands + b.dmaCommands,
    dmaCycles: a.dmaCycles + b.dmaCycles,
    peakL1Bytes: Math.max(a.peakL1Bytes, b.peakL1Bytes),
  };
}

/** A deployment-check finding about one layer of a block run one way. */
export interface PlanFinding {
  /** The layer's name (its role in the block when the caller gives no names). */
  layer: string;
  rule: Finding["rule"];
  severity: Severity;
  message: string;
  fix: string;
}

/** One way of running a block. */
export interface PlanCandidate {
  /** Which layers run fused: `dw+pw`, `expand+dw | project`, `expand | dw+project`, or `none`. */
  fusion: string;
  /** The fused schedule, or `unfused` (every layer tiled alone, the intermediates through L2). */
  schedule: string;
  /** Indices of the fused pair among the block's layers; null for unfused. */
  pair: [number, number] | null;
  /** The fused pair's own transfer report (null for unfused or when no tiling fits L1). */
  report: TransferReport | null;
  /** The fused pair's tiling (null for unfused or when nothing fits). */
  tiling: Record<string, number> | null;
  /** The whole block run this way (null when no tiling of the schedule fits L1). */
  traffic: Traffic | null;
  /** Estimated GAP8 cycles of the whole block run this way (null without latency, or when nothing fits). */
  estimate: LatencyEstimate | null;
  /** The deployment check's errors and warnings (target dory-fused) of the block run this way. */
  findings: PlanFinding[];
  /**
   * Whether the planner may recommend it: it fits L1 and the check flags no error that the
   * unfused baseline does not have too (an error of the layers themselves, e.g. a padding the
   * depthwise kernel gets wrong, flags every way of running them and is reported, not avoided).
   */
  admissible: boolean;
}

/** The planner's recommendation for one block. */
export interface Recommendation {
  objective: Objective;
  /** Every way of running the block; `candidates[0]` is the unfused baseline. */
  candidates: PlanCandidate[];
  /** Index of the recommended candidate. */
  chosen: number;
  /** The chosen candidate's fusion, or why the block stays unfused: `none (...)`. */
  fusion: string;
  /** Candidates better under the objective than the chosen one that the deployment check rules out. */
  rejected: Array<{ fusion: string; schedule: string; rules: string[] }>;
}

/** The planning context shared by the blocks of a network. */
export interface PlanContext {
  memory: ResolvedMemory;
  objective: Objective;
  /** Latency model, or null to plan without estimates (objective `bytes` only). */
  latency: ResolvedLatency | null;
}

/** Resolves and checks the objective and latency options of a network plan. */
export function planContext(memory: Partial<MemoryConfig> | undefined, objective: unknown, latency: LatencyOptions | false | undefined): PlanContext {
  const mem = resolveMemory(memory);
  const o = objective ?? "bytes";
  if (o !== "bytes" && o !== "cycles") throw new RangeError(`options.objective must be "bytes" or "cycles", got ${String(o)}`);
  if (latency === false && o === "cycles") throw new RangeError(`options.objective "cycles" needs the latency model; it cannot be combined with latency: false`);
  return { memory: mem, objective: o, latency: latency === false ? null : resolveLatency(latency, mem.doubleBuffer) };
}

/** One layer of a block as the planner and the check see it. */
export interface BlockLayer {
  op: ConvOp;
  /** Role in the block: `depthwise`, `pointwise`, `expand`, `project`. */
  role: string;
  /** Name for findings (default: the role). */
  name?: string;
  /** Whether the deployed kernel runs with its ReLU flag (default true, as the check assumes). */
  relu?: boolean;
}

const fusedNames = SCHEDULES.filter((s) => s !== "unfused");

/** The key of an error for the admissibility test: which layer, which rule. */
const errorKeys = (fs: PlanFinding[]) => fs.filter((f) => f.severity === "error").map((f) => `${f.layer}\u0000${f.rule}`);

/** Whether a beats b under the objective (ties: neither). */
function beats(a: PlanCandidate, b: PlanCandidate, objective: Objective): boolean {
  const ta = a.traffic as Traffic, tb = b.traffic as Traffic;
  const ca = a.estimate?.totalCycles ?? ta.dmaCycles, cb = b.estimate?.totalCycles ?? tb.dmaCycles;
  const [pa, pb, sa, sb] = objective === "cycles" ? [ca, cb, ta.activationBytes, tb.activationBytes] : [ta.activationBytes, tb.activationBytes, ca, cb];
  if (pa !== pb) return pa < pb;
  if (sa !== sb) return sa < sb;
  return ta.dmaCycles < tb.dmaCycles;
}

/**
 * Plans a block of 2 layers (dw+pw or pw+dw) or 3 (expand, dw, project: an inverted residual,
 * which fuses expand+dw or dw+project and runs the third layer alone). `input` is the block's
 * input; `mid()` the depthwise layer's input of a 3-layer block (only its shape, dtype and zero
 * point matter). Every candidate is tiled under the objective.
 */
export function recommend(input: Tensor, layers: readonly BlockLayer[], mid: (() => Tensor) | null, ctx: PlanContext): Recommendation {
  if (layers.length !== 2 && layers.length !== 3) throw new RangeError(`a block has 2 or 3 layers, got ${layers.length}`);
  const { memory: mem, objective } = ctx;
  const lat = ctx.latency ?? undefined;
  // Tilings for bytes break their ties on estimated cycles when there is a latency model.
  const search: SearchObjective = objective === "bytes" && lat ? "bytes+cycles" : objective;
  const ops = layers.map((l) => l.op);
  const names = layers.map((l) => l.name ?? l.role);
  const checkOp = (i: number): CheckOp => ({ ...ops[i]!, relu: layers[i]!.relu ?? true });
  const geo = (t: { height: number; width: number; channels: number; layout: Tensor["layout"] }) => ({ height: t.height, width: t.width, channels: t.channels, layout: t.layout });
  const relabel = (offset: number, fs: Finding[]): PlanFinding[] =>
    fs.filter((f) => f.severity !== "info").map((f) => ({ layer: names[offset + (f.opIndex ?? 0)]!, rule: f.rule, severity: f.severity, message: f.message, fix: f.fix }));
  // The pairs of consecutive layers, each on its own input: [0,1] on the block input, [1,2] on mid().
  const pairInput = (a: number): Tensor => (a === 0 ? input : (mid as () => Tensor)());
  const blocks = new Map<number, ReturnType<typeof describeBlock>>();
  const pairBlock = (a: number) => {
    let b = blocks.get(a);
    if (!b) blocks.set(a, (b = describeBlock(pairInput(a), [ops[a]!, ops[a + 1]!])));
    return b;
  };

  // Each layer alone (unfused), memoized: planned under the objective, and checked.
  const lone = new Map<number, { report: TransferReport; findings: PlanFinding[] }>();
  const alone = (i: number) => {
    let r = lone.get(i);
    if (!r) {
      // Layer i as a pair's first layer, or (the block's last) as the second of the pair before it.
      const a = i < layers.length - 1 ? i : i - 1;
      const blk = pairBlock(a);
      const report = planLayer(blk, i === a ? "first" : "second", mem, search, lat);
      const findings = relabel(i, check({ input: geo(i === a ? blk.input : blk.intermediate), op: checkOp(i) }, { target: "dory-fused" }));
      lone.set(i, (r = { report, findings }));
    }
    return r;
  };
  const sumAlone = (idx: number[]) => {
    const parts = idx.map(alone);
    return {
      traffic: parts.reduce((t, p) => add(t, traffic(p.report)), ZERO),
      estimate: lat ? parts.reduce<LatencyEstimate>((e, p) => addEstimates(e, p.report.estimate as LatencyEstimate), { computeCycles: 0, dmaCycles: 0, totalCycles: 0 }) : null,
      findings: parts.flatMap((p) => p.findings),
    };
  };

  // The unfused baseline. A pair is tiled as one unfused block (the two layers' tilings are
  // independent, so its bytes are the lone layers' sum); its estimate comes with the report.
  const candidates: PlanCandidate[] = [];
  {
    const head = bestTiling(pairBlock(0), schedule("unfused"), mem, {}, 4, search, lat);
    const rest = layers.length === 3 ? sumAlone([2]) : null;
    const findings = [...alone(0).findings, ...alone(1).findings, ...(rest?.findings ?? [])];
    candidates.push({
      fusion: "none",
      schedule: "unfused",
      pair: null,
      report: null,
      tiling: null,
      traffic: rest ? add(traffic(head), rest.traffic) : traffic(head),
      estimate: lat ? (rest ? addEstimates(head.estimate as LatencyEstimate, rest.estimate as LatencyEstimate) : (head.estimate as LatencyEstimate)) : null,
      findings,
      admissible: true,
    });
  }
  const pairs: Array<[number, number]> = layers.length === 2 ? [[0, 1]] : [[0, 1], [1, 2]];
  for (const [a, b] of pairs) {
    const blk = pairBlock(a);
    const others = [0, 1, 2].slice(0, layers.length).filter((i) => i !== a && i !== b);
    const rest = sumAlone(others);
    const pairName = `${layers[a]!.role}+${layers[b]!.role}`;
    const fusion = layers.length === 2 ? pairName : a === 0 ? `${pairName} | ${layers[2]!.role}` : `${layers[0]!.role} | ${pairName}`;
    for (const name of fusedNames) {
      const s = schedule(name);
      if (s.order !== blk.order || s.input !== blk.input.layout) continue;
      let report: TransferReport | null = null;
      try {
        report = bestTiling(blk, s, mem, {}, 4, search, lat);
      } catch (e) {
        if (!(e instanceof L1OverflowError)) throw e;
      }
      const pairFindings = relabel(a, check({ input: geo(blk.input), ops: [checkOp(a), checkOp(b)], schedule: name as FusedSchedule }, { target: "dory-fused" }));
      const findings = [...(a === 0 ? [] : rest.findings), ...pairFindings, ...(a === 0 ? rest.findings : [])];
      candidates.push({
        fusion,
        schedule: name,
        pair: [a, b],
        report,
        tiling: report ? { ...report.tiling } : null,
        traffic: report ? add(traffic(report), rest.traffic) : null,
        estimate: report && lat ? addEstimates(report.estimate as LatencyEstimate, rest.estimate as LatencyEstimate) : null,
        findings,
        admissible: false,
      });
    }
  }
  const baseErrors = new Set(errorKeys(candidates[0]!.findings));
  for (const c of candidates.slice(1)) c.admissible = c.traffic !== null && errorKeys(c.findings).every((k) => baseErrors.has(k));

  // The first best candidate wins ties: unfused over fused, the first pair over the second.
  let chosen = 0, bestAny = 0;
  candidates.forEach((c, i) => {
    if (i === 0 || c.traffic === null) return;
    if (c.admissible && beats(c, candidates[chosen]!, objective)) chosen = i;
    if (beats(c, candidates[bestAny]!, objective)) bestAny = i;
  });
  const winner = candidates[chosen]!;
  const rejected = candidates
    .filter((c) => c.traffic !== null && !c.admissible && beats(c, winner, objective))
    .map((c) => ({ fusion: c.fusion, schedule: c.schedule, rules: [...new Set(c.findings.filter((f) => f.severity === "error").map((f) => f.rule))] }));
  let fusion = winner.fusion;
  if (chosen === 0) {
    if (candidates.every((c, i) => i === 0 || c.traffic === null)) fusion = "none (no fused schedule fits L1)";
    else if (bestAny !== 0) fusion = "none (the fused schedules that pay fail the deployment check)";
    else fusion = objective === "cycles" ? "none (unfused is faster)" : "none (unfused moves less)";
  }
  return { objective, candidates, chosen, fusion, rejected };
}
