// Command-line parsing for dwpw on Node's util.parseArgs (strict), with the commands' flags
// declared once (name, value placeholder, help) so that parsing, `--help` and error messages agree.
//
// Numbers are decimal only. A value that is not a well-formed number (`0x10`, `1e3`, `1.5` for an
// integer, `abc`) is a usage error; a well-formed number out of its range is a value error (see
// errors.ts for the exit codes).
import { parseArgs as nodeParseArgs } from "node:util";
import { UsageError, ValueError } from "./errors.js";

export { UsageError, ValueError };

/** One option of a command. */
export interface Flag {
  /** The long name, without `--`. */
  name: string;
  /** Placeholder of the value (e.g. `B`, `FILE`); absent for a flag that takes no value. */
  value?: string;
  /** Help text; `\n` starts a continuation line aligned with the first. */
  help: string;
}

/** Every command takes these. */
const HELP_FLAG: Flag = { name: "help", help: "show this help" };

/** Formats flags as aligned help lines. */
export function flagLines(flags: readonly Flag[]): string[] {
  const head = (f: Flag) => `  --${f.name}${f.value ? ` ${f.value}` : ""}`;
  const w = Math.max(...flags.map((f) => head(f).length)) + 2;
  const lines: string[] = [];
  for (const f of flags) {
    const [first, ...rest] = f.help.split("\n");
    lines.push(`${head(f).padEnd(w)}${first}`);
    for (const r of rest) lines.push(`${" ".repeat(w)}${r}`);
  }
  return lines;
}

/** A command's usage text: the synopsis, a description, and its flags (with --help). */
export function usageText(synopsis: string, description: string, flags: readonly Flag[]): string {
  return [`usage: ${synopsis}`, "", description, "", ...flagLines([...flags, HELP_FLAG])].join("\n");
}

/** Whether argv asks for help (`--help` or `-h` before any `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}

/** Edit distance, for "did you mean" hints on misspelt options. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length]!;
}

function unknownOption(raw: string, flags: readonly Flag[]): UsageError {
  const name = raw.replace(/^-+/, "").split("=")[0]!;
  const near = flags.map((f) => f.name).filter((n) => distance(n, name) <= Math.max(1, Math.floor(n.length / 4)));
  const hint = near.length ? `; did you mean ${near.map((n) => `--${n}`).join(" or ")}?` : "";
  return new UsageError(`unknown option ${raw.split("=")[0]}${hint}`);
}

const shown = (v: string) => (v === "" ? '""' : v);

/** Parsed command line: positionals and typed accessors that validate as they read. */
export class Args {
  constructor(
    readonly positionals: string[],
    private readonly values: Record<string, string | boolean | undefined>,
  ) {}

  /** Whether a flag without value was given. */
  has(name: string): boolean {
    return this.values[name] === true;
  }

  string(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === "string" ? v : undefined;
  }

  /** A decimal integer in [min, max]. */
  int(name: string, min = 1, max = 2 ** 31): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!/^[+-]?[0-9]+$/.test(v)) throw new UsageError(`--${name} must be a decimal integer, got ${shown(v)}`);
    const n = Number(v);
    if (n < min || n > max) throw new ValueError(`--${name} must be an integer from ${min} to ${max}, got ${v}`);
    return n;
  }

  /** A decimal number (digits with an optional fraction; no exponent, no hex, no Infinity). */
  number(name: string): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!/^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$/.test(v)) throw new UsageError(`--${name} must be a decimal number, got ${shown(v)}`);
    return Number(v);
  }

  choice<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!choices.includes(v as T)) throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got ${v}`);
    return v as T;
  }

  /** Exactly `n` positionals, named in the errors by `names`. */
  expectPositionals(...names: string[]): string[] {
    const p = this.positionals;
    if (p.length < names.length) throw new UsageError(`missing ${names[p.length]}`);
    if (p.length > names.length) throw new UsageError(`unexpected argument ${p[names.length]}`);
    return p;
  }
}

/**
 * Parses argv against the command's flags. Unknown options, missing values, values given to flags
 * that take none, and options given twice are usage errors.
 */
export function parseArgs(argv: readonly string[], flags: readonly Flag[]): Args {
  const all = [...flags, HELP_FLAG];
  const takesValue = new Set(all.filter((f) => f.value).map((f) => f.name));
  // util.parseArgs refuses a value that starts with "-" (`--l1 -5`) as ambiguous. Negative numbers
  // and "-" (stdin) are values here: any token after an option that takes a value, other than an
  // option itself, is its value.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (a.startsWith("--") && !a.includes("=") && takesValue.has(a.slice(2)) && next !== undefined && next.startsWith("-") && !next.startsWith("--") && next !== "-h") {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  const options = Object.fromEntries(all.map((f) => [f.name, { type: f.value ? ("string" as const) : ("boolean" as const), ...(f.name === "help" ? { short: "h" } : {}) }]));
  let parsed;
  try {
    parsed = nodeParseArgs({ args, options, strict: true, allowPositionals: true, tokens: true });
  } catch (e) {
    // Node's messages speak of its own syntax; say what is wrong in this command's terms.
    const code = (e as { code?: string }).code;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const bad = args.find((a) => a !== "-" && a.startsWith("-") && !all.some((f) => a === `--${f.name}` || a.startsWith(`--${f.name}=`) || (f.name === "help" && a === "-h")));
      throw unknownOption(bad ?? String((e as Error).message), all);
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      const loose = nodeParseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
      for (const t of loose.tokens ?? []) {
        if (t.kind !== "option") continue;
        if (takesValue.has(t.name) && (t.value === undefined || (!t.inlineValue && t.value.startsWith("--")))) throw new UsageError(`--${t.name} needs a value`);
        if (!takesValue.has(t.name) && t.value !== undefined) throw new UsageError(`--${t.name} takes no value`);
      }
    }
    throw new UsageError((e as Error).message.split("\n")[0]!);
  }
  const seen = new Set<string>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== "option") continue;
    if (seen.has(t.name)) throw new UsageError(`--${t.name} is given more than once`);
    seen.add(t.name);
  }
  return new Args(parsed.positionals, parsed.values as Record<string, string | boolean | undefined>);
}
