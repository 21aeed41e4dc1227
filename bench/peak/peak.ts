// The peak of this machine for the instruction every dwpw SIMD kernel is built on: independent
// chains of `i32x4.dot_i16x8_s` + `i32x4.add` with operands in registers (no loads, no stores).
// Eight chains hide the latency. Built by `npm run bench` into build/bench/peak.wasm (not part of
// the package). Two loops, because V8 checks for interrupts on every loop back edge: with the
// loop's own counting, that makes a loop of 8 dot+add 10-15% slower than the peak.
// - `dotPeak`: 32 dot+add per iteration, where the loop's cost vanishes: the machine's peak;
// - `dotLoop8`: 8 dot+add per iteration, the shape of the kernels' inner loops (which cannot be
//   unrolled the same way: TurboFan loads all of an iteration's operands before its multiplies,
//   and two iterations' operands and accumulators do not fit in 15 vector registers).
// Every dot product of an iteration has its own pair of operands: binaryen merges repeated
// identical expressions, so a loop with repeats counts multiplies it never does (one with 17 of
// its 32 repeated measured 42-44 GMAC/s here, run alternately with this one at 33-35). And each of
// the 8-per-iteration loop's dot products reads `a`, which changes at every iteration: TurboFan
// hoists a loop-invariant dot product out of the loop, and with operands that never change that
// loop measured 61 GMAC/s on an Intel Xeon whose two multiply ports allow about 46 (the wide loop
// cannot keep 32 hoisted products in registers, and measured the same either way).

/** Runs `n` iterations of 32 dot+add (256 multiply-accumulates); the result goes to `out`. */
export function dotPeak(n: i32, out: usize): void {
  chains(true, n, out);
}

/** Runs `n` iterations of 8 dot+add (64 multiply-accumulates); the result goes to `out`. */
export function dotLoop8(n: i32, out: usize): void {
  chains(false, n, out);
}

/** The eight chains, 32 (`wide`, a literal at each call) or 8 dot+add per iteration. */
@inline function chains(wide: bool, n: i32, out: usize): void {
  let c0 = i32x4.splat(1), c1 = i32x4.splat(2), c2 = i32x4.splat(3), c3 = i32x4.splat(4);
  let c4 = i32x4.splat(5), c5 = i32x4.splat(6), c6 = i32x4.splat(7), c7 = i32x4.splat(8);
  let a = v128.load(out);
  const b = v128.load(out, 16), c = v128.load(out, 32), d = v128.load(out, 48);
  const e = v128.load(out, 64), f = v128.load(out, 80);
  for (let i = 0; i < n; i++) {
    c0 = i32x4.add(c0, i32x4.dot_i16x8_s(a, b));
    c1 = i32x4.add(c1, i32x4.dot_i16x8_s(a, c));
    c2 = i32x4.add(c2, i32x4.dot_i16x8_s(a, d));
    c3 = i32x4.add(c3, i32x4.dot_i16x8_s(a, e));
    c4 = i32x4.add(c4, i32x4.dot_i16x8_s(a, f));
    c5 = i32x4.add(c5, i32x4.dot_i16x8_s(b, a));
    c6 = i32x4.add(c6, i32x4.dot_i16x8_s(c, a));
    c7 = i32x4.add(c7, i32x4.dot_i16x8_s(d, a));
    if (wide) {
      c0 = i32x4.add(c0, i32x4.dot_i16x8_s(b, e));
      c1 = i32x4.add(c1, i32x4.dot_i16x8_s(b, f));
      c2 = i32x4.add(c2, i32x4.dot_i16x8_s(b, c));
      c3 = i32x4.add(c3, i32x4.dot_i16x8_s(c, b));
      c4 = i32x4.add(c4, i32x4.dot_i16x8_s(c, d));
      c5 = i32x4.add(c5, i32x4.dot_i16x8_s(c, e));
      c6 = i32x4.add(c6, i32x4.dot_i16x8_s(c, f));
      c7 = i32x4.add(c7, i32x4.dot_i16x8_s(b, d));
      c0 = i32x4.add(c0, i32x4.dot_i16x8_s(d, b));
      c1 = i32x4.add(c1, i32x4.dot_i16x8_s(d, c));
      c2 = i32x4.add(c2, i32x4.dot_i16x8_s(d, e));
      c3 = i32x4.add(c3, i32x4.dot_i16x8_s(d, f));
      c4 = i32x4.add(c4, i32x4.dot_i16x8_s(e, a));
      c5 = i32x4.add(c5, i32x4.dot_i16x8_s(e, b));
      c6 = i32x4.add(c6, i32x4.dot_i16x8_s(e, c));
      c7 = i32x4.add(c7, i32x4.dot_i16x8_s(e, d));
      c0 = i32x4.add(c0, i32x4.dot_i16x8_s(e, f));
      c1 = i32x4.add(c1, i32x4.dot_i16x8_s(f, a));
      c2 = i32x4.add(c2, i32x4.dot_i16x8_s(f, b));
      c3 = i32x4.add(c3, i32x4.dot_i16x8_s(f, c));
      c4 = i32x4.add(c4, i32x4.dot_i16x8_s(f, d));
      c5 = i32x4.add(c5, i32x4.dot_i16x8_s(f, e));
      c6 = i32x4.add(c6, i32x4.dot_i16x8_s(a, a));
      c7 = i32x4.add(c7, i32x4.dot_i16x8_s(b, b));
    }
    a = i16x8.add(a, b);
  }
  v128.store(out, i32x4.add(i32x4.add(i32x4.add(c0, c1), i32x4.add(c2, c3)), i32x4.add(i32x4.add(c4, c5), i32x4.add(c6, c7))));
}
