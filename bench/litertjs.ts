// LiteRT.js (`@litertjs/core`: desktop TFLite's WebAssembly build, XNNPACK, one thread) as the TFLite
// peer of the whole-network bench. The package targets browsers and workers; two things make it run
// in Node, both done here in memory, without touching node_modules:
// - a shim installed while it loads: `self`, `require`, `__dirname` and an `importScripts` that runs
//   the Emscripten loader script with `vm.runInThisContext` (the package otherwise inserts a
//   <script> element: "document is not defined"). The globals are removed again once it has loaded,
//   so that nothing else in the process sees a worker-like environment;
// - its dtype table (`DATATYPES` in dist/index.js) lists only float32, int32 and uint8, so every int8
//   tensor fails with "Element type INT8 is not supported". A copy of that file with an int8 entry
//   (element type to `Int8Array`, nothing else) is written under build/bench and imported instead.
// This is how the shared LiteRT.js tensor dumps were made (../shared/tflite/litert/README.md).
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import vm from "node:vm";

export interface LiteRtJs {
  version: string;
  /** One inference on an int8 NHWC input; resolves to the first output's bytes. */
  run(x: Int8Array): Promise<Int8Array>;
  release(): void;
}

type Core = typeof import("@litertjs/core");

const DTYPES_END = "    elementType: ElementType.UINT8\n  }\n]);";
const INT8_ENTRY = '    elementType: ElementType.UINT8\n  },\n  { dtype: "int8", typedArrayConstructor: Int8Array, elementType: ElementType.INT8 }\n]);';

let core: Promise<{ lrt: Core; version: string }> | null = null;

/** Loads LiteRT.js once per process (the package allows one loaded runtime). */
function loadCore(): Promise<{ lrt: Core; version: string }> {
  core ??= (async () => {
    const require = createRequire(import.meta.url);
    const pkgJson = require.resolve("@litertjs/core/package.json");
    const root = dirname(pkgJson);
    const version = (JSON.parse(readFileSync(pkgJson, "utf8")) as { version: string }).version;
    const src = readFileSync(join(root, "dist", "index.js"), "utf8");
    if (!src.includes(DTYPES_END)) throw new Error(`@litertjs/core ${version}: its dtype table is not the one this shim patches (written for 2.5.3)`);
    // Next to this module, so that the copy's own import (@litertjs/wasm-utils) resolves from the
    // project's node_modules.
    const patched = new URL("litertjs-core.patched.mjs", import.meta.url);
    writeFileSync(patched, src.replace(DTYPES_END, INT8_ENTRY));
    const lrt = (await import(patched.href)) as Core;

    const g = globalThis as Record<string, unknown>;
    const shim: Record<string, unknown> = {
      self: globalThis,
      require: createRequire(pkgJson),
      __dirname: join(root, "wasm"),
      importScripts: (url: string) => {
        const file = url.startsWith("file:") ? new URL(url).pathname : url;
        vm.runInThisContext(readFileSync(file, "utf8"), { filename: file });
      },
    };
    const added = Object.keys(shim).filter((k) => !(k in g));
    for (const k of added) g[k] = shim[k];
    const log = console.log;
    const info = console.info;
    // The runtime announces the XNNPACK delegate and the missing WebGPU device on stdout.
    console.log = console.info = () => {};
    try {
      await lrt.loadLiteRt(pathToFileURL(join(root, "wasm") + "/").pathname);
    } finally {
      console.log = log;
      console.info = info;
      for (const k of added) delete g[k];
    }
    return { lrt, version };
  })();
  return core;
}

/** LiteRT.js compiled for `model` on the CPU (XNNPACK), one thread. */
export async function liteRtJs(model: Uint8Array, inputShape: number[]): Promise<LiteRtJs> {
  const { lrt, version } = await loadCore();
  const compiled = await lrt.loadAndCompile(model, { accelerator: "wasm", cpuOptions: { numThreads: 1 } });
  return {
    version,
    async run(x: Int8Array): Promise<Int8Array> {
      // The published typings list only the dtypes of the unpatched table.
      const input = new lrt.Tensor(x as unknown as Uint8Array<ArrayBuffer>, inputShape);
      try {
        const tensors = await compiled.run([input]);
        const bytes = Int8Array.from(tensors[0]!.toTypedArray() as unknown as Int8Array);
        for (const t of tensors) t.delete();
        return bytes;
      } finally {
        input.delete();
      }
    },
    release: () => compiled.delete(),
  };
}
