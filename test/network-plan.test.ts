// The fusion plan of an imported MobileNet equals `fusionReport` of the same preset (what
// `dwpw report` prints), block by block and in total.
import { describe, expect, it } from "vitest";
import { fusionReport } from "../src/fusion-report.js";
import { mobilenetV1, mobilenetV2 } from "../src/presets/mobilenet.js";
import { loadOnnx } from "../src/onnx/index.js";
// The model generator (plain JS) builds full-size models in memory; no calibration is needed here.
import { fullV1, fullV2 } from "../scripts/onnx/nets.mjs";
import { qdqModel, qlinearModel } from "../scripts/onnx/netbuild.mjs";

type Padding = "symmetric" | "tf-same";

const cases: Array<{ label: string; build: () => unknown; spec: () => ReturnType<typeof mobilenetV1> }> = [];
for (const padding of ["symmetric", "tf-same"] as Padding[]) {
  cases.push({
    label: `MobileNetV1 1.0-224 ${padding}`,
    build: () => fullV1({ alpha: 1.0, resolution: 224, padding, calibrate: false }),
    spec: () => mobilenetV1({ alpha: 1.0, resolution: 224, padding }),
  });
  cases.push({
    label: `MobileNetV2 1.0-224 ${padding}`,
    build: () => fullV2({ resolution: 224, padding, calibrate: false }),
    spec: () => mobilenetV2({ alpha: 1.0, resolution: 224, padding }),
  });
}
cases.push({
  label: "MobileNetV1 0.25-128 symmetric",
  build: () => fullV1({ alpha: 0.25, resolution: 128, padding: "symmetric", calibrate: false }),
  spec: () => mobilenetV1({ alpha: 0.25, resolution: 128, padding: "symmetric" }),
});

describe("network plan equals the fusion report of the MobileNet presets", () => {
  for (const c of cases) {
    it(`${c.label}: every block and the totals`, () => {
      const net = loadOnnx(qlinearModel(c.build()));
      const got = net.plan();
      const want = fusionReport(c.spec(), { scheme: "onnx", run: false });
      expect(got.blocks.length).toBe(want.blocks.length);
      got.blocks.forEach((b, i) => {
        const w = want.blocks[i]!;
        expect(b.shape, `block ${i + 1}`).toBe(w.shape);
        expect(b.schedule, `block ${i + 1} schedule`).toBe(w.schedule);
        expect(b.unfused, `block ${i + 1} unfused`).toEqual(w.unfused);
        expect(b.fused, `block ${i + 1} fused`).toEqual(w.fused);
        expect(b.fusion.replace("depthwise+project", "depthwise+pointwise"), `block ${i + 1} fusion`).toBe(w.fusion.replace("depthwise+project", "depthwise+pointwise"));
      });
      expect(got.total).toEqual(want.total);
    });
  }

  it("the QDQ form plans the same as the QLinear form", () => {
    const built = fullV1({ alpha: 0.25, resolution: 128, padding: "tf-same", calibrate: false });
    const a = loadOnnx(qlinearModel(built)).plan({ layout: "CHW", memory: { l1: 48000 } });
    const b = loadOnnx(qdqModel(built)).plan({ layout: "CHW", memory: { l1: 48000 } });
    expect(b).toEqual(a);
    const want = fusionReport(mobilenetV1({ alpha: 0.25, resolution: 128, padding: "tf-same" }), { scheme: "onnx", run: false, layout: "CHW", memory: { l1: 48000 } });
    expect(a.total).toEqual(want.total);
  });
});
