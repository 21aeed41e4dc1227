// The shared data folder `../shared` (beside the clone: test vectors, TFLite models and runtime
// dumps, NNTool records) is not part of the repository. Suites that read it skip when it is absent,
// saying so on one line, so that a clone elsewhere still passes its own tests; `.ci/run` refuses to
// run without it, so CI never skips them silently.
//
//   describeShared("TFLite Micro dumps", ["tflite/ref"], () => { ...tests reading ../shared... });
//   test.skipIf(sharedMissing("tflite/models")) ... with `skipMeta(...)` as its options
//
// A skipped test carries its reason in `meta.skipReason` (./skip.ts), which the JSON results (and so
// the list `.ci/run` prints at the end) include.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, test } from "vitest";
import { skipMeta } from "./skip.js";

export { skipMeta };

/**
 * Absolute path of `../shared/`, with a trailing slash. DWPW_TEST_SHARED points the suites at
 * another folder (e.g. one that does not exist, to see what a clone without the data runs).
 */
export const SHARED = process.env.DWPW_TEST_SHARED
  ? `${process.env.DWPW_TEST_SHARED.replace(/\/+$/, "")}/`
  : fileURLToPath(new URL("../../../shared/", import.meta.url));

let told = false;

/**
 * Null when `../shared` and each of `parts` (paths inside it) exist; otherwise the reason the tests
 * needing them skip. The first missing answer in a test file prints that reason once.
 */
export function sharedMissing(...parts: string[]): string | null {
  const absent = !existsSync(SHARED) ? "" : parts.find((p) => !existsSync(SHARED + p));
  if (absent === undefined) return null;
  const reason = absent === ""
    ? "../shared (the shared data folder beside the clone) is absent"
    : `../shared/${absent} is absent`;
  if (!told) {
    told = true;
    console.warn(`skipping the tests that read ../shared: ${reason}`);
  }
  return reason;
}

/**
 * A suite that reads `../shared/<parts>`: `body` declares its tests. Without the data the suite is
 * skipped (`describe.skipIf`) and `body` is not called (it would read the files to name its
 * tests); one stand-in test carries the reason instead.
 */
export function describeShared(title: string, parts: string[], body: () => void): void {
  const reason = sharedMissing(...parts);
  describe.skipIf(reason !== null)(title, skipMeta(reason), () => {
    if (reason === null) body();
    else test(`needs ${parts.length > 0 ? parts.map((p) => `../shared/${p}`).join(", ") : "../shared"}`, () => {});
  });
}
