// The dwpw CLI's commands. Each lives in its own file and registers here.
import { report } from "./report.js";
import { run } from "./run.js";
import { plan } from "./plan.js";
import { check } from "./check.js";
import { compare } from "./compare.js";
import { selftest } from "./selftest.js";

export interface Command {
  /** One line for `dwpw help`. */
  summary: string;
  /** Full usage text (`dwpw <command> --help`). */
  usage: string;
  /** Runs the command; resolves to the process exit code. Throws UsageError for a malformed command line. */
  run(argv: string[]): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  report,
  run,
  plan,
  check,
  compare,
  selftest,
};
