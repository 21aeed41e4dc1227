// The drift report as a readable table: one row per layer, one column group per target, and the
// outputs' agreement at the end.
import type { CompareReport, LayerDrift } from "./index.js";

function num(v: number, digits = 2): string {
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(digits);
}

function cell(d: LayerDrift | undefined): string {
  if (!d) return "-";
  if (d.differing === 0) return "same";
  const pct = (100 * d.differing) / Math.max(d.values, 1);
  return `${pct < 0.1 ? "<0.1" : pct.toFixed(1)}% ±${num(d.maxAbsSteps, 1)} ${num(d.sqnrDb, 1)}dB`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join("  ").trimEnd());
}

/** The report as text: per layer, each target's share of differing values, largest step and SQNR. */
export function formatCompare(r: CompareReport): string {
  const others = r.targets.filter((t) => t !== r.reference);
  const lines: string[] = [];
  lines.push(`reference: ${r.reference}; ${r.inputs} input${r.inputs === 1 ? "" : "s"}; per target: share of values that differ, largest difference in reference steps, SQNR`);
  lines.push("");
  const head = ["layer", "kind", ...others];
  const rows = r.layers.map((l) => [l.index !== undefined ? `${l.index} ${l.name}` : l.name, l.kind, ...others.map((t) => cell(l.byTarget[t]))]);
  lines.push(...table([head, ...rows]));
  lines.push("");
  if (r.firstDivergence) {
    const f = r.firstDivergence;
    lines.push(`first divergence: ${f.index !== undefined ? `tensor ${f.index} ` : ""}"${f.name}" (${f.kind}) under ${f.targets.join(", ")}`);
    if (f.why) lines.push(`  why: ${f.why}`);
  } else {
    lines.push("no layer differs");
  }
  for (const o of r.outputs) {
    for (const t of others) {
      const d = o.byTarget[t];
      if (!d) continue;
      lines.push(`output "${o.name}" under ${t}: top-1 agreement ${(100 * d.top1Agreement).toFixed(1)}%, ${d.differing} values differ, largest ${num(d.maxAbsReal, 4)} (real units)`);
    }
  }
  return lines.join("\n");
}
