// Network definitions for make-models.mjs: small MobileNet-like test networks (committed with
// ONNX Runtime's outputs) and the full-size MobileNetV1/V2 (generated on demand, not committed).
import { NetBuilder } from "./netbuild.mjs";

/** [before, after] padding of TF SAME / ONNX SAME_UPPER. */
export function sameUpper(n, k, s) {
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Padding of a 3x3 layer: `symmetric` (1 all round), `tf-same` (explicit SAME_UPPER pads) or `auto` (auto_pad attribute). */
function pad3(mode, H, W, s) {
  if (mode === "symmetric") return { pad: { top: 1, left: 1, bottom: 1, right: 1 } };
  const [t, b] = sameUpper(H, 3, s);
  const [l, r] = sameUpper(W, 3, s);
  if (mode === "auto") return { pad: { top: t, left: l, bottom: b, right: r }, autoPad: "SAME_UPPER" };
  return { pad: { top: t, left: l, bottom: b, right: r } };
}

function shapeOf(net, t) {
  return net.tensors.get(t).shape;
}

/** Keras' _make_divisible. */
export function makeDivisible(v, divisor = 8) {
  let n = Math.max(divisor, Math.floor(v + divisor / 2) - (Math.floor(v + divisor / 2) % divisor));
  if (n < 0.9 * v) n += divisor;
  return n;
}

/**
 * MobileNetV1: stem 3x3/2 conv, then dw 3x3 + pw 1x1 blocks, global average pool, classifier.
 * `blocks`: [{ c, s }]; `stem`: stem channels.
 */
export function mobilenetV1Net({ name, dtype, resolution, stem, blocks, classes, padding = "symmetric", floatIO = true, fc = "gemm", perTensor = [], seed = 1, act = "relu", calibrate = true, pairSafe = true }) {
  const [H, W] = Array.isArray(resolution) ? resolution : [resolution, resolution];
  const net = new NetBuilder({ name, dtype, inputShape: [1, 3, H, W], floatInput: floatIO, seed, perTensor, calibrate, pairSafe });
  let t = net.first;
  let s = shapeOf(net, t);
  t = net.conv(t, { name: "stem", outChannels: stem, kernel: [3, 3], stride: [2, 2], ...pad3(padding, s[2], s[3], 2), act });
  blocks.forEach(({ c, s: st }, i) => {
    const b = i + 1;
    s = shapeOf(net, t);
    t = net.conv(t, { name: `b${b}.dw`, group: s[1], outChannels: s[1], kernel: [3, 3], stride: [st, st], ...pad3(padding, s[2], s[3], st), act });
    t = net.conv(t, { name: `b${b}.pw`, outChannels: c, act });
  });
  t = net.gap(t, { name: "pool" });
  t = net.flatten(t, { name: "flatten" });
  t = net.fc(t, { name: "classifier", outFeatures: classes, flavor: fc });
  return net.finish([t], { floatOutput: floatIO });
}

/**
 * MobileNetV2: stem 3x3/2 conv (ReLU6), inverted residual blocks [{ t, c, s }] (expand pw ReLU6,
 * dw 3x3 ReLU6, project pw linear, residual add when the shape is kept), a last 1x1 conv, pool,
 * classifier.
 */
export function mobilenetV2Net({ name, dtype, resolution, stem, blocks, last, classes, padding = "symmetric", floatIO = true, fc = "gemm", perTensor = [], seed = 1, calibrate = true }) {
  const [H, W] = Array.isArray(resolution) ? resolution : [resolution, resolution];
  const net = new NetBuilder({ name, dtype, inputShape: [1, 3, H, W], floatInput: floatIO, seed, perTensor, calibrate });
  let t = net.first;
  let s = shapeOf(net, t);
  t = net.conv(t, { name: "stem", outChannels: stem, kernel: [3, 3], stride: [2, 2], ...pad3(padding, s[2], s[3], 2), act: "relu6" });
  blocks.forEach(({ t: exp, c, s: st }, i) => {
    const b = i + 1;
    const blockIn = t;
    s = shapeOf(net, t);
    const cin = s[1];
    let u = t;
    if (exp !== 1) u = net.conv(u, { name: `b${b}.expand`, outChannels: cin * exp, act: "relu6" });
    const su = shapeOf(net, u);
    u = net.conv(u, { name: `b${b}.dw`, group: su[1], outChannels: su[1], kernel: [3, 3], stride: [st, st], ...pad3(padding, su[2], su[3], st), act: "relu6" });
    u = net.conv(u, { name: `b${b}.project`, outChannels: c, act: null });
    if (st === 1 && cin === c) u = net.add(blockIn, u, { name: `b${b}.add` });
    t = u;
  });
  if (last) t = net.conv(t, { name: "last", outChannels: last, act: "relu6" });
  t = net.gap(t, { name: "pool" });
  t = net.flatten(t, { name: "flatten" });
  t = net.fc(t, { name: "classifier", outFeatures: classes, flavor: fc });
  return net.finish([t], { floatOutput: floatIO });
}

/** Odd geometries: non-square input, 5x5/3x1 depthwise, asymmetric pads, a depth multiplier, groups, dilation, strided 1x1. */
export function oddNet({ name, dtype, seed = 7 }) {
  const net = new NetBuilder({ name, dtype, inputShape: [1, 3, 19, 27], floatInput: false, seed, perTensor: ["pw1", "dw3"] });
  let t = net.first;
  t = net.conv(t, { name: "stem", outChannels: 12, kernel: [3, 3], stride: [2, 2], pad: { top: 0, left: 1, bottom: 1, right: 0 }, act: "relu" }); // 9x14
  t = net.conv(t, { name: "dw1", group: 12, outChannels: 12, kernel: [5, 5], stride: [2, 2], pad: { top: 2, left: 1, bottom: 2, right: 3 }, act: "relu" });
  t = net.conv(t, { name: "pw1", outChannels: 13, act: null }); // odd channel count, per-tensor scale
  t = net.conv(t, { name: "dw2", group: 13, outChannels: 13, kernel: [3, 1], stride: [1, 1], pad: { top: 1, left: 0, bottom: 1, right: 0 }, act: "relu" });
  t = net.conv(t, { name: "pw2", outChannels: 14, act: "relu", bias: false });
  t = net.conv(t, { name: "mult2", group: 14, outChannels: 28, kernel: [3, 3], stride: [1, 1], pad: { top: 1, left: 1, bottom: 1, right: 1 }, act: "relu" }); // depth multiplier 2
  t = net.conv(t, { name: "group2", group: 2, outChannels: 16, kernel: [3, 3], stride: [1, 2], pad: { top: 1, left: 1, bottom: 1, right: 1 }, act: null });
  t = net.conv(t, { name: "dilated", group: 16, outChannels: 16, kernel: [3, 3], dilation: [2, 2], stride: [1, 1], pad: { top: 2, left: 2, bottom: 2, right: 2 }, act: "relu" });
  t = net.conv(t, { name: "stride1x1", outChannels: 20, stride: [2, 2], act: null });
  t = net.conv(t, { name: "dw3", group: 20, outChannels: 20, kernel: [2, 2], stride: [1, 1], pad: { top: 0, left: 0, bottom: 1, right: 1 }, act: "relu" });
  t = net.conv(t, { name: "pw3", outChannels: 24, act: "relu" });
  t = net.gap(t, { name: "pool" });
  t = net.flatten(t, { name: "flatten" });
  t = net.fc(t, { name: "classifier", outFeatures: 7, flavor: "matmul" });
  return net.finish([t], { floatOutput: false });
}

/** The small test networks committed under fixtures/models (name -> builder). */
export const SMALL_NETS = {
  "v1-int8-sym": () =>
    mobilenetV1Net({
      name: "v1-int8-sym", dtype: "int8", resolution: 32, stem: 16, classes: 10, padding: "symmetric", fc: "gemm", seed: 11,
      blocks: [{ c: 24, s: 1 }, { c: 32, s: 2 }, { c: 32, s: 1 }, { c: 48, s: 2 }, { c: 64, s: 2 }],
    }),
  "v1-uint8-same": () =>
    mobilenetV1Net({
      name: "v1-uint8-same", dtype: "uint8", resolution: 32, stem: 16, classes: 10, padding: "tf-same", fc: "gemm", floatIO: false, seed: 12,
      perTensor: ["b2.dw", "b3.pw"],
      blocks: [{ c: 24, s: 1 }, { c: 32, s: 2 }, { c: 32, s: 1 }, { c: 48, s: 2 }, { c: 64, s: 2 }],
    }),
  "v1-int8-auto": () =>
    mobilenetV1Net({
      name: "v1-int8-auto", dtype: "int8", resolution: [30, 26], stem: 8, classes: 5, padding: "auto", fc: "matmul", floatIO: false, seed: 13,
      blocks: [{ c: 16, s: 2 }, { c: 16, s: 1 }, { c: 24, s: 2 }],
    }),
  "v2-int8": () =>
    mobilenetV2Net({
      name: "v2-int8", dtype: "int8", resolution: 32, stem: 16, last: 64, classes: 10, fc: "matmul", seed: 21,
      blocks: [{ t: 1, c: 8, s: 1 }, { t: 6, c: 12, s: 2 }, { t: 6, c: 12, s: 1 }, { t: 6, c: 16, s: 2 }, { t: 6, c: 16, s: 1 }, { t: 6, c: 16, s: 1 }, { t: 6, c: 24, s: 1 }],
    }),
  "v2-uint8-same": () =>
    mobilenetV2Net({
      name: "v2-uint8-same", dtype: "uint8", resolution: 32, stem: 16, last: 64, classes: 10, padding: "tf-same", fc: "gemm", seed: 22,
      perTensor: ["b2.expand"],
      blocks: [{ t: 1, c: 8, s: 1 }, { t: 6, c: 12, s: 2 }, { t: 6, c: 12, s: 1 }, { t: 6, c: 16, s: 2 }, { t: 6, c: 16, s: 1 }, { t: 4, c: 24, s: 1 }],
    }),
  // uint8 with full-range GEMM weights and no ReLU: ONNX Runtime's x86 u8 x s8 kernels (without
  // VNNI) saturate pairs of products here; dwpw matches with u8s8 "ort-x86-u8s8-saturation".
  "u8s8-stress": () =>
    mobilenetV1Net({
      name: "u8s8-stress", dtype: "uint8", resolution: 16, stem: 16, classes: 10, act: null, pairSafe: false, fc: "gemm", seed: 31,
      blocks: [{ c: 32, s: 1 }, { c: 32, s: 2 }],
    }),
  "odd-int8": () => oddNet({ name: "odd-int8", dtype: "int8" }),
  "odd-uint8": () => oddNet({ name: "odd-uint8", dtype: "uint8", seed: 8 }),
};

const V1_TABLE = [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2], [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1]];
const V2_TABLE = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];

/** Full-size MobileNetV1 (alpha, resolution) as the presets of src/presets/mobilenet.ts define it. */
export function fullV1({ alpha, resolution, dtype = "int8", padding = "symmetric", calibrate = true }) {
  const a = Number.isInteger(alpha) ? alpha.toFixed(1) : String(alpha);
  return mobilenetV1Net({
    name: `mobilenet_v1_${a}_${resolution}`, dtype, resolution, stem: Math.floor(32 * alpha), classes: 1000, padding, fc: "gemm", seed: 101, calibrate,
    blocks: V1_TABLE.map(([c, s]) => ({ c: Math.floor(c * alpha), s })),
  });
}

/** Full-size MobileNetV2 1.0 (alpha 1 only: the last conv is 1280). */
export function fullV2({ resolution = 224, dtype = "int8", padding = "symmetric", calibrate = true }) {
  const blocks = [];
  for (const [t, c, n, s] of V2_TABLE) for (let r = 0; r < n; r++) blocks.push({ t, c: makeDivisible(c), s: r === 0 ? s : 1 });
  return mobilenetV2Net({ name: `mobilenet_v2_1.0_${resolution}`, dtype, resolution, stem: 32, last: 1280, classes: 1000, padding, fc: "gemm", seed: 102, blocks, calibrate });
}
