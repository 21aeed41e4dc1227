// The fusion plan recommends only what the deployment check lets through: on MobileNetV1/V2
// 1.0-224 with symmetric padding, `Network.plan` and `Network.check({ target: "dory-fused" })`
// agree (no error on the planned schedules) under both objectives, and the bytes plan still saves
// more than a third of the activation traffic. Where every way of running a layer is flagged
// (TF-SAME padding), the plan says so instead of presenting itself as deployable.
import { describe, expect, it } from "vitest";
import { check, formatReport, fusionReport, loadOnnx, mobilenetV2 } from "../src/index.js";
import { planNetwork } from "../src/network/fusion-plan.js";
import type { NetworkGraph } from "../src/network/types.js";
import { fullV1, fullV2 } from "../scripts/onnx/nets.mjs";
import { qlinearModel } from "../scripts/onnx/netbuild.mjs";

type Padding = "symmetric" | "tf-same";
const models = {
  v1: (padding: Padding) => loadOnnx(qlinearModel(fullV1({ alpha: 1.0, resolution: 224, padding, calibrate: false }))),
  v2: (padding: Padding) => loadOnnx(qlinearModel(fullV2({ resolution: 224, padding, calibrate: false }))),
};

/** The check's errors on each planned fused pair, checked alone under its planned schedule. */
function plannedPairErrors(graph: NetworkGraph, objective: "bytes" | "cycles"): string[] {
  const errors: string[] = [];
  for (const p of planNetwork(graph, { objective }).plans) {
    if (!p.fused) continue;
    const [a, b] = p.fused.pair.map((i) => p.unit.layers[i]!);
    const shape = graph.values.get(a!.inputs[0]!)!.shape;
    const findings = check(
      { input: { height: shape[2]!, width: shape[3]!, channels: shape[1]! }, ops: [{ ...a!.op, relu: a!.relu }, { ...b!.op, relu: b!.relu }], schedule: p.fused.report.schedule as never },
      { target: "dory-fused" },
    );
    for (const f of findings) if (f.severity === "error") errors.push(`${p.unit.index} ${p.fused.report.schedule} ${f.rule}`);
  }
  return errors;
}

describe("the plan and the deployment check agree", () => {
  for (const name of ["v1", "v2"] as const) {
    it(`MobileNet${name.toUpperCase()} 1.0-224, symmetric padding: no error on any planned schedule, >= 35% of the bytes saved`, () => {
      const net = models[name]("symmetric");
      for (const objective of ["bytes", "cycles"] as const) {
        const plan = net.plan({ objective });
        expect(plan.objective).toBe(objective);
        expect(plan.deployable).toBe(true);
        expect(plan.blocks.flatMap((b) => b.findings.filter((f) => f.severity === "error"))).toEqual([]);
        expect(net.check({ target: "dory-fused" }, { objective }).findings.filter((f) => f.severity === "error")).toEqual([]);
        expect(plannedPairErrors(net.graph, objective)).toEqual([]);
        // Every row carries the plan's bytes and its estimated cycles.
        for (const b of plan.blocks) {
          expect(b.activationBytes).toBe((b.fused ?? b.unfused).activationBytes);
          expect(b.cycles).toBe(b.latency!.optimized.totalCycles);
        }
      }
      expect(net.plan().total.reduction).toBeGreaterThanOrEqual(35);
    });
  }

  it("on MobileNetV2 the check is what keeps the HWC-in/CHW-out pointwise schedules out", () => {
    const net = models.v2("symmetric");
    const plan = net.plan();
    // Without the check these schedules move as few bytes and would be chosen for blocks 5-17,
    // whose expand layers' heights (28, 14, 7) are not multiples of 8.
    const rejected = plan.blocks.filter((b) => b.rejected.some((r) => r.rules.includes("pw-hwc-to-chw-row-skip")));
    expect(rejected.map((b) => b.block)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    for (const b of rejected) {
      expect(b.schedule).not.toMatch(/HWC-HWC-CHW/);
      for (const r of b.rejected) expect(r.schedule).toMatch(/HWC-HWC-CHW/);
    }
    expect(formatReport(plan)).toMatch(/block 5: not expand\+depthwise \| project pw-dw\/HWC-HWC-CHW\/\w+, which the deployment check flags \(pw-hwc-to-chw-row-skip\)/);
    // The presets plan the same way.
    const preset = fusionReport(mobilenetV2(), { scheme: "onnx", run: false });
    expect(preset.blocks.map((b) => b.schedule)).toEqual(plan.blocks.map((b) => b.schedule));
    expect(preset.total).toEqual(plan.total);
  });

  it("with TF-SAME padding every way of running the stride-2 depthwise layers is flagged: the plan is marked, not deployable", () => {
    const net = models.v1("tf-same");
    const plan = net.plan();
    expect(plan.deployable).toBe(false);
    const flagged = plan.blocks.filter((b) => !b.deployable);
    expect(flagged.map((b) => b.block)).toEqual([2, 4, 6, 12]);
    for (const b of flagged) expect(b.findings.some((f) => f.severity === "error" && f.rule.startsWith("dw-"))).toBe(true);
    // Errors of the layers themselves are no reason to give up fusion: the bytes are still saved.
    expect(plan.total.reduction).toBeGreaterThanOrEqual(35);
    const text = formatReport(plan);
    expect(text).toMatch(/^2 .* ERROR /m);
    expect(text).toMatch(/^ERROR: the kernels GAP8 would run compute other bytes/m);
  });

  it("every candidate is weighed under the objective: none that the check allows beats the chosen one", () => {
    const net = models.v2("symmetric");
    for (const objective of ["bytes", "cycles"] as const) {
      const plan = net.plan({ objective, candidates: true });
      for (const b of plan.blocks) {
        const cands = b.candidates!;
        const chosen = cands.find((c) => (c.pair ? c.schedule === b.schedule && c.fusion === b.fusion : b.schedule === null && c.schedule === "unfused"))!;
        expect(chosen.admissible).toBe(true);
        const key = (c: (typeof cands)[number]) => (objective === "bytes" ? c.traffic!.activationBytes : c.estimate!.totalCycles);
        for (const c of cands) if (c.admissible) expect(key(c)).toBeGreaterThanOrEqual(key(chosen));
      }
    }
  });
});
