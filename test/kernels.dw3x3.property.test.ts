// The 3x3 SIMD depthwise kernels (assembly/depthwise.ts) on the plane sizes they are tuned for:
// the generic depthwise property suite draws kernels of 1..7 and planes up to 12, so it rarely
// reaches a 3x3 kernel on a plane with rows of 16 outputs or more, or several small planes in one
// batch of the planar kernel. Here every case is 3x3 with strides 1 and 2 each way, padding 0..3
// on each side, planes of 1..30 (7x7 and 14x14 favoured), odd channel counts, every scheme with its
// edge parameters (tflite: multipliers up to 2^31 - 1, shifts -31..30), both layouts, against the
// reference's bytes.
import fc from "fast-check";
import { it } from "vitest";
import { toLayout } from "../src/layout.js";
import { reference } from "../src/reference/index.js";
import type { Layout } from "../src/types.js";
import { SCHEMES, buildCase, caseArb, channelsArb } from "./helpers/cases.js";
import { describeEngines, expectSameTensor } from "./helpers/kernels.js";

const replaySeed = globalThis.process?.env?.FC_SEED;
if (replaySeed) fc.configureGlobal({ seed: Number(replaySeed) });

/** A plane side: 1..30, with MobileNet's small planes and the sides around 16 favoured. */
const side = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 30 }), weight: 2 }, { arbitrary: fc.constantFrom(7, 14, 15, 16, 17, 28), weight: 1 });

function geometry3x3() {
  return fc.record({
    height: side,
    width: side,
    channels: channelsArb(67),
    outChannels: fc.constant(0),
    kernel: fc.constant<[number, number]>([3, 3]),
    stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    // Up to 3: with both horizontal pads above 2, a flattened plane's rows must be wider than the
    // input row plus one pad (the outputs of a row would overlap the next row's).
    pad: fc.record({ top: fc.integer({ min: 0, max: 3 }), left: fc.integer({ min: 0, max: 3 }), bottom: fc.integer({ min: 0, max: 3 }), right: fc.integer({ min: 0, max: 3 }) }),
  }).filter((g) => g.height + g.pad.top + g.pad.bottom >= 3 && g.width + g.pad.left + g.pad.right >= 3)
    .map((g) => ({ ...g, outChannels: g.channels }));
}

describeEngines("3x3 depthwise on MobileNet-sized planes", (engine) => {
  for (const scheme of SCHEMES) {
    it(`${scheme}: the reference's bytes in both layouts`, () => {
      fc.assert(
        fc.property(caseArb(scheme, "depthwise", geometry3x3()), (s) => {
          const { input, op } = buildCase(s);
          const want = reference.conv(input, op);
          for (const layout of ["HWC", "CHW"] as Layout[]) {
            const got = engine().conv(toLayout(input, layout), op);
            expectSameTensor(toLayout(got, s.layout), want, `${scheme} ${input.height}x${input.width}x${input.channels} stride ${op.kind === "depthwise" ? op.stride : ""} in ${layout}`);
          }
        }),
        { numRuns: 150 },
      );
    });
  }
});
