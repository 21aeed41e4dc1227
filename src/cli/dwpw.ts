#!/usr/bin/env node
// The `dwpw` command line: `dwpw <command> [options]`; `dwpw help` lists the commands.
import { UsageError } from "./args.js";
import { COMMANDS } from "./commands/index.js";

function help(): string {
  const names = Object.keys(COMMANDS);
  const w = Math.max(...names.map((n) => n.length));
  return ["usage: dwpw <command> [options]", "", ...names.map((n) => `  ${n.padEnd(w)}  ${COMMANDS[n]!.summary}`), "", "dwpw <command> --help shows a command's options."].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`dwpw: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(cmd.usage);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`dwpw ${name}: ${e.message}\n\n${cmd.usage}`);
      return 2;
    }
    if (e instanceof RangeError || e instanceof TypeError) {
      console.error(`dwpw ${name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 1;
  },
);
