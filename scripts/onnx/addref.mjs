// Candidate arithmetics of ONNX Runtime's QLinearAdd (one output from raw inputs a, b), used by
// make-models.mjs to pick parameters that tell them apart, and by the network builder to make a
// network's adds sensitive to the x86-vs-WebAssembly rounding difference. The TypeScript runner
// (src/network/arith.ts) has its own implementation; the tests hold both to ONNX Runtime.
// p = { sa, za, sb, zb, sc, zc }; range = [lo, hi].

const f32 = Math.fround;

export function rhe(v) {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}
export function fma32(x, y, z) {
  const p = x * y;
  const s = p + z;
  const bb = s - p;
  const e = p - (s - bb) + (z - bb);
  const r = f32(s);
  if (e === 0 || r === s) return r;
  const dv = new DataView(new ArrayBuffer(4));
  const next = (v, up) => {
    if (v === 0) return up ? 2 ** -149 : -(2 ** -149);
    dv.setFloat32(0, v);
    dv.setInt32(0, dv.getInt32(0) + ((v > 0) === up ? 1 : -1));
    return dv.getFloat32(0);
  };
  const lo = r < s ? r : next(r, false);
  const hi = r > s ? r : next(r, true);
  return (lo + hi) / 2 !== s ? r : e > 0 ? hi : lo;
}
export function addX86(a, b, p, [lo, hi]) {
  const rA = f32(p.sa / p.sc);
  const rB = f32(p.sb / p.sc);
  const fixed = f32(p.zc - fma32(p.za, rA, f32(rB * p.zb)));
  return Math.min(hi, Math.max(lo, rhe(fma32(a, rA, fma32(b, rB, fixed)))));
}
export function addX86NoFmaFixed(a, b, p, [lo, hi]) {
  const rA = f32(p.sa / p.sc);
  const rB = f32(p.sb / p.sc);
  const fixed = f32(p.zc - f32(f32(rA * p.za) + f32(rB * p.zb)));
  return Math.min(hi, Math.max(lo, rhe(fma32(a, rA, fma32(b, rB, fixed)))));
}
/** Input B a single element per span, if the compiler did not contract `fixed + b*rB`. */
export function addX86ScalarBUncontracted(a, b, p, [lo, hi]) {
  const rA = f32(p.sa / p.sc);
  const rB = f32(p.sb / p.sc);
  const fixed = f32(f32(p.zc - fma32(p.za, rA, f32(rB * p.zb))) + f32(b * rB));
  return Math.min(hi, Math.max(lo, rhe(fma32(a, rA, fixed))));
}
/** Input A a single element per span: A folded into the fixed part first (contracted). */
export function addX86ScalarA(a, b, p, [lo, hi]) {
  const rA = f32(p.sa / p.sc);
  const rB = f32(p.sb / p.sc);
  const fixed = f32(p.zc - fma32(p.za, rA, f32(rB * p.zb)));
  return Math.min(hi, Math.max(lo, rhe(fma32(b, rB, fma32(a, rA, fixed)))));
}
export function addWasm(a, b, p, [lo, hi]) {
  let c = f32(f32(f32(p.sa * (a - p.za)) + f32(p.sb * (b - p.zb))) / p.sc);
  c = Math.min(Math.max(c, lo - p.zc), hi - p.zc);
  return rhe(f32(c + p.zc));
}

