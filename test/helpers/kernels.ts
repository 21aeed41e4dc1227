// Shared pieces of the kernel suites: the suite factory that runs one suite against every build
// of the WebAssembly kernels (SIMD and scalar), a byte-exact tensor comparison whose failure
// message locates the differing elements, and a small deterministic generator for test data.
import { Rng } from "../../src/rng.js";
import { assert, beforeAll, describe, expect } from "vitest";
import { createEngine, type Engine } from "../../src/engine.js";
import { elementIndex } from "../../src/layout.js";
import type { Tensor } from "../../src/types.js";

/** The kernel builds every suite runs against. */
export const BUILDS = [
  { name: "simd", simd: true },
  { name: "scalar", simd: false },
] as const;

/**
 * Runs `suite` once per kernel build (STYLE: one shared suite factory, run with SIMD on and off).
 * Each run gets its own engine (its own WebAssembly instance and memory), made before its tests.
 */
export function describeEngines(title: string, suite: (engine: () => Engine, build: (typeof BUILDS)[number]) => void): void {
  for (const build of BUILDS) {
    describe(`${title} [${build.name}]`, () => {
      let engine: Engine | null = null;
      beforeAll(async () => {
        engine = await createEngine({ simd: build.simd });
        expect(engine.simd).toBe(build.simd);
      });
      suite(() => {
        if (!engine) throw new Error("engine not created yet (use it inside a test, not at collection time)");
        return engine;
      }, build);
    });
  }
}

/**
 * Where `actual` and `expected` differ, as text: the shape/dtype difference, or the number of
 * differing bytes and the first few as (y, x, c) with both values. Empty when they are equal.
 */
export function tensorDiff(actual: Tensor, expected: Tensor): string {
  const kind = (t: Tensor) => t.data.constructor.name;
  const head = (t: Tensor) =>
    `${t.height}x${t.width}x${t.channels} ${t.layout} ${kind(t)}(${t.data.length}) zp ${t.zeroPoint}`;
  if (
    actual.height !== expected.height || actual.width !== expected.width || actual.channels !== expected.channels ||
    actual.layout !== expected.layout || actual.zeroPoint !== expected.zeroPoint || kind(actual) !== kind(expected) ||
    actual.data.length !== expected.data.length
  ) {
    return `shape differs: got ${head(actual)}, expected ${head(expected)}`;
  }
  const { height: H, width: W, channels: C } = expected;
  const at = elementIndex(expected.layout, H, W, C);
  const diffs: string[] = [];
  let count = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < C; c++) {
        const i = at(y, x, c);
        if (actual.data[i] !== expected.data[i]) {
          if (count < 8) diffs.push(`(y ${y}, x ${x}, c ${c}) @${i}: got ${actual.data[i]}, expected ${expected.data[i]}`);
          count++;
        }
      }
    }
  }
  return count === 0 ? "" : `${count} of ${expected.data.length} bytes differ (${head(expected)}); first: ${diffs.join("; ")}`;
}

/** Asserts the two tensors are identical: shape, layout, zero point, array kind and every byte. */
export function expectSameTensor(actual: Tensor, expected: Tensor, context = ""): void {
  const d = tensorDiff(actual, expected);
  if (d !== "") assert.fail(context ? `${context}: ${d}` : d);
}

/** Test data comes from a seed that fast-check draws and prints, so a failing case is reproducible. */
export { Rng };

/** `n` int8 values, extremes (-128, 127, 0, ±1) over-represented. */
export function randomInt8(rng: Rng, n: number): Int8Array {
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.edgy(-128, 127, [-128, 127, 0, 1, -1], 0.2);
  return out;
}

/**
 * `n` activation bytes of `dtype`, its extremes and the zero point (and its neighbours)
 * over-represented, so padding-like values, `x - zp` extremes and saturating sums all occur.
 */
export function randomActivations(rng: Rng, n: number, dtype: "int8" | "uint8", zp: number): Int8Array | Uint8Array {
  const [lo, hi] = dtype === "int8" ? [-128, 127] : [0, 255];
  const out = dtype === "int8" ? new Int8Array(n) : new Uint8Array(n);
  const edges = [lo, hi, zp, zp + 1, zp - 1];
  for (let i = 0; i < n; i++) out[i] = rng.edgy(lo, hi, edges, 0.2);
  return out;
}
