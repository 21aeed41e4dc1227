#!/usr/bin/env node
// Full-size TFLite models for the benchmark, written with scripts/tflite/write-model.mjs:
//
//   node scripts/tflite/make-models.mjs [out dir]   (default build/models, git-ignored)
//
// mobilenet_v2_1.0_224_int8.tflite: MobileNetV2 1.0-224 as the TFLite converter lays out an int8
// model (NHWC; CONV_2D stem 3x3/2 and 1x1 layers, DEPTHWISE_CONV_2D 3x3, SAME padding, fused
// RELU6, residual ADDs, AVERAGE_POOL_2D 7x7, FULLY_CONNECTED 1280 -> 1000), weights from the
// project's seeded generator (src/rng.ts, through its build in dist/ or build/bench/), quantized like the
// converter: int8 weights symmetric per output channel (axis 0 for CONV_2D and FULLY_CONNECTED,
// axis 3 for DEPTHWISE_CONV_2D), int32 biases at input scale x weight scale, per-tensor int8
// activations. No training data: each activation scale is set from the layer's fan-in so that
// outputs spread over the int8 range instead of saturating (what a calibration would aim for).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeModel } from "./write-model.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
// src/rng.ts as built by `npm run build:ts` (dist/) or by the benchmark's build (build/bench/).
const rngJs = [join(ROOT, "dist", "rng.js"), join(ROOT, "build", "bench", "src", "rng.js")].find((f) => existsSync(f));
if (!rngJs) {
  console.error("src/rng.ts is not built: run `npm run build:ts` first (the weights come from src/rng.ts)");
  process.exit(1);
}
const { Rng } = await import(rngJs);

/** MobileNetV2's inverted residual blocks: expansion t, channels c, repeats n, first stride s. */
const V2_TABLE = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];

export function mobilenetV2Tflite({ resolution = 224, seed = 102 } = {}) {
  const rng = new Rng(seed);
  const tensors = [];
  const operators = [];
  const f32 = Math.fround;
  /** Adds an activation tensor; returns its index. */
  const act = (name, shape, scale, zeroPoint) => tensors.push({ name, shape, dtype: "int8", quant: { scale: [f32(scale)], zeroPoint: [zeroPoint] } }) - 1;
  /** Symmetric per-channel int8 weights (values spread over [-127, 127]) and int32 bias. */
  const weights = (name, shape, axis, channels, inScale) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Int8Array(n);
    for (let i = 0; i < n; i++) data[i] = rng.int(-127, 127);
    const scale = Array.from({ length: channels }, () => f32(rng.range(0.002, 0.02)));
    const w = tensors.push({ name, shape, dtype: "int8", data, quant: { scale, zeroPoint: scale.map(() => 0), axis } }) - 1;
    const bias = Int32Array.from({ length: channels }, () => rng.int(-2000, 2000));
    const b = tensors.push({ name: `${name}_bias`, shape: [channels], dtype: "int32", data: bias, quant: { scale: scale.map((s) => f32(inScale * s)), zeroPoint: scale.map(() => 0) } }) - 1;
    return { w, b, meanScale: scale.reduce((a, b) => a + b, 0) / channels };
  };
  /** The output scale that spreads sum of fanIn products (|w| ~ 73, |x - zp| ~ 40) over ~ +-60. */
  const outScale = (inScale, wScale, fanIn) => (inScale * wScale * Math.sqrt(fanIn) * 73 * 40) / 60;

  let H = resolution, W = resolution, C = 3;
  let x = act("input", [1, H, W, C], 1 / 128, 0);
  let xScale = 1 / 128;
  const conv = (name, O, k, s, relu6, depthwise = false) => {
    const Ho = Math.ceil(H / s), Wo = Math.ceil(W / s);
    const fanIn = depthwise ? k * k : k * k * C;
    const wt = depthwise ? weights(`${name}_w`, [1, k, k, C], 3, C, xScale) : weights(`${name}_w`, [O, k, k, C], 0, O, xScale);
    const ys = outScale(xScale, wt.meanScale, fanIn);
    // RELU6 outputs sit in [0, 6]: a zero point at -128 as the converter gives them.
    const y = act(name, [1, Ho, Wo, O], relu6 ? Math.min(ys, 6 / 255) : ys, relu6 ? -128 : 0);
    operators.push({ op: depthwise ? "DEPTHWISE_CONV_2D" : "CONV_2D", inputs: [x, wt.w, wt.b], outputs: [y], options: { padding: "SAME", stride: [s, s], activation: relu6 ? "RELU6" : "NONE", ...(depthwise ? { depthMultiplier: 1 } : {}) } });
    x = y;
    xScale = tensors[y].quant.scale[0];
    H = Ho; W = Wo; C = O;
  };
  conv("stem", 32, 3, 2, true);
  let b = 0;
  for (const [t, c, n, s] of V2_TABLE) {
    for (let r = 0; r < n; r++, b++) {
      const inX = x, inScale = xScale, inC = C;
      const stride = r === 0 ? s : 1;
      if (t !== 1) conv(`b${b}_expand`, inC * t, 1, 1, true);
      conv(`b${b}_dw`, C, 3, stride, true, true);
      conv(`b${b}_project`, c, 1, 1, false);
      if (stride === 1 && inC === c) {
        const os = f32(Math.max(inScale, xScale) * 1.4);
        const y = act(`b${b}_add`, [1, H, W, C], os, 0);
        operators.push({ op: "ADD", inputs: [inX, x], outputs: [y], options: { activation: "NONE" } });
        x = y;
        xScale = os;
      }
    }
  }
  conv("last", 1280, 1, 1, true);
  const pooled = act("pool", [1, 1, 1, 1280], xScale, tensors[x].quant.zeroPoint[0]);
  operators.push({ op: "AVERAGE_POOL_2D", inputs: [x], outputs: [pooled], options: { padding: "VALID", stride: [1, 1], filter: [H, W] } });
  x = pooled;
  const fc = weights("fc_w", [1000, 1280], 0, 1000, xScale);
  const logits = act("logits", [1, 1000], outScale(xScale, fc.meanScale, 1280), 0);
  operators.push({ op: "FULLY_CONNECTED", inputs: [x, fc.w, fc.b], outputs: [logits], options: { activation: "NONE" } });
  return writeModel({ name: `mobilenet_v2_1.0_${resolution}_int8`, tensors, inputs: [0], outputs: [logits], operators });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.argv[2] ?? join(ROOT, "build", "models");
  mkdirSync(out, { recursive: true });
  const bytes = mobilenetV2Tflite();
  const file = join(out, "mobilenet_v2_1.0_224_int8.tflite");
  writeFileSync(file, bytes);
  console.log(`${file}: ${bytes.length} bytes`);
}
