// The consumer check's workload, written against the published API only (`import * as dwpw from
// "dwpw"`): every case of the shared test vectors through conv() on the default (SIMD) engine and
// on the scalar one, and through block() under every schedule that applies; then a small MobileNet
// fusion report with emulation. Runs in the Vite-built page and in Node on the same installed
// tarball; both must agree with the vectors and with each other (the digest).

/** Base64 to bytes (atob: browsers and Node alike). */
function bytes(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function tensor(t, layout) {
  const b = bytes(t.data);
  return { data: t.dtype === "int8" ? new Int8Array(b.buffer) : b, height: t.height, width: t.width, channels: t.channels, layout, zeroPoint: t.zeroPoint };
}

function op(o) {
  const weights = new Int8Array(bytes(o.weights).buffer);
  const bias = o.bias === null ? null : new Int32Array(bytes(o.bias).buffer);
  return o.kind === "depthwise"
    ? { kind: "depthwise", kernel: o.kernel, stride: o.stride, pad: o.pad, weights, bias, requant: o.requant }
    : { kind: "pointwise", outChannels: o.outChannels, weights, bias, requant: o.requant };
}

const same = (a, b) => a.layout === b.layout && a.data.constructor === b.data.constructor && a.data.length === b.data.length && a.data.every((v, i) => v === b.data[i]);

/** FNV-1a over everything computed, so two runtimes can be compared with one string. */
class Digest {
  h = 0x811c9dc5;
  add(data) {
    for (let i = 0; i < data.length; i++) this.h = Math.imul(this.h ^ (data[i] & 0xff), 0x01000193);
  }
  text(s) {
    for (let i = 0; i < s.length; i++) this.h = Math.imul(this.h ^ s.charCodeAt(i), 0x01000193);
  }
  hex() {
    return (this.h >>> 0).toString(16).padStart(8, "0");
  }
}

/**
 * Runs the workload. `files` maps a vector file name to its parsed JSON.
 * Returns counts, the failures (names) and the digest.
 */
export async function check(dwpw, files) {
  await dwpw.init();
  const scalar = await dwpw.createEngine({ simd: false });
  const digest = new Digest();
  const failures = [];
  let ops = 0, blocks = 0;
  for (const [name, file] of Object.entries(files)) {
    for (const c of file.cases) {
      const input = tensor(c.input, c.layout);
      const chain = c.ops.map((o) => ({ op: op(o), expected: tensor(o.expected, c.layout) }));
      let x = input;
      for (const [k, { op: o, expected }] of chain.entries()) {
        for (const [engine, out] of [["simd", dwpw.conv(x, o)], ["scalar", scalar.conv(x, o)]]) {
          ops++;
          digest.add(out.data);
          if (!same(out, expected)) failures.push(`${name} ${c.name} op ${k} (${engine})`);
        }
        x = expected;
      }
      if (chain.length !== 2) continue;
      for (const schedule of dwpw.SCHEDULES) {
        let res;
        try {
          res = dwpw.block(input, [chain[0].op, chain[1].op], { schedule });
        } catch (e) {
          if (e instanceof RangeError) continue; // other order or layout, or does not fit L1
          throw e;
        }
        blocks++;
        digest.add(res.output.data);
        digest.text(JSON.stringify(res.report));
        if (!same(res.output, chain[1].expected)) failures.push(`${name} ${c.name} block ${schedule}`);
      }
    }
  }
  // Throughput mode: two op chains of the vectors through a pool of two workers (worker_threads in
  // Node, the bundle's Web Workers in the page), three copies of the input each.
  let pooled = 0;
  const chains = Object.entries(files).flatMap(([name, file]) => file.cases.map((c) => ({ name: `${name} ${c.name}`, c }))).filter((x) => x.c.ops.length === 2).slice(0, 2);
  for (const { name, c } of chains) {
    const ops = c.ops.map(op);
    const expected = tensor(c.ops[1].expected, c.layout);
    const pool = await dwpw.layersPool(ops, { workers: 2 });
    try {
      const outs = await pool.run([0, 1, 2].map(() => tensor(c.input, c.layout)));
      for (const [i, out] of outs.entries()) {
        pooled++;
        digest.add(out.data);
        if (!same(out, expected)) failures.push(`${name} pool image ${i}`);
      }
    } finally {
      await pool.close();
    }
  }
  const report = dwpw.fusionReport(dwpw.mobilenetV2({ alpha: 0.35, resolution: 64 }), { run: true });
  digest.text(JSON.stringify(report));
  if (report.bitExact !== true) failures.push("fusionReport: not bit-exact");
  return { simd: dwpw.defaultEngine().simd, ops, blocks, pooled, reportBlocks: report.blocks.length, failures, digest: digest.hex() };
}
