// Two projects: "node" runs every suite in Node; "chromium" runs the suites that check bytes (shared
// vectors, properties against the reference, scratchpad blocks, the engine API) again in headless
// Chromium through Vitest's browser mode, so the package is tested where its users run it.
// Chromium is Debian's /usr/bin/chromium (.ci/run installs it with apt; no browser download).
import { fileURLToPath } from "node:url";
import { playwright } from "@vitest/browser-playwright";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";
import { chromiumLaunchOptions } from "./test/browser/chromium.mjs";
import { nodeDigests } from "./test/browser/commands.js";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Shared suites that also run in Chromium: the ones that check bytes (vectors, properties against
 * the reference, scratchpad blocks) and the engine API, plus the pure rules table. They use no
 * node:* API beyond what test/browser/ stands in for. Suites that spawn processes, read models
 * from disk or run onnxruntime-node stay in Node; test/browser/same-bytes.test.ts covers whole
 * MobileNets in Chromium against Node.
 */
const BROWSER_SUITES = [
  "test/kernels.vectors.test.ts",
  "test/kernels.property.test.ts",
  "test/kernels.api.test.ts",
  "test/reference.test.ts",
  "test/block.test.ts",
  "test/check.test.ts",
];

/**
 * The Node loader test/helpers/vectors.ts lists and reads files with node:fs; in the browser the
 * suites get test/browser/vectors.ts instead (same exports, the files bundled by Vite).
 */
function browserVectors(): Plugin {
  const nodeLoader = here("./test/helpers/vectors.ts");
  const browserLoader = here("./test/browser/vectors.ts");
  return {
    name: "dwpw:browser-vectors",
    enforce: "pre",
    async resolveId(source, importer, options) {
      if (!importer || importer === browserLoader || !source.endsWith("vectors.js")) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      return resolved?.id === nodeLoader ? browserLoader : null;
    },
  };
}

export default defineConfig({
  test: {
    testTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          include: ["test/**/*.test.ts"],
          // test/browser/ holds browser-only tests; the page's end-to-end test (test/e2e/) runs from Node.
          exclude: ["test/browser/**"],
          pool: "threads",
        },
      },
      {
        extends: true,
        plugins: [browserVectors()],
        resolve: {
          alias: [
            { find: /^node:path$/, replacement: here("./test/browser/shims/node-path.ts") },
            { find: /^node:fs$/, replacement: here("./test/browser/shims/node-fs.ts") },
            { find: /^node:url$/, replacement: here("./test/browser/shims/node-url.ts") },
          ],
        },
        // The shared vectors sit beside the project root (../shared), outside what Vite serves by default.
        server: { fs: { allow: [here("."), here("../shared")] } },
        test: {
          name: "chromium",
          include: [...BROWSER_SUITES, "test/browser/**/*.test.ts"],
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: chromiumLaunchOptions() }),
            instances: [{ browser: "chromium" }],
            commands: { nodeDigests },
            screenshotFailures: false,
          },
        },
      },
    ],
  },
});
