// The `dwpw` command line: `dwpw <command> [options]`. Dispatches to the commands and is the one
// place where a failure becomes its line on stderr and its exit code (errors.ts).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { wantsHelp } from "./args.js";
import { errorMessage, exitCode, UsageError } from "./errors.js";
import { MAX_MODEL_BYTES } from "./files.js";
import { COMMANDS } from "./commands/index.js";

/** The package's version, from the package.json above this file (in dist/ or in a build of src/). */
export function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === "dwpw" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // no package.json here: look further up
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return "unknown";
}

function help(): string {
  const names = Object.keys(COMMANDS);
  const w = Math.max(...names.map((n) => n.length));
  return [
    "usage: dwpw <command> [options]",
    "       dwpw --version",
    "",
    ...names.map((n) => `  ${n.padEnd(w)}  ${COMMANDS[n]!.summary}`),
    "",
    "dwpw <command> --help shows a command's options.",
    "",
    "Numbers are decimal. Model files (ONNX or TFLite, told apart by content) are read only if they",
    `are regular files of at most ${MAX_MODEL_BYTES / 2 ** 20} MiB; an input file (run --input, the files of compare --inputs DIR)`,
    "must have exactly the size the model takes.",
    "",
    "Exit codes: 0 success; 1 the command could not be carried out or found a problem (a value out",
    "of range, memory sizes a block does not fit, a file that cannot be read, a model dwpw cannot",
    "run, bytes that differ from the reference, deployment errors); 2 a malformed command line",
    "(unknown command or option, a missing value, a number that is not a decimal, a value not among",
    "the choices).",
  ].join("\n");
}

/** Runs the CLI on argv (without node and the script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" ? rest[0] : undefined;
    if (topic !== undefined && Object.hasOwn(COMMANDS, topic)) {
      console.log(COMMANDS[topic]!.usage);
      return 0;
    }
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V") {
    console.log(`dwpw ${version()}`);
    return 0;
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    const what = name.startsWith("-") ? `unknown option ${name.split("=")[0]}` : `unknown command "${name}"`;
    console.error(`dwpw: ${what}\n\n${help()}`);
    return 2;
  }
  const cmd = COMMANDS[name]!;
  if (wantsHelp(rest)) {
    console.log(cmd.usage);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    const code = exitCode(e);
    console.error(`dwpw ${name}: ${errorMessage(e)}${e instanceof UsageError ? `\n\n${cmd.usage}` : ""}`);
    if (process.env.DWPW_DEBUG && e instanceof Error && e.stack) console.error(e.stack);
    return code;
  }
}
