// The pointwise kernel's pixel-fastest GEMM (assembly/pointwise.ts: planar outputs) computes each
// chunk of pixels in blocks of 16 pixels plus, at the chunk's end, a block of only the 1 to 4
// vectors of 4 pixels its last pixels need; two output channels at a time, requantized 16 output
// channels at a time. The general property suites draw maps of at most 144 pixels and 67 input
// channels, which are always one chunk; here the input channels go up to 1100 (chunks of 16 to
// 256 pixels) and the maps up to 480 pixels, so that layers span several chunks with every
// remainder of pixels at the end, and the output channels are ragged against the groups of 16,
// odd included. Both input layouts are packed for this GEMM (planes and channel-fastest pixels),
// so the kernel is called directly with a CHW output and either input. Every byte must equal the
// reference's, in every scheme.
import fc from "fast-check";
import { it } from "vitest";
import { denseView, layerCall, runKernel, scratchBytes, type Engine } from "../src/engine.js";
import { toLayout } from "../src/layout.js";
import { reference } from "../src/reference/index.js";
import { checkConv, outputTensor } from "../src/validate.js";
import { HEADER_BYTES, channelParams, writeHeader } from "../src/wasm/params.js";
import type { ConvOp, Tensor } from "../src/types.js";
import { SCHEMES, buildCase, caseArb, channelsArb } from "./helpers/cases.js";
import { describeEngines, expectSameTensor } from "./helpers/kernels.js";

/** Runs per scheme, per build. */
const RUNS = 30;

/** Input channels from a few to over a thousand, maps from one pixel to several chunks; bounded cost. */
const geometry = fc
  .record({
    height: fc.integer({ min: 1, max: 12 }),
    width: fc.integer({ min: 1, max: 40 }),
    channels: fc.oneof(channelsArb(67), fc.integer({ min: 129, max: 1100 })),
    outChannels: fc.oneof(channelsArb(40), fc.constantFrom(47, 48, 49)),
    kernel: fc.constant<[number, number]>([1, 1]),
    stride: fc.constant<[number, number]>([1, 1]),
    pad: fc.constant({ top: 0, left: 0, bottom: 0, right: 0 }),
  })
  .filter((g) => g.height * g.width * g.channels * g.outChannels <= 4e6);

/** The kernel on `input` (either layout) into a dense CHW output; returns the output tensor. */
function runPlanar(e: Engine, input: Tensor, op: ConvOp): Tensor {
  const layer = checkConv(input, op);
  const call = layerCall(layer);
  const p = channelParams(layer.requant, layer.bias);
  const a = e.arena;
  a.reset();
  const outBytes = layer.outChannels * layer.outHeight * layer.outWidth;
  const src = a.alloc(input.data.length), dst = a.alloc(outBytes), wt = a.alloc(layer.weights.length);
  const bias = p.bias ? a.alloc(p.bias.length) : 0, pa = p.a ? a.alloc(p.a.length) : 0, pb = p.b ? a.alloc(p.b.length) : 0;
  const hdr = a.alloc(HEADER_BYTES), scratch = a.alloc(scratchBytes(e.wasm, call));
  a.commit();
  a.write(src, input.data);
  a.write(wt, layer.weights);
  if (p.bias) a.write(bias, p.bias);
  if (p.a) a.write(pa, p.a);
  if (p.b) a.write(pb, p.b);
  writeHeader(e.wasm.memory, hdr, layer.requant, bias, pa, pb);
  const sv = denseView(src, input.layout, input.height, input.width, input.channels);
  const dv = denseView(dst, "CHW", layer.outHeight, layer.outWidth, layer.outChannels);
  runKernel(e.wasm, call, sv, dv, wt, hdr, scratch);
  const out = outputTensor(layer);
  new Uint8Array(out.data.buffer).set(a.bytes(dst, outBytes));
  return { ...out, layout: "CHW" };
}

describeEngines("pointwise, pixel-fastest output, over several chunks", (engine) => {
  for (const scheme of SCHEMES) {
    it(scheme, () => {
      fc.assert(
        fc.property(caseArb(scheme, "pointwise", geometry), (s) => {
          const { input, op } = buildCase(s);
          const want = toLayout(reference.conv(input, op), "CHW");
          expectSameTensor(runPlanar(engine(), input, op), want, `${s.layout} input`);
        }),
        { numRuns: RUNS },
      );
    });
  }
});
