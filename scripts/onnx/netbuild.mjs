// Quantized test networks for dwpw's ONNX import: a seeded builder that calibrates every layer on
// a calibration input (like post-training quantization does, so activations spread over the
// quantized range instead of saturating or collapsing), and writers for the two ONNX forms of the
// same network:
//   - QLinear form: QLinearConv, QLinearAdd, QLinearGlobalAveragePool, QGemm / QLinearMatMul, with
//     QuantizeLinear / DequantizeLinear at the edges;
//   - QDQ form: DequantizeLinear -> Conv/Add/GlobalAveragePool/Gemm/MatMul -> [Relu/Clip] ->
//     QuantizeLinear, with integer initializers behind DequantizeLinear nodes.
// Both forms name every quantized activation tensor the same, so one set of expected outputs
// serves both.
//
// uint8 models keep the weights of every convolution or matrix product that ONNX Runtime runs as
// a GEMM (pointwise, standard convolutions, fully connected) inside |w[2i]| + |w[2i+1]| <= 128 for
// adjacent reduction elements: on x86 without VNNI, MLAS's u8 x s8 kernels (vpmaddubsw) saturate
// each adjacent pair of products to int16, so larger pairs would give ORT's bytes, not the
// mathematical result. Pointwise weights are kept pair-safe along input channels; standard
// convolutions and fully connected layers (whose reduction order depends on ORT's layout) keep
// |w| <= 64. Depthwise weights and int8 models use the full int8 range.

import * as P from "./proto.mjs";
import { addWasm, addX86 } from "./addref.mjs";
import { Rng } from "./rng.mjs";
export { mulberry32, Rng } from "./rng.mjs";

const f32 = Math.fround;
export const OPSET = 13;

// ---------------------------------------------------------------------------------------------
// Randomness


export function roundHalfEven(v) {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

const RANGE = { int8: [-128, 127], uint8: [0, 255] };
const ARRAY = { int8: Int8Array, uint8: Uint8Array };
const ONNX_TYPE = { int8: P.DataType.INT8, uint8: P.DataType.UINT8 };

// ---------------------------------------------------------------------------------------------
// Integer simulation (CHW), used only to calibrate: ONNX Runtime gives the expected bytes.

function requant(acc, scale, zp, [lo, hi]) {
  let v = f32(f32(acc) * scale);
  v = Math.min(Math.max(v, lo - zp), hi - zp);
  return roundHalfEven(v) + zp;
}

/** Accumulators (no bias) of a grouped convolution, CHW; returns { acc: Int32Array[M][Ho][Wo], Ho, Wo }. */
function convAcc(x, zx, [C, H, W], l) {
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.stride;
  const [dh, dw] = l.dilation;
  const { top, left, bottom, right } = l.pad;
  const Ho = Math.floor((H + top + bottom - (dh * (kh - 1) + 1)) / sh) + 1;
  const Wo = Math.floor((W + left + right - (dw * (kw - 1) + 1)) / sw) + 1;
  const M = l.outChannels;
  const cg = C / l.group;
  const mg = M / l.group;
  const acc = new Int32Array(M * Ho * Wo);
  for (let m = 0; m < M; m++) {
    const g = Math.floor(m / mg);
    for (let ci = 0; ci < cg; ci++) {
      const plane = (g * cg + ci) * H * W;
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          const wv = l.w[((m * cg + ci) * kh + ky) * kw + kx];
          if (wv === 0) continue;
          for (let oy = 0; oy < Ho; oy++) {
            const iy = oy * sh - top + ky * dh;
            if (iy < 0 || iy >= H) continue;
            for (let ox = 0; ox < Wo; ox++) {
              const ix = ox * sw - left + kx * dw;
              if (ix < 0 || ix >= W) continue;
              const o = (m * Ho + oy) * Wo + ox;
              acc[o] = (acc[o] + (x[plane + iy * W + ix] - zx) * wv) | 0;
            }
          }
        }
      }
    }
  }
  return { acc, Ho, Wo };
}

/** Output geometry only (no calibration): a zero accumulator array. */
function convShape([, H, W], l) {
  const [kh, kw] = l.kernel;
  const Ho = Math.floor((H + l.pad.top + l.pad.bottom - (l.dilation[0] * (kh - 1) + 1)) / l.stride[0]) + 1;
  const Wo = Math.floor((W + l.pad.left + l.pad.right - (l.dilation[1] * (kw - 1) + 1)) / l.stride[1]) + 1;
  return { acc: { length: l.outChannels * Ho * Wo, subarray: () => [0] }, Ho, Wo };
}

function stats(values) {
  let s = 0;
  let s2 = 0;
  for (const v of values) {
    s += v;
    s2 += v * v;
  }
  const n = values.length;
  const mean = s / n;
  return { mean, std: Math.sqrt(Math.max(s2 / n - mean * mean, 0)) };
}

// ---------------------------------------------------------------------------------------------
// The network builder

const TARGET_STD = 30;

/**
 * Builds a calibrated network. `def` = { name, dtype, input: { shape: [1, C, H, W], float }, seed,
 * perTensor: Set of layer names with a per-tensor weight scale }. Layers are added with the
 * methods below, each returning its output tensor name; `finish(outputs)` ends the network.
 */
export class NetBuilder {
  constructor({ name, dtype, inputShape, floatInput = true, seed = 1, perTensor = [], calibration, calibrate = true, pairSafe = true }) {
    /** uint8 models keep GEMM weights pair-safe (see the file comment) unless this is false. */
    this.pairSafe = pairSafe;
    /** Without calibration, scales come from fixed statistics and no activation is simulated
     * (fast; for tests that only need the graph's shapes). */
    this.calibrate = calibrate;
    this.name = name;
    this.dtype = dtype;
    this.range = RANGE[dtype];
    this.rng = new Rng(seed);
    this.perTensor = new Set(perTensor);
    this.layers = [];
    this.tensors = new Map(); // name -> { shape, scale, zp, data (calibration values, CHW) }
    this.floatInput = floatInput;
    this.inputShape = inputShape;
    const [, C, H, W] = inputShape;
    const n = C * H * W;
    // Input quantization: [-1, 1] floats.
    const scale = f32(2 / 255);
    const zp = dtype === "int8" ? 0 : 128;
    const data = calibration ?? Float32Array.from({ length: n }, () => this.rng.uniform(-1, 1));
    this.inputFloat = data;
    const [lo, hi] = this.range;
    const q = ARRAY[dtype].from(data, (v) => Math.min(Math.max(roundHalfEven(f32(v / scale)) + zp, lo), hi));
    this.input = { name: "input", shape: inputShape };
    const first = floatInput ? "input_q" : "input";
    this.tensors.set(first, { shape: inputShape, scale, zp, data: q });
    this.first = first;
  }

  uniqueWeights(count, perRow, amp, opts) {
    const w = new Int8Array(count * perRow);
    for (let r = 0; r < count; r++) {
      const a = Math.min(amp ?? this.rng.int(24, 127), opts.maxAbs ?? 127);
      for (let i = 0; i < perRow; i++) w[r * perRow + i] = this.rng.int(-a, a);
      if (opts.pairSafe) {
        for (let i = 0; i + 1 < perRow; i += 2) {
          const j = r * perRow + i;
          const [p, q] = this.rng.next() < 0.5 ? [j, j + 1] : [j + 1, j];
          const room = 128 - Math.abs(w[p]);
          w[q] = Math.max(-room, Math.min(Math.min(room, 127), w[q]));
        }
      }
    }
    return w;
  }

  outScale() {
    // <= 6/255 so that a ReLU6 (Clip 0..6) in front of the QuantizeLinear folds in ONNX Runtime.
    return f32(this.rng.uniform(0.008, 0.0235));
  }

  /**
   * A convolution. opts: { out, outChannels, kernel, stride, pad, autoPad, group, dilation, act:
   * "relu" | "relu6" | null, bias: true }.
   */
  conv(input, opts) {
    const x = this.tensors.get(input);
    const [, C, H, W] = x.shape;
    const kernel = opts.kernel ?? [1, 1];
    const stride = opts.stride ?? [1, 1];
    const dilation = opts.dilation ?? [1, 1];
    const group = opts.group ?? 1;
    const M = opts.outChannels ?? C;
    const pad = opts.pad ?? { top: 0, left: 0, bottom: 0, right: 0 };
    const cg = C / group;
    const perRow = cg * kernel[0] * kernel[1];
    const isDw = group === C && M === C && dilation[0] === 1 && dilation[1] === 1;
    const isPw = group === 1 && kernel[0] === 1 && kernel[1] === 1;
    const u8 = this.dtype === "uint8" && this.pairSafe;
    const w = this.uniqueWeights(M, perRow, undefined, {
      pairSafe: u8 && isPw,
      maxAbs: u8 && !isDw && !isPw ? 64 : 127,
    });
    const l = { type: "conv", name: opts.name, input, output: opts.out ?? `${opts.name}_out`, kernel, stride, dilation, group, outChannels: M, pad, autoPad: opts.autoPad ?? null, w, act: opts.act ?? null };
    const { acc, Ho, Wo } = this.calibrate ? convAcc(x.data, x.zp, [C, H, W], l) : convShape([C, H, W], l);
    const sy = this.outScale();
    const [lo, hi] = this.range;
    const relu = l.act !== null;
    const zy = relu ? lo : this.rng.int(lo + 108, lo + 148);
    const ws = new Float32Array(M);
    const bias = new Int32Array(M);
    const HW = Ho * Wo;
    const st = [];
    for (let m = 0; m < M; m++) st.push(stats(acc.subarray(m * HW, (m + 1) * HW)));
    const perTensor = this.perTensor.has(opts.name);
    const medianStd = st.map((s) => s.std).sort((a, b) => a - b)[Math.floor(M / 2)] || 1;
    for (let m = 0; m < M; m++) {
      const sd = perTensor ? medianStd : Math.max(st[m].std, 1);
      ws[m] = f32((TARGET_STD * sy) / (x.scale * sd) * this.rng.uniform(0.8, 1.25));
      const shift = relu ? 0.6 * st[m].std : 0;
      bias[m] = Math.round(-st[m].mean + shift + this.rng.uniform(-0.2, 0.2) * st[m].std);
    }
    l.wScale = perTensor ? Float32Array.of(ws[0]) : ws;
    l.bias = opts.bias === false ? null : bias;
    l.xScale = x.scale;
    l.xZp = x.zp;
    l.yScale = sy;
    l.yZp = zy;
    const out = new ARRAY[this.dtype](M * HW);
    for (let m = 0; m < M && this.calibrate; m++) {
      const s = f32(f32(x.scale * l.wScale[perTensor ? 0 : m]) / sy);
      for (let i = 0; i < HW; i++) out[m * HW + i] = requant((acc[m * HW + i] + (l.bias ? l.bias[m] : 0)) | 0, s, zy, this.range);
    }
    this.tensors.set(l.output, { shape: [1, M, Ho, Wo], scale: sy, zp: zy, data: out });
    this.layers.push(l);
    return l.output;
  }

  /** Residual add of two tensors of one shape. */
  add(a, b, opts) {
    const ta = this.tensors.get(a);
    const tb = this.tensors.get(b);
    const n = ta.data.length;
    const real = new Float64Array(n);
    for (let i = 0; i < n; i++) real[i] = ta.scale * (ta.data[i] - ta.zp) + tb.scale * (tb.data[i] - tb.zp);
    const { mean, std } = stats(real);
    let sc = f32(Math.max(std, 1e-3) / TARGET_STD);
    const [lo, hi] = this.range;
    const mid = (lo + hi + 1) / 2;
    const zc = Math.max(lo, Math.min(hi, Math.round(mid - mean / sc)));
    if (this.calibrate && opts.roundingSensitive !== false) sc = this.sensitiveScale(ta, tb, sc, zc);
    const out = new ARRAY[this.dtype](n);
    for (let i = 0; i < n; i++) out[i] = Math.max(lo, Math.min(hi, roundHalfEven(real[i] / sc) + zc));
    const l = { type: "add", name: opts.name, inputs: [a, b], output: opts.out ?? `${opts.name}_out`, aScale: ta.scale, aZp: ta.zp, bScale: tb.scale, bZp: tb.zp, yScale: sc, yZp: zc };
    this.tensors.set(l.output, { shape: ta.shape.slice(), scale: sc, zp: zc, data: out });
    this.layers.push(l);
    return l.output;
  }

  /**
   * ONNX Runtime's x86 and WebAssembly builds round QLinearAdd differently on about one output in
   * 10^5. Among output scales within half a percent of the calibrated one, this
   * picks the one where the two roundings disagree on the most calibration (a, b) pairs, so that
   * the test models exercise the difference.
   */
  sensitiveScale(ta, tb, sc, zc) {
    const pairs = new Map();
    for (let i = 0; i < ta.data.length; i++) {
      const k = (ta.data[i] & 255) * 256 + (tb.data[i] & 255);
      pairs.set(k, (pairs.get(k) ?? 0) + 1);
    }
    const list = [...pairs];
    let best = { sc, hits: -1 };
    for (let j = 0; j < 160; j++) {
      const cand = j === 0 ? sc : f32(sc * (1 + (j - 80) * 2 ** -14));
      const p = { sa: ta.scale, za: ta.zp, sb: tb.scale, zb: tb.zp, sc: cand, zc };
      let hits = 0;
      for (const [k, n] of list) {
        const a = this.dtype === "int8" ? ((k >> 8) << 24) >> 24 : k >> 8;
        const b = this.dtype === "int8" ? ((k & 255) << 24) >> 24 : k & 255;
        if (addX86(a, b, p, this.range) !== addWasm(a, b, p, this.range)) hits += n;
      }
      if (hits > best.hits) best = { sc: cand, hits };
    }
    return best.sc;
  }

  /** Global average pool to [1, C, 1, 1]. */
  gap(input, opts) {
    const x = this.tensors.get(input);
    const [, C, H, W] = x.shape;
    const HW = H * W;
    const means = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let i = 0; i < HW; i++) s += x.data[c * HW + i] - x.zp;
      means[c] = (s / HW) * x.scale;
    }
    const { mean, std } = stats(means);
    const sy = f32(Math.max(std, 1e-4) / TARGET_STD);
    const [lo, hi] = this.range;
    const zy = Math.max(lo, Math.min(hi, Math.round((lo + hi + 1) / 2 - mean / sy)));
    const scale = f32(x.scale / f32(sy * HW));
    const out = new ARRAY[this.dtype](C);
    for (let c = 0; c < C; c++) {
      let acc = -x.zp * HW;
      for (let i = 0; i < HW; i++) acc += x.data[c * HW + i];
      out[c] = requant(acc, scale, zy, this.range);
    }
    const l = { type: "gap", name: opts.name, input, output: opts.out ?? `${opts.name}_out`, xScale: x.scale, xZp: x.zp, yScale: sy, yZp: zy };
    this.tensors.set(l.output, { shape: [1, C, 1, 1], scale: sy, zp: zy, data: out });
    this.layers.push(l);
    return l.output;
  }

  /** Flatten [1, C, 1, 1] (or any) to [1, K]. */
  flatten(input, opts) {
    const x = this.tensors.get(input);
    const K = x.data.length;
    const l = { type: "flatten", name: opts.name, input, output: opts.out ?? `${opts.name}_out`, scale: x.scale, zp: x.zp };
    this.tensors.set(l.output, { shape: [1, K], scale: x.scale, zp: x.zp, data: x.data });
    this.layers.push(l);
    return l.output;
  }

  /** Fully connected [1, K] -> [1, N]: `flavor` "gemm" (QGemm / Gemm with bias) or "matmul" (QLinearMatMul / MatMul, no bias). */
  fc(input, opts) {
    const x = this.tensors.get(input);
    const K = x.shape[1];
    const N = opts.outFeatures;
    const u8 = this.dtype === "uint8" && this.pairSafe;
    const w = this.uniqueWeights(N, K, undefined, { maxAbs: u8 ? 64 : 127 });
    const acc = new Int32Array(N);
    for (let n = 0; n < N; n++) {
      let a = 0;
      for (let k = 0; k < K; k++) a += (x.data[k] - x.zp) * w[n * K + k];
      acc[n] = a;
    }
    // One calibration sample: spread the logits by the weight norms.
    const sy = this.outScale();
    const [lo, hi] = this.range;
    const zy = this.rng.int(lo + 108, lo + 148);
    const ws = new Float32Array(N);
    const bias = new Int32Array(N);
    const flavor = opts.flavor ?? "gemm";
    for (let n = 0; n < N; n++) {
      let s2 = 0;
      for (let k = 0; k < K; k++) s2 += w[n * K + k] ** 2;
      const sd = Math.sqrt(s2) * 30 + 1;
      ws[n] = f32((TARGET_STD * sy) / (x.scale * sd));
      bias[n] = flavor === "gemm" ? Math.round(-acc[n] + this.rng.uniform(-1, 1) * sd) : 0;
    }
    const l = { type: "fc", name: opts.name, input, output: opts.out ?? `${opts.name}_out`, K, N, w, wScale: ws, bias: flavor === "gemm" ? bias : null, flavor, xScale: x.scale, xZp: x.zp, yScale: sy, yZp: zy };
    const out = new ARRAY[this.dtype](N);
    for (let n = 0; n < N; n++) out[n] = requant((acc[n] + (l.bias ? l.bias[n] : 0)) | 0, f32(f32(x.scale * ws[n]) / sy), zy, this.range);
    this.tensors.set(l.output, { shape: [1, N], scale: sy, zp: zy, data: out });
    this.layers.push(l);
    return l.output;
  }

  /** Ends the network: `outputs` are tensor names; `floatOutput` dequantizes them (name + "_f"). */
  finish(outputs, { floatOutput = true } = {}) {
    this.outputs = outputs;
    this.floatOutput = floatOutput;
    return this;
  }

  /** Every quantized activation tensor (the layer outputs), in order. */
  activationNames() {
    return [...(this.floatInput ? [this.first] : []), ...this.layers.map((l) => l.output)];
  }

  /** Final graph output names. */
  outputNames() {
    return this.outputs.map((o) => (this.floatOutput ? `${o}_f` : o));
  }
}

// ---------------------------------------------------------------------------------------------
// ONNX writers

function scalarF(name, v) {
  return P.tensor(name, P.DataType.FLOAT, [], Float32Array.of(v));
}

function scalarQ(name, dtype, v) {
  return P.tensor(name, ONNX_TYPE[dtype], [], ARRAY[dtype].of(v));
}

function convAttrs(l) {
  const a = [P.attrInts("kernel_shape", l.kernel), P.attrInts("strides", l.stride), P.attrInt("group", l.group)];
  if (l.dilation[0] !== 1 || l.dilation[1] !== 1) a.push(P.attrInts("dilations", l.dilation));
  if (l.autoPad) a.push(P.attrString("auto_pad", l.autoPad));
  else a.push(P.attrInts("pads", [l.pad.top, l.pad.left, l.pad.bottom, l.pad.right]));
  return a;
}

function weightDims(l, C) {
  return [l.outChannels, C / l.group, l.kernel[0], l.kernel[1]];
}

function graphIO(net, extraOutputs) {
  const dt = ONNX_TYPE[net.dtype];
  const inputs = [P.valueInfo("input", net.floatInput ? P.DataType.FLOAT : dt, net.inputShape)];
  const outputs = [];
  for (const o of net.outputNames()) {
    const t = net.tensors.get(net.floatOutput ? o.slice(0, -2) : o);
    outputs.push(P.valueInfo(o, net.floatOutput ? P.DataType.FLOAT : dt, t.shape));
  }
  for (const name of extraOutputs) {
    if (net.outputNames().includes(name)) continue;
    outputs.push(P.valueInfo(name, dt, net.tensors.get(name).shape));
  }
  return { inputs, outputs };
}

/**
 * The QLinear form. `extraOutputs`: activation tensors to expose as graph outputs too (every
 * layer's output, for per-layer comparison).
 */
export function qlinearModel(net, { extraOutputs = [] } = {}) {
  const dt = net.dtype;
  const nodes = [];
  const inits = [];
  const tq = (name) => net.tensors.get(name);
  const qin = (prefix, name) => {
    const t = tq(name);
    inits.push(scalarF(`${prefix}_s`, t.scale), scalarQ(`${prefix}_z`, dt, t.zp));
    return [`${prefix}_s`, `${prefix}_z`];
  };
  if (net.floatInput) {
    const [s, z] = qin("input_q", net.first);
    nodes.push(P.node("QuantizeLinear", ["input", s, z], [net.first], [], "quantize_input"));
  }
  for (const l of net.layers) {
    if (l.type === "conv") {
      const x = tq(l.input);
      const [xs, xz] = qin(`${l.name}.x`, l.input);
      const [ys, yz] = qin(`${l.name}.y`, l.output);
      inits.push(P.tensor(`${l.name}.w`, P.DataType.INT8, weightDims(l, x.shape[1]), l.w));
      inits.push(P.tensor(`${l.name}.w_s`, P.DataType.FLOAT, [l.wScale.length], l.wScale));
      inits.push(P.tensor(`${l.name}.w_z`, P.DataType.INT8, [l.wScale.length], new Int8Array(l.wScale.length)));
      const ins = [l.input, xs, xz, `${l.name}.w`, `${l.name}.w_s`, `${l.name}.w_z`, ys, yz];
      if (l.bias) {
        inits.push(P.tensor(`${l.name}.b`, P.DataType.INT32, [l.bias.length], l.bias));
        ins.push(`${l.name}.b`);
      }
      nodes.push(P.node("QLinearConv", ins, [l.output], convAttrs(l), l.name));
    } else if (l.type === "add") {
      const [as, az] = qin(`${l.name}.a`, l.inputs[0]);
      const [bs, bz] = qin(`${l.name}.b`, l.inputs[1]);
      const [ys, yz] = qin(`${l.name}.y`, l.output);
      nodes.push(P.node("QLinearAdd", [l.inputs[0], as, az, l.inputs[1], bs, bz, ys, yz], [l.output], [], l.name, "com.microsoft"));
    } else if (l.type === "gap") {
      const [xs, xz] = qin(`${l.name}.x`, l.input);
      const [ys, yz] = qin(`${l.name}.y`, l.output);
      nodes.push(P.node("QLinearGlobalAveragePool", [l.input, xs, xz, ys, yz], [l.output], [P.attrInt("channels_last", 0)], l.name, "com.microsoft"));
    } else if (l.type === "flatten") {
      nodes.push(P.node("Flatten", [l.input], [l.output], [P.attrInt("axis", 1)], l.name));
    } else if (l.type === "fc") {
      const [as, az] = qin(`${l.name}.a`, l.input);
      const [ys, yz] = qin(`${l.name}.y`, l.output);
      inits.push(P.tensor(`${l.name}.w_s`, P.DataType.FLOAT, [l.N], l.wScale));
      inits.push(P.tensor(`${l.name}.w_z`, P.DataType.INT8, [l.N], new Int8Array(l.N)));
      if (l.flavor === "gemm") {
        inits.push(P.tensor(`${l.name}.w`, P.DataType.INT8, [l.N, l.K], l.w));
        inits.push(P.tensor(`${l.name}.b`, P.DataType.INT32, [l.N], l.bias));
        nodes.push(
          P.node("QGemm", [l.input, as, az, `${l.name}.w`, `${l.name}.w_s`, `${l.name}.w_z`, `${l.name}.b`, ys, yz], [l.output], [P.attrInt("transB", 1)], l.name, "com.microsoft"),
        );
      } else {
        inits.push(P.tensor(`${l.name}.w`, P.DataType.INT8, [l.K, l.N], transpose(l.w, l.N, l.K)));
        nodes.push(P.node("QLinearMatMul", [l.input, as, az, `${l.name}.w`, `${l.name}.w_s`, `${l.name}.w_z`, ys, yz], [l.output], [], l.name));
      }
    }
  }
  if (net.floatOutput) {
    for (const o of net.outputs) {
      const [s, z] = qin(`${o}.out`, o);
      nodes.push(P.node("DequantizeLinear", [o, s, z], [`${o}_f`], [], `dequantize_${o}`));
    }
  }
  const { inputs, outputs } = graphIO(net, extraOutputs);
  return P.model({
    opset: OPSET,
    extraOpsets: [{ domain: "com.microsoft", version: 1 }],
    producer: "dwpw make-models",
    graph: P.graph({ name: net.name, nodes, initializers: inits, inputs, outputs }),
  });
}

function transpose(w, rows, cols) {
  const t = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
  return t;
}

/** The QDQ form of the same network (same quantized tensor names). */
export function qdqModel(net, { extraOutputs = [] } = {}) {
  const dt = net.dtype;
  const nodes = [];
  const inits = [];
  const tq = (name) => net.tensors.get(name);
  const params = (name) => {
    const t = tq(name);
    if (!inits.some((i) => i.name === `${name}.s`)) {
      inits.push({ name: `${name}.s`, bytes: scalarF(`${name}.s`, t.scale) }, { name: `${name}.z`, bytes: scalarQ(`${name}.z`, dt, t.zp) });
    }
    return [`${name}.s`, `${name}.z`];
  };
  const init = (name, bytes) => inits.push({ name, bytes });
  const dq = new Set();
  /** The float view of a quantized tensor (one DequantizeLinear per tensor). */
  const deq = (name) => {
    if (!dq.has(name)) {
      dq.add(name);
      const [s, z] = params(name);
      nodes.push(P.node("DequantizeLinear", [name, s, z], [`${name}.dq`], [], `${name}.dequantize`));
    }
    return `${name}.dq`;
  };
  /** Quantizes a float result into the named tensor, through the layer's activation. */
  const qout = (l, floatName) => {
    let f = floatName;
    if (l.act === "relu") {
      nodes.push(P.node("Relu", [f], [`${l.name}.relu`], [], `${l.name}.relu`));
      f = `${l.name}.relu`;
    } else if (l.act === "relu6") {
      if (!inits.some((i) => i.name === "clip.min")) init("clip.min", scalarF("clip.min", 0)), init("clip.max", scalarF("clip.max", 6));
      nodes.push(P.node("Clip", [f, "clip.min", "clip.max"], [`${l.name}.clip`], [], `${l.name}.clip`));
      f = `${l.name}.clip`;
    }
    const [s, z] = params(l.output);
    nodes.push(P.node("QuantizeLinear", [f, s, z], [l.output], [], `${l.output}.quantize`));
  };
  if (net.floatInput) {
    const [s, z] = params(net.first);
    nodes.push(P.node("QuantizeLinear", ["input", s, z], [net.first], [], "quantize_input"));
  }
  for (const l of net.layers) {
    if (l.type === "conv") {
      const x = tq(l.input);
      const M = l.outChannels;
      init(`${l.name}.w`, P.tensor(`${l.name}.w`, P.DataType.INT8, weightDims(l, x.shape[1]), l.w));
      const perTensor = l.wScale.length === 1;
      init(`${l.name}.w_s`, perTensor ? scalarF(`${l.name}.w_s`, l.wScale[0]) : P.tensor(`${l.name}.w_s`, P.DataType.FLOAT, [M], l.wScale));
      init(`${l.name}.w_z`, perTensor ? scalarQ(`${l.name}.w_z`, "int8", 0) : P.tensor(`${l.name}.w_z`, P.DataType.INT8, [M], new Int8Array(M)));
      nodes.push(P.node("DequantizeLinear", [`${l.name}.w`, `${l.name}.w_s`, `${l.name}.w_z`], [`${l.name}.w.dq`], perTensor ? [] : [P.attrInt("axis", 0)], `${l.name}.w.dequantize`));
      const ins = [deq(l.input), `${l.name}.w.dq`];
      if (l.bias) {
        const bs = Float32Array.from({ length: M }, (_, m) => f32(x.scale * l.wScale[perTensor ? 0 : m]));
        init(`${l.name}.b`, P.tensor(`${l.name}.b`, P.DataType.INT32, [M], l.bias));
        init(`${l.name}.b_s`, P.tensor(`${l.name}.b_s`, P.DataType.FLOAT, [M], bs));
        init(`${l.name}.b_z`, P.tensor(`${l.name}.b_z`, P.DataType.INT32, [M], new Int32Array(M)));
        nodes.push(P.node("DequantizeLinear", [`${l.name}.b`, `${l.name}.b_s`, `${l.name}.b_z`], [`${l.name}.b.dq`], [P.attrInt("axis", 0)], `${l.name}.b.dequantize`));
        ins.push(`${l.name}.b.dq`);
      }
      nodes.push(P.node("Conv", ins, [`${l.name}.f`], convAttrs(l), l.name));
      qout(l, `${l.name}.f`);
    } else if (l.type === "add") {
      nodes.push(P.node("Add", [deq(l.inputs[0]), deq(l.inputs[1])], [`${l.name}.f`], [], l.name));
      qout(l, `${l.name}.f`);
    } else if (l.type === "gap") {
      nodes.push(P.node("GlobalAveragePool", [deq(l.input)], [`${l.name}.f`], [], l.name));
      qout(l, `${l.name}.f`);
    } else if (l.type === "flatten") {
      nodes.push(P.node("Flatten", [deq(l.input)], [`${l.name}.f`], [P.attrInt("axis", 1)], l.name));
      const [s, z] = params(l.input);
      nodes.push(P.node("QuantizeLinear", [`${l.name}.f`, s, z], [l.output], [], `${l.output}.quantize`));
    } else if (l.type === "fc") {
      const x = tq(l.input);
      init(`${l.name}.w_s`, P.tensor(`${l.name}.w_s`, P.DataType.FLOAT, [l.N], l.wScale));
      init(`${l.name}.w_z`, P.tensor(`${l.name}.w_z`, P.DataType.INT8, [l.N], new Int8Array(l.N)));
      if (l.flavor === "gemm") {
        init(`${l.name}.w`, P.tensor(`${l.name}.w`, P.DataType.INT8, [l.N, l.K], l.w));
        nodes.push(P.node("DequantizeLinear", [`${l.name}.w`, `${l.name}.w_s`, `${l.name}.w_z`], [`${l.name}.w.dq`], [P.attrInt("axis", 0)], `${l.name}.w.dequantize`));
        const bs = Float32Array.from(l.wScale, (w) => f32(x.scale * w));
        init(`${l.name}.b`, P.tensor(`${l.name}.b`, P.DataType.INT32, [l.N], l.bias));
        init(`${l.name}.b_s`, P.tensor(`${l.name}.b_s`, P.DataType.FLOAT, [l.N], bs));
        init(`${l.name}.b_z`, P.tensor(`${l.name}.b_z`, P.DataType.INT32, [l.N], new Int32Array(l.N)));
        nodes.push(P.node("DequantizeLinear", [`${l.name}.b`, `${l.name}.b_s`, `${l.name}.b_z`], [`${l.name}.b.dq`], [P.attrInt("axis", 0)], `${l.name}.b.dequantize`));
        nodes.push(P.node("Gemm", [deq(l.input), `${l.name}.w.dq`, `${l.name}.b.dq`], [`${l.name}.f`], [P.attrInt("transB", 1)], l.name));
      } else {
        init(`${l.name}.w`, P.tensor(`${l.name}.w`, P.DataType.INT8, [l.K, l.N], transpose(l.w, l.N, l.K)));
        nodes.push(P.node("DequantizeLinear", [`${l.name}.w`, `${l.name}.w_s`, `${l.name}.w_z`], [`${l.name}.w.dq`], [P.attrInt("axis", 1)], `${l.name}.w.dequantize`));
        nodes.push(P.node("MatMul", [deq(l.input), `${l.name}.w.dq`], [`${l.name}.f`], [], l.name));
      }
      qout(l, `${l.name}.f`);
    }
  }
  if (net.floatOutput) {
    for (const o of net.outputs) {
      const [s, z] = params(o);
      nodes.push(P.node("DequantizeLinear", [o, s, z], [`${o}_f`], [], `dequantize_${o}`));
    }
  }
  const { inputs, outputs } = graphIO(net, extraOutputs);
  return P.model({
    opset: OPSET,
    producer: "dwpw make-models",
    graph: P.graph({ name: net.name, nodes, initializers: inits.map((i) => i.bytes), inputs, outputs }),
  });
}
