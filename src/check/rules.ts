// The deployment-check rules: where the kernels that really run on GAP8 (PULP-NN and the
// paper's fused DORY kernels) compute bytes other than the mathematically defined result that
// dwpw computes. Every rule is one row of `RULES` below: which kernels it concerns, what it
// tests, a plain-language explanation, a suggested fix and the evidence it rests on.
//
// The facts were found by running the kernels unmodified on a host, core by core, over more than
// 7,000 layer configurations (the "measurements" below), and are encoded literally. Where the
// measurements are silent a comment marked "Decision:" says what was chosen and why.
//
// All arithmetic is on small non-negative integers (pixels, taps); divisions are written with
// explicit floor / ceil so nothing depends on floating point.
import type { Layout, Padding, Requant } from "../types.js";
import { schedule, SCHEDULES, type ScheduleName } from "../scratchpad/schedules.js";

/** Which deployed kernel family a check is run against. */
export type Target = "pulp-nn" | "dory-fused";

/** How bad a finding is. `error`: the board computes other bytes than dwpw (or races, or is
 * undefined). `warning`: the bytes may differ depending on a choice not given to the check, or
 * they match but almost certainly not what the model means. `info`: worth knowing, not a defect. */
export type Severity = "error" | "warning" | "info";

/** PULP-NN pointwise parallelization variant (target `pulp-nn`). */
export type PointwiseVariant = "HoWo_parallel" | "Co_parallel";

/** PULP-NN depthwise kernel used for kernels with fewer than 4 taps (target `pulp-nn`):
 * `generic` runs every depthwise layer with `pulp_nn_depthwise_generic`; `less_4_weights` runs
 * layers with fewer than 4 taps with `pulp_nn_depthwise_less_4_weights` (the rest stay generic). */
export type DepthwiseKernel = "generic" | "less_4_weights";

/** The fused-block schedules of SPEC §5 (plus `unfused`): the scratchpad's list of schedules. */
export type FusedSchedule = ScheduleName;

type FusedLayouts = Readonly<Record<Exclude<FusedSchedule, "unfused">, { order: "dw-pw" | "pw-dw"; input: Layout; output: Layout; intermediate: Layout }>>;

/** Order and layouts of each fused schedule (SPEC §5 naming: order / block input - block output -
 * intermediate / step). `unfused` keeps every tensor in the block input's layout. */
export const FUSED_SCHEDULES: FusedLayouts = Object.fromEntries(
  SCHEDULES.map((name) => schedule(name)).flatMap((s) =>
    s.order === null ? [] : [[s.name, { order: s.order, input: s.input, output: s.output, intermediate: s.intermediate }]]),
) as FusedLayouts;

/** The layouts one pointwise op reads and writes under one schedule. */
export interface PointwiseIO {
  schedule: string;
  in: Layout;
  out: Layout;
}

/** Everything a rule may look at: one convolution's geometry, requantization and deployment. */
export interface RuleContext {
  target: Target;
  kind: "depthwise" | "pointwise";
  /** Input geometry of this op. */
  height: number;
  width: number;
  channels: number;
  /** Output geometry of this op. */
  outHeight: number;
  outWidth: number;
  outChannels: number;
  /** Kernel, stride, padding (pointwise: 1x1, stride 1, no padding). */
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pad: Padding;
  /** The op has a bias (a non-empty bias array). */
  hasBias: boolean;
  /** The kernel is called with its ReLU flag set. */
  relu: boolean;
  requant: Requant;
  /** PULP-NN pointwise variant (meaningful for target `pulp-nn`). */
  pointwise: PointwiseVariant;
  /** PULP-NN depthwise kernel choice for fewer than 4 taps (meaningful for target `pulp-nn`). */
  depthwiseKernel: DepthwiseKernel;
  /** The layouts this pointwise op may run with: one entry when the schedule is known, one per
   * candidate schedule when it is not (target `dory-fused`). */
  pointwiseIO: readonly PointwiseIO[];
}

/** What a rule reports for one op: the concrete message and, when it can be more specific than
 * the table's generic fix, a concrete fix; severity overrides the rule's default. */
export interface RuleHit {
  message: string;
  fix?: string;
  severity?: Severity;
}

/** Stable rule identifiers. */
export type RuleId =
  | "dw-few-taps"
  | "dw-less4-horizontal-pad"
  | "dw-middle-outside-row"
  | "dw-left-needs-right-pad"
  | "dw-middle-needs-right-pad"
  | "dw-right-needs-left-pad"
  | "dw-right-pad-count"
  | "dw-dimincr-exceeds-kw"
  | "dw-left-buffer-overrun"
  | "pw-co-parallel-bias"
  | "pw-co-parallel-odd-width"
  | "pw-hwc-to-chw-row-skip"
  | "rq-quant-mult-uint16"
  | "rq-quant-mult-negative"
  | "rq-no-relu-fallback"
  | "rq-shift-range"
  | "rq-scheme-not-pulp";

/** One row of the rule table. */
export interface Rule {
  id: RuleId;
  /** Kernel families the rule concerns. */
  targets: readonly Target[];
  /** The kind of op it inspects; `requant` rules inspect either kind. */
  op: "depthwise" | "pointwise" | "requant";
  /** Default severity of a hit. */
  severity: Severity;
  /** One-line summary. */
  title: string;
  /** Plain-language explanation of what goes wrong on the board. */
  explanation: string;
  /** Generic suggested fix (a hit may give a more specific one). */
  fix: string;
  /** Where the fact comes from: which kernel, what was observed. */
  evidence: { kernel: string; observed: string };
  /** The predicate: `null` when the op is fine, else the concrete finding. */
  test(ctx: RuleContext): RuleHit | null;
}

// ---------------------------------------------------------------------------------------------
// Depthwise column analysis: the column regions of the generic depthwise kernel, where the
// measured depthwise defects live.

/** `ceil(a / b)` for a >= 0, b > 0, in integers. */
function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

/** Output size of one axis: `floor((n + p0 + p1 - k) / s) + 1`. */
export function outSize(n: number, k: number, s: number, p0: number, p1: number): number {
  return Math.floor((n + p0 + p1 - k) / s) + 1;
}

/** The column regions of `pulp_nn_depthwise_generic` (and the paper's layout variants, which
 * share its column-buffer code) for one layer, and every per-column defect measured. */
export interface ColumnAnalysis {
  width: number;
  kw: number;
  sw: number;
  padLeft: number;
  padRight: number;
  /** Output width `Wo`. */
  outWidth: number;
  /** `dimIncr = 4*ceil(kw/4) - kw`: bytes each column-buffer row over-writes (vector copies). */
  dimIncr: number;
  /** Left region: columns `[0, leftEnd)` (the `x*sw < padLeft` prefix, clipped to `Wo`). */
  leftEnd: number;
  /** Middle region: columns `[middleStart, middleEnd)`; it always contains `middleStart`, even
   * when that column is `>= Wo` (the loop runs at least once). */
  middleStart: number;
  middleEnd: number;
  /** Right region: columns `[rightStart, Wo)` (`rightStart == middleEnd`; empty when `>= Wo`). */
  rightStart: number;
  /** Pad taps column x needs on the left: `max(padLeft - x*sw, 0)`. */
  leftNeed(x: number): number;
  /** Pad taps column x needs on the right: `max(x*sw - padLeft + kw - W, 0)`. */
  rightNeed(x: number): number;
  /** Pad taps the right-region code zeroes: `max(floor(kw/2) - (W - x*sw - 1), 0)`. */
  rightZeroed(x: number): number;
  /** Defects (column lists are output columns, ascending). */
  middleOutsideRow: boolean;
  leftNeedsRight: number[];
  middleNeedsRight: number[];
  rightNeedsLeft: number[];
  rightCountWrong: number[];
  dimIncrExceedsKw: boolean;
  leftOverrun: number[];
}

/**
 * Classifies the output columns of a depthwise layer into the kernel's three regions and lists
 * every column that breaks one of the measured conditions.
 *
 * Regions, as the measurements define them: left `x*sw < padLeft`, right `x >= Wo - padRight`,
 * middle otherwise; "the middle region always runs at least once". Decision: the regions are taken
 * in the kernel's loop order (left, then middle, then right, each starting where the previous one
 * stopped), so the middle's run-at-least-once column is the first non-left column
 * `ceil(padLeft/sw)` even when the right-region test alone would put it on the right. This is what
 * makes width 2 at stride 1 (3x3, pad 1) wrong, as measured: its column 1 is computed by the middle
 * code, which zeroes no right pad tap. When left and right sets would overlap, the column belongs
 * to the left region (it is computed first). One consequence: a right-region column always has
 * `x*sw >= padLeft`, so the measured condition "no right-region column needs left padding" can
 * never fire; it is kept as a rule so that the table encodes every measured condition.
 */
export function analyzeColumns(width: number, kw: number, sw: number, padLeft: number, padRight: number): ColumnAnalysis {
  const W = width;
  const Wo = outSize(W, kw, sw, padLeft, padRight);
  const dimIncr = 4 * ceilDiv(kw, 4) - kw;
  const half = Math.floor(kw / 2);
  const leftNeed = (x: number) => Math.max(padLeft - x * sw, 0);
  const rightNeed = (x: number) => Math.max(x * sw - padLeft + kw - W, 0);
  const rightZeroed = (x: number) => Math.max(half - (W - x * sw - 1), 0);
  // The left loop is a do-while entered only when padLeft > 0 and stops at the first x with
  // x*sw >= padLeft, i.e. after ceil(padLeft/sw) columns.
  const leftCount = padLeft > 0 ? ceilDiv(padLeft, sw) : 0;
  const leftEnd = Math.min(leftCount, Wo);
  const middleStart = leftCount;
  const middleEnd = Math.max(middleStart + 1, Wo - padRight);
  const rightStart = middleEnd; // empty when >= Wo
  const a: ColumnAnalysis = {
    width: W, kw, sw, padLeft, padRight, outWidth: Wo, dimIncr,
    leftEnd, middleStart, middleEnd, rightStart,
    leftNeed, rightNeed, rightZeroed,
    middleOutsideRow: middleStart >= Wo,
    leftNeedsRight: [], middleNeedsRight: [], rightNeedsLeft: [], rightCountWrong: [],
    dimIncrExceedsKw: dimIncr > kw,
    leftOverrun: [],
  };
  for (let x = 0; x < leftEnd; x++) {
    if (rightNeed(x) > 0) a.leftNeedsRight.push(x);
    if (leftNeed(x) + dimIncr > kw) a.leftOverrun.push(x);
  }
  for (let x = middleStart; x < Math.min(middleEnd, Wo); x++) {
    if (rightNeed(x) > 0) a.middleNeedsRight.push(x);
  }
  for (let x = rightStart; x < Wo; x++) {
    if (leftNeed(x) > 0) a.rightNeedsLeft.push(x);
    if (rightNeed(x) !== rightZeroed(x)) a.rightCountWrong.push(x);
  }
  return a;
}

/** True when the column analysis shows no defect at all. */
export function columnsExact(a: ColumnAnalysis): boolean {
  return (
    !a.middleOutsideRow && !a.dimIncrExceedsKw &&
    a.leftNeedsRight.length === 0 && a.middleNeedsRight.length === 0 &&
    a.rightNeedsLeft.length === 0 && a.rightCountWrong.length === 0 && a.leftOverrun.length === 0
  );
}

/** "column 5", "columns 8-9", "columns 0, 2, 5-7" (ascending input). */
export function formatColumns(cols: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cols.length; ) {
    let j = i;
    while (j + 1 < cols.length && cols[j + 1] === cols[j] + 1) j++;
    parts.push(i === j ? `${cols[i]}` : `${cols[i]}-${cols[j]}`);
    i = j + 1;
  }
  const many = cols.length > 1;
  return `${many ? "columns" : "column"} ${parts.join(", ")}`;
}

function describeDw(c: RuleContext): string {
  return (
    `${c.kh}x${c.kw} depthwise, horizontal stride ${c.sw}, input width ${c.width}, ` +
    `padding left ${c.pad.left} / right ${c.pad.right} (output width ${c.outWidth})`
  );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** "output column 5 is" / "output columns 8-9 are". */
function columnsAre(cols: readonly number[]): string {
  return `output ${formatColumns(cols)} ${cols.length === 1 ? "is" : "are"}`;
}

/**
 * A concrete fix for the column defects: symmetric padding `floor(kw/2)` when that is exact at
 * this width; otherwise, when the width itself is too small, the smallest exact width (appending
 * zero input columns is harmless for uint8 activations with zero point 0, because they read as
 * padding, and the extra output columns are dropped).
 */
function columnFix(c: RuleContext): string {
  const s = Math.floor(c.kw / 2);
  // The padding the right-region code assumes: floor(kw/2) for odd kw, kw/2 - 1 for even kw.
  const a = c.kw - 1 - s;
  const candidates: [number, number][] = [[s, s], [a, a], [a, c.kw - 1 - a]];
  for (const [l, r] of candidates) {
    if (l === c.pad.left && r === c.pad.right) continue;
    const t = analyzeColumns(c.width, c.kw, c.sw, l, r);
    if (t.outWidth < 1 || !columnsExact(t)) continue;
    const keep = t.outWidth === c.outWidth ? `the output width stays ${c.outWidth}` : `the output width becomes ${t.outWidth} (was ${c.outWidth})`;
    const what = l === r ? `symmetric padding ${l} (left ${l}, right ${r})` : `padding left ${l}, right ${r}`;
    return `use ${what}; ${keep}, but the windows move, so the network must be trained or exported with that padding`;
  }
  if (c.pad.left === s) {
    for (let w = c.width + 1; w <= c.width + 4 * c.kw * c.sw + 8; w++) {
      const a = analyzeColumns(w, c.kw, c.sw, s, s);
      if (a.outWidth >= c.outWidth && columnsExact(a)) {
        return (
          `width ${c.width} is too narrow for this kernel at stride ${c.sw}: from width ${w} it is exact; ` +
          `append ${w - c.width} zero column(s) to the input (zero point 0, so they read as padding) ` +
          `and drop the extra output columns, or run this layer with another kernel`
        );
      }
    }
  }
  return `use symmetric padding ${s} (= floor(kw/2), what the kernel assumes) and a width at which it is exact, or run this layer with another kernel`;
}

/** Fix for kernels with fewer than 4 taps: embed into a 3-wide/3-tall kernel with zero weights. */
function fewTapsFix(c: RuleContext, pulpNnHint: boolean): string {
  const grow: string[] = [];
  if (c.kh === 1) grow.push("1 more padding row at the top and at the bottom");
  if (c.kw === 1) grow.push("1 more padding column on the left and on the right");
  const embed =
    (c.kh === 1 || c.kh === 3) && (c.kw === 1 || c.kw === 3)
      ? `embed the kernel in a 3x3 kernel with zero weights (real taps centred) and add ${grow.join(" and ")} so the output size is unchanged`
      : `embed the kernel in a larger kernel (at least 4 taps) with zero weights, padding the grown sides so the output size is unchanged`;
  return pulpNnHint
    ? `${embed}; or, with no horizontal padding, run pulp_nn_depthwise_less_4_weights (check option depthwiseKernel: "less_4_weights")`
    : embed;
}

// ---------------------------------------------------------------------------------------------
// Requantization helpers.

function isPulp(r: Requant): r is Extract<Requant, { scheme: "pulp-bn" | "pulp-quant" | "pulp-shift" }> {
  return r.scheme === "pulp-bn" || r.scheme === "pulp-quant" || r.scheme === "pulp-shift";
}

/** Fix for a multiplier that is meant as an unsigned 16-bit value `m` with shift `d`. */
function uint16MultFix(m: number, d: number): string {
  const bn = `pulp-bn with k = ${m} (an int32) and lambda = 0, which has the same scale ${m}/2^${d} and saturates instead of wrapping`;
  if (d >= 1 && m % 2 === 0) {
    return `use mult ${m / 2} with shift ${d - 1}: the same scale ${m}/2^${d}, identical bytes while ${m}*acc fits in int32; or use ${bn}`;
  }
  if (d >= 1) {
    return `use mult ${Math.round(m / 2)} with shift ${d - 1} (${m} is odd, so the scale changes by about 1 part in ${m}); or use ${bn}`;
  }
  return `with shift 0 the multiplier cannot be halved; use ${bn}`;
}

// ---------------------------------------------------------------------------------------------
// The rule table.

const DW_KERNELS = "pulp_nn_depthwise_generic and the paper's layout variants (shared column-buffer code)";
const BOTH: readonly Target[] = ["pulp-nn", "dory-fused"];

/** Generic depthwise rules apply unless the PULP-NN less-4 kernel takes this layer. */
function genericDw(c: RuleContext): boolean {
  if (c.kind !== "depthwise") return false;
  return !(c.target === "pulp-nn" && c.depthwiseKernel === "less_4_weights" && c.kh * c.kw < 4);
}

/**
 * The deployment-check rules, in the order findings are reported. One row per measured fact.
 */
export const RULES: readonly Rule[] = [
  // ----- depthwise -----
  {
    id: "dw-few-taps",
    targets: BOTH,
    op: "depthwise",
    severity: "error",
    title: "Depthwise kernel with fewer than 4 taps in the generic kernel",
    explanation:
      "The generic depthwise kernel is exact only with kh*kw >= 4 (its 4-tap SIMD loop is a do-while that runs at least once), so 1x1, 1x2, 2x1, 1x3 and 3x1 kernels give wrong bytes.",
    fix: "Embed the kernel in a 3x3 kernel with zero weights and matching extra padding; on PULP-NN, pulp_nn_depthwise_less_4_weights handles it when there is no horizontal padding.",
    evidence: {
      kernel: DW_KERNELS,
      observed: "kh*kw >= 4 is required; 1x1, 1x3, 3x1 kernels are wrong in the generic kernel.",
    },
    test(c) {
      if (!genericDw(c) || c.kh * c.kw >= 4) return null;
      return {
        message: `${c.kh}x${c.kw} depthwise has ${plural(c.kh * c.kw, "tap")}; the generic kernel is exact only with at least 4 (kh*kw >= 4).`,
        fix: fewTapsFix(c, c.target === "pulp-nn"),
      };
    },
  },
  {
    id: "dw-less4-horizontal-pad",
    targets: ["pulp-nn"],
    op: "depthwise",
    severity: "error",
    title: "pulp_nn_depthwise_less_4_weights with horizontal padding",
    explanation: "The fewer-than-4-taps kernel is exact only without horizontal padding (left and right pad 0).",
    fix: "Remove the horizontal padding (pad the tensor in memory instead), or embed the kernel in a 3x3 kernel with zero weights and use the generic kernel.",
    evidence: {
      kernel: "pulp_nn_depthwise_less_4_weights",
      observed: "handles 1x1, 1x3, 3x1 kernels, but only without horizontal padding.",
    },
    test(c) {
      if (c.kind !== "depthwise" || c.target !== "pulp-nn" || c.depthwiseKernel !== "less_4_weights" || c.kh * c.kw >= 4) return null;
      if (c.pad.left === 0 && c.pad.right === 0) return null;
      return {
        message:
          `${c.kh}x${c.kw} depthwise runs pulp_nn_depthwise_less_4_weights, which is exact only without horizontal padding; ` +
          `this layer pads left ${c.pad.left} / right ${c.pad.right}.`,
        fix: `remove the horizontal padding (append zero columns to the input instead: zero point 0 reads as padding), or ${fewTapsFix(c, false)} and use the generic kernel`,
      };
    },
  },
  {
    id: "dw-middle-outside-row",
    targets: BOTH,
    op: "depthwise",
    severity: "error",
    title: "Middle-region loop runs for a column that does not exist",
    explanation:
      "The middle-column loop always runs at least once, starting at the first column after the left-padded ones. When that column is at or past the end of the output row, the kernel computes a column that does not exist and writes it outside the row.",
    fix: "Use a wider input or smaller left padding so at least one column lies after the left-padded ones.",
    evidence: {
      kernel: DW_KERNELS,
      observed: "the middle region's first column must be < Wo (it runs even when it should not); for 3x3 pad 1, widths <= 2 at stride 1 and <= 3 at stride 2 go wrong.",
    },
    test(c) {
      if (!genericDw(c)) return null;
      const a = analyzeColumns(c.width, c.kw, c.sw, c.pad.left, c.pad.right);
      if (!a.middleOutsideRow) return null;
      return {
        message:
          `${describeDw(c)}: the kernel's middle loop always runs once, here for output column ${a.middleStart} ` +
          `(the first column after the left-padded ones), but the row has only columns 0-${a.outWidth - 1}; ` +
          `it writes outside the output row.`,
        fix: columnFix(c),
      };
    },
  },
  {
    id: "dw-left-needs-right-pad",
    targets: BOTH,
    op: "depthwise",
    severity: "error",
    title: "Left-region column needs right padding",
    explanation:
      "Columns in the left region get their left pad taps zeroed but none on the right, so a window that also overhangs the right edge reads bytes past the end of the input row.",
    fix: "Widen the input or use less padding so that no window overhangs both edges.",
    evidence: { kernel: DW_KERNELS, observed: "no left-region column may need right padding." },
    test(c) {
      if (!genericDw(c)) return null;
      const a = analyzeColumns(c.width, c.kw, c.sw, c.pad.left, c.pad.right);
      if (a.leftNeedsRight.length === 0) return null;
      const x = a.leftNeedsRight[0];
      return {
        message:
          `${describeDw(c)}: ${columnsAre(a.leftNeedsRight)} in the left region but also need${a.leftNeedsRight.length === 1 ? "s" : ""} right padding ` +
          `(column ${x} needs ${plural(a.rightNeed(x), "pad tap")}), which the left-region code never zeroes: it reads past the end of the input row.`,
        fix: columnFix(c),
      };
    },
  },
  {
    id: "dw-middle-needs-right-pad",
    targets: BOTH,
    op: "depthwise",
    severity: "error",
    title: "Middle-region column needs right padding",
    explanation:
      "Middle-region columns copy kw input bytes and zero nothing, so a middle column whose window overhangs the right edge (for example the one forced by the run-at-least-once loop) reads past the end of the input row.",
    fix: "Use symmetric padding floor(kw/2) and a width at which the right-padded columns fall in the right region.",
    evidence: { kernel: DW_KERNELS, observed: "no middle-region column may need right padding." },
    test(c) {
      if (!genericDw(c)) return null;
      const a = analyzeColumns(c.width, c.kw, c.sw, c.pad.left, c.pad.right);
      if (a.middleNeedsRight.length === 0) return null;
      const x = a.middleNeedsRight[0];
      return {
        message:
          `${describeDw(c)}: ${columnsAre(a.middleNeedsRight)} computed by the middle-region code but need${a.middleNeedsRight.length === 1 ? "s" : ""} right padding ` +
          `(column ${x} needs ${plural(a.rightNeed(x), "pad tap")}); the middle code zeroes none, so it reads past the end of the input row.`,
        fix: columnFix(c),
      };
    },
  },
  {
    id: "dw-right-needs-left-pad",
    targets: BOTH,
    op: "depthwise",
    severity: "error",
    title: "Right-region column needs left padding",
    explanation:
      "Right-region columns zero only right pad taps. (With the kernel's loop order a right-region column never needs left padding; the rule is kept because the measurements list it as a condition.)",
    fix: "Widen the input so that no window overhangs both edges.",
    evidence: { kernel: DW_KERNELS, observed: "no right-region column may need left padding." },
    test(c) {
      if (!genericDw(c)) return null;
      const a = analyzeColumns(c.width, c.kw, c.sw, c.pad.left, c.pad.right);
      if (a.rightNeedsLeft.length === 0) return null;
      return {
        message: `${describeDw(c)}: ${columnsAre(a.rightNeedsLeft)} in the right region but need${a.rightNeedsLeft.length === 1 ? "s" : ""} left padding, which the right-region code never zeroes.`,
        fix: columnFix(c),
      };
    },
  },
  {
    id: "dw-right-pad-count",
    targets: BOTH,
    op: "depthwise",
    severity: "error",
    title: "Right-region column zeroes the wrong number of pad taps",
    explanation:
      "The right-region code zeroes max(floor(kw/2) - (W - x*sw - 1), 0) taps, i.e. it assumes padLeft == floor(kw/2). With less left padding (TF SAME at stride 2 on even widths: left 0, right 1) a pad tap is not zeroed and the byte after the row end is read; with more, real input taps are zeroed.",
    fix: "Use symmetric padding floor(kw/2) (for 3x3: 1 on each side).",
    evidence: {
      kernel: DW_KERNELS,
      observed:
        "every right-region column's rightNeed(x) must equal max(floor(kw/2) - (W - x*sw - 1), 0); TF SAME at stride 2 on even widths is wrong; a left pad larger than floor(kw/2) zeroes real taps.",
    },
    test(c) {
      if (!genericDw(c)) return null;
      const a = analyzeColumns(c.width, c.kw, c.sw, c.pad.left, c.pad.right);
      if (a.rightCountWrong.length === 0) return null;
      const shown = a.rightCountWrong.slice(0, 4).map((x) => {
        const need = a.rightNeed(x);
        const zeroed = a.rightZeroed(x);
        const effect =
          zeroed < need
            ? `reads ${plural(need - zeroed, "byte")} past the end of the input row`
            : `zeroes ${plural(zeroed - need, "real input tap")}`;
        return `column ${x} needs ${plural(need, "right pad tap")} but the kernel zeroes ${zeroed} (${effect})`;
      });
      const more = a.rightCountWrong.length > 4 ? `; and ${a.rightCountWrong.length - 4} more` : "";
      const assumed = c.kw - 1 - Math.floor(c.kw / 2); // = floor(kw/2) for odd kw
      const where = a.rightCountWrong.length === 1 ? `Output ${shown[0]}` : `In output ${formatColumns(a.rightCountWrong)}: ${shown.join("; ")}${more}`;
      return {
        message:
          `${describeDw(c)}: the right-region code zeroes max(floor(kw/2) - (W - x*sw - 1), 0) pad taps, ` +
          `which is right only for padLeft = ${assumed}. ${where}.`,
        fix: columnFix(c),
      };
    },
  },
  {
    id: "dw-dimincr-exceeds-kw",
    targets: BOTH,
    op: "depthwise",
    severity: "error",
    title: "Column-buffer over-write larger than the per-core guard",
    explanation:
      "The column buffer is filled with 4-byte copies, over-writing dimIncr = 4*ceil(kw/4) - kw bytes past each row; each core's slice has a guard of kw bytes. With dimIncr > kw (kw = 1) a core overwrites the next core's slice: a race on hardware even when a sequential run looks right.",
    fix: "Use a kernel at least 2 wide (embed a kw = 1 kernel in a 3-wide one with zero weights).",
    evidence: { kernel: DW_KERNELS, observed: "dimIncr = 4*ceil(kw/4) - kw must be <= kw, else the column buffer overruns the next core's slice." },
    test(c) {
      if (!genericDw(c)) return null;
      const dimIncr = 4 * ceilDiv(c.kw, 4) - c.kw;
      if (dimIncr <= c.kw) return null;
      return {
        message:
          `${c.kh}x${c.kw} depthwise: dimIncr = 4*ceil(${c.kw}/4) - ${c.kw} = ${dimIncr} exceeds kw = ${c.kw}; ` +
          `each core's column buffer overruns the next core's slice (a race on the board, even if a one-core run looks right).`,
        // dimIncr > kw happens only for kw = 1 (dimIncr 3); kw 2..: dimIncr <= 2 or kw >= 4.
        fix:
          `widen the kernel to ${c.kh}x3 with zero weights in the outer columns and add 1 more padding column ` +
          `on the left and on the right (the output size is unchanged)` +
          (c.kh * c.kw < 4 && c.target === "pulp-nn" ? `; or, with no horizontal padding, run pulp_nn_depthwise_less_4_weights` : ""),
      };
    },
  },
  {
    id: "dw-left-buffer-overrun",
    targets: BOTH,
    op: "depthwise",
    severity: "error",
    title: "Left-region column overruns the column buffer",
    explanation:
      "In the left region each column-buffer row is written as leftNeed zeros followed by 4-byte copies, over-writing leftNeed + dimIncr bytes; with more than kw the last row overruns the next core's slice: a race on hardware.",
    fix: "Use a smaller left padding (symmetric floor(kw/2)).",
    evidence: { kernel: DW_KERNELS, observed: "leftNeed(x) + dimIncr <= kw must hold for left-region columns, else the next core's slice is overrun." },
    test(c) {
      if (!genericDw(c)) return null;
      const a = analyzeColumns(c.width, c.kw, c.sw, c.pad.left, c.pad.right);
      if (a.leftOverrun.length === 0) return null;
      const x = a.leftOverrun[0];
      return {
        message:
          `${describeDw(c)}: in output ${formatColumns(a.leftOverrun)}, leftNeed + dimIncr exceeds kw ` +
          `(column ${x}: ${a.leftNeed(x)} + ${a.dimIncr} > ${c.kw}); each core's column buffer overruns the next core's slice (a race on the board).`,
        fix: columnFix(c),
      };
    },
  },

  // ----- pointwise -----
  {
    id: "pw-co-parallel-bias",
    targets: ["pulp-nn"],
    op: "pointwise",
    severity: "error",
    title: "Co_parallel pointwise with a bias",
    explanation: "PULP-NN's Co_parallel pointwise kernel computes wrong bytes when a bias is given. HoWo_parallel is exact.",
    fix: "Choose HoWo_parallel, or drop the bias (with pulp-bn, fold it into lambda: lambda + k*bias gives identical bytes).",
    evidence: { kernel: "PULP-NN pointwise Co_parallel", observed: "Co_parallel is wrong with a bias; HoWo_parallel is exact, leftovers included." },
    test(c) {
      // Decision: any bias array counts, even all zeros: the measurements do not say how the bias goes
      // wrong, so a zero bias is not known to be safe.
      if (c.kind !== "pointwise" || c.target !== "pulp-nn" || c.pointwise !== "Co_parallel" || !c.hasBias) return null;
      const fold = c.requant.scheme === "pulp-bn" ? "; or drop the bias and fold it into lambda (lambda + k*bias, identical bytes)" : "";
      return {
        message: `pointwise ${c.channels}->${c.outChannels} runs Co_parallel with a bias; that kernel is wrong with a bias.`,
        fix: `choose HoWo_parallel${fold}`,
      };
    },
  },
  {
    id: "pw-co-parallel-odd-width",
    targets: ["pulp-nn"],
    op: "pointwise",
    severity: "error",
    title: "Co_parallel pointwise with an odd width",
    explanation: "PULP-NN's Co_parallel pointwise kernel computes pixels in pairs; with an odd width the leftover pixel uses channel 0's weights.",
    fix: "Choose HoWo_parallel.",
    evidence: { kernel: "PULP-NN pointwise Co_parallel", observed: "wrong with an odd width: the leftover pixel uses channel 0's weights." },
    test(c) {
      if (c.kind !== "pointwise" || c.target !== "pulp-nn" || c.pointwise !== "Co_parallel" || c.width % 2 === 0) return null;
      return {
        message: `pointwise ${c.channels}->${c.outChannels} runs Co_parallel on odd width ${c.width}: the leftover pixel of each row (column ${c.width - 1}) uses channel 0's weights.`,
        fix: "choose HoWo_parallel (exact at any width)",
      };
    },
  },
  {
    id: "pw-hwc-to-chw-row-skip",
    targets: ["dory-fused"],
    op: "pointwise",
    severity: "error",
    title: "HWC-in/CHW-out pointwise skips rows",
    explanation: "The paper's pointwise that reads HWC and writes CHW skips rows wrongly when H % 8 != 0 and H > 4.",
    fix: "Choose a schedule whose pointwise writes HWC (e.g. pw-dw/HWC-HWC-HWC/…), or make the height a multiple of 8 (or at most 4).",
    evidence: { kernel: "the paper's HWC-in/CHW-out pointwise (fused schedules)", observed: "skips rows wrongly when H % 8 != 0 and H > 4." },
    test(c) {
      if (c.kind !== "pointwise" || c.target !== "dory-fused") return null;
      // Decision: H is the pointwise's full height. In row-tiled schedules the kernel may be
      // called on a few rows at a time; the check cannot know the tile height and uses the layer's.
      const H = c.height;
      if (H % 8 === 0 || H <= 4) return null;
      const affected = c.pointwiseIO.filter((io) => io.in === "HWC" && io.out === "CHW");
      if (affected.length === 0) return null;
      const all = affected.length === c.pointwiseIO.length;
      const safe = c.pointwiseIO.filter((io) => !(io.in === "HWC" && io.out === "CHW")).map((io) => io.schedule);
      const names = affected.map((io) => io.schedule).join(", ");
      const message = all
        ? `pointwise ${c.channels}->${c.outChannels} reads HWC and writes CHW (schedule ${names}) at height ${H}: H % 8 = ${H % 8} and H > 4, so the kernel skips rows.`
        : `pointwise ${c.channels}->${c.outChannels} at height ${H} (H % 8 = ${H % 8}, H > 4) would skip rows under ${names} (HWC in, CHW out); no schedule was given, so this depends on the one chosen.`;
      const alt = safe.length > 0 ? `choose ${safe.join(" or ")}` : "choose a schedule whose pointwise writes HWC";
      return {
        message,
        fix: `${alt}, or make the height a multiple of 8 (or at most 4)`,
        severity: all ? "error" : "warning",
      };
    },
  },

  // ----- requantization -----
  {
    id: "rq-quant-mult-uint16",
    targets: BOTH,
    op: "requant",
    severity: "error",
    title: "pulp-quant multiplier does not fit int16",
    explanation:
      "pulp_nn_quant_u8 takes its multiplier as int16, so a 16-bit unsigned multiplier >= 32768 acts as a negative one (m - 65536); with ReLU-only requantization every positive accumulator then gives 0. dwpw takes mult as int16 and rejects such values.",
    fix: "Halve the multiplier and reduce the shift by 1, or use pulp-bn (int32 k).",
    evidence: { kernel: "pulp_nn_quant_u8", observed: "the multiplier is int16, so a uint16 multiplier >= 32768 acts as negative." },
    test(c) {
      if (c.requant.scheme !== "pulp-quant") return null;
      const m = c.requant.mult;
      const d = c.requant.shift;
      if (m <= 32767) return null;
      if (m > 65535) {
        return {
          message: `pulp-quant multiplier ${m} does not fit in 16 bits at all; the kernel keeps only its low 16 bits (int16).`,
          fix: `use pulp-bn with k = ${m} and lambda = 0 (int32 k), or scale the multiplier below 32768 and reduce the shift to match`,
        };
      }
      return {
        message:
          `pulp-quant multiplier ${m} is >= 32768: pulp_nn_quant_u8 reads it as int16 ${m - 65536}, so (ReLU-only) every positive ` +
          `accumulator gives output 0 on the board. dwpw rejects mult > 32767 (pass ${m - 65536} to reproduce the board).`,
        fix: uint16MultFix(m, d),
      };
    },
  },
  {
    id: "rq-quant-mult-negative",
    targets: BOTH,
    op: "requant",
    severity: "warning",
    title: "pulp-quant multiplier is negative",
    explanation:
      "A negative multiplier with ReLU-only requantization sends every positive accumulator to 0. dwpw and the board agree on these bytes, but this is what a uint16 multiplier >= 32768 becomes after conversion to int16, which is rarely what the model means.",
    fix: "If the multiplier was uint16 (m = mult + 65536), halve it and reduce the shift by 1, or use pulp-bn (int32 k).",
    evidence: { kernel: "pulp_nn_quant_u8", observed: "the multiplier is int16, so a uint16 multiplier >= 32768 acts as negative." },
    test(c) {
      // Decision: not a mismatch between dwpw and the board (both use the int16 value), so a
      // warning rather than an error: it flags the likely porting mistake.
      if (c.requant.scheme !== "pulp-quant" || c.requant.mult >= 0) return null;
      const m = c.requant.mult;
      const u = m + 65536;
      const asUint = u >= 32768 && u <= 65535 ? `; if it came from a uint16 multiplier ${u}, the layer does not compute what the model intends` : "";
      return {
        message: `pulp-quant multiplier ${m} is negative: with ReLU-only requantization every positive accumulator gives output 0 (dwpw and the board agree)${asUint}.`,
        fix: u >= 32768 && u <= 65535 ? `if ${u} was meant: ${uint16MultFix(u, c.requant.shift)}` : "use a positive multiplier",
      };
    },
  },
  {
    id: "rq-no-relu-fallback",
    targets: BOTH,
    op: "requant",
    severity: "error",
    title: "Batch-norm requantization without the ReLU flag falls back to a plain shift",
    explanation:
      "The kernels pick batch-norm + ReLU only when both flags are set; batch-norm without ReLU silently runs the plain shift (k and lambda ignored). dwpw's pulp-bn includes the ReLU (the uint8 clamp at 0).",
    fix: "Call the kernel with the ReLU flag set: with uint8 output the clamp at 0 already acts as a ReLU, so the bytes equal dwpw's pulp-bn.",
    evidence: {
      kernel: "PULP-NN requantization dispatch (pulp_nn_bn_quant_u8 / pulp_nn_quant_u8 / shift)",
      observed: "batch-norm without ReLU silently falls back to pulp-shift.",
    },
    test(c) {
      if (c.relu) return null;
      if (c.requant.scheme === "pulp-bn") {
        return {
          message: `pulp-bn requantization with the kernel's ReLU flag off: the kernel ignores k and lambda and computes clipU8(acc >> ${c.requant.shift}) instead.`,
          fix: "set the ReLU flag (with uint8 output the result equals dwpw's pulp-bn), or fold k and lambda into the weights and bias and use pulp-shift",
        };
      }
      // Decision: the measurements cover the batch-norm case. pulp-quant is ReLU-only by definition
      // and reaches pulp_nn_quant_u8 through the same ReLU flag, so with the flag off it falls
      // back to the same plain shift; flagged here too.
      if (c.requant.scheme === "pulp-quant") {
        return {
          message: `pulp-quant requantization with the kernel's ReLU flag off: the kernel ignores the multiplier ${c.requant.mult} and computes clipU8(acc >> ${c.requant.shift}) instead.`,
          fix: "set the ReLU flag, or fold the multiplier into the weights and bias and use pulp-shift",
        };
      }
      return null;
    },
  },
  {
    id: "rq-shift-range",
    targets: BOTH,
    op: "requant",
    severity: "error",
    title: "Requantization shift outside 0..31",
    explanation: "The hardware shifter uses 5 bits: shifts of 32 or more are undefined. dwpw rejects them.",
    fix: "Use a shift in 0..31 (scale k / lambda or the multiplier down instead).",
    evidence: { kernel: "PULP-NN requantization (GAP8 shifter)", observed: "shifts >= 32 are undefined (5-bit shifter)." },
    test(c) {
      if (!isPulp(c.requant)) return null;
      const d = c.requant.shift;
      // Decision: a negative shift is just as undefined in C; reported by the same rule.
      if (d >= 0 && d <= 31) return null;
      const fix =
        d > 31 && c.requant.scheme === "pulp-bn"
          ? `use shift 31 and divide k and lambda by 2^${d - 31} (the shifter only takes 0..31)`
          : d > 31 && c.requant.scheme === "pulp-quant"
            ? `use shift 31 and divide the multiplier by 2^${d - 31}`
            : "use a shift in 0..31";
      return {
        message: `${c.requant.scheme} shift ${d} is outside 0..31: the 5-bit shifter makes it undefined on the board (dwpw rejects it).`,
        fix,
      };
    },
  },
  {
    id: "rq-scheme-not-pulp",
    targets: BOTH,
    op: "requant",
    severity: "info",
    title: "Requantization the PULP-NN kernels do not implement",
    explanation:
      "PULP-NN and the fused kernels requantize only with pulp-bn, pulp-quant or pulp-shift; a layer described with another scheme cannot produce dwpw's bytes for that scheme on the board.",
    fix: "Describe the layer with the requantization the deployment generates (usually pulp-bn).",
    evidence: {
      kernel: "PULP-NN / DORY requantization",
      observed: "not from the host measurements: SPEC §3 names pulp-bn, pulp-quant and pulp-shift as the PULP-NN / DORY arithmetic (decision: reported as info).",
    },
    test(c) {
      if (isPulp(c.requant)) return null;
      return {
        message: `requantization scheme ${c.requant.scheme} is not one the PULP-NN / DORY kernels run; the geometry was checked, but the board's bytes depend on how the deployment converts the requantization.`,
        fix: "check the layer with the requantization the deployment generates (pulp-bn, pulp-quant or pulp-shift)",
      };
    },
  },
];
