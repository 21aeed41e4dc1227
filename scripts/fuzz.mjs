#!/usr/bin/env node
// `npm run fuzz`: seeded fuzzing of what dwpw reads from outside.
//
// - Model files: each FORMATS entry (a format's name, its valid seed files, its loader and its
//   error classes) gets mutated files: bit flips, overwritten bytes and varints, truncations,
//   duplicated, deleted and inserted chunks, splices of two seeds. Each mutant is loaded and, when
//   it loads and is small enough to run in well under the time bound, run.
// - The API: valid layers and blocks (scripts/soak.mjs's generators) passed through accessors
//   that change their answers after the first read, Proxies, typed arrays that lie about their
//   extent or whose buffer a later getter shrinks, to every entry point.
//
// Every case must: end in a result or an error of a documented class (RangeError, TypeError and the
// format's errors: OnnxError, UnsupportedOpError, TfliteError), never a WebAssembly trap or another
// error; take at most HANG_MS; and be followed by exact bytes from a valid model (or layer) run
// right after it. API cases whose accessors answer valid values first must give exactly the bytes
// of the plain call. RSS growth over a case is recorded; more than MEMORY_SPIKE_BYTES fails.
//
//   node scripts/fuzz.mjs [--long] [--cases N] [--seed S] [--format onnx] [--json]   (after `npm run build`)
//
// Default: 2,000 mutated files per format and 2,000 API cases; `--long` (for a release):
// 100,000 of each. test/robustness.fuzz.test.ts runs a short slice against the TypeScript sources.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Rng, randomBlock, randomLayer } from "./soak.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Longest a case may take (load and run of a small model, or one API call). */
export const HANG_MS = 2000;
/** Largest RSS growth over one case. */
export const MEMORY_SPIKE_BYTES = 500 * 2 ** 20;
/** A loaded mutant runs only if its tensors hold at most this many elements in total ... */
const RUN_ELEMENTS = 1 << 18;
/** ... and its layers at most this many multiply-accumulates in total (a few ms of work). */
const RUN_MACS = 1 << 24;

const seedFiles = (dir, ext) =>
  existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(ext)).sort().map((f) => join(dir, f)) : [];

/**
 * The file formats fuzzed. To add one, list it here: `seeds` are valid model files (they must load
 * and run exactly), `load(api, bytes)` imports one, `errors(api)` are the error classes its loader
 * documents beyond RangeError and TypeError, and `available(api)` says whether this build has the
 * loader. The TFLite entry is the hook for the TFLite reader (src/import/tflite): it runs when
 * `loadTflite` is exported and seed files exist (fixtures/tflite/, ../shared/tflite/generated/models/).
 */
export const FORMATS = [
  {
    name: "onnx",
    seeds: () => seedFiles(join(ROOT, "fixtures", "models"), ".onnx"),
    available: (api) => typeof api.loadOnnx === "function",
    load: (api, bytes) => api.loadOnnx(bytes),
    errors: (api) => [api.OnnxError, api.UnsupportedOpError],
  },
  {
    name: "tflite",
    seeds: () => [...seedFiles(join(ROOT, "fixtures", "tflite"), ".tflite"), ...seedFiles(join(ROOT, "..", "shared", "tflite", "generated", "models"), ".tflite")],
    available: (api) => typeof api.loadTflite === "function",
    load: (api, bytes) => api.loadTflite(bytes),
    errors: (api) => [api.TfliteError, api.UnsupportedOpError],
  },
];

// ---- Outcomes ----------------------------------------------------------------------------------

function documented(e, extra) {
  if (e === null || typeof e !== "object") return false;
  if (typeof WebAssembly !== "undefined" && e instanceof WebAssembly.RuntimeError) return false;
  const ctor = e.constructor;
  // L1OverflowError (a RangeError) is the block API's documented infeasibility error.
  return ctor === RangeError || ctor === TypeError || e.name === "L1OverflowError" || extra.some((c) => c && ctor === c);
}

const describe = (e) => (e instanceof Error ? `${e.constructor.name}: ${e.message.slice(0, 300)}` : String(e));

/** Bytes of every typed array in a result, with its structure, as one string. */
function fingerprint(v) {
  return JSON.stringify(v, (_k, x) => (ArrayBuffer.isView(x) ? `${x.constructor.name}[${Array.from(x).join(",")}]` : typeof x === "function" ? undefined : x));
}

// ---- Models ------------------------------------------------------------------------------------

const numel = (shape) => shape.reduce((a, b) => a * b, 1);

/** A deterministic input for every graph input. */
function inputsFor(net) {
  const out = {};
  for (const spec of net.inputs) {
    const n = numel(spec.shape);
    const q = spec.quant;
    out[spec.name] = !q ? Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)) : q.dtype === "uint8" ? Uint8Array.from({ length: n }, (_, i) => (i * 37) % 256) : Int8Array.from({ length: n }, (_, i) => ((i * 37) % 256) - 128);
  }
  return out;
}

/** Whether a loaded network is small enough to run well inside the bound (a mutant that grew a
 * legitimately large tensor is a valid model whose run takes longer; it is loaded, not run). */
function smallEnough(net) {
  const c = runCost(net);
  return c.elements <= RUN_ELEMENTS && c.macs <= RUN_MACS;
}

/** Tensor elements and multiply-accumulates of a run (an ONNX network's layers, or a graph's ops). */
function runCost(net) {
  const g = net.graph;
  if (g && Array.isArray(g.tensors) && Array.isArray(g.ops)) {
    let elements = 0;
    for (const t of g.tensors) if (!t.data) elements += numel(t.shape);
    let macs = 0;
    for (const op of g.ops) {
      const out = numel(g.tensors[op.outputs[0]]?.shape ?? [0]);
      const w = op.inputs[1] >= 0 ? g.tensors[op.inputs[1]] : undefined;
      // Products per output: a filter row (conv, fully connected) or its taps (depthwise); every op also reads its input once.
      const perOut = !w?.data ? 1 : op.kind === "depthwiseConv2d" ? w.shape[1] * w.shape[2] : op.kind === "conv2d" || op.kind === "fullyConnected" ? numel(w.shape) / w.shape[0] : 1;
      macs += out * perOut + numel(g.tensors[op.inputs[0]]?.shape ?? [0]);
    }
    return { elements, macs };
  }
  if (!g || !(g.values instanceof Map) || !Array.isArray(g.layers)) return { elements: 0, macs: 0 };
  let elements = 0;
  for (const v of g.values.values()) elements += numel(v.shape);
  let macs = 0;
  for (const l of g.layers) {
    const out = numel(g.values.get(l.output)?.shape ?? [0]);
    if (l.kind === "depthwise") macs += out * l.op.kernel[0] * l.op.kernel[1];
    else if (l.kind === "pointwise") macs += out * (g.values.get(l.inputs[0])?.shape[1] ?? 0);
    else if (l.kind === "conv") macs += out * (l.inChannels / l.group) * l.kernel[0] * l.kernel[1];
    else if (l.kind === "fullyConnected") macs += l.rows * l.inFeatures * l.outFeatures;
    else macs += out;
  }
  return { elements, macs };
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One mutation of `bytes` (a new array); `other` is another seed, for splices. */
function mutate(rng, bytes, other) {
  const b = bytes.slice();
  const at = () => rng.int(0, Math.max(0, b.length - 1));
  switch (rng.int(0, 8)) {
    case 0: // bit flips
      for (let k = rng.int(1, 8); k > 0; k--) b[at()] ^= 1 << rng.int(0, 7);
      return b;
    case 1: // bytes overwritten with edge values
      for (let k = rng.int(1, 4); k > 0; k--) b[at()] = rng.pick([0x00, 0x01, 0x7f, 0x80, 0xff, rng.int(0, 255)]);
      return b;
    case 2: { // a varint made long and large (lengths, dims, attribute values)
      const p = at();
      const n = rng.int(2, 10);
      for (let i = 0; i < n && p + i < b.length; i++) b[p + i] = i === n - 1 ? rng.int(0, 0x7f) : 0x80 | rng.int(0, 0x7f);
      return b;
    }
    case 3: // truncation
      return b.subarray(0, rng.int(0, b.length));
    case 4: { // a chunk deleted
      const p = at();
      const n = rng.int(1, Math.min(256, b.length - p));
      return concat(b.subarray(0, p), b.subarray(p + n));
    }
    case 5: { // a chunk duplicated (repeated fields merge in protobuf)
      const p = at();
      const n = rng.int(1, Math.min(512, b.length - p));
      return concat(b.subarray(0, p + n), b.subarray(p, p + n), b.subarray(p + n));
    }
    case 6: { // random bytes inserted
      const p = at();
      const ins = Uint8Array.from({ length: rng.int(1, 32) }, () => rng.int(0, 255));
      return concat(b.subarray(0, p), ins, b.subarray(p));
    }
    case 7: { // a 32-bit little-endian window set to a huge or negative value (dims, pads)
      const p = at();
      const v = rng.pick([0xffffffff, 0x7fffffff, 0x80000000, 65536, 65537, 1 << 20]);
      for (let i = 0; i < 4 && p + i < b.length; i++) b[p + i] = (v >>> (8 * i)) & 0xff;
      return b;
    }
    default: { // a splice of two seeds
      const p = at();
      const q = rng.int(0, other.length);
      return concat(b.subarray(0, p), other.subarray(q));
    }
  }
}

/** Runs `f`, timing it and recording RSS growth; returns { value | error, ms, rss }. */
function timed(f) {
  const rss0 = process.memoryUsage.rss();
  const t0 = performance.now();
  let value;
  let error = null;
  try {
    value = f();
  } catch (e) {
    error = e;
  }
  return { value, error, ms: performance.now() - t0, rss: process.memoryUsage.rss() - rss0 };
}

async function fuzzFormat(api, format, { cases, seed, onFailure, stats }) {
  const files = format.seeds();
  if (!format.available(api) || files.length === 0) {
    stats.skipped.push(`${format.name}: ${format.available(api) ? "no seed files" : "no loader in this build"}`);
    return;
  }
  const extra = format.errors(api);
  const seeds = files.map((f) => new Uint8Array(readFileSync(f)));
  // The sentinel: the seed cheapest to run, run once now; every case is followed by the same run.
  const nets = seeds.map((b) => format.load(api, b));
  const weight = (n) => runCost(n).elements + runCost(n).macs;
  const sentinelNet = nets.reduce((a, b) => (weight(b) < weight(a) ? b : a));
  const sentinelInput = inputsFor(sentinelNet);
  const sentinel = fingerprint(sentinelNet.run(sentinelInput).outputs);
  const rng = new Rng(seed);
  const s = (stats.formats[format.name] = { cases: 0, loaded: 0, ran: 0, rejected: 0, maxMs: 0, maxRssGrowth: 0 });
  for (let i = 0; i < cases; i++) {
    const k = rng.int(0, seeds.length - 1);
    const bytes = mutate(rng, seeds[k], seeds[rng.int(0, seeds.length - 1)]);
    const what = `${format.name} case ${i} (seed ${seed}, file ${files[k].split("/").pop()})`;
    const r = timed(() => {
      const net = format.load(api, bytes);
      s.loaded++;
      if (!smallEnough(net)) return;
      net.run(inputsFor(net));
      s.ran++;
    });
    s.cases++;
    s.maxMs = Math.max(s.maxMs, r.ms);
    s.maxRssGrowth = Math.max(s.maxRssGrowth, r.rss);
    if (r.error !== null) {
      s.rejected++;
      if (!documented(r.error, extra)) onFailure(`${what}: undocumented error ${describe(r.error)}`);
    }
    if (r.ms > HANG_MS) onFailure(`${what}: took ${r.ms.toFixed(0)} ms (bound ${HANG_MS})`);
    if (r.rss > MEMORY_SPIKE_BYTES) onFailure(`${what}: RSS grew by ${(r.rss / 2 ** 20).toFixed(0)} MB`);
    const after = fingerprint(sentinelNet.run(sentinelInput).outputs);
    if (after !== sentinel) onFailure(`${what}: the valid model's bytes changed after this case`);
  }
}

// ---- The API -----------------------------------------------------------------------------------

/** Hostile later answers of a field whose first answer is valid. */
const LATER = [65536, 600, 0, -1, 1e6, 2 ** 31, NaN, Infinity, 0.5, "bogus", "CHW", "HWC", null, undefined, {}, [], new Int8Array(1), new Uint8Array(7), new Int32Array(1)];

/** A copy of `o` whose `key` answers its current value once, then `later`. */
function flipping(o, key, later) {
  let n = 0;
  const first = o[key];
  const copy = Array.isArray(o) ? [...o] : { ...o };
  Object.defineProperty(copy, key, { enumerable: true, configurable: true, get: () => (n++ === 0 ? first : later) });
  return copy;
}

/** A Proxy of `o` whose every field answers its value once, then `later` for `key`. */
function proxied(o, key, later) {
  const seen = new Set();
  return new Proxy(o, {
    get(t, k, r) {
      if (k === key && seen.has(k)) return later;
      seen.add(k);
      return Reflect.get(t, k, r);
    },
  });
}

/** The object at `path` (e.g. ["op", "requant"]) of a case, and a setter that replaces it. */
function at(c, path) {
  let parent = c;
  for (const k of path.slice(0, -1)) parent = parent[k];
  const k = path[path.length - 1];
  return { get: () => parent[k], set: (v) => (parent[k] = v) };
}

/** Objects of a layer case a trick may wrap, with the fields each has. */
function targets(c, block) {
  const ops = block ? [["ops", 0], ["ops", 1]] : [["op"]];
  const list = [["input"]];
  for (const p of ops) list.push(p, [...p, "requant"]);
  for (const p of ops) if (at(c, p).get().kind === "depthwise") list.push([...p, "pad"], [...p, "kernel"], [...p, "stride"]);
  return list;
}

/** A typed array of `a`'s contents whose buffer is resizable, and a function that shrinks it. */
function resizable(a) {
  try {
    const buf = new ArrayBuffer(a.byteLength, { maxByteLength: a.byteLength * 2 + 16 });
    const v = new a.constructor(buf);
    v.set(a);
    return { view: v, shrink: () => buf.resize(0) };
  } catch {
    return null; // no resizable buffers in this engine
  }
}

/** Applies one trick to a deep copy of `c` (its typed arrays shared); returns what it did. */
function trick(rng, c, block) {
  const tgt = rng.pick(targets(c, block));
  const ref = at(c, tgt);
  const obj = ref.get();
  const keys = Object.keys(obj);
  const key = rng.pick(keys.length ? keys : ["length"]);
  const later = rng.pick(LATER);
  switch (rng.int(0, 3)) {
    case 0:
      ref.set(flipping(obj, key, later));
      return { name: `${tgt.join(".")}.${key} valid then ${String(later)}`, firstValid: true };
    case 1:
      ref.set(proxied(obj, key, later));
      return { name: `Proxy ${tgt.join(".")} whose ${key} turns ${String(later)}`, firstValid: true };
    case 2: {
      // The input's data on a resizable buffer, shrunk by a getter read after it.
      const r = resizable(c.input.data);
      if (!r) return { name: "no resizable buffers", firstValid: true };
      const first = c.input.zeroPoint;
      const input = { ...c.input, data: r.view };
      Object.defineProperty(input, "zeroPoint", { enumerable: true, get: () => (r.shrink(), first) });
      c.input = input;
      return { name: "input.data's buffer shrunk by a later getter", firstValid: false };
    }
    default: {
      // A typed array that lies: a subclass with a length getter, or a Proxy of one.
      const field = rng.pick([["input", "data"], [...(block ? ["ops", rng.int(0, 1)] : ["op"]), "weights"]]);
      const a = at(c, field);
      const orig = a.get();
      if (rng.chance(0.5)) {
        class Lying extends orig.constructor {
          get length() {
            return orig.length + rng.int(1, 64);
          }
        }
        const l = new Lying(orig.length);
        l.set(orig);
        a.set(l);
        return { name: `${field.join(".")} with a lying length`, firstValid: false };
      }
      a.set(new Proxy(orig, {}));
      return { name: `${field.join(".")} a Proxy`, firstValid: false };
    }
  }
}

/** The entry points an API case may call: [name, block?, call(lib, case)]. */
const API_ENTRIES = [
  ["conv", false, (lib, c) => lib.conv(c.input, c.op)],
  ["depthwise/pointwise", false, (lib, c) => (c.op.kind === "depthwise" ? lib.depthwise(c.input, c.op) : lib.pointwise(c.input, c.op))],
  ["reference.conv", false, (lib, c) => lib.reference.conv(c.input, c.op)],
  ["check", false, (lib, c) => lib.check({ input: c.input, op: c.op }, { target: "pulp-nn" })],
  ["block", true, (lib, c) => lib.block(c.input, c.ops).output],
  ["plan", true, (lib, c) => lib.plan(c.input, c.ops)],
  ["check (block)", true, (lib, c) => lib.check({ input: c.input, ops: c.ops }, { target: "dory-fused" })],
];

const copyCase = (c) => structuredClone(c);

async function fuzzApi(lib, { cases, seed, onFailure, stats }) {
  const rng = new Rng(seed);
  const s = (stats.api = { cases: 0, exact: 0, rejected: 0, maxMs: 0 });
  const sentinel = randomLayer(new Rng(seed ^ 0x5eed), "depthwise");
  const sentinelBytes = fingerprint(lib.reference.conv(sentinel.input, sentinel.op));
  for (let i = 0; i < cases; i++) {
    const [name, block, call] = rng.pick(API_ENTRIES);
    const c = block ? randomBlock(rng) : randomLayer(rng);
    const plain = timed(() => fingerprint(call(lib, copyCase(c))));
    const bad = copyCase(c);
    const t = trick(rng, bad, block);
    const what = `api case ${i} (seed ${seed}): ${name}, ${t.name}`;
    const r = timed(() => fingerprint(call(lib, bad)));
    s.cases++;
    s.maxMs = Math.max(s.maxMs, r.ms);
    if (r.error !== null) {
      s.rejected++;
      if (!documented(r.error, [])) onFailure(`${what}: undocumented error ${describe(r.error)}`);
    } else if (t.firstValid && plain.error === null && r.value !== plain.value) {
      onFailure(`${what}: the result differs from the plain call's`);
    } else if (!t.firstValid && plain.error === null && r.value !== plain.value) {
      onFailure(`${what}: accepted with other bytes than the plain call's`);
    } else s.exact++;
    if (r.ms > HANG_MS) onFailure(`${what}: took ${r.ms.toFixed(0)} ms`);
    const after = fingerprint(lib.conv(sentinel.input, sentinel.op));
    if (after !== sentinelBytes) onFailure(`${what}: a valid call after it gave other bytes`);
  }
}

/**
 * Runs the fuzz on `api` (the package's exports). Returns the figures and the failures (empty
 * when everything held). `formats` restricts the file formats by name; `api: false` skips the API.
 */
export async function runFuzz(api, { cases = 2000, apiCases = cases, seed = 1, formats = null, progress = null } = {}) {
  await api.init();
  const failures = [];
  const onFailure = (m) => {
    if (failures.length < 100) failures.push(m);
  };
  const stats = { formats: {}, api: null, skipped: [] };
  for (const f of FORMATS) {
    if (formats && !formats.includes(f.name)) continue;
    progress?.(`${f.name}: ${cases} mutated files`);
    await fuzzFormat(api, f, { cases, seed, onFailure, stats });
  }
  if (apiCases > 0) {
    progress?.(`api: ${apiCases} cases`);
    await fuzzApi(api, { cases: apiCases, seed, onFailure, stats });
  }
  return { ...stats, failures };
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const long = args.includes("--long");
  const cases = Number(opt("--cases", long ? 100_000 : 2000));
  const seed = Number(opt("--seed", 1));
  const format = opt("--format", null);
  const api = await import(pathToFileURL(join(ROOT, "dist", "index.js")).href);
  const t0 = performance.now();
  const r = await runFuzz(api, { cases, seed, formats: format ? [format] : null, progress: (m) => process.stderr.write(`fuzz: ${m}\n`) });
  if (args.includes("--json")) console.log(JSON.stringify(r, null, 1));
  else {
    for (const [name, s] of Object.entries(r.formats)) {
      console.log(`${name}: ${s.cases} files, ${s.loaded} loaded, ${s.ran} run, ${s.rejected} rejected; slowest ${s.maxMs.toFixed(0)} ms, largest RSS growth ${(s.maxRssGrowth / 2 ** 20).toFixed(1)} MB`);
    }
    if (r.api) console.log(`api: ${r.api.cases} cases, ${r.api.exact} exact, ${r.api.rejected} rejected; slowest ${r.api.maxMs.toFixed(0)} ms`);
    for (const s of r.skipped) console.log(`skipped ${s}`);
    console.log(`${r.failures.length} failures in ${((performance.now() - t0) / 1000).toFixed(1)} s (seed ${seed})`);
    for (const f of r.failures) console.log(`  ${f}`);
  }
  process.exit(r.failures.length ? 1 : 0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
