// What the published tarball holds: a license, no development-only entry points, source maps that
// carry their sources (src/ is not shipped), and a declaration of the embedded WebAssembly that
// does not repeat the module as a literal type.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const read = (path: string) => readFileSync(join(root, path), "utf8");

describe("package", () => {
  it("has the MIT license package.json declares", () => {
    expect(JSON.parse(read("package.json")).license).toBe("MIT");
    const license = read("LICENSE");
    expect(license).toMatch(/^MIT License/);
    expect(license).toMatch(/Copyright \(c\) \d{4} the dwpw authors/);
  });

  it("packs the license and the built package, not the sources, tests or the npm start job", () => {
    // --ignore-scripts: list what `files` selects from this tree without rebuilding it.
    const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const files = (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(["LICENSE", "README.md", "package.json"]));
    const stray = files.filter((f) => !["LICENSE", "README.md", "package.json"].includes(f) && !f.startsWith("dist/"));
    expect(stray).toEqual([]);
    expect(files.filter((f) => f.startsWith("dist/cli/start."))).toEqual([]);
  });

  it("source maps embed their sources: the src/ they point to is not shipped", () => {
    const options = JSON.parse(read("tsconfig.json")).compilerOptions;
    expect(options.sourceMap === false || options.inlineSources === true).toBe(true);
    const build = JSON.parse(read("tsconfig.build.json"));
    expect(build.compilerOptions?.inlineSources).not.toBe(false);
  });

  it("declares the embedded WebAssembly as a string, not as a 60 kB literal type", () => {
    const source = read("src/wasm/simd.generated.ts");
    expect(source.length).toBeGreaterThan(10_000);
    const { outputText } = ts.transpileDeclaration(source, { compilerOptions: { declaration: true } });
    expect(outputText).toMatch(/export declare const wasmBase64: string;/);
    expect(outputText.length).toBeLessThan(200);
  });
});
