// The kernels' view contract (assembly/index.ts): they read and write any strided view, element
// (y, x, c) at `ptr + y*row + x*px + c*ch`, not only dense HWC and CHW tensors. The public API only
// passes dense tensors and the scratchpad model windows of them, so this suite calls the kernels
// directly with views that leave gaps: an input whose channels are a window of wider pixels or
// spread planes, and outputs whose pixels or channels are every other byte. Every element must
// equal the reference, and no byte in the gaps may change.
import fc from "fast-check";
import { expect, it } from "vitest";
import { layerCall, runKernel, scratchBytes, type Engine, type View } from "../src/engine.js";
import { reference } from "../src/reference/index.js";
import { checkConv } from "../src/validate.js";
import { HEADER_BYTES, channelParams, writeHeader } from "../src/wasm/params.js";
import { elementIndex } from "../src/layout.js";
import type { Tensor } from "../src/types.js";
import { SCHEMES, buildCase, caseArb, channelsArb } from "./helpers/cases.js";
import { describeEngines } from "./helpers/kernels.js";

const SENTINEL = 0x5a;

/** A view shape with gaps for an H x W x C tensor: its strides and the bytes it spans. */
interface GappyView {
  name: string;
  row: number;
  px: number;
  ch: number;
  /** Offset of element (0, 0, 0) in the region. */
  at: number;
  bytes: number;
}

/** Views with gaps of every orientation the kernels distinguish (channel-fastest, pixel-fastest, neither). */
function gappyViews(H: number, W: number, C: number): GappyView[] {
  return [
    // Channels contiguous, a window of wider pixels (a channel range of a larger HWC buffer).
    { name: "HWC channel window", row: W * (C + 3), px: C + 3, ch: 1, at: 1, bytes: H * W * (C + 3) },
    // Pixels contiguous in each row, rows and planes apart (a row window of a larger CHW buffer).
    { name: "CHW rows apart", row: W + 5, px: 1, ch: H * (W + 5) + 2, at: 3, bytes: C * (H * (W + 5) + 2) + 8 },
    // Every other byte, pixel-fastest.
    { name: "planar, every other byte", row: 2 * W, px: 2, ch: 2 * H * W, at: 0, bytes: 2 * H * W * C },
    // Every other byte, channel-fastest.
    { name: "channels, every other byte", row: 2 * W * C, px: 2 * C, ch: 2, at: 0, bytes: 2 * H * W * C },
    // Channel-fastest pixels contiguous in each row, rows apart (a column window of a wider HWC
    // buffer): the only kind here whose rows do not follow each other.
    { name: "HWC rows apart", row: W * C + 7, px: C, ch: 1, at: 2, bytes: H * (W * C + 7) },
  ];
}

/**
 * Runs `op` on `input` with both tensors in the given views; returns the output view's region.
 * `atMemoryEnd`: the input region ends at the last byte of WebAssembly memory (the kernels read
 * whole vectors past a view only while memory goes on).
 */
function runInViews(e: Engine, input: Tensor, op: Parameters<typeof checkConv>[1], vin: GappyView, vout: GappyView, atMemoryEnd = false): Uint8Array {
  const layer = checkConv(input, op);
  const call = layerCall(layer);
  const p = channelParams(layer.requant, layer.bias);
  const a = e.arena;
  a.reset();
  let src = atMemoryEnd ? 0 : a.alloc(vin.bytes + 16);
  const dst = a.alloc(vout.bytes + 16), wt = a.alloc(layer.weights.length);
  const bias = p.bias ? a.alloc(p.bias.length) : 0, pa = p.a ? a.alloc(p.a.length) : 0, pb = p.b ? a.alloc(p.b.length) : 0;
  const hdr = a.alloc(HEADER_BYTES), scratch = a.alloc(scratchBytes(e.wasm, call));
  a.commit();
  if (atMemoryEnd) {
    // Beyond everything the arena reserved (growing memory if there is not room), memory's last bytes.
    const top = a.alloc(0);
    const mem = e.wasm.memory;
    if (mem.buffer.byteLength - top < vin.bytes + 65536) mem.grow(Math.ceil((top + vin.bytes + 65536 - mem.buffer.byteLength) / 65536));
    src = mem.buffer.byteLength - vin.bytes - vin.at;
  }
  const srcBytes = a.bytes(src, atMemoryEnd ? vin.at + vin.bytes : vin.bytes + 16);
  srcBytes.fill(0xa5);
  const x = new Uint8Array(input.data.buffer, input.data.byteOffset, input.data.byteLength);
  const xi = elementIndex(input.layout, input.height, input.width, input.channels);
  for (let y = 0; y < input.height; y++) for (let i = 0; i < input.width; i++) for (let c = 0; c < input.channels; c++) {
    srcBytes[vin.at + y * vin.row + i * vin.px + c * vin.ch] = x[xi(y, i, c)]!;
  }
  a.bytes(dst, vout.bytes + 16).fill(SENTINEL);
  a.write(wt, layer.weights);
  if (p.bias) a.write(bias, p.bias);
  if (p.a) a.write(pa, p.a);
  if (p.b) a.write(pb, p.b);
  writeHeader(e.wasm.memory, hdr, layer.requant, bias, pa, pb);
  const sv: View = { ptr: src + vin.at, row: vin.row, px: vin.px, ch: vin.ch };
  const dv: View = { ptr: dst + vout.at, row: vout.row, px: vout.px, ch: vout.ch };
  runKernel(e.wasm, call, sv, dv, wt, hdr, scratch);
  return a.bytes(dst, vout.bytes + 16).slice();
}

/**
 * The first byte of the output region `got` that differs from `want` placed in the view `vout`,
 * every other byte being SENTINEL (the gaps and the bytes after the view); -1 if none.
 */
function firstDifference(got: Uint8Array, want: Tensor, vout: GappyView): number {
  const expected = new Uint8Array(got.length).fill(SENTINEL);
  const w = new Uint8Array(want.data.buffer, want.data.byteOffset, want.data.byteLength);
  const wi = elementIndex(want.layout, want.height, want.width, want.channels);
  for (let y = 0; y < want.height; y++) for (let i = 0; i < want.width; i++) for (let c = 0; c < want.channels; c++) {
    expected[vout.at + y * vout.row + i * vout.px + c * vout.ch] = w[wi(y, i, c)]!;
  }
  return expected.findIndex((b, i) => got[i] !== b);
}

describeEngines("kernels on strided views", (engine) => {
  for (const kind of ["depthwise", "pointwise"] as const) {
    it(`${kind}: every element lands in the output view, the gaps keep their bytes`, () => {
      fc.assert(
        fc.property(fc.constantFrom(...SCHEMES).chain((scheme) => caseArb(scheme, kind)), fc.nat(24), (s, pick) => {
          const { input, op } = buildCase(s);
          const want = reference.conv(input, op);
          const ins = gappyViews(input.height, input.width, input.channels);
          const outs = gappyViews(want.height, want.width, want.channels);
          const vin = ins[pick % 5]!, vout = outs[Math.floor(pick / 5)]!;
          const got = runInViews(engine(), input, op, vin, vout);
          const first = firstDifference(got, want, vout);
          expect(first, `${s.scheme} ${kind}, input ${vin.name}, output ${vout.name}: first differing byte`).toBe(-1);
        }),
        { numRuns: 250 },
      );
    });
  }
});

/** 3x3 depthwise geometry with the strides and paddings the SIMD 3x3 kernels handle. */
function geometry3x3() {
  return fc.record({
    height: fc.integer({ min: 1, max: 9 }),
    width: fc.integer({ min: 1, max: 40 }),
    channels: channelsArb(20),
    outChannels: fc.constant(0),
    kernel: fc.constant<[number, number]>([3, 3]),
    stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    pad: fc.constantFrom({ top: 1, left: 1, bottom: 1, right: 1 }, { top: 0, left: 0, bottom: 0, right: 0 }, { top: 1, left: 0, bottom: 0, right: 1 }),
  }).filter((g) => g.height + g.pad.top + g.pad.bottom >= 3 && g.width + g.pad.left + g.pad.right >= 3)
    .map((g) => ({ ...g, outChannels: g.channels }));
}

/**
 * The 3x3 SIMD kernels' output stores, by orientation. Channel-fastest: several output rows are
 * requantized in one call when they follow each other in the output; here they do not, or they do
 * and the bytes after them are watched. Planar: a row's last vector is stored whole where the
 * bytes past the row land on later rows of the plane; here rows and planes are apart, or the
 * plane is dense and the bytes after the last plane are watched.
 */
const STORES_3x3 = [
  {
    kernel: "channel-fastest",
    input: 0, // HWC channel window
    gappy: 4, // HWC rows apart
    dense: (H: number, W: number, C: number): GappyView => ({ name: "HWC dense", row: W * C, px: C, ch: 1, at: 0, bytes: H * W * C }),
  },
  {
    kernel: "planar",
    input: 1, // CHW rows apart
    gappy: 1,
    dense: (H: number, W: number, C: number): GappyView => ({ name: "CHW dense", row: W, px: 1, ch: H * W, at: 0, bytes: H * W * C }),
  },
];

for (const k of STORES_3x3) {
  describeEngines(`${k.kernel} 3x3 depthwise into rows with gaps`, (engine) => {
    it("every element lands in its row, the gaps keep their bytes", () => {
      fc.assert(
        fc.property(fc.constantFrom(...SCHEMES).chain((scheme) => caseArb(scheme, "depthwise", geometry3x3())), fc.boolean(), (s, denseOut) => {
          const { input, op } = buildCase(s);
          const want = reference.conv(input, op);
          const { height: H, width: W, channels: C } = want;
          const vin = gappyViews(input.height, input.width, input.channels)[k.input]!;
          const vout = denseOut ? k.dense(H, W, C) : gappyViews(H, W, C)[k.gappy]!;
          const got = runInViews(engine(), input, op, vin, vout);
          const first = firstDifference(got, want, vout);
          expect(first, `${s.scheme} ${input.height}x${input.width}x${input.channels} -> ${vout.name}: first differing byte`).toBe(-1);
        }),
        { numRuns: 200 },
      );
    });
  });
}

describeEngines("kernels on an input that ends where memory ends", (engine) => {
  // Dense HWC and CHW inputs whose last byte is memory's last: every vector the kernels read past
  // a row or a channel block must stop there (a read beyond it traps). 3x3 depthwise with stride
  // 1 and 2 and every channel count up to 40 reach the packings that read 16 channels at a time.
  const dense = (layout: string, H: number, W: number, C: number): GappyView =>
    layout === "HWC"
      ? { name: "HWC", row: W * C, px: C, ch: 1, at: 0, bytes: H * W * C }
      : { name: "CHW", row: W, px: 1, ch: H * W, at: 0, bytes: H * W * C };
  const geometry = (kind: "depthwise" | "pointwise") =>
    fc.record({
      height: fc.integer({ min: 1, max: 9 }),
      width: fc.integer({ min: 1, max: 20 }),
      channels: channelsArb(40),
      outChannels: channelsArb(40),
      kernel: fc.constant<[number, number]>(kind === "depthwise" ? [3, 3] : [1, 1]),
      stride: kind === "depthwise" ? fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })) : fc.constant<[number, number]>([1, 1]),
      pad: kind === "depthwise" ? fc.constantFrom({ top: 1, left: 1, bottom: 1, right: 1 }, { top: 0, left: 0, bottom: 1, right: 1 }) : fc.constant({ top: 0, left: 0, bottom: 0, right: 0 }),
    }).filter((g) => g.height + g.pad.top + g.pad.bottom >= g.kernel[0] && g.width + g.pad.left + g.pad.right >= g.kernel[1])
      .map((g) => (kind === "depthwise" ? { ...g, outChannels: g.channels } : g));
  for (const kind of ["depthwise", "pointwise"] as const) {
    it(`${kind}: exact, no read past memory`, () => {
      fc.assert(
        fc.property(fc.constantFrom(...SCHEMES).chain((scheme) => caseArb(scheme, kind, geometry(kind))), (s) => {
          const { input, op } = buildCase(s);
          const want = reference.conv(input, op);
          const vin = dense(input.layout, input.height, input.width, input.channels);
          const vout = dense(want.layout, want.height, want.width, want.channels);
          const got = runInViews(engine(), input, op, vin, vout, true).subarray(0, vout.bytes);
          const w = new Uint8Array(want.data.buffer, want.data.byteOffset, want.data.byteLength);
          const first = w.findIndex((b, i) => got[i] !== b);
          expect(first, `${s.scheme} ${kind} ${input.layout} ${input.height}x${input.width}x${input.channels}: first differing byte`).toBe(-1);
        }),
        { numRuns: 200 },
      );
    });
  }
});
