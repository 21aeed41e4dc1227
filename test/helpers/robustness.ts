// Support for the robustness and determinism suites: a private JavaScript build of src/ for the
// tests that must run the package outside vitest (the CLI as a child process, worker threads).
//
// The build goes to node_modules/.cache/dwpw-robustness/<digest of src/>, never to dist/ (which
// `npm run build` owns and other work may be rewriting), so it is always current and never stale.
// Files are transpiled one by one without type checking, so type errors in work in progress
// elsewhere in the tree do not block these suites.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function sourceDigest(): string {
  const h = createHash("sha256");
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".ts")) h.update(p).update(readFileSync(p));
    }
  };
  walk(join(ROOT, "src"));
  h.update(readFileSync(join(ROOT, "tsconfig.json"))).update(readFileSync(join(ROOT, "tsconfig.build.json")));
  return h.digest("hex").slice(0, 16);
}

/**
 * Compiles src/ (once per content) and returns the directory holding the JavaScript: `index.js`,
 * `cli/dwpw.js`, ... Inside the repository, so Node reads it as ESM (package.json "type").
 */
export function compiledPackage(): string {
  const base = join(ROOT, "node_modules", ".cache", "dwpw-robustness");
  const out = join(base, sourceDigest());
  if (existsSync(join(out, "cli", "dwpw.js"))) return out;
  mkdirSync(base, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}-${Date.now()}`;
  // Transpile file by file (no type check: `npm run typecheck` does that), which takes a second
  // where a full tsc build takes tens of them.
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".ts") && !name.endsWith(".d.ts") && !name.endsWith(".test.ts")) {
        const js = ts.transpileModule(readFileSync(p, "utf8"), {
          fileName: p,
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, isolatedModules: true, sourceMap: false },
        }).outputText;
        const dest = join(tmp, relative(join(ROOT, "src"), p)).replace(/\.ts$/, ".js");
        mkdirSync(dirname(dest), { recursive: true });
        writeFileSync(dest, js);
      }
    }
  };
  walk(join(ROOT, "src"));
  if (!existsSync(join(tmp, "cli", "dwpw.js")) || !existsSync(join(tmp, "index.js"))) {
    throw new Error(`transpiling src/ to ${tmp} produced no cli/dwpw.js`);
  }
  try {
    renameSync(tmp, out);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another suite compiled the same sources first
  }
  // Keep the cache small: drop builds of older sources.
  for (const name of readdirSync(base)) {
    const p = join(base, name);
    if (p !== out && !name.includes(".tmp-") && Date.now() - statSync(p).mtimeMs > 60_000) rmSync(p, { recursive: true, force: true });
  }
  return out;
}
