// The shape of src/: no module imports itself back, directly or through others. A value-import
// cycle makes the order in which modules are evaluated depend on which one is imported first (a
// binding can be read before it is initialised), and it means two modules cannot be understood,
// tested or moved apart. Type-only imports are erased by the compiler and do not count.
//
// Imports are read with TypeScript's parser (the static `import` and `export ... from`
// declarations; `import("...")` in a type position is a type); the cycles are the strongly
// connected components of the graph of relative imports (Tarjan's algorithm).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SRC = join(ROOT, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

/** Whether a declaration brings in values: not `import type`, and not only `type`-marked names. */
function importsValues(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isImportDeclaration(node)) {
    const clause = node.importClause;
    if (!clause) return true; // `import "./x.js"`: run for its effects
    if (clause.isTypeOnly) return false;
    if (clause.name) return true; // a default import
    const named = clause.namedBindings;
    if (!named || ts.isNamespaceImport(named)) return true;
    return named.elements.length === 0 || named.elements.some((el) => !el.isTypeOnly);
  }
  if (node.isTypeOnly) return false;
  const named = node.exportClause;
  if (!named || ts.isNamespaceExport(named)) return true; // `export * from`
  return named.elements.length === 0 || named.elements.some((el) => !el.isTypeOnly);
}

/** The src files a file imports values from (relative specifiers, `.js` written for the `.ts` file). */
function valueImports(file: string, known: Set<string>): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) && !ts.isExportDeclaration(st)) continue;
    const spec = st.moduleSpecifier;
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith(".") || !importsValues(st)) continue;
    const target = resolve(dirname(file), spec.text).replace(/\.js$/, ".ts");
    const candidates = [target, join(target, "index.ts"), `${target}.ts`];
    const hit = candidates.find((c) => known.has(c));
    if (hit) out.push(hit);
  }
  return out;
}

/** Tarjan's strongly connected components; the cycles are the components of more than one file (or a file importing itself). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe("architecture", () => {
  test("the cycle finder finds cycles, and only cycles", () => {
    const g = new Map([
      ["a", ["b"]], ["b", ["c"]], ["c", ["a", "d"]], ["d", ["e"]], ["e", []], ["f", ["f"]], ["g", ["e"]],
    ]);
    expect(cycles(g).map((c) => c.join(" ")).sort()).toEqual(["a b c", "f"]);
    expect(cycles(new Map([["a", ["b"]], ["b", []]]))).toEqual([]);
  });

  test("no module in src/ imports values from itself through others", () => {
    const files = sourceFiles(SRC);
    const known = new Set(files);
    const graph = new Map(files.map((f) => [f, valueImports(f, known)]));
    // Sanity: the parser sees the package's own imports (the entry point imports several modules).
    expect(graph.get(join(SRC, "index.ts"))!.length).toBeGreaterThan(3);
    const named = cycles(graph).map((c) => c.map((f) => relative(SRC, f)).join(" <-> "));
    expect(named, "value-import cycles in src/ (break them, or make type-only imports `import type`)").toEqual([]);
  });
});
