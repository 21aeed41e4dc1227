// The project's one seeded generator (mulberry32): random networks, random comparison inputs and
// the test suites' data all come from a seed, so every run is reproducible. The same generator
// makes the input bytes of the shared TFLite dumps (../shared/tflite/FORMAT.md).

/** mulberry32: `u32()` in [0, 2^32), `float()` in [0, 1), `int(lo, hi)` inclusive, and helpers. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  u32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform int32 (any bit pattern). */
  i32(): number {
    return this.u32() | 0;
  }

  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [lo, hi] (both inclusive; the range must be below 2^32). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** Uniform float in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + this.float() * (hi - lo);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }

  /** An integer in [lo, hi], one of `edges` (clipped to the range) with probability `pEdge`. */
  edgy(lo: number, hi: number, edges: readonly number[], pEdge = 0.15): number {
    if (this.chance(pEdge)) {
      const e = this.pick(edges);
      if (e >= lo && e <= hi) return e;
    }
    return this.int(lo, hi);
  }
}

/** FNV-1a of a string, mixed with a seed: independent streams for independent purposes. */
export function hashSeed(seed: number, ...parts: string[]): number {
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  for (const ch of parts.join("\u0000")) {
    h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  }
  return h;
}
