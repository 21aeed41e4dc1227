// `npm start` right after `npm install`: scripts/ensure-built.mjs builds only what is missing or
// older than its sources, and the npm configuration installs without warnings and without
// onnxruntime-node's download of GPU libraries.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { ROOT } from "./helpers/robustness.js";

const SOURCES = ["asconfig.json", "assembly/index.ts", "src/index.ts", "src/cli/dwpw.ts", "tsconfig.json", "tsconfig.build.json"];
const WASM = ["src/wasm/simd.generated.ts", "src/wasm/scalar.generated.ts"];
const JS = ["dist/index.js", "dist/cli/dwpw.js", "dist/wasm/simd.generated.js", "dist/wasm/scalar.generated.js"];

// The fake build: logs which script ran and writes that script's outputs (modification time now).
const BUILD = `
const fs = require("node:fs");
const what = process.argv[2];
fs.appendFileSync("build.log", what + "\\n");
if (process.env.FAIL_BUILD) process.exit(3);
const outs = what === "build" ? ${JSON.stringify([...WASM, ...JS])} : ${JSON.stringify(JS)};
for (const f of outs) { fs.mkdirSync(require("node:path").dirname(f), { recursive: true }); fs.writeFileSync(f, ""); }
`;

let dir: string;
const at = (p: string) => join(dir, p);
const T = Date.now() / 1000 - 10_000;

function write(p: string, t: number): void {
  mkdirSync(dirname(at(p)), { recursive: true });
  writeFileSync(at(p), "");
  utimesSync(at(p), t, t);
}

/** Runs ensure-built in the fake project; the scripts that ran, stderr and the exit code. */
function ensureBuilt(env: Record<string, string> = {}): { ran: string[]; stderr: string; status: number | null } {
  rmSync(at("build.log"), { force: true });
  const r = spawnSync(process.execPath, [at("scripts/ensure-built.mjs")], { cwd: dir, encoding: "utf8", env: { ...process.env, ...env } });
  const ran = existsSync(at("build.log")) ? readFileSync(at("build.log"), "utf8").trim().split("\n") : [];
  return { ran, stderr: r.stderr, status: r.status };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "dwpw-ensure-built-"));
  mkdirSync(at("scripts"));
  copyFileSync(join(ROOT, "scripts", "ensure-built.mjs"), at("scripts/ensure-built.mjs"));
  writeFileSync(at("build.cjs"), BUILD);
  writeFileSync(at("package.json"), JSON.stringify({ name: "fake", private: true, scripts: { build: "node build.cjs build", "build:ts": "node build.cjs build:ts" } }));
  // Sources first, then a build of them.
  for (const p of SOURCES) write(p, T - 100);
  for (const p of [...WASM, ...JS]) write(p, T);
});

describe("scripts/ensure-built.mjs", () => {
  it("does nothing when the build is newer than every source", () => {
    const r = ensureBuilt();
    expect(r.status).toBe(0);
    expect(r.ran).toEqual([]);
    expect(r.stderr).toBe("");
  });

  it("a TypeScript source newer than its compiled file, or a missing dist/: only build:ts, and it says why", () => {
    write("src/cli/dwpw.ts", T + 100);
    let r = ensureBuilt();
    expect(r.ran).toEqual(["build:ts"]);
    expect(r.stderr).toMatch(/compiling the TypeScript \(src\/cli\/dwpw\.ts changed since the last build\)/);
    expect(ensureBuilt().ran).toEqual([]); // built now

    write("src/cli/new.ts", T - 100); // a new source with no compiled file
    r = ensureBuilt();
    expect(r.ran).toEqual(["build:ts"]);
    expect(r.stderr).toMatch(/dist\/cli\/new\.js is missing/);

    rmSync(at("dist"), { recursive: true });
    expect(ensureBuilt().ran).toEqual(["build:ts"]);
    write("tsconfig.json", Date.now() / 1000 + 100);
    expect(ensureBuilt().ran).toEqual(["build:ts"]);
  });

  it("an AssemblyScript source newer than the generated modules, or one missing: the whole build", () => {
    write("assembly/index.ts", T + 100);
    expect(ensureBuilt().ran).toEqual(["build"]);
    expect(ensureBuilt().ran).toEqual([]);
    rmSync(at(WASM[0]!));
    const r = ensureBuilt();
    expect(r.ran).toEqual(["build"]);
    expect(r.stderr).toMatch(/building the WebAssembly and the JavaScript \(src\/wasm\/simd\.generated\.ts is missing\)/);
  });

  it("a failed build fails with its exit code", () => {
    write("src/index.ts", T + 100);
    const r = ensureBuilt({ FAIL_BUILD: "1" });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/npm run build:ts failed/);
  });
});

describe("npm configuration", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string>; allowScripts?: Record<string, boolean> };

  it("npm start builds only when needed, then runs the quick check; selftest is the exhaustive one", () => {
    expect(pkg.scripts.start).toBe("node scripts/ensure-built.mjs && node dist/cli/start.js");
    expect(pkg.scripts.selftest).toBe("node scripts/ensure-built.mjs && node dist/cli/dwpw.js selftest");
  });

  it("onnxruntime-node's install script (a download of CUDA libraries) is denied, without an unknown npm config key", () => {
    // npm's allowScripts policy: false skips the script silently; the other install script is reviewed.
    expect(pkg.allowScripts).toEqual({ "onnxruntime-node": false, protobufjs: true });
    const npmrc = join(ROOT, ".npmrc");
    if (existsSync(npmrc)) expect(readFileSync(npmrc, "utf8")).not.toMatch(/onnxruntime-node-install/);
  });
});
