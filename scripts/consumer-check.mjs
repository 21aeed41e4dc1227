#!/usr/bin/env node
// Does the published package work for a real bundler? `npm pack` a clean copy of the project (the
// files git tracks or would track; its `prepare` builds the WebAssembly and dist/ from scratch
// there, so a stale dist/ here cannot leak into the tarball and nothing in the work tree is
// rewritten while tests run), install the tarball into a throwaway app in a temp dir, type-check
// a consumer file against it, bundle the app with Vite, open it in headless Chromium (Debian's,
// through playwright-core) and check that the kernels give the test vectors' bytes there, and the
// same digest as the same workload run in Node on the same installed tarball.
// test/e2e/consumer-check.test.ts runs it under `npm test`.
//
// Usage: npm run consumer-check [-- --keep] [-- --reuse-wasm]
//   --keep        leave the temp dir for a look
//   --reuse-wasm  take src/wasm/*.generated.ts as built here instead of running asc again (what
//                 `npm test` does: its pretest has just built them); dist/ is still built fresh
// Needs: /usr/bin/chromium (apt-get install chromium) and ../shared/vectors beside the project.
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { build, createLogger, preview } from "vite";
import { chromiumLaunchOptions } from "../test/browser/chromium.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const template = join(root, "test/browser/consumer-app");
const vectorsDir = join(root, "../shared/vectors");
const keep = process.argv.includes("--keep");
const reuseWasm = process.argv.includes("--reuse-wasm");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

const step = (msg) => console.log(`consumer-check: ${msg}`);
const sh = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });

/**
 * Copies what a fresh clone (with this work tree's changes) has: the files git tracks or would
 * track, not the ignored build outputs and generated models. `prepare` rebuilds the rest.
 */
function stage(dest) {
  const files = sh("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], root).split("\0").filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(root, f))) continue; // deleted in the work tree, not yet in the index
    mkdirSync(dirname(join(dest, f)), { recursive: true });
    copyFileSync(join(root, f), join(dest, f));
  }
  if (reuseWasm) {
    // The wasm bytes and the host's half of the interface generated with them (scripts/gen-interface.mjs).
    for (const f of readdirSync(join(root, "src/wasm")).filter((n) => n.endsWith(".generated.ts"))) copyFileSync(join(root, "src/wasm", f), join(dest, "src/wasm", f));
  }
}

const tmp = mkdtempSync(join(tmpdir(), "dwpw-consumer-"));
const pkg = join(tmp, "pkg");
const app = join(tmp, "app");
let browser;
let server;
let failed = false;
try {
  step(`npm pack of a clean copy (${reuseWasm ? "dist/ built, WebAssembly reused" : "prepare builds the WebAssembly and dist/"}) in ${tmp}`);
  stage(pkg);
  symlinkSync(join(root, "node_modules"), join(pkg, "node_modules"), "dir"); // the build tools
  if (reuseWasm) {
    sh(npm, ["run", "--silent", "build:ts"], pkg);
    sh(npm, ["pack", "--silent", "--ignore-scripts", "--pack-destination", tmp], pkg);
  } else {
    sh(npm, ["pack", "--silent", "--pack-destination", tmp], pkg);
  }
  const tarball = readdirSync(tmp).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error("npm pack wrote no tarball");

  step(`installing ${tarball} into a fresh app`);
  mkdirSync(app);
  cpSync(template, app, { recursive: true });
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "dwpw-consumer", private: true, type: "module" }, null, 2));
  // The package has no dependencies, so the install needs no registry.
  sh(npm, ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", join(tmp, tarball)], app);
  const files = Object.fromEntries(
    readdirSync(vectorsDir).filter((f) => f.endsWith(".json")).sort().map((f) => [f, JSON.parse(readFileSync(join(vectorsDir, f), "utf8"))]),
  );
  if (Object.keys(files).length === 0) throw new Error(`no vector files in ${vectorsDir}`);
  writeFileSync(join(app, "vectors.json"), JSON.stringify(files));

  step("type-checking a consumer file against the tarball's types");
  writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
    compilerOptions: { target: "ES2022", module: "ESNext", moduleResolution: "bundler", strict: true, noEmit: true, skipLibCheck: false, lib: ["ES2022", "DOM"], types: [] },
    files: ["types.ts"],
  }));
  sh(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(app, "tsconfig.json")], app);

  step("bundling the app with Vite");
  // A Node built-in reached from the package's entry point is stubbed out by Vite with only a
  // warning ("externalized for browser compatibility"): here it fails the check.
  const logger = createLogger("warn");
  const warnings = [];
  const warn = logger.warn;
  logger.warn = (msg, options) => {
    warnings.push(msg);
    warn(msg, options);
  };
  await build({ root: app, configFile: false, logLevel: "warn", customLogger: logger, build: { outDir: join(app, "dist"), target: "es2022" } });
  const externalized = warnings.filter((w) => /externalized for browser compatibility/.test(w));
  if (externalized.length) throw new Error(`the bundle reaches Node built-ins:\n${externalized.join("\n")}`);

  step("Node on the installed tarball");
  const dwpwNode = await import(pathToFileURL(join(app, "node_modules/dwpw/dist/index.js")).href);
  const { check } = await import(pathToFileURL(join(app, "check.js")).href);
  const inNode = await check(dwpwNode, files);

  step("Chromium on the bundle");
  server = await preview({ root: app, configFile: false, logLevel: "warn", build: { outDir: join(app, "dist") }, preview: { port: 0, host: "127.0.0.1" } });
  browser = await chromium.launch(chromiumLaunchOptions());
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(server.resolvedUrls.local[0]);
  await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 120_000 });
  const inChromium = await page.evaluate(() => window.__result);
  await page.screenshot({ path: join(tmp, "consumer.png") });

  const summary = (r) => (r.error ? `error: ${r.error}` : `${r.ops} ops, ${r.blocks} blocks, ${r.pooled} pooled, ${r.reportBlocks}-block report, simd ${r.simd}, digest ${r.digest}, ${r.failures.length} failures`);
  console.log(`  node:     ${summary(inNode)}`);
  console.log(`  chromium: ${summary(inChromium)}`);
  const problems = [
    ...errors.map((e) => `page error: ${e}`),
    ...(inChromium.error ? [`chromium: ${inChromium.error}`] : inChromium.failures.map((f) => `chromium: ${f} differs from the vectors`)),
    ...inNode.failures.map((f) => `node: ${f} differs from the vectors`),
  ];
  if (!inChromium.error) {
    if (inChromium.digest !== inNode.digest) problems.push(`digests differ: chromium ${inChromium.digest}, node ${inNode.digest}`);
    if (!inChromium.simd) problems.push("chromium did not load the SIMD build");
    if (inChromium.ops === 0 || inChromium.blocks === 0 || inChromium.pooled === 0) problems.push("nothing ran");
  }
  if (problems.length) {
    failed = true;
    console.error(`consumer-check: FAILED\n  ${problems.slice(0, 20).join("\n  ")}`);
  } else {
    step("OK: the packed package bundles with Vite and gives the vectors' bytes in Chromium, equal to Node's");
  }
} catch (e) {
  failed = true;
  console.error(`consumer-check: FAILED: ${e?.stack ?? e}`);
} finally {
  await browser?.close();
  await server?.close();
  if (keep) step(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
