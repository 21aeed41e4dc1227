// Pointwise weight slots (assembly/pointwise.ts): the scratchpad model hands the kernel a slot per
// output-channel tile so that weights DMA'd into L1 again at every step are widened once. The
// executor always gives a tile its own slot, so its tests cannot tell a slot that checks its bytes
// from one that trusts them; this suite calls the kernel directly and feeds one slot different
// weights, and the same weights for the other output orientation, in turn. Every output must
// equal the reference, and the slot must end up holding the weights it widened last.
import fc from "fast-check";
import { expect, it } from "vitest";
import { denseView, layerCall, runKernel, scratchBytes, type Engine } from "../src/engine.js";
import { toLayout } from "../src/layout.js";
import { reference } from "../src/reference/index.js";
import { checkConv } from "../src/validate.js";
import { HEADER_BYTES, channelParams, writeHeader } from "../src/wasm/params.js";
import type { Layout, PointwiseOp, Tensor } from "../src/types.js";
import { SCHEMES, buildCase, caseArb } from "./helpers/cases.js";
import { describeEngines } from "./helpers/kernels.js";

/** One input and its parameters placed in memory once; `run` calls the kernel with given weights and slot. */
function harness(e: Engine, input: Tensor, op: PointwiseOp) {
  const layer = checkConv(input, op);
  const call = layerCall(layer);
  const p = channelParams(layer.requant, layer.bias);
  const a = e.arena;
  a.reset();
  const n = layer.weights.length;
  const src = a.alloc(input.data.length), dst = a.alloc(layer.outChannels * layer.height * layer.width), wt = a.alloc(n);
  const bias = p.bias ? a.alloc(p.bias.length) : 0, pa = p.a ? a.alloc(p.a.length) : 0, pb = p.b ? a.alloc(p.b.length) : 0;
  const hdr = a.alloc(HEADER_BYTES), scratch = a.alloc(scratchBytes(e.wasm, call));
  const slot = a.alloc(e.wasm.pointwiseWeightSlotBytes(layer.channels, layer.outChannels));
  a.commit();
  a.write(src, input.data);
  if (p.bias) a.write(bias, p.bias);
  if (p.a) a.write(pa, p.a);
  if (p.b) a.write(pb, p.b);
  writeHeader(e.wasm.memory, hdr, layer.requant, bias, pa, pb);
  a.bytes(slot, 16).fill(0);
  const outBytes = layer.outChannels * layer.height * layer.width;
  return {
    slot,
    /** The output (in `layout`) with `weights` in L1 and the slot given. */
    run(weights: Int8Array, layout: Layout): Uint8Array {
      a.write(wt, weights);
      const sv = denseView(src, input.layout, input.height, input.width, input.channels);
      const dv = denseView(dst, layout, layer.height, layer.width, layer.outChannels);
      runKernel(e.wasm, call, sv, dv, wt, hdr, scratch, false, slot);
      return a.bytes(dst, outBytes).slice();
    },
    /** The raw weight bytes the slot holds. */
    held: () => new Int8Array(a.bytes(slot + 16, n).slice().buffer),
  };
}

const bytesOf = (t: Tensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

describeEngines("pointwise weight slots", (engine) => {
  it("a slot is used only for the very bytes it widened, and for the same output orientation", () => {
    fc.assert(
      fc.property(fc.constantFrom(...SCHEMES).chain((scheme) => caseArb(scheme, "pointwise")), fc.nat(), fc.integer({ min: 1, max: 255 }), (s, at, delta) => {
        const { input, op } = buildCase(s);
        const pw = op as PointwiseOp;
        const w1 = pw.weights;
        // The same weights with one byte changed (anywhere, the tail past the last 16 bytes included).
        const w2 = w1.slice();
        const i = at % w2.length;
        w2[i] = (w2[i]! + delta) << 24 >> 24;
        const want = (w: Int8Array, layout: Layout) => bytesOf(toLayout(reference.conv(input, { ...pw, weights: w }), layout));
        const h = harness(engine(), input, pw);
        const other: Layout = input.layout === "HWC" ? "CHW" : "HWC";
        const steps: [Int8Array, Layout, string][] = [
          [w1, input.layout, "first call (empty slot)"],
          [w1, input.layout, "same weights again (the slot's widening)"],
          [w2, input.layout, "one weight changed"],
          [w2, other, "same weights, the other output orientation"],
          [w1, other, "the first weights again"],
        ];
        for (const [w, layout, what] of steps) {
          expect(h.run(w, layout), `${s.scheme}, ${what}`).toEqual(want(w, layout));
          expect(h.held(), `${s.scheme}, slot after: ${what}`).toEqual(w);
        }
      }),
      { numRuns: 60 },
    );
  });
});
