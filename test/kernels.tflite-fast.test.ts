// tflite's fast forms (assembly/requant.ts `prepareTflFast`): the SIMD build computes the double
// rounding (and TFLITE_SINGLE_ROUNDING) as one rounding of a pre-scaled 64-bit product when every channel of a call
// shifts right by 1..19, with a clamp first when an accumulator may be large. A call with any
// other shift takes the general form, so the edge grid of kernels.property.test.ts (whose layers
// mix every shift) never reaches them: these layers do, on both builds (the scalar one is the
// control), in both layouts, through the channel-fastest and the pixel-fastest loops (1x1 and 3x3
// depthwise, pointwise), with 16-channel blocks and ragged ones.
//
// Each channel starts from one accumulator centre (its bias) and the 256 pixels of the ramp add
// x - zp to it, so the accumulators sweep every centre: int32 extremes, values around 2^24 and
// 2^30, and small ones, where multipliers 2^30 and 1.5 * 2^30 make exact ties of both roundings.
import { expect, it } from "vitest";
import { toLayout } from "../src/layout.js";
import { reference } from "../src/reference/index.js";
import type { ConvOp, Dtype, Layout, Requant, Tensor } from "../src/types.js";
import { describeEngines, expectSameTensor } from "./helpers/kernels.js";

const I32_MIN = -0x80000000;
const I32_MAX = 0x7fffffff;
const P30 = 2 ** 30;
const CENTRES = [0, 1, -1, 255, -256, 2 ** 24 - 100, -(2 ** 24), P30, -P30, I32_MAX - 127, I32_MAX, I32_MIN, I32_MIN + 127, 0x12345678];
/** Centres whose ramps stay far from the clamp of any shift spread used below (the clamp-free form). */
const SMALL = [0, 1, -1, 255, -256, 3000, -3001, 65536, -65536];
const MULTS = [0, P30, P30 + 1, 3 * 2 ** 29, I32_MAX];

/** Every combination of the lists, as columns: cross([a, b], [c, d]) = [[a, a, b, b], [c, d, c, d]]. */
function cross(...lists: number[][]): number[][] {
  let rows: number[][] = [[]];
  for (const l of lists) rows = rows.flatMap((r) => l.map((v) => [...r, v]));
  return lists.map((_, i) => rows.map((r) => r[i]!));
}

/** Channel count rounded up to 16 by repeating the columns (the loops' whole 16-channel blocks). */
function whole(cols: number[][]): number[][] {
  const n = cols[0]!.length;
  const m = Math.ceil(n / 16) * 16;
  return cols.map((c) => Array.from({ length: m }, (_, i) => c[i % n]!));
}

interface Layer {
  name: string;
  input: Tensor;
  op: ConvOp;
  expected: Tensor;
}

/** A 1x1 depthwise, a 3x3 depthwise (centre tap only, padded) and a pointwise layer over the ramp. */
function layers(name: string, dtype: Dtype, zp: number, bias: number[], requant: Requant): Layer[] {
  const C = bias.length;
  const ramp = (p: number) => (dtype === "int8" ? p - 128 : p);
  const make = (channels: number, height: number, width: number) => {
    const n = height * width * channels;
    const data = dtype === "int8" ? new Int8Array(n) : new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = ramp(Math.floor(i / channels) % 256);
    return { data, height, width, channels, layout: "HWC" as Layout, zeroPoint: zp };
  };
  const b = Int32Array.from(bias);
  const none = { top: 0, left: 0, bottom: 0, right: 0 };
  const centre = new Int8Array(9 * C);
  centre.fill(1, 4 * C, 5 * C);
  const ops: [string, Tensor, ConvOp][] = [
    ["dw 1x1", make(C, 1, 256), { kind: "depthwise", kernel: [1, 1], stride: [1, 1], pad: none, weights: new Int8Array(C).fill(1), bias: b, requant }],
    ["dw 3x3", make(C, 16, 16), { kind: "depthwise", kernel: [3, 3], stride: [1, 1], pad: { top: 1, left: 1, bottom: 1, right: 1 }, weights: centre, bias: b, requant }],
    ["pw", make(1, 1, 256), { kind: "pointwise", outChannels: C, weights: new Int8Array(C).fill(1), bias: b, requant }],
  ];
  return ops.map(([kind, input, op]) => ({ name: `${name} ${kind}`, input, op, expected: reference.conv(input, op) }));
}

const OUTS = [
  { dtype: "uint8" as Dtype, zp: 128, out: { outputZeroPoint: 0, min: -128, max: 127 } },
  { dtype: "uint8" as Dtype, zp: 128, out: { outputZeroPoint: 127, min: -100, max: 50 } },
  { dtype: "int8" as Dtype, zp: -128, out: { outputZeroPoint: -128, min: -128, max: 127 } },
  { dtype: "int8" as Dtype, zp: -128, out: { outputZeroPoint: 3, min: 0, max: 255 } },
  { dtype: "int8" as Dtype, zp: 5, out: { outputZeroPoint: 255, min: 0, max: 255 } },
];

/** Shift sets of one layer: the widest spread (1..19: E = 20, the clamp down to 2^11), narrow ones, one shift. */
const SPREADS = [[-1, -2, -9, -17, -19], [-19], [-1], [-5, -6, -7, -8, -9], [-10, -11, -12]];

const GRID: Layer[] = (["double", "single"] as const).flatMap((rounding) =>
  OUTS.flatMap(({ dtype, zp, out }, k) =>
    SPREADS.flatMap((shifts) => {
      const tag = `${rounding} out ${k} shifts ${shifts.join(",")}`;
      const [m, sh, bias] = cross(MULTS, shifts, CENTRES);
      const [ms, shs, biass] = whole(cross(MULTS, shifts, SMALL));
      return [
        ...layers(`${tag} centres`, dtype, zp, bias!, { scheme: "tflite", rounding, multiplier: m!, shift: sh!, ...out }),
        ...layers(`${tag} small`, dtype, zp, biass!, { scheme: "tflite", rounding, multiplier: ms!, shift: shs!, ...out }),
      ];
    }),
  ),
);

describeEngines("tflite fast forms == reference", (engine) => {
  it.each(GRID.map((g) => [g.name, g] as const))("%s", (_name, g) => {
    for (const layout of ["HWC", "CHW"] as Layout[]) {
      const out = engine().conv(toLayout(g.input, layout), g.op);
      expectSameTensor(toLayout(out, "HWC"), g.expected, `run in ${layout}`);
    }
  });

  it("the grid's outputs are not all clamped", () => {
    const varied = GRID.filter((g) => new Set(g.expected.data).size >= 3).length;
    expect(varied / GRID.length).toBeGreaterThan(0.5);
  });
});
