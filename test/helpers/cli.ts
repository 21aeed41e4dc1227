// The dwpw CLI as a child process, for the CLI suites: a private build of src/ (compiledPackage),
// run with arguments, and what a failure must look like.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";
import { ROOT, compiledPackage } from "./robustness.js";

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The compiled CLI entry (builds src/ once per test process; call from beforeAll). */
export function cliPath(): string {
  return join(compiledPackage(), "cli", "dwpw.js");
}

/** Runs `node <cli> ...args` in the project root. */
export function runCli(cli: string, args: string[], timeout = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: ROOT, timeout, encoding: "utf8", maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A failure: the exit code, nothing on stdout, the message as the first line of stderr, no stack. */
export function expectFailure(r: Run, code: 1 | 2, first: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe("");
  expect(r.stderr.split("\n")[0]).toMatch(first);
  expect(r.stderr).not.toMatch(/^\s+at\s/m);
  // Value errors are one line; usage errors add the usage text.
  if (code === 1) expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  else expect(r.stderr).toMatch(/\n\nusage: dwpw /);
}
