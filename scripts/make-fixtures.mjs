#!/usr/bin/env node
// Independent ONNX Runtime oracle for the `onnx` requantization scheme (SPEC §3).
//
//   node scripts/make-fixtures.mjs            build the models, run ORT, write fixtures/onnx-ort-*.json,
//                                             then verify them (exit code 1 on any disagreement)
//   node scripts/make-fixtures.mjs --verify [files...]
//                                             only check vector files (default: the two fixtures)
//                                             against scripts/onnx/reference.mjs
//
// Each case is a depthwise QLinearConv (group = C) followed by a 1x1 QLinearConv, both with
// per-channel int8 weights, built in memory as an ONNX model (scripts/onnx/proto.mjs) and run
// by onnxruntime-node on the CPU EP with graph optimizations "all" and "disabled" (both must give
// the same bytes). The depthwise output is a graph output too, so the intermediate tensor is
// ORT's own, not ours. Scales are chosen from the accumulators so that outputs saturate at both
// ends, land on exact .5 ties, depend on int32->float32 rounding, or wrap int32.

import { createRequire } from "node:module";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import os from "node:os";
import * as P from "./onnx/proto.mjs";
import * as R from "./onnx/reference.mjs";
import { Rng } from "./onnx/rng.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = {
  int8: join(ROOT, "fixtures", "onnx-ort-int8.json"),
  uint8: join(ROOT, "fixtures", "onnx-ort-uint8.json"),
};
const SEED = 0x0d3c0de5;
const OPSET = 13;
const CASES_PER_DTYPE = 40;
const f32 = Math.fround;

const RANGE = { int8: { min: -128, max: 127 }, uint8: { min: 0, max: 255 } };
const ARRAY = { int8: Int8Array, uint8: Uint8Array };
const ONNX_TYPE = { int8: P.DataType.INT8, uint8: P.DataType.UINT8 };
// Flavors whose scales are all powers of two (so x, w and y scales can make 2^-k exactly).
const POW2 = new Set(["ties", "f32acc", "wrap"]);

// ---------------------------------------------------------------------------------------------
// Deterministic randomness


// ---------------------------------------------------------------------------------------------
// Case plans (shapes and flavors)

const KERNELS = [
  [3, 2], [1, 1], [3, 1], [1, 3], [2, 3], [5, 3], [5, 5], [3, 3], [2, 2], [4, 4],
  [3, 5], [1, 5], [5, 1], [2, 1], [4, 2], [2, 5], [1, 2], [4, 3],
];
const STRIDES = [[1, 1], [2, 2], [2, 1], [3, 3], [1, 2], [3, 1], [1, 3], [2, 3], [3, 2]];
// 36 random cases: dw flavor per case (the pw flavor is drawn per case, see planCases).
const FLAVOR_CYCLE = [
  "ties", "rand", "sat", "bigbias", "f32acc", "rand", "ties", "sat", "rand", "wrap",
  "bigbias", "ties", "rand", "f32acc", "sat", "ties", "rand", "bigbias", "ties", "rand",
  "sat", "f32acc", "bigbias", "ties", "rand", "wrap", "sat", "ties", "rand", "bigbias",
  "f32acc", "ties", "rand", "sat", "bigbias", "f32acc",
];

/** TF / ONNX SAME_UPPER padding for one dimension: [before, after]. */
function sameUpper(n, k, s) {
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function planCases(rng) {
  const plans = [];
  // MobileNet-like blocks first: 3x3 s1 pad 1 and 3x3 s2 SAME_UPPER on 8x8 maps.
  for (const [C, s, Cout] of [[32, 1, 40], [32, 2, 24], [64, 1, 40], [64, 2, 32]]) {
    const [pt, pb] = sameUpper(8, 3, s);
    const [pl, pr] = sameUpper(8, 3, s);
    plans.push({
      mobilenet: true, H: 8, W: 8, C, Cout, kernel: [3, 3], stride: [s, s],
      pad: { top: pt, left: pl, bottom: pb, right: pr }, dwFlavor: "rand", pwFlavor: "rand",
    });
  }
  for (let i = 0; plans.length < CASES_PER_DTYPE; i++) {
    const kernel = i < KERNELS.length ? KERNELS[i] : rng.pick(KERNELS);
    const stride = STRIDES[i % STRIDES.length];
    const [kh, kw] = kernel;
    // Each pad is < its kernel edge (ORT rejects larger pads); some exceed k/2.
    const pad = { top: rng.int(0, kh - 1), left: rng.int(0, kw - 1), bottom: rng.int(0, kh - 1), right: rng.int(0, kw - 1) };
    const H = Math.max(rng.int(1, 13), kh - pad.top - pad.bottom);
    const W = Math.max(rng.int(1, 13), kw - pad.left - pad.right);
    const C = rng.chance(0.75) ? 2 * rng.int(0, 18) + 1 : rng.int(1, 37);
    const Cout = rng.int(1, 40);
    const dwFlavor = FLAVOR_CYCLE[i % FLAVOR_CYCLE.length];
    // The pw input scale is the dw output scale: pow2 pw flavors need a pow2 dw.
    const pwChoices = POW2.has(dwFlavor)
      ? ["rand", "sat", "ties", "bigbias", "f32acc", "wrap"]
      : ["rand", "sat", "bigbias"];
    const pwFlavor = rng.chance(0.55) ? dwFlavor : rng.pick(pwChoices);
    plans.push({ mobilenet: false, H, W, C, Cout, kernel, stride, pad, dwFlavor, pwFlavor });
  }
  return plans;
}

// ---------------------------------------------------------------------------------------------
// Data, bias, scale and zero-point choices

function extremeZeroPoint(dtype, rng) {
  return dtype === "int8" ? rng.pick([-128, 127, 0]) : rng.pick([0, 255, 128]);
}

/** Output zero point; f32acc and wrap need v ≈ ±64.5 to stay inside the clamp window. */
function outputZeroPoint(dtype, flavor, rng) {
  if (flavor === "f32acc" || flavor === "wrap") return dtype === "int8" ? rng.int(-60, 60) : rng.int(68, 186);
  if (rng.chance(0.3)) return extremeZeroPoint(dtype, rng);
  const { min, max } = RANGE[dtype];
  return rng.int(min, max);
}

function inputData(dtype, flavor, n, zp, rng) {
  const { min, max } = RANGE[dtype];
  const x = new (ARRAY[dtype])(n);
  const near = flavor === "ties" || flavor === "f32acc";
  for (let i = 0; i < n; i++) {
    x[i] = near ? Math.min(max, Math.max(min, zp + rng.int(-6, 6))) : rng.int(min, max);
  }
  if (!near) for (let k = 0; k < Math.ceil(n / 40); k++) x[rng.int(0, n - 1)] = rng.chance(0.5) ? min : max;
  return x;
}

/** int8 weights; `pairSafe` keeps |w[2i]| + |w[2i+1]| <= 128 along each row of `rowLen`. */
function weights(flavor, rows, rowLen, rng, pairSafe) {
  const w = new Int8Array(rows * rowLen);
  const small = flavor === "ties" ? 3 : flavor === "f32acc" ? 2 : 0;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < rowLen; i++) {
      let v;
      if (small) v = rng.chance(0.3) ? 0 : rng.int(-small, small);
      else if (rng.chance(0.06)) v = rng.chance(0.5) ? -128 : 127;
      else v = rng.int(-128, 127);
      w[r * rowLen + i] = v;
    }
    if (pairSafe) {
      for (let i = 0; i + 1 < rowLen; i += 2) {
        const j = r * rowLen + i;
        const [a, b] = rng.chance(0.5) ? [j, j + 1] : [j + 1, j];
        const room = 128 - Math.abs(w[a]);
        w[b] = Math.max(-room, Math.min(Math.min(room, 127), w[b]));
      }
    }
  }
  return w;
}

function median(values) {
  const s = Array.from(values).sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Per-channel bias for `flavor`, given the channel's bias-free accumulators. */
function biases(flavor, sums, rng) {
  const C = sums.length;
  if ((flavor === "rand" || flavor === "sat" || flavor === "ties") && rng.chance(0.12)) return null;
  const b = new Int32Array(C);
  for (let c = 0; c < C; c++) {
    switch (flavor) {
      case "rand":
      case "sat":
        b[c] = rng.int(-(2 ** rng.int(6, 14)), 2 ** rng.int(6, 14));
        break;
      case "ties":
        b[c] = rng.int(-40, 40);
        break;
      case "bigbias": {
        const kind = rng.int(0, 2);
        if (kind === 0) b[c] = rng.sign() * (2 ** 20 + rng.int(-2000, 2000));
        else if (kind === 1) b[c] = rng.sign() * (2 ** 30 + rng.int(-60000, 60000));
        else b[c] = rng.int(-5000, 5000);
        break;
      }
      case "f32acc":
        // acc near ±(2^30 + 2^23): float32 spacing is 128 there, and 2^-24 * that is 64.5.
        b[c] = rng.sign() * (2 ** 30 + 2 ** 23) + rng.int(-100, 100);
        break;
      case "wrap": {
        // About half of the channel's accumulators wrap past ±2^31.
        const m = median(sums[c]);
        b[c] = m >= 0 ? 2 ** 31 - 1 - m : -(2 ** 31) - m;
        break;
      }
      default:
        throw new Error(`flavor ${flavor}`);
    }
  }
  return b;
}

function pow2(e) {
  return 2 ** e;
}

/**
 * Float32 scales { input, weights[], output } for one op. `accs[c]` are the channel's final
 * accumulators; `xScale` is fixed for the second op (it is the first op's output scale).
 */
function chooseScales(flavor, accs, xScale, rng, isDepthwise) {
  const C = accs.length;
  const maxAbs = accs.map((a) => Math.max(1, ...Array.from(a, Math.abs)));
  if (POW2.has(flavor)) {
    const xe = xScale === undefined ? -rng.int(5, 9) : Math.log2(xScale);
    if (!Number.isInteger(xe)) throw new Error("pow2 flavor needs a power-of-two input scale");
    const ye = -rng.int(2, 8);
    const wExp = [];
    for (let c = 0; c < C; c++) {
      let k;
      if (flavor === "f32acc") k = 24;
      else if (flavor === "wrap") k = 25;
      else {
        const target = isDepthwise ? rng.uniform(10, 60) : rng.uniform(40, 160);
        k = Math.min(30, Math.max(1, Math.ceil(Math.log2(maxAbs[c] / target))));
      }
      wExp.push(-k - xe + ye); // x * w / y = 2^-k exactly
    }
    return { input: pow2(xe), weights: wExp.map(pow2), output: pow2(ye) };
  }
  const input = xScale ?? f32(rng.logUniform(0.003, 0.05));
  const output = f32(rng.logUniform(0.01, 0.5));
  const w = [];
  for (let c = 0; c < C; c++) {
    const gain = flavor === "sat" ? rng.uniform(3, 40) : flavor === "bigbias" ? rng.uniform(0.3, 1.2) : rng.uniform(0.25, 1.5);
    w.push(f32(((gain * 127) / maxAbs[c]) * (output / input)));
  }
  return { input, weights: w, output };
}

function splitPlanes(acc, C) {
  const n = acc.length / C;
  return Array.from({ length: C }, (_, c) => acc.subarray(c * n, (c + 1) * n));
}

function requantFromScales(scales, zp, dtype) {
  const { min, max } = RANGE[dtype];
  return {
    scheme: "onnx",
    scale: scales.weights.map((w) => R.onnxScale(scales.input, w, scales.output)),
    outputZeroPoint: zp,
    min,
    max,
  };
}

// ---------------------------------------------------------------------------------------------
// Building one case's tensors (predictions only steer the pw scale choice; ORT gives `expected`)

function buildCase(plan, dtype, rng, index) {
  const { H, W, C, Cout, kernel, stride, pad, dwFlavor, pwFlavor } = plan;
  const [kh, kw] = kernel;
  const xZp = rng.chance(0.3) ? extremeZeroPoint(dtype, rng) : rng.int(RANGE[dtype].min, RANGE[dtype].max);
  const x = inputData(dtype, dwFlavor, C * H * W, xZp, rng);

  // Depthwise.
  const dwW = weights(dwFlavor, C, kh * kw, rng, false);
  const dwSums = R.depthwiseAcc(x, H, W, C, xZp, kernel, stride, pad, dwW, null);
  const { Ho, Wo } = dwSums;
  const dwBias = biases(dwFlavor, splitPlanes(dwSums.acc, C), rng);
  const dwAcc = R.depthwiseAcc(x, H, W, C, xZp, kernel, stride, pad, dwW, dwBias).acc;
  const dwScales = chooseScales(dwFlavor, splitPlanes(dwAcc, C), undefined, rng, true);
  const midZp = outputZeroPoint(dtype, dwFlavor, rng);
  const dwRequant = requantFromScales(dwScales, midZp, dtype);
  const midPredicted = R.requantPlanes(dwAcc, C, dwRequant.scale, midZp, dwRequant.min, dwRequant.max).out;

  // Pointwise. uint8 x int8 needs pair-safe weights: see the `source` note and probeU8S8().
  const pwW = weights(pwFlavor, Cout, C, rng, dtype === "uint8");
  const pwSums = R.pointwiseAcc(midPredicted, Ho, Wo, C, midZp, Cout, pwW, null);
  const pwBias = biases(pwFlavor, splitPlanes(pwSums, Cout), rng);
  const pwAcc = R.pointwiseAcc(midPredicted, Ho, Wo, C, midZp, Cout, pwW, pwBias);
  const pwScales = chooseScales(pwFlavor, splitPlanes(pwAcc, Cout), dwScales.output, rng, false);
  const outZp = outputZeroPoint(dtype, pwFlavor, rng);
  const pwRequant = requantFromScales(pwScales, outZp, dtype);

  const s = stride[0] === stride[1] ? `${stride[0]}` : `${stride[0]}x${stride[1]}`;
  const flavorTag = dwFlavor === pwFlavor ? dwFlavor : `${dwFlavor}+${pwFlavor}`;
  const zps = [xZp, midZp, outZp];
  const tags = [
    plan.mobilenet ? "mobilenet" : null,
    flavorTag,
    zps.some((z) => z === RANGE[dtype].min || z === RANGE[dtype].max) ? "zpext" : null,
    !dwBias || !pwBias ? "nobias" : null,
  ].filter(Boolean);
  const name =
    `ort-${String(index).padStart(2, "0")}-dw${kh}x${kw}-s${s}-pad${pad.top}${pad.left}${pad.bottom}${pad.right}` +
    `-h${H}w${W}c${C}-pw${Cout}-${tags.join("-")}`;

  return {
    name, dtype, H, W, C, Cout, Ho, Wo, kernel, stride, pad, x, xZp,
    dw: { w: dwW, bias: dwBias, scales: dwScales, requant: dwRequant },
    pw: { w: pwW, bias: pwBias, scales: pwScales, requant: pwRequant },
  };
}

// ---------------------------------------------------------------------------------------------
// ONNX model and ONNX Runtime

function qlinearConvInits(prefix, dtype, w, wDims, scales, bias, yZp) {
  const T = ONNX_TYPE[dtype];
  const A = ARRAY[dtype];
  const M = wDims[0];
  const inits = [
    P.tensor(`${prefix}_w`, P.DataType.INT8, wDims, w),
    P.tensor(`${prefix}_w_scale`, P.DataType.FLOAT, [M], Float32Array.from(scales.weights)),
    P.tensor(`${prefix}_w_zero_point`, P.DataType.INT8, [M], new Int8Array(M)),
    P.tensor(`${prefix}_y_scale`, P.DataType.FLOAT, [], Float32Array.of(scales.output)),
    P.tensor(`${prefix}_y_zero_point`, T, [], A.of(yZp)),
  ];
  if (bias) inits.push(P.tensor(`${prefix}_b`, P.DataType.INT32, [M], bias));
  return inits;
}

function buildModel(k) {
  const { dtype, H, W, C, Cout, Ho, Wo, kernel, stride, pad, xZp, dw, pw } = k;
  const T = ONNX_TYPE[dtype];
  const inits = [
    P.tensor("x_scale", P.DataType.FLOAT, [], Float32Array.of(dw.scales.input)),
    P.tensor("x_zero_point", T, [], ARRAY[dtype].of(xZp)),
    ...qlinearConvInits("dw", dtype, dw.w, [C, 1, kernel[0], kernel[1]], dw.scales, dw.bias, dw.requant.outputZeroPoint),
    ...qlinearConvInits("pw", dtype, pw.w, [Cout, C, 1, 1], pw.scales, pw.bias, pw.requant.outputZeroPoint),
  ];
  const ins = (p, xName, xs, xzp, bias) =>
    [xName, xs, xzp, `${p}_w`, `${p}_w_scale`, `${p}_w_zero_point`, `${p}_y_scale`, `${p}_y_zero_point`].concat(bias ? [`${p}_b`] : []);
  const nodes = [
    P.node("QLinearConv", ins("dw", "x", "x_scale", "x_zero_point", dw.bias), ["mid"], [
      P.attrInt("group", C),
      P.attrInts("kernel_shape", kernel),
      P.attrInts("strides", stride),
      P.attrInts("pads", [pad.top, pad.left, pad.bottom, pad.right]),
      P.attrInts("dilations", [1, 1]),
    ], "depthwise"),
    P.node("QLinearConv", ins("pw", "mid", "dw_y_scale", "dw_y_zero_point", pw.bias), ["y"], [
      P.attrInt("group", 1),
      P.attrInts("kernel_shape", [1, 1]),
    ], "pointwise"),
  ];
  return P.model({
    opset: OPSET,
    graph: P.graph({
      name: k.name,
      nodes,
      initializers: inits,
      inputs: [P.valueInfo("x", T, [1, C, H, W])],
      outputs: [P.valueInfo("mid", T, [1, C, Ho, Wo]), P.valueInfo("y", T, [1, Cout, Ho, Wo])],
    }),
  });
}

async function runOrt(ort, modelBytes, dtype, x, shape, level) {
  const session = await ort.InferenceSession.create(modelBytes, {
    executionProviders: ["cpu"],
    graphOptimizationLevel: level,
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  try {
    const r = await session.run({ x: new ort.Tensor(dtype, x, shape) });
    const bytes = (t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
    return { mid: bytes(r.mid), y: bytes(r.y) };
  } finally {
    await session.release();
  }
}

/**
 * Does this host's U8S8 1x1 QLinearConv saturate pairs of adjacent input channels to int16
 * (MLAS's AVX2 / AVX-512BW kernels use vpmaddubsw; VNNI and the wasm build do not)?
 * x = 255 everywhere, weights [127, 127] vs [127, 0, 0, 127]: the exact result is the bias.
 */
async function probeU8S8(ort) {
  const probe = async (w) => {
    const Cin = w.length;
    const bias = Int32Array.of(50 - 255 * w.reduce((a, b) => a + b, 0));
    const model = P.model({
      opset: OPSET,
      graph: P.graph({
        name: "probe",
        nodes: [P.node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["y"], [P.attrInts("kernel_shape", [1, 1])])],
        initializers: [
          P.tensor("xs", P.DataType.FLOAT, [], Float32Array.of(1)),
          P.tensor("xz", P.DataType.UINT8, [], Uint8Array.of(0)),
          P.tensor("w", P.DataType.INT8, [1, Cin, 1, 1], Int8Array.from(w)),
          P.tensor("ws", P.DataType.FLOAT, [1], Float32Array.of(1)),
          P.tensor("wz", P.DataType.INT8, [1], Int8Array.of(0)),
          P.tensor("ys", P.DataType.FLOAT, [], Float32Array.of(1)),
          P.tensor("yz", P.DataType.UINT8, [], Uint8Array.of(0)),
          P.tensor("b", P.DataType.INT32, [1], bias),
        ],
        inputs: [P.valueInfo("x", P.DataType.UINT8, [1, Cin, 1, 1])],
        outputs: [P.valueInfo("y", P.DataType.UINT8, [1, 1, 1, 1])],
      }),
    });
    const s = await ort.InferenceSession.create(model, { executionProviders: ["cpu"], intraOpNumThreads: 1 });
    const r = await s.run({ x: new ort.Tensor("uint8", new Uint8Array(Cin).fill(255), [1, Cin, 1, 1]) });
    await s.release();
    return r.y.data[0];
  };
  const paired = await probe([127, 127]);
  const split = await probe([127, 0, 0, 127]);
  return { saturates: paired !== 50, paired, split };
}

function hostDescription() {
  let flags = "";
  try {
    flags = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    // not Linux: fall back to the CPU model only
  }
  const isa = /\bavx512_vnni\b/.test(flags)
    ? "AVX512-VNNI"
    : /\bavx_vnni\b/.test(flags)
      ? "AVX-VNNI"
      : /\bavx512bw\b/.test(flags)
        ? "AVX512BW (no VNNI)"
        : /\bavx2\b/.test(flags)
          ? "AVX2 (no VNNI)"
          : "ISA unknown";
  const arch = process.arch === "x64" ? "x86-64" : process.arch;
  return `${arch} ${isa}, ${os.cpus()[0]?.model.trim() ?? "unknown CPU"}`;
}

// ---------------------------------------------------------------------------------------------
// Vector file writing

const b64 = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

function tensorJson(height, width, channels, dtype, zeroPoint, bytes) {
  return { height, width, channels, dtype, zeroPoint, data: b64(bytes) };
}

function caseJson(k, mid, y) {
  const { dtype, H, W, C, Cout, Ho, Wo, kernel, stride, pad, x, xZp, dw, pw } = k;
  return {
    name: k.name,
    layout: "CHW",
    input: tensorJson(H, W, C, dtype, xZp, x),
    ops: [
      {
        kind: "depthwise",
        kernel,
        stride,
        pad,
        outChannels: C,
        weights: b64(dw.w),
        bias: dw.bias ? b64(dw.bias) : null,
        scales: dw.scales,
        requant: dw.requant,
        expected: tensorJson(Ho, Wo, C, dtype, dw.requant.outputZeroPoint, mid),
      },
      {
        kind: "pointwise",
        kernel: [1, 1],
        stride: [1, 1],
        pad: { top: 0, left: 0, bottom: 0, right: 0 },
        outChannels: Cout,
        weights: b64(pw.w),
        bias: pw.bias ? b64(pw.bias) : null,
        scales: pw.scales,
        requant: pw.requant,
        expected: tensorJson(Ho, Wo, Cout, dtype, pw.requant.outputZeroPoint, y),
      },
    ],
  };
}

/** JSON in the shared vectors' style: number arrays and all-number objects on one line. */
function formatJson(v, indent = "") {
  if (Array.isArray(v)) {
    if (v.every((e) => typeof e === "number")) return `[${v.map((e) => JSON.stringify(e)).join(", ")}]`;
    const inner = indent + "  ";
    return `[\n${v.map((e) => inner + formatJson(e, inner)).join(",\n")}\n${indent}]`;
  }
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length > 0 && keys.every((key) => typeof v[key] === "number")) {
      return `{ ${keys.map((key) => `${JSON.stringify(key)}: ${JSON.stringify(v[key])}`).join(", ")} }`;
    }
    const inner = indent + "  ";
    return `{\n${keys.map((key) => `${inner}${JSON.stringify(key)}: ${formatJson(v[key], inner)}`).join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------------------------
// Verification against SPEC §2 + §3 onnx (scripts/onnx/reference.mjs)

function decode(b64text, Type) {
  const buf = Buffer.from(b64text, "base64");
  const copy = new Uint8Array(buf.length);
  copy.set(buf);
  return new Type(copy.buffer, 0, copy.length / Type.BYTES_PER_ELEMENT);
}

/** Checks one vector file; returns { cases, mismatches: string[], stats }. */
function verifyFile(path) {
  const doc = JSON.parse(readFileSync(path, "utf8"));
  const problems = [];
  const stats = { cases: doc.cases.length, outputs: 0, ties: 0, clampedLow: 0, clampedHigh: 0, f32Sensitive: 0, wrapped: 0 };
  if (doc.scheme !== "onnx") problems.push(`${path}: scheme ${doc.scheme}`);
  for (const kase of doc.cases) {
    const where = `${kase.name}`;
    let t = kase.input;
    let x = decode(t.data, ARRAY[t.dtype]);
    if (kase.layout !== "CHW") problems.push(`${where}: layout ${kase.layout}`);
    let prevScale = null;
    kase.ops.forEach((op, oi) => {
      const at = `${where} op${oi} ${op.kind}`;
      const rq = op.requant;
      const C = t.channels;
      const w = decode(op.weights, Int8Array);
      const bias = op.bias === null ? null : decode(op.bias, Int32Array);
      // Requant parameters derive from the stored scales exactly (SPEC §3 onnx derivation).
      if (op.scales) {
        if (prevScale !== null && op.scales.input !== prevScale) problems.push(`${at}: input scale != previous output scale`);
        op.scales.weights.forEach((ws, c) => {
          const want = R.onnxScale(op.scales.input, ws, op.scales.output);
          if (rq.scale[c] !== want) problems.push(`${at}: requant.scale[${c}] = ${rq.scale[c]}, derivation gives ${want}`);
        });
        prevScale = op.scales.output;
      }
      for (const s of rq.scale) if (f32(s) !== s) problems.push(`${at}: scale ${s} is not a float32 value`);
      let acc;
      let Ho = t.height;
      let Wo = t.width;
      let sums;
      if (op.kind === "depthwise") {
        if (op.outChannels !== C) problems.push(`${at}: outChannels ${op.outChannels} != C ${C}`);
        const r = R.depthwiseAcc(x, t.height, t.width, C, t.zeroPoint, op.kernel, op.stride, op.pad, w, bias);
        acc = r.acc;
        Ho = r.Ho;
        Wo = r.Wo;
        sums = R.depthwiseAcc(x, t.height, t.width, C, t.zeroPoint, op.kernel, op.stride, op.pad, w, null).acc;
      } else {
        acc = R.pointwiseAcc(x, t.height, t.width, C, t.zeroPoint, op.outChannels, w, bias);
        sums = R.pointwiseAcc(x, t.height, t.width, C, t.zeroPoint, op.outChannels, w, null);
      }
      const e = op.expected;
      const Cout = op.outChannels;
      if (e.height !== Ho || e.width !== Wo || e.channels !== Cout) {
        problems.push(`${at}: expected shape ${e.height}x${e.width}x${e.channels}, SPEC gives ${Ho}x${Wo}x${Cout}`);
      }
      if (e.zeroPoint !== rq.outputZeroPoint) problems.push(`${at}: expected.zeroPoint != requant.outputZeroPoint`);
      const wantDtype = rq.min >= 0 && rq.max > 127 ? "uint8" : "int8";
      if (e.dtype !== wantDtype) problems.push(`${at}: expected dtype ${e.dtype}, SPEC §4 gives ${wantDtype}`);
      const got = decode(e.data, ARRAY[e.dtype]);
      const ref = R.requantPlanes(acc, Cout, rq.scale, rq.outputZeroPoint, rq.min, rq.max);
      stats.outputs += ref.out.length;
      stats.ties += ref.ties;
      stats.clampedLow += ref.clampedLow;
      stats.clampedHigh += ref.clampedHigh;
      const HW = Ho * Wo;
      let shown = 0;
      for (let i = 0; i < ref.out.length; i++) {
        const c = Math.floor(i / HW);
        // Would exact real arithmetic (no float32 rounding of acc or product) round differently?
        const exact = Math.min(Math.max(acc[i] * rq.scale[c], rq.min - rq.outputZeroPoint), rq.max - rq.outputZeroPoint);
        if (R.roundHalfEven(exact) + rq.outputZeroPoint !== ref.out[i]) stats.f32Sensitive++;
        if ((bias ? bias[c] : 0) + sums[i] !== acc[i]) stats.wrapped++;
        if (got[i] !== ref.out[i]) {
          if (shown++ < 8) {
            const p = i % HW;
            const v = f32(f32(acc[i]) * rq.scale[c]);
            problems.push(
              `${at}: channel ${c} y ${Math.floor(p / Wo)} x ${p % Wo}: acc ${acc[i]}, scale ${rq.scale[c]}, ` +
                `v = f32(f32(acc)*scale) = ${v}, zp ${rq.outputZeroPoint}: ORT gave ${got[i]}, SPEC formula gives ${ref.out[i]}`,
            );
          }
        }
      }
      if (shown > 8) problems.push(`${at}: ... ${shown} mismatching outputs in all`);
      t = e;
      x = got;
    });
  }
  return { problems, stats };
}

function runVerify(paths) {
  let bad = 0;
  for (const path of paths) {
    const { problems, stats } = verifyFile(path);
    const rel = relative(process.cwd(), path) || path;
    console.log(
      `${rel}: ${stats.cases} cases, ${stats.outputs} outputs, ${stats.ties} exact .5 ties, ` +
        `${stats.clampedLow}/${stats.clampedHigh} clamped low/high, ${stats.f32Sensitive} where float32 rounding changes the byte, ` +
        `${stats.wrapped} wrapped accumulators: ${problems.length === 0 ? "all match SPEC §2 + §3 onnx" : `${problems.length} problems`}`,
    );
    for (const p of problems) console.log(`  ${p}`);
    bad += problems.length;
  }
  return bad;
}

// ---------------------------------------------------------------------------------------------
// Main

async function generate() {
  const started = performance.now();
  const require = createRequire(import.meta.url);
  const ort = require("onnxruntime-node");
  const ortVersion = ort.env.versions.node ?? ort.env.versions.common;
  const host = hostDescription();
  const u8s8 = await probeU8S8(ort);
  console.log(
    `onnxruntime-node ${ortVersion} on ${host}; U8S8 probe: [127,127] x 255 -> ${u8s8.paired}, ` +
      `[127,0,0,127] x 255 -> ${u8s8.split} (exact: 50) => ${u8s8.saturates ? "saturates int16 pairs" : "exact"}`,
  );

  const levelDiffs = [];
  for (const [di, dtype] of ["int8", "uint8"].entries()) {
    const rng = new Rng(SEED + di);
    const plans = planCases(rng);
    const cases = [];
    for (const [i, plan] of plans.entries()) {
      const k = buildCase(plan, dtype, rng, i);
      const model = buildModel(k);
      const shape = [1, k.C, k.H, k.W];
      const all = await runOrt(ort, model, dtype, k.x, shape, "all");
      const off = await runOrt(ort, model, dtype, k.x, shape, "disabled");
      for (const key of ["mid", "y"]) {
        if (Buffer.compare(Buffer.from(all[key]), Buffer.from(off[key])) !== 0) {
          levelDiffs.push(`${dtype} ${k.name}: ${key} differs between graphOptimizationLevel all and disabled`);
        }
      }
      cases.push(caseJson(k, all.mid, all.y));
    }
    const pairNote =
      dtype === "uint8"
        ? "; pointwise weights keep |w[2i]| + |w[2i+1]| <= 128 in every output channel, because MLAS's " +
          "x86 U8S8 kernels without VNNI (vpmaddubsw) saturate each adjacent input-channel pair to int16 " +
          `(this host ${u8s8.saturates ? "does" : "does not"}: 255*[127,127] + bias gave ${u8s8.paired}, exact 50), ` +
          "so these bytes are ORT's on any ISA"
        : "";
    const doc = {
      source:
        `ONNX Runtime ${ortVersion} (onnxruntime-node, CPU EP / MLAS, ${host}, 1 thread, graphOptimizationLevel all) ` +
        `QLinearConv opset ${OPSET}: depthwise (group = C) then 1x1, ${dtype} activations, int8 per-channel weights ` +
        `(zero point 0), int32 bias; models built in memory by scripts/make-fixtures.mjs (seed 0x${(SEED + di).toString(16)}), ` +
        `the intermediate is the depthwise node's output taken as a graph output; every byte cross-checked equal with ` +
        `graphOptimizationLevel disabled and to scripts/onnx/reference.mjs (SPEC §2 + §3 onnx)${pairNote}`,
      scheme: "onnx",
      cases,
    };
    mkdirSync(dirname(OUT[dtype]), { recursive: true });
    writeFileSync(OUT[dtype], formatJson(doc) + "\n");
  }
  for (const d of levelDiffs) console.log(d);
  const bad = runVerify([OUT.int8, OUT.uint8]);
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return bad + levelDiffs.length;
}

const args = process.argv.slice(2);
let failures;
if (args[0] === "--verify") {
  const files = args.slice(1);
  failures = runVerify(files.length ? files : [OUT.int8, OUT.uint8]);
} else {
  failures = await generate();
}
process.exitCode = failures === 0 ? 0 : 1;
