// The ceiling of this machine for the instruction every dwpw SIMD kernel is built on: independent
// chains of `i32x4.dot_i16x8_s` + `i32x4.add` with operands in registers (no loads, no stores).
// Eight chains hide the latency; each iteration is 64 multiply-accumulates. Built by `npm run bench`
// into build/bench/peak.wasm (not part of the package).

/** Runs `n` iterations; the result goes to `out` so nothing is optimised away. */
export function dotPeak(n: i32, out: usize): void {
  let c0 = i32x4.splat(1), c1 = i32x4.splat(2), c2 = i32x4.splat(3), c3 = i32x4.splat(4);
  let c4 = i32x4.splat(5), c5 = i32x4.splat(6), c6 = i32x4.splat(7), c7 = i32x4.splat(8);
  const a = v128.load(out), b = v128.load(out, 16), c = v128.load(out, 32), d = v128.load(out, 48);
  for (let i = 0; i < n; i++) {
    c0 = i32x4.add(c0, i32x4.dot_i16x8_s(a, b));
    c1 = i32x4.add(c1, i32x4.dot_i16x8_s(a, c));
    c2 = i32x4.add(c2, i32x4.dot_i16x8_s(a, d));
    c3 = i32x4.add(c3, i32x4.dot_i16x8_s(b, c));
    c4 = i32x4.add(c4, i32x4.dot_i16x8_s(b, d));
    c5 = i32x4.add(c5, i32x4.dot_i16x8_s(c, d));
    c6 = i32x4.add(c6, i32x4.dot_i16x8_s(a, a));
    c7 = i32x4.add(c7, i32x4.dot_i16x8_s(b, b));
  }
  v128.store(out, i32x4.add(i32x4.add(i32x4.add(c0, c1), i32x4.add(c2, c3)), i32x4.add(i32x4.add(c4, c5), i32x4.add(c6, c7))));
}
