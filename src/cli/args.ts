// A small argument parser for the dwpw CLI: `--name value`, `--name=value`, `--flag`, positionals.
// Errors are UsageErrors: the CLI prints their one line and exits with code 2.

export class UsageError extends Error {
  override name = "UsageError";
}

export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string | true>;
}

/**
 * Splits argv into positionals and options; `flags` names the options that take no value. With
 * `known` (every option, flags included), an unknown option is rejected where it appears.
 */
export function parseArgs(argv: string[], flags: readonly string[] = [], known?: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith("--")) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (known && !known.includes(name)) throw new UsageError(`unknown option --${name} (known: ${known.map((o) => "--" + o).join(", ")})`);
    if (eq > 0 && flags.includes(name)) throw new UsageError(`--${name} takes no value`);
    if (eq > 0) options.set(name, a.slice(eq + 1));
    else if (flags.includes(name)) options.set(name, true);
    else {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`--${name} needs a value`);
      options.set(name, v);
      i++;
    }
  }
  return { positionals, options };
}

/** Rejects options the command does not know. */
export function onlyOptions(args: ParsedArgs, known: readonly string[]): void {
  for (const k of args.options.keys()) if (!known.includes(k)) throw new UsageError(`unknown option --${k} (known: ${known.map((o) => "--" + o).join(", ")})`);
}

export function stringOpt(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
}

export function intOpt(args: ParsedArgs, name: string): number | undefined {
  const v = stringOpt(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got ${v}`);
  return n;
}

export function choiceOpt<T extends string>(args: ParsedArgs, name: string, choices: readonly T[]): T | undefined {
  const v = stringOpt(args, name);
  if (v === undefined) return undefined;
  if (!choices.includes(v as T)) throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got ${v}`);
  return v as T;
}
