// Every fenced code block of README.md runs here, so the README never shows an example that does not
// work:
// - ```ts blocks are written to test/.readme/ as modules with `from "dwpw"` pointing at the package
//   built from src/ (test/helpers/robustness.ts: the JavaScript a user's `import "dwpw"` loads,
//   worker pools included) and imported, top-level await and all;
// - ```sh blocks: a line `dwpw ...` runs the CLI from that build and must exit 0; a line `npm run X`
//   (or `npm test`, `npm start`, `npm install`) must name a script of package.json; nothing else
//   may appear in them.
// Blocks that read ../shared (the shared data folder beside the clone) skip without it.
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { ROOT, compiledPackage } from "./helpers/robustness.js";
import { sharedMissing, skipMeta } from "./helpers/shared.js";

interface Block {
  lang: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** The fenced blocks of a Markdown text (``` fences at the start of a line). */
function fencedBlocks(md: string): Block[] {
  const lines = md.split("\n");
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    if (i >= lines.length) throw new Error(`README.md:${start + 1}: the code block is never closed`);
    out.push({ lang: open[1]!, code: body.join("\n"), line: start + 1 });
  }
  return out;
}

const README = readFileSync(join(ROOT, "README.md"), "utf8");
const blocks = fencedBlocks(README);
const scripts = Object.keys((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);
const DIR = join(ROOT, "test", ".readme");
let pkg = "";

/** Why a block cannot run here (it reads ../shared, which is absent), or null. */
function missingData(code: string): string | null {
  const paths = [...code.matchAll(/\.\.\/shared\/([\w./-]+)/g)].map((m) => m[1]!);
  return paths.length > 0 ? sharedMissing(...paths) : null;
}

/** Splits a sh line into words (plain words and "double" or 'single' quoted ones). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(pkg, "cli", "dwpw.js"), ...args], { cwd: ROOT, maxBuffer: 64 << 20, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(() => {
  pkg = compiledPackage();
  mkdirSync(DIR, { recursive: true });
});

afterAll(() => {
  rmSync(DIR, { recursive: true, force: true });
});

describe("README.md", () => {
  test("has code blocks, each ts or sh", () => {
    expect(blocks.length).toBeGreaterThan(5);
    for (const b of blocks) expect(["ts", "sh"], `README.md:${b.line}: a \`\`\`${b.lang} block (only ts and sh blocks can be run)`).toContain(b.lang);
  });

  for (const [k, b] of blocks.entries()) {
    const missing = missingData(b.code);
    const name = `README.md:${b.line} (${b.lang}) ${b.code.split("\n").find((l) => l.trim() && !l.startsWith("import"))?.trim().slice(0, 60) ?? ""}`;
    if (b.lang === "ts") {
      test.skipIf(missing)(name, { ...skipMeta(missing), timeout: 120_000 }, async () => {
        const file = join(DIR, `block-${k}-line-${b.line}.ts`);
        const code = b.code.replace(/from "dwpw"/g, `from ${JSON.stringify(pathToFileURL(join(pkg, "index.js")).href)}`);
        writeFileSync(file, `${code}\nexport {};\n`);
        // The examples print what they show; keep the test output to failures.
        const log = vi.spyOn(console, "log").mockImplementation(() => {});
        try {
          await import(/* @vite-ignore */ `${pathToFileURL(file).href}?t=${Date.now()}`);
        } finally {
          log.mockRestore();
        }
      });
    } else if (b.lang === "sh") {
      test.skipIf(missing)(name, { ...skipMeta(missing), timeout: 300_000 }, async () => {
        for (const line of b.code.split("\n")) {
          const cmd = line.replace(/\s+#.*$/, "").trim();
          if (cmd === "" || cmd.startsWith("#")) continue;
          const w = words(cmd);
          if (w[0] === "npm") {
            // `npm install && npm start`: each npm command must name a script (or be npm's own).
            for (const part of cmd.split("&&").map((p) => words(p.trim()))) {
              expect(part[0], `README.md:${b.line}: "${cmd}"`).toBe("npm");
              const script = part[1] === "run" ? part[2] : part[1];
              if (script === "install" || script === "ci") continue;
              expect(scripts, `README.md:${b.line}: "${cmd}" names no script of package.json`).toContain(script);
            }
          } else if (w[0] === "dwpw") {
            const r = await runCli(w.slice(1));
            expect(r.code, `README.md:${b.line}: "${cmd}" exited ${r.code}\n${r.stderr}`).toBe(0);
          } else {
            throw new Error(`README.md:${b.line}: "${cmd}": sh blocks hold dwpw and npm commands only`);
          }
        }
      });
    }
  }
});
