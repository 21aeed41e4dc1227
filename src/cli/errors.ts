// How the dwpw CLI fails: which exit code an error gets, and its one line of text in the terms of
// the command line (flags, not the library's option fields).
//
// Exit codes:
//   2  usage error: the command line itself is malformed (unknown command or option, a missing
//      value, a value that is not a well-formed number or not one of the choices). The usage text
//      follows the message.
//   1  value error: the command line is well formed but cannot be carried out (a number out of
//      range, memory sizes that do not fit a block, a file that cannot be read or is too large, a
//      model dwpw cannot run), or the command ran and found a problem (bytes that differ from the
//      reference, deployment errors).
import { L1OverflowError } from "../scratchpad/plan.js";

/** A malformed command line: exit code 2, followed by the usage text. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A well-formed command line that cannot be carried out: exit code 1. */
export class ValueError extends RangeError {
  override name = "ValueError";
}

/** The single place that maps an error to an exit code. */
export function exitCode(e: unknown): 1 | 2 {
  return e instanceof UsageError ? 2 : 1;
}

/**
 * The library names its options as API fields (`memory.l1Usable`, `options.alpha`); the CLI user
 * typed flags. One table, applied to every message the CLI prints.
 */
const FIELD_FLAGS: ReadonlyArray<[RegExp, string]> = [
  [/\b(?:options\.)?memory\.l1Usable\b/g, "--l1-usable"],
  [/\b(?:options\.)?memory\.l1\b/g, "--l1"],
  [/\b(?:options\.)?memory\.l2\b/g, "--l2"],
  [/\b(?:options\.)?memory\.dma\b/g, "--dma"],
  [/\b(?:options\.)?memory\.doubleBuffer\b/g, "--double-buffer"],
  [/\boptions\.latency\.overlap\b/g, "--overlap"],
  [/\boptions\.alpha\b/g, "--alpha"],
  [/\boptions\.resolution\b/g, "--resolution"],
  [/\boptions\.padding\b/g, "--padding"],
  [/\boptions\.scheme\b/g, "--scheme"],
  [/\boptions\.layout\b/g, "--layout"],
  [/\boptions\.objective\b/g, "--objective"],
  [/\boptions\.seed\b/g, "--seed"],
  [/\boptions\.addRounding\b/g, "--add-rounding"],
  [/\boptions\.u8s8\b/g, "--u8s8"],
  [/\boptions\.engine\b/g, "--engine"],
  [/\boptions\.target\b/g, "--target"],
  [/\boptions\.targets\b/g, "--targets"],
  [/\boptions\.reference\b/g, "--reference"],
  [/\boptions\.pointwise\b/g, "--pointwise"],
  [/\boptions\.depthwiseKernel\b/g, "--depthwise-kernel"],
];

/** A library message in flags: `memory.l1 (20000) ...; set memory.l1Usable too` -> `--l1 20000 ...; set --l1-usable too`. */
export function inFlags(message: string): string {
  let m = message;
  for (const [re, flag] of FIELD_FLAGS) m = m.replace(re, flag);
  return m
    .replace(/(--[a-z0-9-]+) \(([^()\s]+)\)/g, "$1 $2") // "--l1 (20000)" -> "--l1 20000"
    .replace(/(--[a-z0-9-]+): true\b/g, "$1"); // "needs --double-buffer: true" -> "needs --double-buffer"
}

/** What an L1 overflow means for the flags that set L1. */
function l1Message(e: L1OverflowError): string {
  const what = e.schedule === "unfused" ? "the unfused schedule" : e.schedule.startsWith("unfused ") ? `its ${e.schedule.slice("unfused ".length)} alone` : `schedule ${e.schedule}`;
  const need = Number.isFinite(e.needBytes) ? `the smallest tiling of ${what} needs ${e.needBytes} B` : `no tiling of ${what} fits`;
  return `does not fit in L1: ${e.usableBytes} B usable by tiles (--l1-usable), and ${need}; raise --l1-usable or --l1`;
}

/** The one line printed for a failure (without the `dwpw <command>: ` prefix). */
export function errorMessage(e: unknown): string {
  if (e instanceof L1OverflowError) return `a block ${l1Message(e)}`;
  const text = e instanceof Error ? e.message : String(e);
  return inFlags(text.split("\n")[0]!.trim() || (e instanceof Error ? e.name : "error"));
}

/**
 * Runs `attempt` for each block, in order, and returns the error of the first that fails, prefixed
 * with the block's label; `fallback` when none fails on its own. Used to say which block an
 * infeasible option (e.g. an L1 too small) breaks, when the library reports only the schedule.
 */
export function blameBlock(fallback: unknown, blocks: Iterable<{ label: string; attempt: () => unknown }>): unknown {
  for (const b of blocks) {
    try {
      b.attempt();
    } catch (e) {
      return new ValueError(e instanceof L1OverflowError ? `${b.label} ${l1Message(e)}` : `${b.label}: ${errorMessage(e)}`);
    }
  }
  return fallback;
}
