// The dwpw CLI's commands. Each lives in its own file and registers here.
import { report } from "./report.js";
import { run } from "./run.js";
import { plan } from "./plan.js";
import { check } from "./check.js";

export interface Command {
  /** One line for `dwpw help`. */
  summary: string;
  /** Full usage text. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  report,
  run,
  plan,
  check,
};
