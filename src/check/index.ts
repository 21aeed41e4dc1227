// The deployment check: given a layer, a block or a network, list the places where the
// kernels that really run on GAP8 would not give the bytes dwpw computes. The rules themselves are
// the table in ./rules.ts; this file walks the subject, derives each op's geometry and
// deployment, and runs the table.
import type { ConvOp, Layout, Padding, Requant } from "../types.js";
import { MAX_DIM, snapshotValue } from "../validate.js";
import { SCHEME_NAMES, schemeNamed } from "../schemes/index.js";
import { randomOp, type NetworkSpec, type QuantScheme } from "../presets/mobilenet.js";
import {
  FUSED_SCHEDULES,
  RULES,
  outSize,
  type DepthwiseKernel,
  type FusedSchedule,
  type PointwiseIO,
  type PointwiseVariant,
  type RuleContext,
  type RuleId,
  type Severity,
  type Target,
} from "./rules.js";

/** The rule table and its helpers (see ./rules.ts), re-exported for the CLI and report page. */
export { FUSED_SCHEDULES, RULES, analyzeColumns, columnsExact, formatColumns, outSize } from "./rules.js";
/** The rule-table types. */
export type {
  ColumnAnalysis,
  DepthwiseKernel,
  FusedSchedule,
  PointwiseIO,
  PointwiseVariant,
  Rule,
  RuleContext,
  RuleHit,
  RuleId,
  Severity,
  Target,
} from "./rules.js";

/** The geometry of an activation tensor; a `Tensor` fits too. `layout` defaults to `HWC`. */
export interface InputGeometry {
  height: number;
  width: number;
  channels: number;
  layout?: Layout;
}

/** A convolution as the check sees it: a `ConvOp`, optionally with the deployed kernel's ReLU
 * flag (`relu`, default `true`; a model import sets `false` when no ReLU follows the layer). */
export type CheckOp = ConvOp & { relu?: boolean };

/** One convolution. `input` may be omitted after the first entry of a network: it is then the
 * previous entry's output. */
export interface LayerSubject {
  input?: InputGeometry;
  op: CheckOp;
  name?: string;
}

/** A two-op block (depthwise then pointwise, or pointwise then depthwise). `schedule` (target
 * `dory-fused`) names the fused schedule it runs under; it overrides `options.schedule`. */
export interface BlockSubject {
  input?: InputGeometry;
  ops: readonly [CheckOp, CheckOp];
  name?: string;
  schedule?: FusedSchedule;
}

/** One entry of a network. */
export type NetworkEntry = LayerSubject | BlockSubject;

/** What `check` accepts: a layer, a block, or a network (an array of layers and blocks, run in
 * order). */
export type Subject = NetworkEntry | readonly NetworkEntry[];

/** Options for target `pulp-nn` (PULP-NN's generic depthwise and pointwise kernels). */
export interface PulpNnCheckOptions {
  target: "pulp-nn";
  /** Pointwise parallelization variant; default `HoWo_parallel`. */
  pointwise?: PointwiseVariant;
  /** Kernel for depthwise layers with fewer than 4 taps; default `generic`. */
  depthwiseKernel?: DepthwiseKernel;
}

/** Options for target `dory-fused` (the paper's fused kernels). */
export interface DoryFusedCheckOptions {
  target: "dory-fused";
  /** Schedule of every block (a block's own `schedule` wins). When neither is given, every
   * schedule matching the block's order and input layout is considered: a rule that hits under
   * all of them is an error, under only some a warning naming them. Single layers run unfused. */
  schedule?: FusedSchedule;
}

/** Options of `check`: the target and its deployment choices. */
export type CheckOptions = PulpNnCheckOptions | DoryFusedCheckOptions;

/** One problem found: where, which rule, what happens on the board, and what to do. */
export interface Finding {
  /** The entry's `name`, or its index in the network (0 for a lone layer or block). */
  layer: string | number;
  /** For a block: which of its two ops (0 or 1). Absent for a single layer. */
  opIndex?: 0 | 1;
  /** The kind of the op the finding is about. */
  kind: "depthwise" | "pointwise";
  /** Id of the rule in `RULES`. */
  rule: RuleId;
  severity: Severity;
  /** Plain-language explanation with the concrete numbers (columns, widths, values). */
  message: string;
  /** Suggested fix. */
  fix: string;
}

interface Geometry {
  height: number;
  width: number;
  channels: number;
  layout: Layout;
}

interface Deployment {
  target: Target;
  pointwise: PointwiseVariant;
  depthwiseKernel: DepthwiseKernel;
  schedule: FusedSchedule | null;
}

const SCHEDULE_NAMES: readonly string[] = [...Object.keys(FUSED_SCHEDULES), "unfused"];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function int(v: unknown, field: string, lo: number, hi: number): number {
  if (typeof v !== "number") throw new TypeError(`${field} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${field} must be an integer in [${lo}, ${hi}], got ${v}`);
  return v;
}

function checkOptions(o: unknown): Deployment {
  if (!isObject(o)) throw new TypeError(`options must be an object with a target ("pulp-nn" or "dory-fused")`);
  if (o.target === "pulp-nn") {
    if (o.schedule !== undefined) throw new RangeError(`options.schedule applies only to target "dory-fused"`);
    const pointwise = o.pointwise ?? "HoWo_parallel";
    if (pointwise !== "HoWo_parallel" && pointwise !== "Co_parallel") {
      throw new RangeError(`options.pointwise must be "HoWo_parallel" or "Co_parallel", got ${String(pointwise)}`);
    }
    const depthwiseKernel = o.depthwiseKernel ?? "generic";
    if (depthwiseKernel !== "generic" && depthwiseKernel !== "less_4_weights") {
      throw new RangeError(`options.depthwiseKernel must be "generic" or "less_4_weights", got ${String(depthwiseKernel)}`);
    }
    return { target: "pulp-nn", pointwise, depthwiseKernel, schedule: null };
  }
  if (o.target === "dory-fused") {
    if (o.pointwise !== undefined) throw new RangeError(`options.pointwise applies only to target "pulp-nn"`);
    if (o.depthwiseKernel !== undefined) throw new RangeError(`options.depthwiseKernel applies only to target "pulp-nn"`);
    let schedule: FusedSchedule | null = null;
    if (o.schedule !== undefined) {
      if (typeof o.schedule !== "string" || !SCHEDULE_NAMES.includes(o.schedule)) {
        throw new RangeError(`options.schedule must be one of ${SCHEDULE_NAMES.join(", ")}, got ${String(o.schedule)}`);
      }
      schedule = o.schedule as FusedSchedule;
    }
    return { target: "dory-fused", pointwise: "HoWo_parallel", depthwiseKernel: "generic", schedule };
  }
  throw new RangeError(`options.target must be "pulp-nn" or "dory-fused", got ${String(o.target)}`);
}

function checkInput(v: unknown, field: string): Geometry {
  if (!isObject(v)) throw new TypeError(`${field} must be an object with height, width, channels`);
  const layout = v.layout ?? "HWC";
  if (layout !== "HWC" && layout !== "CHW") throw new RangeError(`${field}.layout must be "HWC" or "CHW", got ${String(layout)}`);
  return {
    height: int(v.height, `${field}.height`, 1, MAX_DIM),
    width: int(v.width, `${field}.width`, 1, MAX_DIM),
    channels: int(v.channels, `${field}.channels`, 1, MAX_DIM),
    layout,
  };
}

function checkRequant(v: unknown, field: string): Requant {
  if (!isObject(v)) throw new TypeError(`${field} must be a requantization object`);
  const scheme = schemeNamed(v.scheme);
  if (!scheme) throw new RangeError(`${field}.scheme must be one of ${SCHEME_NAMES.join(", ")}, got ${String(v.scheme)}`);
  // Only the values the rules read are checked; out-of-range shifts and multipliers are findings,
  // not errors, so they are accepted here as long as they are integers.
  for (const f of scheme.deploymentFields) int(v[f], `${field}.${f}`, -(2 ** 31), 2 ** 31 - 1);
  return v as unknown as Requant;
}

/** The op's own geometry (kernel, stride, pad, output) from its input. */
function opGeometry(input: Geometry, op: unknown, field: string) {
  if (!isObject(op)) throw new TypeError(`${field} must be a convolution object`);
  const requant = checkRequant(op.requant, `${field}.requant`);
  if (op.relu !== undefined && typeof op.relu !== "boolean") throw new TypeError(`${field}.relu must be a boolean`);
  const relu = op.relu !== false;
  const bias = op.bias;
  const hasBias = bias !== undefined && bias !== null && (bias as ArrayLike<number>).length > 0;
  if (op.kind === "depthwise") {
    const pair = (v: unknown, f: string): [number, number] => {
      if (!Array.isArray(v) || v.length !== 2) throw new TypeError(`${f} must be a [number, number] pair`);
      return [int(v[0], `${f}[0]`, 1, MAX_DIM), int(v[1], `${f}[1]`, 1, MAX_DIM)];
    };
    const [kh, kw] = pair(op.kernel, `${field}.kernel`);
    const [sh, sw] = pair(op.stride, `${field}.stride`);
    if (!isObject(op.pad)) throw new TypeError(`${field}.pad must be an object with top, left, bottom, right`);
    const pad: Padding = {
      top: int(op.pad.top, `${field}.pad.top`, 0, MAX_DIM),
      left: int(op.pad.left, `${field}.pad.left`, 0, MAX_DIM),
      bottom: int(op.pad.bottom, `${field}.pad.bottom`, 0, MAX_DIM),
      right: int(op.pad.right, `${field}.pad.right`, 0, MAX_DIM),
    };
    if (kh > input.height + pad.top + pad.bottom) throw new RangeError(`${field}.kernel[0] (${kh}) exceeds the padded input height: the output would be empty`);
    if (kw > input.width + pad.left + pad.right) throw new RangeError(`${field}.kernel[1] (${kw}) exceeds the padded input width: the output would be empty`);
    return {
      kind: "depthwise" as const, kh, kw, sh, sw, pad, requant, relu, hasBias,
      outHeight: outSize(input.height, kh, sh, pad.top, pad.bottom),
      outWidth: outSize(input.width, kw, sw, pad.left, pad.right),
      outChannels: input.channels,
    };
  }
  if (op.kind === "pointwise") {
    const outChannels = int(op.outChannels, `${field}.outChannels`, 1, MAX_DIM);
    return {
      kind: "pointwise" as const, kh: 1, kw: 1, sh: 1, sw: 1, pad: { top: 0, left: 0, bottom: 0, right: 0 },
      requant, relu, hasBias, outHeight: input.height, outWidth: input.width, outChannels,
    };
  }
  throw new RangeError(`${field}.kind must be "depthwise" or "pointwise", got ${String(op.kind)}`);
}

/** The layouts a pointwise op reads and writes under each schedule a block may run with. */
function pointwiseIO(order: "dw-pw" | "pw-dw", layout: Layout, schedules: readonly FusedSchedule[]): PointwiseIO[] {
  return schedules.map((s) => {
    if (s === "unfused") return { schedule: s, in: layout, out: layout };
    const d = FUSED_SCHEDULES[s];
    return order === "dw-pw" ? { schedule: s, in: d.intermediate, out: d.output } : { schedule: s, in: d.input, out: d.intermediate };
  });
}

function checkSchedule(s: unknown, field: string, order: "dw-pw" | "pw-dw", layout: Layout): FusedSchedule {
  if (typeof s !== "string" || !SCHEDULE_NAMES.includes(s)) {
    throw new RangeError(`${field} must be one of ${SCHEDULE_NAMES.join(", ")}, got ${String(s)}`);
  }
  if (s !== "unfused") {
    const d = FUSED_SCHEDULES[s as Exclude<FusedSchedule, "unfused">];
    if (d.order !== order) throw new RangeError(`${field} ${s} is a ${d.order} schedule but the block is ${order}`);
    if (d.input !== layout) throw new RangeError(`${field} ${s} takes a ${d.input} block input but the block input is ${layout}`);
  }
  return s as FusedSchedule;
}

/** Runs the rule table on one op and appends the findings. */
function runRules(
  ctx: RuleContext,
  where: { layer: string | number; opIndex?: 0 | 1 },
  out: Finding[],
): void {
  for (const rule of RULES) {
    if (!rule.targets.includes(ctx.target)) continue;
    if (rule.op !== "requant" && rule.op !== ctx.kind) continue;
    const hit = rule.test(ctx);
    if (hit === null) continue;
    const f: Finding = { layer: where.layer, kind: ctx.kind, rule: rule.id, severity: hit.severity ?? rule.severity, message: hit.message, fix: hit.fix ?? rule.fix };
    if (where.opIndex !== undefined) f.opIndex = where.opIndex;
    out.push(f);
  }
}

/** Checks one op at `input`, appends its findings, returns its output geometry. */
function checkOp(
  input: Geometry,
  op: unknown,
  field: string,
  dep: Deployment,
  io: readonly PointwiseIO[],
  where: { layer: string | number; opIndex?: 0 | 1 },
  out: Finding[],
): Geometry {
  const g = opGeometry(input, op, field);
  const ctx: RuleContext = {
    target: dep.target,
    kind: g.kind,
    height: input.height,
    width: input.width,
    channels: input.channels,
    outHeight: g.outHeight,
    outWidth: g.outWidth,
    outChannels: g.outChannels,
    kh: g.kh,
    kw: g.kw,
    sh: g.sh,
    sw: g.sw,
    pad: g.pad,
    hasBias: g.hasBias,
    relu: g.relu,
    requant: g.requant,
    pointwise: dep.pointwise,
    depthwiseKernel: dep.depthwiseKernel,
    pointwiseIO: io,
  };
  runRules(ctx, where, out);
  return { height: g.outHeight, width: g.outWidth, channels: g.outChannels, layout: input.layout };
}

/**
 * Lists the places where the kernels that run on GAP8 would not compute the bytes dwpw computes.
 *
 * `subject` is a layer (`{ input, op }`), a block (`{ input, ops: [op, op] }`, depthwise then
 * pointwise or the reverse; the second op's input follows from the first) or a network (an array
 * of layers and blocks; an entry without `input` takes the previous entry's output).
 * `options.target` selects the kernels: `"pulp-nn"` (PULP-NN's generic depthwise and pointwise
 * kernels; `pointwise` picks `HoWo_parallel` or `Co_parallel`) or `"dory-fused"` (the paper's
 * fused kernels; `schedule` picks the fused schedule). Returns the findings in network order,
 * then op order, then rule-table order; an empty array means no rule applies.
 * Throws a `TypeError` / `RangeError` naming the field for malformed input.
 */
export function check(rawSubject: Subject, rawOptions: CheckOptions): Finding[] {
  // Read once into frozen plain data; the checks and rules see only the snapshot.
  const subject = snapshotValue(rawSubject, "subject");
  const options = snapshotValue(rawOptions, "options");
  const dep = checkOptions(options);
  const isNetwork = Array.isArray(subject);
  const entries: readonly unknown[] = isNetwork ? subject : [subject];
  const findings: Finding[] = [];
  let prev: Geometry | null = null;
  entries.forEach((entry, i) => {
    const field = isNetwork ? `subject[${i}]` : "subject";
    if (!isObject(entry)) throw new TypeError(`${field} must be a layer ({ input, op }) or a block ({ input, ops })`);
    let input: Geometry;
    if (entry.input !== undefined) input = checkInput(entry.input, `${field}.input`);
    else if (prev !== null) input = prev;
    else throw new TypeError(`${field}.input is required (it can be omitted only after a previous network entry)`);
    if (entry.name !== undefined && typeof entry.name !== "string") throw new TypeError(`${field}.name must be a string`);
    const layer: string | number = typeof entry.name === "string" ? entry.name : i;
    if (entry.ops !== undefined) {
      const ops = entry.ops;
      if (!Array.isArray(ops) || ops.length !== 2) throw new TypeError(`${field}.ops must be a pair of ops`);
      const k0 = isObject(ops[0]) ? ops[0].kind : undefined;
      const k1 = isObject(ops[1]) ? ops[1].kind : undefined;
      const order = k0 === "depthwise" && k1 === "pointwise" ? "dw-pw" : k0 === "pointwise" && k1 === "depthwise" ? "pw-dw" : null;
      if (order === null) throw new RangeError(`${field}.ops must be a depthwise and a pointwise op, in either order; got ${String(k0)}, ${String(k1)}`);
      // Schedules: validated whatever the target (a network description may be checked against
      // both), used only by dory-fused.
      let schedules: FusedSchedule[];
      if (entry.schedule !== undefined) schedules = [checkSchedule(entry.schedule, `${field}.schedule`, order, input.layout)];
      else if (dep.schedule !== null) schedules = [checkSchedule(dep.schedule, `options.schedule (for ${field})`, order, input.layout)];
      else {
        schedules = (Object.keys(FUSED_SCHEDULES) as Exclude<FusedSchedule, "unfused">[]).filter(
          (s) => FUSED_SCHEDULES[s].order === order && FUSED_SCHEDULES[s].input === input.layout,
        );
      }
      const io = dep.target === "dory-fused" ? pointwiseIO(order, input.layout, schedules) : [{ schedule: "pulp-nn", in: input.layout, out: input.layout }];
      const mid = checkOp(input, ops[0], `${field}.ops[0]`, dep, io, { layer, opIndex: 0 }, findings);
      prev = checkOp(mid, ops[1], `${field}.ops[1]`, dep, io, { layer, opIndex: 1 }, findings);
    } else if (entry.op !== undefined) {
      const io = [{ schedule: dep.target === "dory-fused" ? "unfused" : "pulp-nn", in: input.layout, out: input.layout }];
      prev = checkOp(input, entry.op, `${field}.op`, dep, io, { layer }, findings);
    } else {
      throw new TypeError(`${field} must have an op (a layer) or ops (a block)`);
    }
  });
  return findings;
}

/**
 * The check subjects of a MobileNet preset: every depthwise and pointwise layer with ops of
 * `scheme` (PULP-NN's kernels run `pulp-bn` by default). For `npm start` and `dwpw report`.
 */
export function presetSubjects(net: NetworkSpec, scheme: QuantScheme = "pulp-bn", seed = 1): LayerSubject[] {
  return net.layers.map((l) => ({
    name: l.name,
    input: { height: l.height, width: l.width, channels: l.channels },
    op: randomOp(l, { scheme, seed }),
  }));
}
