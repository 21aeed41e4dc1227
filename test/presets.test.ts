// The MobileNet layer lists against the papers' tables (and MAC counts worked out by hand), and the
// random quantized-op builder: deterministic, valid, not saturated, and bit-exact kernels on it.
import { beforeAll, describe, expect, it } from "vitest";
import { conv, init, reference } from "../src/index.js";
import {
  MOBILENET_V2_TABLE,
  QUANT_SCHEMES,
  activationDtype,
  makeDivisible,
  mobilenetV1,
  mobilenetV2,
  randomInput,
  randomLayer,
  randomOp,
  type LayerSpec,
  type RandomLayerOptions,
} from "../src/presets/mobilenet.js";
import type { ConvOp, Tensor } from "../src/types.js";

describe("MobileNetV1", () => {
  const net = mobilenetV1();

  it("has 13 blocks of depthwise 3x3 then pointwise", () => {
    expect(net.name).toBe("mobilenet_v1_1.0_224");
    expect(net.blocks).toHaveLength(13);
    expect(net.layers).toHaveLength(26);
    expect(net.layers.filter((l) => l.kind === "depthwise")).toHaveLength(13);
    expect(net.layers.filter((l) => l.kind === "pointwise")).toHaveLength(13);
    for (const b of net.blocks) {
      expect(b.layers.map((l) => l.kind)).toEqual(["depthwise", "pointwise"]);
      expect(b.layers[0].kernel).toEqual([3, 3]);
    }
  });

  it("follows the paper's channel, stride and size progression at 224", () => {
    expect(net.stem).toMatchObject({ outChannels: 32, outHeight: 112, outWidth: 112 });
    const dw = net.layers.filter((l) => l.kind === "depthwise");
    const pw = net.layers.filter((l) => l.kind === "pointwise");
    expect(dw.map((l) => l.channels)).toEqual([32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024]);
    expect(pw.map((l) => l.outChannels)).toEqual([64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]);
    expect(dw.map((l) => l.stride[0])).toEqual([1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]);
    expect(dw.map((l) => l.height)).toEqual([112, 112, 56, 56, 28, 28, 14, 14, 14, 14, 14, 14, 7]);
    expect(pw.map((l) => l.height)).toEqual([112, 56, 56, 28, 28, 14, 14, 14, 14, 14, 14, 7, 7]);
    // Each layer consumes the previous one's output.
    for (let i = 1; i < net.layers.length; i++) {
      const [a, b] = [net.layers[i - 1], net.layers[i]];
      expect([b.height, b.width, b.channels]).toEqual([a.outHeight, a.outWidth, a.outChannels]);
    }
  });

  it("has the hand-computed MAC counts", () => {
    // Depthwise: Ho*Wo*C*9 summed over the 13 layers:
    //   112²·32 + 56²·64 + 56²·128 + 28²·128 + 28²·256 + 14²·256 + 5·14²·512 + 7²·512 + 7²·1024 (x9)
    //   = 3,612,672 + 1,806,336 + 3,612,672 + 903,168 + 1,806,336 + 451,584 + 4,515,840 + 225,792 + 451,584
    //   = 17,385,984.
    // Pointwise: H*W*Cin*Cout: five layers of 25,690,112 (b1, b2, b4, b6, b12) and eight of
    //   51,380,224 (b3, b5, b7..b11, b13) = 128,450,560 + 411,041,792 = 539,492,352.
    // With the stem (112²·3·9·32 = 10,838,016) and the classifier (1024·1000) that is the
    // paper's ~569M for the whole network.
    const sum = (ls: LayerSpec[]) => ls.reduce((s, l) => s + l.macs, 0);
    expect(sum(net.layers.filter((l) => l.kind === "depthwise"))).toBe(17_385_984);
    expect(sum(net.layers.filter((l) => l.kind === "pointwise"))).toBe(539_492_352);
    expect(sum(net.layers)).toBe(556_878_336);
    expect(net.stem.macs).toBe(10_838_016);
    expect(sum(net.layers) + net.stem.macs + 1024 * 1000).toBe(568_740_352);
  });

  it("scales channels by alpha and sizes by resolution", () => {
    const small = mobilenetV1({ alpha: 0.25, resolution: 128 });
    expect(small.name).toBe("mobilenet_v1_0.25_128");
    expect(small.layers.filter((l) => l.kind === "pointwise").map((l) => l.outChannels)).toEqual(
      [16, 32, 32, 64, 64, 128, 128, 128, 128, 128, 128, 256, 256],
    );
    expect(small.layers.at(-1)).toMatchObject({ height: 4, width: 4, channels: 256 });
    const v075 = mobilenetV1({ alpha: 0.75, resolution: 192 });
    expect(v075.stem).toMatchObject({ outChannels: 24, outHeight: 96 });
    expect(v075.layers.at(-1)).toMatchObject({ height: 6, outChannels: 768 });
    const v05 = mobilenetV1({ alpha: 0.5, resolution: 160 });
    expect(v05.layers.at(-1)).toMatchObject({ height: 5, outChannels: 512 });
    expect(() => mobilenetV1({ alpha: 0.6 })).toThrow(RangeError);
  });

  it("pads symmetric or TF SAME (SAME_UPPER)", () => {
    const sym = mobilenetV1({ padding: "symmetric" });
    const same = mobilenetV1({ padding: "tf-same" });
    const s2 = (n: typeof sym) => n.layers.filter((l) => l.kind === "depthwise" && l.stride[0] === 2);
    for (const l of s2(sym)) expect(l.pad).toEqual({ top: 1, left: 1, bottom: 1, right: 1 });
    for (const l of s2(same)) expect(l.pad).toEqual({ top: 0, left: 0, bottom: 1, right: 1 });
    for (const l of same.layers.filter((l) => l.kind === "depthwise" && l.stride[0] === 1)) {
      expect(l.pad).toEqual({ top: 1, left: 1, bottom: 1, right: 1 });
    }
    // Same output sizes either way for these even sizes.
    expect(same.layers.map((l) => l.outHeight)).toEqual(sym.layers.map((l) => l.outHeight));
    // An odd size at stride 2 under SAME: total pad 2 → 1 on each side (224 never has one; 200 does).
    const odd = mobilenetV1({ resolution: 200, padding: "tf-same" });
    const oddS2 = s2(odd);
    expect(oddS2.map((l) => l.height)).toEqual([100, 50, 25, 13]);
    expect(oddS2[2].pad).toEqual({ top: 1, left: 1, bottom: 1, right: 1 });
    expect(oddS2[2].outHeight).toBe(13);
    expect(oddS2[1].pad).toEqual({ top: 0, left: 0, bottom: 1, right: 1 });
  });
});

describe("MobileNetV2", () => {
  const net = mobilenetV2();

  it("has the paper's t/c/n/s table: 17 blocks", () => {
    expect(MOBILENET_V2_TABLE.map((r) => [r.t, r.c, r.n, r.s])).toEqual([
      [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
    ]);
    expect(net.name).toBe("mobilenet_v2_1.0_224");
    expect(net.blocks).toHaveLength(17);
    expect(net.stem.outChannels).toBe(32);
    expect(net.blocks.map((b) => b.output.channels)).toEqual(
      [16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160, 160, 160, 320],
    );
    expect(net.blocks.map((b) => b.stride)).toEqual([1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1]);
    expect(net.blocks.map((b) => b.output.height)).toEqual([112, 56, 56, 28, 28, 28, 14, 14, 14, 14, 14, 14, 14, 7, 7, 7, 7]);
  });

  it("expands (except the first block), filters depthwise, projects", () => {
    const [first, ...rest] = net.blocks;
    expect(first.layers.map((l) => l.role)).toEqual(["depthwise", "project"]);
    expect(first.layers[0]).toMatchObject({ channels: 32, height: 112 });
    expect(first.layers[1]).toMatchObject({ channels: 32, outChannels: 16 });
    for (const b of rest) {
      expect(b.expansion).toBe(6);
      expect(b.layers.map((l) => l.role)).toEqual(["expand", "depthwise", "project"]);
      const [e, d, p] = b.layers;
      expect(e.outChannels).toBe(6 * b.input.channels);
      expect(d.channels).toBe(e.outChannels);
      expect(d.stride).toEqual([b.stride, b.stride]);
      expect(p.channels).toBe(d.channels);
      expect(p.outChannels).toBe(b.output.channels);
    }
    // Residual connections: stride 1 and equal channels (10 blocks).
    expect(net.blocks.filter((b) => b.residual).map((b) => b.index)).toEqual([3, 5, 6, 8, 9, 10, 12, 13, 15, 16]);
    expect(net.layers).toHaveLength(2 + 16 * 3);
    // Block 2, expansion: 112*112*16*96.
    expect(net.blocks[1].layers[0].macs).toBe(112 * 112 * 16 * 96);
  });

  it("rounds channels like Keras for other widths", () => {
    expect(makeDivisible(32 * 0.35)).toBe(16);
    expect(makeDivisible(24 * 0.5)).toBe(16);
    expect(makeDivisible(320 * 1.4)).toBe(448);
    expect(mobilenetV2({ alpha: 0.5 }).blocks.at(-1)!.output.channels).toBe(160);
  });
});

describe("random quantized ops", () => {
  beforeAll(() => init());
  const small = mobilenetV1({ alpha: 0.25, resolution: 128, padding: "tf-same" });
  const bytes = (t: Tensor) => Array.from(t.data);
  const opBytes = (op: ConvOp) => JSON.stringify(op, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Int8Array) : v));

  it("gives the same bytes for the same seed, other bytes for another seed", () => {
    const l = small.layers[3];
    for (const scheme of QUANT_SCHEMES) {
      const o: RandomLayerOptions = { scheme, layout: "CHW", seed: 42 };
      const a = randomLayer(l, o);
      const b = randomLayer(l, o);
      expect(bytes(a.input)).toEqual(bytes(b.input));
      expect(opBytes(a.op)).toEqual(opBytes(b.op));
      const c = randomLayer(l, { ...o, seed: 43 });
      expect(bytes(c.input)).not.toEqual(bytes(a.input));
      expect(opBytes(c.op)).not.toEqual(opBytes(a.op));
    }
  });

  it("gives the same logical input in both layouts", () => {
    const l = small.layers[0];
    const hwc = randomInput(l, { scheme: "onnx", layout: "HWC", dtype: "uint8" });
    const chw = randomInput(l, { scheme: "onnx", layout: "CHW", dtype: "uint8" });
    expect(hwc.data).toBeInstanceOf(Uint8Array);
    const { height: H, width: W, channels: C } = l;
    for (const [y, x, c] of [[0, 0, 0], [H - 1, W - 1, C - 1], [3, 7, 5]]) {
      expect(chw.data[(c * H + y) * W + x]).toBe(hwc.data[(y * W + x) * C + c]);
    }
  });

  it("uses each scheme's activation dtype", () => {
    expect(activationDtype("tflite-double")).toBe("int8");
    expect(activationDtype("gap-sq8")).toBe("int8");
    expect(activationDtype("pulp-bn")).toBe("uint8");
    expect(activationDtype("onnx")).toBe("int8");
    expect(activationDtype("onnx", "uint8")).toBe("uint8");
    expect(() => activationDtype("tflite-single", "uint8")).toThrow(RangeError);
    expect(() => randomOp(small.layers[0], { scheme: "nope" as never })).toThrow(RangeError);
  });

  // Every layer of the small network, every scheme (and onnx uint8, gap-sq8 with ReLU), both layouts:
  // the reference accepts the op (validation), the output is spread rather than saturated, and the
  // kernels give the same bytes.
  const variants: RandomLayerOptions[] = [
    ...QUANT_SCHEMES.map((scheme) => ({ scheme })),
    { scheme: "onnx", dtype: "uint8" },
    { scheme: "gap-sq8", relu: true },
  ];
  for (const v of variants) {
    const name = `${v.scheme}${v.dtype ? ` ${v.dtype}` : ""}${v.relu ? " relu" : ""}`;
    it(`${name}: valid, spread outputs, kernels == reference on MobileNetV1 0.25-128`, () => {
      for (const layout of ["HWC", "CHW"] as const) {
        for (const l of small.layers) {
          const { input, op } = randomLayer(l, { ...v, layout, seed: 7 });
          const want = reference.conv(input, op);
          expect([want.height, want.width, want.channels]).toEqual([l.outHeight, l.outWidth, l.outChannels]);
          const got = conv(input, op);
          expect(got.data.constructor).toBe(want.data.constructor);
          const at = got.data.findIndex((x, i) => x !== want.data[i]);
          expect(at, `${l.name} ${layout}: first differing byte ${at}`).toBe(-1);
          // Not trivially saturated: few outputs at the ends of the range, many distinct values.
          const lo = want.data instanceof Int8Array ? -128 : 0;
          const hi = lo + 255;
          let sat = 0;
          for (const x of want.data) if (x === hi || (x === lo && !v.relu && !v.scheme.startsWith("pulp-"))) sat++;
          expect(sat / want.data.length, `${l.name}: saturated fraction`).toBeLessThan(0.05);
          expect(new Set(want.data).size, `${l.name}: distinct values`).toBeGreaterThan(64);
        }
      }
    });
  }
});
