// `dwpw report` prints the deployment check's warnings on stderr, so they never mix with the report
// on stdout.
import { afterEach, describe, expect, it, vi } from "vitest";
import { report } from "../src/cli/commands/report.js";

afterEach(() => vi.restoreAllMocks());

async function runReport(argv: string[]): Promise<{ code: number; stderr: string[] }> {
  const stderr: string[] = [];
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation((line: unknown) => void stderr.push(String(line)));
  const code = await report.run(argv);
  return { code, stderr };
}

describe("dwpw report: deployment warnings", () => {
  it("TF-SAME MobileNetV1 warns about the four stride-2 depthwise layers, for both targets", async () => {
    const { code, stderr } = await runReport(["--network", "mobilenet-v1", "--padding", "tf-same", "--no-run", "--no-latency", "--resolution", "128"]);
    expect(code).toBe(0);
    const flagged = stderr.filter((l) => l.startsWith("warning:")).map((l) => l.split(" ").slice(2, 4).join(" "));
    // Stride-2 depthwise layers of V1: blocks 2, 4, 6 and 12; with TF-SAME on even widths each has left pad 0, right pad 1.
    expect(flagged.sort()).toEqual(["b12.dw (dory-fused)", "b12.dw (pulp-nn)", "b2.dw (dory-fused)", "b2.dw (pulp-nn)", "b4.dw (dory-fused)", "b4.dw (pulp-nn)", "b6.dw (dory-fused)", "b6.dw (pulp-nn)"]);
  });

  it("symmetric padding gives no warning", async () => {
    const { stderr } = await runReport(["--network", "mobilenet-v1", "--no-run", "--no-latency", "--resolution", "128"]);
    expect(stderr.filter((l) => l.startsWith("warning:"))).toEqual([]);
  });
});
