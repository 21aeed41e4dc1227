#!/usr/bin/env node
// Quantized ONNX test models for dwpw's import and network runner, with ONNX Runtime's outputs.
//
//   node scripts/make-models.mjs              small MobileNet-like models (both forms) and their
//                                             ORT outputs -> fixtures/models/ (committed)
//   node scripts/make-models.mjs --full [--padding symmetric|tf-same] [--dtype int8|uint8]
//                                             full-size MobileNetV1 (1.0 and 0.25, 224 and 128) and
//                                             MobileNetV2 1.0-224, both forms, with the final
//                                             outputs of onnxruntime-node and onnxruntime-web
//                                             -> fixtures/models/full/ (not committed: ~35 MB)
//   node scripts/make-models.mjs --only NAME  one small model (or one full model with --full)
//
// Every model is written in the QLinear form (QLinearConv, QLinearAdd, QLinearGlobalAveragePool,
// QGemm / QLinearMatMul) and the QDQ form (DequantizeLinear -> op -> QuantizeLinear) with the same
// weights and quantization; the script checks that ONNX Runtime gives the same bytes for:
//   - the QLinear form at every graph optimization level (disabled, basic, extended, all);
//   - the QDQ form at levels extended and all with session.qdqisint8allowed = 1 (it records
//     whether levels below extended, where ORT runs QDQ graphs in float, differ);
//   - every activation tensor exposed as a graph output, and the plain model's final output;
// and that the QDQ form, optimized at level extended (the optimized graph ORT saves), has no float
// Conv/Add/Gemm/MatMul/GlobalAveragePool/Relu/Clip left.
// onnxruntime-web (WebAssembly, in Node) runs the QLinear form too: its QLinearAdd rounds
// differently (see `AddRounding` in src/network/types.ts); the tensors where it differs are stored
// separately.
// Besides the MobileNet-like networks: add-stress-{int8,uint8} (QLinearAdd parameters that tell
// the candidate roundings apart, with per-channel broadcasts) and u8s8-stress (uint8 with
// full-range weights, where ORT's x86 u8 x s8 kernels saturate; needs an AVX2 host without VNNI).
// Exit code 1 on any disagreement.

import { createRequire } from "node:module";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import os from "node:os";
import { deflateRawSync } from "node:zlib";
import * as P from "./onnx/proto.mjs";
import { qdqModel, qlinearModel, Rng, OPSET } from "./onnx/netbuild.mjs";
import { SMALL_NETS, fullV1, fullV2 } from "./onnx/nets.mjs";
import { addWasm, addX86, addX86NoFmaFixed, addX86ScalarA, addX86ScalarBUncontracted } from "./onnx/addref.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "fixtures", "models");
const FULL = join(OUT, "full");
const require = createRequire(import.meta.url);
const ort = require("onnxruntime-node");
const LEVELS = ["disabled", "basic", "extended", "all"];
const b64 = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
const problems = [];

function hostDescription() {
  let flags = "";
  try {
    flags = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    // not Linux
  }
  const isa = /\bavx512_vnni\b/.test(flags) ? "AVX512-VNNI" : /\bavx_vnni\b/.test(flags) ? "AVX-VNNI" : /\bavx2\b/.test(flags) ? "AVX2 (no VNNI)" : "ISA unknown";
  return `${process.arch === "x64" ? "x86-64" : process.arch} ${isa}, ${os.cpus()[0]?.model.trim() ?? "unknown CPU"}`;
}

// ---------------------------------------------------------------------------------------------
// ONNX Runtime

let ortWeb = null;
async function web() {
  if (!ortWeb) {
    ortWeb = await import("onnxruntime-web");
    ortWeb.env.wasm.numThreads = 1;
  }
  return ortWeb;
}

function sessionOptions(level, qdq) {
  const o = { executionProviders: ["cpu"], graphOptimizationLevel: level, intraOpNumThreads: 1, interOpNumThreads: 1 };
  if (qdq) o.extra = { session: { qdqisint8allowed: "1" } };
  return o;
}

/** Runs a model; returns { name: typed array } for every graph output. */
async function runOrt(lib, bytes, feeds, options) {
  const s = await lib.InferenceSession.create(bytes, options);
  const f = {};
  for (const [name, v] of Object.entries(feeds)) f[name] = new lib.Tensor(v.dtype, v.data, v.shape);
  const r = await s.run(f);
  const out = {};
  for (const name of s.outputNames) out[name] = { dtype: r[name].type, shape: r[name].dims.map(Number), data: r[name].data };
  await s.release?.();
  return out;
}

function sameBytes(a, b) {
  return a.data.byteLength === b.data.byteLength && Buffer.compare(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength), Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength)) === 0;
}

function compare(want, got, what) {
  const bad = [];
  for (const [name, w] of Object.entries(want)) {
    const g = got[name];
    if (!g) continue;
    if (!sameBytes(w, g)) bad.push(name);
  }
  if (bad.length) problems.push(`${what}: ${bad.length} tensors differ (${bad.slice(0, 6).join(", ")}${bad.length > 6 ? ", ..." : ""})`);
  return bad;
}

// A tiny reader of a ModelProto's node op types (for the optimized-model check).
function opTypes(bytes) {
  const ops = new Map();
  const varint = (b, p) => {
    let v = 0;
    let m = 1;
    for (;;) {
      const x = b[p.i++];
      v += (x & 0x7f) * m;
      m *= 128;
      if (!(x & 0x80)) return v;
    }
  };
  const fields = function* (b, start, end) {
    const p = { i: start };
    while (p.i < end) {
      const tag = varint(b, p);
      const f = Math.floor(tag / 8);
      const w = tag & 7;
      if (w === 0) varint(b, p);
      else if (w === 1) p.i += 8;
      else if (w === 5) p.i += 4;
      else if (w === 2) {
        const n = varint(b, p);
        yield [f, p.i, p.i + n];
        p.i += n;
      } else throw new Error(`wire type ${w}`);
    }
  };
  for (const [f, s, e] of fields(bytes, 0, bytes.length)) {
    if (f !== 7) continue;
    for (const [g, gs, ge] of fields(bytes, s, e)) {
      if (g !== 1) continue;
      let type = "";
      let domain = "";
      for (const [h, hs, he] of fields(bytes, gs, ge)) {
        if (h === 4) type = Buffer.from(bytes.subarray(hs, he)).toString();
        if (h === 7) domain = Buffer.from(bytes.subarray(hs, he)).toString();
      }
      const k = domain && domain !== "ai.onnx" ? `${domain}.${type}` : type;
      ops.set(k, (ops.get(k) ?? 0) + 1);
    }
  }
  return Object.fromEntries([...ops].sort());
}

const FLOAT_OPS = ["Conv", "Add", "Gemm", "MatMul", "GlobalAveragePool", "Relu", "Clip", "FusedConv", "com.microsoft.FusedConv", "com.microsoft.FusedGemm"];

// ---------------------------------------------------------------------------------------------
// Inputs

/**
 * The input ONNX Runtime runs: the network's calibration input (so that the adds' output scales,
 * picked for rounding sensitivity on it, do show the x86 / WebAssembly difference), or with
 * `seed`, a fresh random one.
 */
function inputFeeds(net, seed) {
  const shape = net.inputShape;
  const n = shape.reduce((a, b) => a * b, 1);
  if (seed === undefined) {
    if (net.floatInput) return { input: { dtype: "float32", shape, data: Float32Array.from(net.inputFloat) } };
    return { input: { dtype: net.dtype, shape, data: net.tensors.get(net.first).data.slice() } };
  }
  const rng = new Rng(seed);
  if (net.floatInput) return { input: { dtype: "float32", shape, data: Float32Array.from({ length: n }, () => Math.fround(rng.uniform(-1.1, 1.1))) } };
  const [lo, hi] = net.dtype === "int8" ? [-128, 127] : [0, 255];
  const A = net.dtype === "int8" ? Int8Array : Uint8Array;
  return { input: { dtype: net.dtype, shape, data: A.from({ length: n }, () => rng.int(lo, hi)) } };
}

/** A tensor for the JSON fixtures: raw little-endian bytes, deflated (raw DEFLATE), base64. */
function tensorJson(t) {
  return { dtype: t.dtype, shape: t.shape, deflate: zb64(t.data) };
}

function zb64(a) {
  return deflateRawSync(Buffer.from(a.buffer, a.byteOffset, a.byteLength), { level: 9 }).toString("base64");
}

// ---------------------------------------------------------------------------------------------
// Small models

/** Whether this host's ORT saturates u8 x s8 pairs (see make-fixtures.mjs's probe). */
let saturates = null;
async function probeU8S8() {
  if (saturates !== null) return saturates;
  const m = P.model({
    opset: OPSET,
    graph: P.graph({
      name: "probe",
      nodes: [P.node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["y"], [P.attrInts("kernel_shape", [1, 1])])],
      initializers: [
        P.tensor("xs", P.DataType.FLOAT, [], Float32Array.of(1)), P.tensor("xz", P.DataType.UINT8, [], Uint8Array.of(0)),
        P.tensor("w", P.DataType.INT8, [1, 2, 1, 1], Int8Array.of(127, 127)), P.tensor("ws", P.DataType.FLOAT, [1], Float32Array.of(1)),
        P.tensor("wz", P.DataType.INT8, [1], Int8Array.of(0)), P.tensor("ys", P.DataType.FLOAT, [], Float32Array.of(1)),
        P.tensor("yz", P.DataType.UINT8, [], Uint8Array.of(0)), P.tensor("b", P.DataType.INT32, [1], Int32Array.of(50 - 255 * 254)),
      ],
      inputs: [P.valueInfo("x", P.DataType.UINT8, [1, 2, 1, 1])],
      outputs: [P.valueInfo("y", P.DataType.UINT8, [1, 1, 1, 1])],
    }),
  });
  const out = await runOrt(ort, m, { x: { dtype: "uint8", shape: [1, 2, 1, 1], data: Uint8Array.of(255, 255) } }, sessionOptions("all", false));
  saturates = out.y.data[0] !== 50;
  return saturates;
}

async function smallModel(name, build) {
  const net = build();
  const stress = name === "u8s8-stress";
  if (stress && !(await probeU8S8())) {
    problems.push(`${name}: this host's ONNX Runtime does not saturate u8 x s8 pairs (VNNI?); regenerate on an AVX2 host without VNNI`);
    return;
  }
  const acts = net.activationNames();
  const feeds = inputFeeds(net);
  const models = {
    qlinear: { layers: qlinearModel(net, { extraOutputs: acts }), plain: qlinearModel(net) },
    qdq: { layers: qdqModel(net, { extraOutputs: acts }), plain: qdqModel(net) },
  };
  // Reference: QLinear form, level all, every activation exposed.
  const ref = await runOrt(ort, models.qlinear.layers, feeds, sessionOptions("all", false));
  const levels = { qlinear: [], qdq: [] };
  for (const form of ["qlinear", "qdq"]) {
    const qdq = form === "qdq";
    for (const level of LEVELS) {
      const got = await runOrt(ort, models[form].layers, feeds, sessionOptions(level, qdq));
      const plain = await runOrt(ort, models[form].plain, feeds, sessionOptions(level, qdq));
      const exact = qdq && (level === "disabled" || level === "basic");
      if (exact) {
        // Below extended ORT runs QDQ graphs in float: record, do not require.
        const diff = Object.keys(ref).filter((k) => got[k] && !sameBytes(ref[k], got[k]));
        levels.qdqFloat ??= {};
        levels.qdqFloat[level] = diff.length;
        continue;
      }
      const bad = compare(ref, got, `${name} ${form} level ${level} (layer outputs)`);
      const badPlain = compare(ref, plain, `${name} ${form} level ${level} (final outputs)`);
      if (!bad.length && !badPlain.length) levels[form].push(level);
    }
  }
  // The optimized QDQ graph: no float compute op left.
  const optPath = join(os.tmpdir(), `dwpw-${name}-qdq-opt.onnx`);
  await runOrt(ort, models.qdq.plain, feeds, { ...sessionOptions("extended", true), optimizedModelFilePath: optPath });
  const optimizedOps = opTypes(readFileSync(optPath));
  const floatLeft = Object.keys(optimizedOps).filter((k) => FLOAT_OPS.includes(k));
  if (floatLeft.length) problems.push(`${name}: the QDQ form optimized at level extended still has float ops ${floatLeft.join(", ")}`);
  // onnxruntime-web (WebAssembly): QLinear form, level all.
  const w = await web();
  const webOut = await runOrt(w, models.qlinear.layers, feeds, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  const webDiff = {};
  for (const [k, v] of Object.entries(ref)) if (webOut[k] && !sameBytes(v, webOut[k])) webDiff[k] = zb64(webOut[k].data);
  if (!stress) for (const k of Object.keys(webDiff)) if (!/add/.test(k)) problems.push(`${name}: onnxruntime-web differs on ${k}, which has no QLinearAdd`);

  writeFileSync(join(OUT, `${name}.qlinear.onnx`), models.qlinear.plain);
  writeFileSync(join(OUT, `${name}.qdq.onnx`), models.qdq.plain);
  const doc = {
    source:
      `ONNX Runtime ${ort.env.versions.node} (onnxruntime-node, CPU EP, ${hostDescription()}, 1 thread) on ${name}.qlinear.onnx ` +
      `with every activation tensor also a graph output; written by scripts/make-models.mjs`,
    network: name,
    dtype: net.dtype,
    opset: OPSET,
    forms: { qlinear: `${name}.qlinear.onnx`, qdq: `${name}.qdq.onnx` },
    levels,
    optimizedQdqOps: optimizedOps,
    ...(stress ? { u8s8: "ort-x86-u8s8-saturation", note: "uint8 with full-range GEMM weights: ONNX Runtime (x86-64 AVX2, no VNNI) saturates pairs of u8 x s8 products" } : {}),
    input: { name: "input", ...tensorJson(feeds.input) },
    outputs: Object.fromEntries(Object.entries(ref).map(([k, v]) => [k, tensorJson(v)])),
    ortWeb: { version: w.env.versions.web ?? w.env.versions.common, differing: webDiff },
  };
  writeFileSync(join(OUT, `${name}.json`), JSON.stringify(doc) + "\n");
  const size = Object.values(models.qlinear).reduce((n, m) => n + m.length, 0);
  console.log(
    `${name}: ${net.layers.length} layers, ${acts.length} activations; QLinear exact at ${levels.qlinear.join("/") || "NO LEVEL"}, ` +
      `QDQ exact at ${levels.qdq.join("/") || "NO LEVEL"} (float below extended: ${JSON.stringify(levels.qdqFloat)}); ` +
      `ort-web differs on ${Object.keys(webDiff).length} tensors; model ${(size / 2 / 1024).toFixed(0)} KiB`,
  );
}

// ---------------------------------------------------------------------------------------------
// QLinearAdd stress model: parameters where ORT's x86 and WebAssembly builds round differently.

const f32 = Math.fround;

async function addStressModel(dtype) {
  const name = `add-stress-${dtype}`;
  const rng = new Rng(dtype === "int8" ? 0xadd8 : 0xaddf);
  const range = dtype === "int8" ? [-128, 127] : [0, 255];
  const [lo, hi] = range;
  const A = dtype === "int8" ? Int8Array : Uint8Array;
  const DT = dtype === "int8" ? P.DataType.INT8 : P.DataType.UINT8;
  // Four parameter sets, each chosen so that the inputs below tell candidate arithmetics apart:
  //   0, 2: x86 vs WebAssembly rounding;
  //   1:    x86 with the zero-point term `rA*za + rB*zb` contracted into one FMA vs not;
  //   3:    B broadcast per channel ([1, 16, 1, 1]): ORT's x86 kernel takes B as a scalar and
  //         folds it into the fixed part; contracted, that is the general formula again;
  //   4:    A broadcast per channel (the same operand first): then the FMA order changes.
  const shape = [1, 16, 64, 64];
  const n = 16 * 64 * 64;
  // Inputs cover every (a, b) byte pair once: a = lo + (i >> 8), b = lo + (i & 255).
  const a = new A(n);
  const b = new A(n);
  for (let i = 0; i < n; i++) {
    a[i] = lo + (i >> 8);
    b[i] = lo + (i & 255);
  }
  const randomParams = () => ({
    sa: f32(Math.exp(rng.uniform(-7, -2))), sb: f32(Math.exp(rng.uniform(-7, -2))), sc: f32(Math.exp(rng.uniform(-6, -2))),
    za: rng.int(lo, hi), zb: rng.int(lo, hi), zc: rng.int(lo, hi),
  });
  const countPairs = (p, f, g) => {
    let d = 0;
    for (let x = lo; x <= hi; x++) for (let y = lo; y <= hi; y++) if (f(x, y, p, range) !== g(x, y, p, range)) d++;
    return d;
  };
  const sets = [];
  const bc = A.from({ length: 16 }, () => rng.int(lo, hi)); // per-channel broadcast operand [1, 16, 1, 1]
  for (let k = 0; k < 5; k++) {
    for (let tries = 0; ; tries++) {
      if (tries > 20000) throw new Error(`${name}: no parameters found for set ${k}`);
      const p = randomParams();
      if (k === 0 || k === 2) {
        if (countPairs(p, addX86, addWasm) >= 2) {
          sets.push(p);
          break;
        }
      } else if (k === 1) {
        if (countPairs(p, addX86, addX86NoFmaFixed) >= 1) {
          sets.push(p);
          break;
        }
      } else {
        // Channel c holds a in [lo + 16c, lo + 16c + 15]: pick bc[c] where the broadcast path
        // tells the candidates apart (set 3 picks bc; set 4 must differ at those values).
        const [f, g] = k === 3 ? [addX86, addX86ScalarBUncontracted] : [(x, y, q, r) => addX86ScalarA(y, x, q, r), (x, y, q, r) => addX86(y, x, q, r)];
        let hits = 0;
        for (let c = 0; c < 16; c++) {
          const ys = k === 3 ? Array.from({ length: 256 }, (_, i) => lo + i) : [bc[c]];
          for (const y of ys) {
            let differs = false;
            for (let x = lo + 16 * c; x < lo + 16 * c + 16; x++) if (f(x, y, p, range) !== g(x, y, p, range)) differs = true;
            if (differs) {
              if (k === 3) bc[c] = y;
              hits++;
              break;
            }
          }
        }
        if (hits >= (k === 3 ? 2 : 1)) {
          sets.push(p);
          break;
        }
      }
    }
  }
  const nodes = [];
  const inits = [];
  const sc = (nm, v) => inits.push(P.tensor(nm, P.DataType.FLOAT, [], Float32Array.of(v)));
  const zp = (nm, v) => inits.push(P.tensor(nm, DT, [], A.of(v)));
  inits.push(P.tensor("bc", DT, [1, 16, 1, 1], bc));
  const qdqNodes = [];
  const qdqInits = [];
  const outs = [];
  sets.forEach((p, i) => {
    const out = `c${i}`;
    const bIn = i === 3 ? "bc" : "b";
    const aIn = i === 4 ? "bc" : "a";
    for (const [k, v] of [["sa", p.sa], ["sb", p.sb], ["sc", p.sc]]) sc(`${k}${i}`, v);
    for (const [k, v] of [["za", p.za], ["zb", p.zb], ["zc", p.zc]]) zp(`${k}${i}`, v);
    nodes.push(P.node("QLinearAdd", [aIn, `sa${i}`, `za${i}`, i === 4 ? "a" : bIn, `sb${i}`, `zb${i}`, `sc${i}`, `zc${i}`], [out], [], `add${i}`, "com.microsoft"));
    qdqNodes.push(
      P.node("DequantizeLinear", [aIn, `sa${i}`, `za${i}`], [`a${i}.dq`], [], `a${i}.dequantize`),
      P.node("DequantizeLinear", [i === 4 ? "a" : bIn, `sb${i}`, `zb${i}`], [`b${i}.dq`], [], `b${i}.dequantize`),
      P.node("Add", [`a${i}.dq`, `b${i}.dq`], [`c${i}.f`], [], `add${i}`),
      P.node("QuantizeLinear", [`c${i}.f`, `sc${i}`, `zc${i}`], [out], [], `c${i}.quantize`),
    );
    outs.push(out);
  });
  qdqInits.push(...inits);
  const io = {
    inputs: [P.valueInfo("a", DT, shape), P.valueInfo("b", DT, shape)],
    outputs: outs.map((o) => P.valueInfo(o, DT, shape)),
  };
  const qlinear = P.model({ opset: OPSET, extraOpsets: [{ domain: "com.microsoft", version: 1 }], producer: "dwpw make-models", graph: P.graph({ name, nodes, initializers: inits, ...io }) });
  const qdq = P.model({ opset: OPSET, producer: "dwpw make-models", graph: P.graph({ name, nodes: qdqNodes, initializers: qdqInits, ...io }) });
  const feeds = { a: { dtype, shape, data: a }, b: { dtype, shape, data: b } };
  const ref = await runOrt(ort, qlinear, feeds, sessionOptions("all", false));
  const levels = { qlinear: [], qdq: [] };
  for (const level of LEVELS) if (!compare(ref, await runOrt(ort, qlinear, feeds, sessionOptions(level, false)), `${name} qlinear ${level}`).length) levels.qlinear.push(level);
  for (const level of ["extended", "all"]) if (!compare(ref, await runOrt(ort, qdq, feeds, sessionOptions(level, true)), `${name} qdq ${level}`).length) levels.qdq.push(level);
  const w = await web();
  const webOut = await runOrt(w, qlinear, feeds, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  const webDiff = {};
  let differing = 0;
  for (const [k, v] of Object.entries(ref)) {
    if (sameBytes(v, webOut[k])) continue;
    webDiff[k] = zb64(webOut[k].data);
    for (let i = 0; i < n; i++) if (v.data[i] !== webOut[k].data[i]) differing++;
  }
  if (!differing) problems.push(`${name}: onnxruntime-web and -node agree everywhere; the stress parameters found no rounding difference`);
  writeFileSync(join(OUT, `${name}.qlinear.onnx`), qlinear);
  writeFileSync(join(OUT, `${name}.qdq.onnx`), qdq);
  const doc = {
    source: `ONNX Runtime ${ort.env.versions.node} (onnxruntime-node, CPU EP, ${hostDescription()}) and onnxruntime-web ${w.env.versions.web ?? ""} (WebAssembly, in Node); written by scripts/make-models.mjs`,
    network: name,
    dtype,
    opset: OPSET,
    forms: { qlinear: `${name}.qlinear.onnx`, qdq: `${name}.qdq.onnx` },
    levels,
    note: "every (a, b) byte pair once per add; a and b are generated (see test), not stored",
    params: sets,
    outputs: Object.fromEntries(Object.entries(ref).map(([k, v]) => [k, tensorJson(v)])),
    ortWeb: { version: w.env.versions.web ?? w.env.versions.common, differing: webDiff, differingBytes: differing },
  };
  writeFileSync(join(OUT, `${name}.json`), JSON.stringify(doc) + "\n");
  console.log(`${name}: QLinear exact at ${levels.qlinear.join("/")}, QDQ at ${levels.qdq.join("/")}; x86 vs WebAssembly rounding differ on ${differing} of ${sets.length * n} outputs`);
}

// ---------------------------------------------------------------------------------------------
// Full-size models

async function fullModels(padding, dtype, only) {
  mkdirSync(FULL, { recursive: true });
  writeFileSync(join(FULL, ".gitignore"), "# generated by scripts/make-models.mjs --full; too large to commit\n*\n");
  const defs = [
    ["mobilenet_v1_1.0_224", () => fullV1({ alpha: 1.0, resolution: 224, dtype, padding })],
    ["mobilenet_v1_1.0_128", () => fullV1({ alpha: 1.0, resolution: 128, dtype, padding })],
    ["mobilenet_v1_0.25_224", () => fullV1({ alpha: 0.25, resolution: 224, dtype, padding })],
    ["mobilenet_v1_0.25_128", () => fullV1({ alpha: 0.25, resolution: 128, dtype, padding })],
    ["mobilenet_v2_1.0_224", () => fullV2({ resolution: 224, dtype, padding })],
  ];
  for (const [name, def] of defs) {
    const tag = `${name}.${dtype}.${padding}`;
    if (only && !tag.includes(only)) continue;
    const t0 = performance.now();
    const net = def();
    const feeds = inputFeeds(net);
    const qlinear = qlinearModel(net);
    const qdq = qdqModel(net);
    const ref = await runOrt(ort, qlinear, feeds, sessionOptions("all", false));
    const levels = { qlinear: ["all"], qdq: [] };
    for (const level of ["disabled", "basic", "extended"]) if (!compare(ref, await runOrt(ort, qlinear, feeds, sessionOptions(level, false)), `${tag} qlinear ${level}`).length) levels.qlinear.push(level);
    for (const level of ["extended", "all"]) if (!compare(ref, await runOrt(ort, qdq, feeds, sessionOptions(level, true)), `${tag} qdq ${level}`).length) levels.qdq.push(level);
    const w = await web();
    const webOut = await runOrt(w, qlinear, feeds, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
    const [outName] = Object.keys(ref);
    // The quantized logits (before the final DequantizeLinear) tell how many classes differ.
    writeFileSync(join(FULL, `${tag}.qlinear.onnx`), qlinear);
    writeFileSync(join(FULL, `${tag}.qdq.onnx`), qdq);
    let webDiffers = 0;
    for (let i = 0; i < ref[outName].data.length; i++) if (ref[outName].data[i] !== webOut[outName].data[i]) webDiffers++;
    const doc = {
      source: `ONNX Runtime ${ort.env.versions.node} (onnxruntime-node, CPU EP, ${hostDescription()}, 1 thread) and onnxruntime-web; written by scripts/make-models.mjs --full`,
      network: net.name,
      dtype,
      padding,
      forms: { qlinear: `${tag}.qlinear.onnx`, qdq: `${tag}.qdq.onnx` },
      levels,
      input: { name: "input", ...tensorJson(feeds.input) },
      outputs: { [outName]: tensorJson(ref[outName]) },
      ortWeb: { output: tensorJson(webOut[outName]), differingValues: webDiffers },
    };
    writeFileSync(join(FULL, `${tag}.json`), JSON.stringify(doc) + "\n");
    console.log(
      `${tag}: ${net.layers.length} layers, ${(qlinear.length / 1e6).toFixed(1)} MB; QLinear exact at ${levels.qlinear.join("/")}, QDQ at ${levels.qdq.join("/")}; ` +
        `ort-web differs on ${webDiffers} of ${ref[outName].data.length} outputs; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
}

// ---------------------------------------------------------------------------------------------

const args = process.argv.slice(2);
const opt = (k) => {
  const i = args.indexOf(k);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = opt("--only");
const started = performance.now();
mkdirSync(OUT, { recursive: true });
if (args.includes("--full")) {
  await fullModels(opt("--padding") ?? "symmetric", opt("--dtype") ?? "int8", only);
} else {
  for (const [name, build] of Object.entries(SMALL_NETS)) if (!only || name === only) await smallModel(name, build);
  for (const dtype of ["int8", "uint8"]) if (!only || only === `add-stress-${dtype}`) await addStressModel(dtype);
}
for (const p of problems) console.log(`PROBLEM: ${p}`);
console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s; ${problems.length} problems (${relative(process.cwd(), OUT) || OUT})`);
process.exitCode = problems.length ? 1 : 0;
