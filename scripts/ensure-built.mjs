// Builds the package only when its build is missing or older than its sources, so that `npm start`
// right after `npm install` (whose `prepare` already built everything) starts at once.
//
// The WebAssembly is stale when a generated module (src/wasm/*.generated.ts) is missing or older
// than anything under assembly/ or asconfig.json; then everything is rebuilt (`npm run build`).
// The JavaScript is stale when a source under src/ has no compiled file in dist/ or a newer
// modification time; then only `npm run build:ts` runs.
import { existsSync, readdirSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const rel = (p) => relative(ROOT, p);

function* files(dir, test) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(p, test);
    else if (test(entry.name)) yield p;
  }
}

const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : -Infinity);

/** Why the WebAssembly must be rebuilt, or null. */
function wasmStale() {
  const outs = ["src/wasm/simd.generated.ts", "src/wasm/scalar.generated.ts"].map((p) => join(ROOT, p));
  const missing = outs.find((p) => !existsSync(p));
  if (missing) return `${rel(missing)} is missing`;
  const oldest = Math.min(...outs.map(mtime));
  for (const src of [join(ROOT, "asconfig.json"), join(ROOT, "scripts", "embed-wasm.mjs"), ...files(join(ROOT, "assembly"), () => true)]) {
    if (mtime(src) > oldest) return `${rel(src)} changed since the last build`;
  }
  return null;
}

/** Why the TypeScript must be recompiled, or null. */
function tsStale() {
  const configs = ["tsconfig.json", "tsconfig.build.json"].map((p) => join(ROOT, p));
  const index = join(ROOT, "dist", "index.js");
  if (!existsSync(index)) return "dist/ is missing";
  for (const c of configs) if (mtime(c) > mtime(index)) return `${rel(c)} changed since the last build`;
  for (const src of files(join(ROOT, "src"), (n) => n.endsWith(".ts") && !n.endsWith(".d.ts") && !n.endsWith(".test.ts"))) {
    const out = join(ROOT, "dist", relative(join(ROOT, "src"), src)).replace(/\.ts$/, ".js");
    if (!existsSync(out)) return `${rel(out)} is missing`;
    if (mtime(src) > mtime(out)) return `${rel(src)} changed since the last build`;
  }
  return null;
}

function npmRun(script) {
  // The npm that runs this script (npm_execpath, unless npx or another tool set it), else the one on the PATH.
  const npm = /npm-cli\.[cm]?js$/.test(process.env.npm_execpath ?? "") ? process.env.npm_execpath : undefined;
  const r = npm
    ? spawnSync(process.execPath, [npm, "run", "--silent", script], { cwd: ROOT, stdio: "inherit" })
    : spawnSync("npm", ["run", "--silent", script], { cwd: ROOT, stdio: "inherit", shell: process.platform === "win32" });
  if (r.status !== 0) {
    console.error(`ensure-built: npm run ${script} failed`);
    process.exit(r.status ?? 1);
  }
}

const wasm = wasmStale();
const ts = wasm ?? tsStale();
if (wasm) {
  console.error(`building the WebAssembly and the JavaScript (${wasm}) ...`);
  npmRun("build");
} else if (ts) {
  console.error(`compiling the TypeScript (${ts}) ...`);
  npmRun("build:ts");
}
