// The seeded generator of the fixture and model scripts (mulberry32): the same seed gives the same
// models and fixtures on every machine.

/** mulberry32: floats in [0, 1) from one 32-bit seed. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  constructor(seed) {
    this.next = mulberry32(seed);
  }
  int(lo, hi) {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  uniform(lo, hi) {
    return lo + this.next() * (hi - lo);
  }
  logUniform(lo, hi) {
    return Math.exp(this.uniform(Math.log(lo), Math.log(hi)));
  }
  chance(p) {
    return this.next() < p;
  }
  pick(arr) {
    return arr[Math.floor(this.next() * arr.length)];
  }
  sign() {
    return this.chance(0.5) ? 1 : -1;
  }
}
