// Browser commands of the chromium project (run in Node, called from tests in the page through
// `commands` of vitest/browser). Imported by vitest.config.ts.
import { fileURLToPath } from "node:url";
import type { BrowserCommand } from "vitest/node";

/** The workload of workload.ts computed in Node (loaded through Vite's module runner, as TypeScript). */
export const nodeDigests: BrowserCommand<[]> = async () => {
  const { runnerImport } = await import("vite");
  const path = fileURLToPath(new URL("./workload.ts", import.meta.url));
  const { module } = await runnerImport<typeof import("./workload.js")>(path, { configFile: false, logLevel: "error" });
  return module.workloadDigests();
};

declare module "vitest/browser" {
  interface BrowserCommands {
    /** Digests of test/browser/workload.ts computed in Node. */
    nodeDigests: () => Promise<Record<string, string>>;
  }
}
