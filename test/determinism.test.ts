// Determinism: the same inputs give the same bytes across runs, across the SIMD and scalar
// builds (and the reference), across fresh engines, across worker threads running at the same
// time, and across processes. (Chromium is covered by the browser suite under test/browser.)
//
// Digests are FNV-1a over every output tensor (its dtype, shape, layout, zero point and bytes) of
// a seeded stream of random layers and blocks (scripts/soak.mjs); blocks also hash their reports.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { beforeAll, describe, expect, it } from "vitest";
import * as dwpw from "../src/index.js";
import type { ConvOp, Tensor } from "../src/index.js";
import { createEngine } from "../src/engine.js";
import { Digest, Rng, blockDigest, layerDigest, randomLayer, tensorDiff } from "../scripts/soak.mjs";
import { ROOT, compiledPackage } from "./helpers/robustness.js";

const SEED = 0x0d3b;
const LAYERS = 160;
const BLOCKS = 12;

type Digests = { simd: string; scalar: string; default: string; reference: string; block: string };

async function digestsHere(): Promise<Digests> {
  const [simd, scalar, def, reference, block] = await Promise.all([
    layerDigest(dwpw, { seed: SEED, count: LAYERS, mode: "simd" }),
    layerDigest(dwpw, { seed: SEED, count: LAYERS, mode: "scalar" }),
    layerDigest(dwpw, { seed: SEED, count: LAYERS, mode: "default" }),
    layerDigest(dwpw, { seed: SEED, count: LAYERS, mode: "reference" }),
    blockDigest(dwpw, { seed: SEED, count: BLOCKS }),
  ]);
  return { simd, scalar, default: def, reference, block };
}

let here: Digests;
beforeAll(async () => {
  await dwpw.init();
  here = await digestsHere();
});

describe("determinism in one process", () => {
  it("the SIMD build, the scalar build, the default engine and the reference give the same bytes", () => {
    expect(here.simd).toBe(here.reference);
    expect(here.scalar).toBe(here.reference);
    expect(here.default).toBe(here.reference);
  });

  it("a second run (and fresh engines) give the same digests", async () => {
    expect(await digestsHere()).toEqual(here);
  });

  it("each case: SIMD = scalar = reference, and every repeat is identical", async () => {
    const s = await createEngine({ simd: true });
    const c = await createEngine({ simd: false });
    const rng = new Rng(SEED + 1);
    for (let i = 0; i < 80; i++) {
      const k = randomLayer(rng) as { input: Tensor; op: ConvOp };
      const want = dwpw.reference.conv(k.input, k.op);
      for (let rep = 0; rep < 3; rep++) {
        expect(tensorDiff(s.conv(k.input, k.op), want), `simd, case ${i}, repeat ${rep}`).toBe("");
        expect(tensorDiff(c.conv(k.input, k.op), want), `scalar, case ${i}, repeat ${rep}`).toBe("");
      }
    }
  });

  it("the digest is sensitive (a one-byte change shows)", () => {
    const t = dwpw.reference.conv(...(Object.values(randomLayer(new Rng(1))) as [Tensor, ConvOp]));
    const a = new Digest().tensor(t).hex();
    t.data[0] = (t.data[0]! ^ 1) as number;
    expect(new Digest().tensor(t).hex()).not.toBe(a);
  });
});

// Worker threads and child processes run the package compiled to JavaScript (a private build of
// src/, see test/helpers/robustness.ts), with the same generator.
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
(async () => {
  const lib = await import(workerData.index);
  const soak = await import(workerData.soak);
  const out = {};
  for (const mode of ["simd", "scalar", "default", "reference"]) {
    out[mode] = await soak.layerDigest(lib, { seed: workerData.seed, count: workerData.layers, mode });
  }
  out.block = await soak.blockDigest(lib, { seed: workerData.seed, count: workerData.blocks });
  if (workerData.shared) {
    // The same SharedArrayBuffer-backed input, read by several threads at once.
    const { input, op } = workerData.shared;
    const digests = new Set();
    for (let i = 0; i < 50; i++) digests.add(new soak.Digest().tensor(lib.conv(input, op)).hex());
    out.shared = [...digests];
  }
  parentPort.postMessage(out);
})().catch((e) => parentPort.postMessage({ error: String((e && e.stack) || e) }));
`;

function inWorker(data: Record<string, unknown>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { eval: true, workerData: data });
    w.once("message", (m: Record<string, unknown>) => {
      void w.terminate();
      if (typeof m.error === "string") reject(new Error(m.error));
      else resolve(m);
    });
    w.once("error", reject);
  });
}

describe("determinism across threads and processes", () => {
  let pkg: { index: string; soak: string };
  beforeAll(() => {
    const dir = compiledPackage();
    pkg = { index: pathToFileURL(join(dir, "index.js")).href, soak: pathToFileURL(join(ROOT, "scripts", "soak.mjs")).href };
  }, 120_000);

  it("three worker threads at once, one sharing a SharedArrayBuffer input, give the main thread's digests", async () => {
    const c = randomLayer(new Rng(SEED + 2), "depthwise", true) as { input: Tensor; op: ConvOp };
    const sab = new SharedArrayBuffer(c.input.data.byteLength);
    const data = new (c.input.data.constructor as Int8ArrayConstructor)(sab);
    data.set(c.input.data);
    const shared = { input: { ...c.input, data }, op: c.op };
    const want = new Digest().tensor(dwpw.conv(shared.input, shared.op)).hex();
    const base = { ...pkg, seed: SEED, layers: LAYERS, blocks: BLOCKS };
    const results = await Promise.all([inWorker({ ...base, shared }), inWorker({ ...base, shared }), inWorker(base)]);
    for (const r of results) {
      expect({ simd: r.simd, scalar: r.scalar, default: r.default, reference: r.reference, block: r.block }).toEqual(here);
    }
    expect(results[0]!.shared).toEqual([want]);
    expect(results[1]!.shared).toEqual([want]);
  }, 120_000);

  it("a separate Node process gives the same digests", () => {
    const script = `
      const lib = await import(${JSON.stringify(pkg.index)});
      const soak = await import(${JSON.stringify(pkg.soak)});
      const out = {};
      for (const mode of ["simd", "scalar", "default", "reference"]) out[mode] = await soak.layerDigest(lib, { seed: ${SEED}, count: ${LAYERS}, mode });
      out.block = await soak.blockDigest(lib, { seed: ${SEED}, count: ${BLOCKS} });
      console.log(JSON.stringify(out));`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    expect(JSON.parse(out.trim().split("\n").pop() as string)).toEqual(here);
  }, 120_000);
});
