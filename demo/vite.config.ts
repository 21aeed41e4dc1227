// The report page: `npm run demo` serves it, `npm run build:demo` writes static files to build/demo/
// (open them from any static server: relative paths, no server code). The page imports the
// package's TypeScript sources directly; the WebAssembly comes in as generated base64 modules.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));
const project = fileURLToPath(new URL("..", import.meta.url));

if (!existsSync(new URL("../src/wasm/simd.generated.ts", import.meta.url))) {
  throw new Error("src/wasm/*.generated.ts are missing: run `npm run build:wasm` first (npm install does it through `prepare`)");
}

export default defineConfig({
  root,
  base: "./",
  // The page imports ../src; workers import modules too, so they are ES modules in the build as well.
  server: { fs: { allow: [project] } },
  worker: { format: "es" },
  build: { outDir: fileURLToPath(new URL("../build/demo", import.meta.url)), emptyOutDir: true, target: "es2022" },
  clearScreen: false,
});
