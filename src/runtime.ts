// The package's default engine: loaded once by `init()`, used by the top-level functions.
import { createEngine, type Engine } from "./engine.js";

let engine: Engine | null = null;
let loading: Promise<void> | null = null;

/** Loads the WebAssembly kernels (SIMD build when supported). Idempotent; concurrent calls share one load. */
export function init(): Promise<void> {
  loading ??= createEngine().then(
    (e) => {
      engine = e;
    },
    (err: unknown) => {
      loading = null;
      throw err;
    },
  );
  return loading;
}

/** The engine `init()` loaded. */
export function defaultEngine(): Engine {
  if (!engine) throw new Error("dwpw: call `await init()` before running kernels");
  return engine;
}
