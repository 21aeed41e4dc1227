// The browser version of test/helpers/vectors.ts, with the same exports: the vector and fixture
// files come in through Vite's import.meta.glob (bundled JSON) instead of node:fs. The browser
// project of vitest.config.ts resolves the suites' `./helpers/vectors.js` to this file. Listing
// and names match the Node loader, so a suite gets the same cases under the same test names.
import { parseVectorFile, type VectorFile } from "../helpers/vectors.js";

export { decodeBase64, parseVectorFile } from "../helpers/vectors.js";
export type { VectorCase, VectorFile, VectorOp } from "../helpers/vectors.js";

// Paths as the Node loader builds them, relative to the project root: ../shared/vectors, fixtures/.
const vectors = import.meta.glob<unknown>("../../../shared/vectors/*.json", { eager: true, import: "default" });
const fixtures = import.meta.glob<unknown>("../../fixtures/*.json", { eager: true, import: "default" });
const all: Record<string, unknown> = { ...vectors, ...fixtures };

/** Decodes one bundled vector file, named by a path from `vectorFiles()` or `fixtureFiles()`. */
export function loadVectorFile(path: string | URL): VectorFile {
  const json = all[String(path)];
  if (json === undefined) throw new Error(`no bundled vector file ${String(path)}`);
  return parseVectorFile(json);
}

export { skipMeta } from "../helpers/skip.js";

let told = false;

/** Null when `../shared/vectors` was bundled; otherwise why the suites reading it skip (printed once). */
export function vectorsMissing(): string | null {
  if (Object.keys(vectors).length > 0) return null;
  const reason = "../shared/vectors (the shared data folder beside the clone) is absent";
  if (!told) {
    told = true;
    console.warn(`skipping the tests that read ../shared: ${reason}`);
  }
  return reason;
}

/** The bundled `../shared/vectors/*.json`, sorted (ends in the file name, as the Node paths do); none without them. */
export function vectorFiles(): string[] {
  return Object.keys(vectors).sort();
}

/** The bundled `fixtures/*.json`, sorted (may be none). */
export function fixtureFiles(): string[] {
  return Object.keys(fixtures).sort();
}
