// Plain-JS model of SPEC §2 (accumulation) and §3 `onnx` (requantization), planar (CHW) layout.
// Written for the fixture script only, independently of src/reference: it chooses scales that
// exercise interesting cases and checks what ONNX Runtime produced against the SPEC formula.

const f32 = Math.fround;

/** SPEC §3 onnx derivation: f32(f32(xScale * wScale) / yScale), every step in float32. */
export function onnxScale(xScale, wScale, yScale) {
  // Products and quotients of float32 values computed in double and then rounded to float32
  // are correctly rounded (53 >= 2*24 + 2), so this is exactly C++ float arithmetic.
  return f32(f32(xScale * wScale) / yScale);
}

/** Round half to even of a finite double. */
export function roundHalfEven(v) {
  const fl = Math.floor(v);
  const d = v - fl;
  if (d > 0.5) return fl + 1;
  if (d < 0.5) return fl;
  return fl % 2 === 0 ? fl : fl + 1;
}

/**
 * SPEC §3 onnx: one int32 accumulator to an output value.
 * Returns { q, tie, clamped } so callers can count ties and saturation.
 */
export function requantizeOnnx(acc, scale, zeroPoint, min, max) {
  let v = f32(f32(acc) * scale);
  let clamped = false;
  if (v < min - zeroPoint) {
    v = min - zeroPoint;
    clamped = true;
  } else if (v > max - zeroPoint) {
    v = max - zeroPoint;
    clamped = true;
  }
  const tie = v - Math.floor(v) === 0.5;
  return { q: roundHalfEven(v) + zeroPoint, tie, clamped };
}

/** Output size of SPEC §1. */
export function outSize(n, padBefore, padAfter, k, s) {
  return Math.floor((n + padBefore + padAfter - k) / s) + 1;
}

/**
 * Depthwise accumulators (SPEC §2), CHW: x[(c*H + y)*W + x], w[(c*kh + i)*kw + j].
 * Returns { acc: Int32Array [C][Ho][Wo], Ho, Wo }.
 */
export function depthwiseAcc(x, H, W, C, zp, [kh, kw], [sh, sw], pad, w, bias) {
  const Ho = outSize(H, pad.top, pad.bottom, kh, sh);
  const Wo = outSize(W, pad.left, pad.right, kw, sw);
  const acc = new Int32Array(C * Ho * Wo);
  for (let c = 0; c < C; c++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        let a = bias ? bias[c] : 0;
        for (let i = 0; i < kh; i++) {
          const iy = oy * sh - pad.top + i;
          if (iy < 0 || iy >= H) continue;
          for (let j = 0; j < kw; j++) {
            const ix = ox * sw - pad.left + j;
            if (ix < 0 || ix >= W) continue;
            a = (a + w[(c * kh + i) * kw + j] * (x[(c * H + iy) * W + ix] - zp)) | 0;
          }
        }
        acc[(c * Ho + oy) * Wo + ox] = a;
      }
    }
  }
  return { acc, Ho, Wo };
}

/** Pointwise accumulators (SPEC §2), CHW: w[co*Cin + ci]. Returns Int32Array [Cout][H][W]. */
export function pointwiseAcc(x, H, W, Cin, zp, Cout, w, bias) {
  const HW = H * W;
  const acc = new Int32Array(Cout * HW);
  for (let co = 0; co < Cout; co++) {
    for (let p = 0; p < HW; p++) {
      let a = bias ? bias[co] : 0;
      for (let ci = 0; ci < Cin; ci++) a = (a + w[co * Cin + ci] * (x[ci * HW + p] - zp)) | 0;
      acc[co * HW + p] = a;
    }
  }
  return acc;
}

/**
 * Requantizes planar accumulators [C][HW] with per-channel scales.
 * Returns { out: number[] , ties, clampedLow, clampedHigh }.
 */
export function requantPlanes(acc, C, scale, zeroPoint, min, max) {
  const HW = acc.length / C;
  const out = new Array(acc.length);
  let ties = 0;
  let clampedLow = 0;
  let clampedHigh = 0;
  for (let c = 0; c < C; c++) {
    for (let p = 0; p < HW; p++) {
      const r = requantizeOnnx(acc[c * HW + p], scale[c], zeroPoint, min, max);
      out[c * HW + p] = r.q;
      if (r.tie) ties++;
      if (r.clamped) {
        if (r.q === min) clampedLow++;
        else clampedHigh++;
      }
    }
  }
  return { out, ties, clampedLow, clampedHigh };
}
