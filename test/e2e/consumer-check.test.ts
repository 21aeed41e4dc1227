// The packed tarball in a Vite app in Chromium: runs scripts/consumer-check.mjs (npm pack of a
// clean copy, install, type-check, bundle, Chromium vs Node on the vectors) as its own process.
// --reuse-wasm: the pretest of `npm test` has just built the WebAssembly from these sources.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { sharedMissing, skipMeta } from "../helpers/shared.js";

/** The check runs the test vectors of ../shared/vectors; without them it skips (test/helpers/shared.ts). */
const noVectors = sharedMissing("vectors");

it.skipIf(noVectors)("the packed package bundles with Vite and gives the vectors' bytes in Chromium, equal to Node's", { ...skipMeta(noVectors), timeout: 450_000 }, async () => {
  const script = fileURLToPath(new URL("../../scripts/consumer-check.mjs", import.meta.url));
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(process.execPath, [script, "--reuse-wasm"], { timeout: 420_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
    );
  });
  expect(output, "consumer-check output").toMatch(/consumer-check: OK/);
  expect(code, output).toBe(0);
});
