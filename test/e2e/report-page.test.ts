// The report page end to end: build it (npm run build:demo's config, into a temp dir), serve the
// static files, drive them in headless Chromium (playwright-core, Debian's chromium), and check the
// chart and totals against the CLI run in this process: `dwpw report --json` for MobileNetV1 at two
// L1 sizes and for MobileNetV2, `dwpw plan model.onnx --json` for an ONNX model given to the page's
// file input; the plan's cycles and deployment check, the error states, and the layout at phone and
// desktop widths. Screenshots go to test-results/.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { build, preview, type PreviewServer } from "vite";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { COMMANDS } from "../../src/cli/commands/index.js";
import { init } from "../../src/runtime.js";
import { fusionReport, type NetworkReport } from "../../src/fusion-report.js";
import { mobilenetV1 } from "../../src/presets/mobilenet.js";
import { chromiumLaunchOptions } from "../browser/chromium.mjs";
// The test models' generator (plain JS), as test/network-plan.test.ts uses it.
import { fullV1 } from "../../scripts/onnx/nets.mjs";
import { qlinearModel } from "../../scripts/onnx/netbuild.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const config = join(root, "demo/vite.config.ts");
const shots = join(root, "test-results");

/** A CLI command run in this process with `args`, its JSON stdout parsed. */
async function cli(command: string, args: string[]): Promise<unknown> {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  const err = vi.spyOn(console, "error").mockImplementation(() => {}); // dwpw plan's deployment warnings
  try {
    expect(await COMMANDS[command]!.run(args)).toBe(0);
    return JSON.parse(String(log.mock.calls.at(-1)?.[0]));
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

/** `dwpw report <args> --no-run --json`. */
async function cliReport(args: string[]): Promise<NetworkReport> {
  // `--no-run` skips the emulation, but MobileNetV2's report still runs each expand layer for the
  // depthwise input, which needs the kernels loaded (the CLI only loads them without --no-run).
  await init();
  return ((await cli("report", [...args, "--no-run", "--json"])) as NetworkReport[])[0]!;
}

/** What the page shows once it is done: totals, and per block the unfused bar, the deployed bytes and schedule. */
async function pageNumbers(page: Page) {
  return page.evaluate(() => {
    const num = (sel: string) => Number(document.querySelector<HTMLElement>(sel)!.dataset.bytes);
    return {
      unfused: num("#total-unfused"),
      fused: num("#total-fused"),
      saved: document.querySelector("#total-saved")!.textContent,
      bitExact: document.querySelector<HTMLElement>("#bit-exact")!.dataset.state,
      status: document.querySelector<HTMLElement>("#status")!.dataset.state,
      latency: document.querySelector("#latency")!.textContent,
      deployable: document.querySelector<HTMLElement>("#deployable")!.dataset.state,
      findingsNote: document.querySelector("#findings-note")!.textContent,
      findings: [...document.querySelectorAll<HTMLElement>("#findings-list li")].map((li) => li.dataset.rule),
      blocks: [...document.querySelectorAll<HTMLElement>(".block")].map((b) => ({
        block: Number(b.dataset.block),
        unfused: Number(b.dataset.unfused),
        deployed: Number(b.dataset.deployed),
        schedule: b.dataset.schedule === "null" ? null : b.dataset.schedule,
        cycles: b.dataset.cycles === undefined ? null : Number(b.dataset.cycles),
        unfusedBar: Number(b.querySelector<HTMLElement>(".bar.unfused")!.dataset.bytes),
        chosenBar: b.querySelector<HTMLElement>(".bar.chosen")?.dataset.bytes ?? null,
        bars: b.querySelectorAll(".bar").length,
        widths: [...b.querySelectorAll<HTMLElement>(".bar .fill")].map((f) => f.style.width),
      })),
    };
  });
}

/** Waits until the page shows `network` at L1 `l1` completely (or reports an error). */
async function settled(page: Page, network: string, l1: number): Promise<void> {
  await page.waitForSelector(`body[data-state=error], body[data-state=done][data-network^="${network}"][data-l1="${l1}"]`, { timeout: 150_000 });
  const status = await page.$eval("#status", (el) => ({ state: (el as HTMLElement).dataset.state, text: el.textContent }));
  expect(status.state, `page status: ${status.text}`).toBe("done");
}

function expectMatches(shown: Awaited<ReturnType<typeof pageNumbers>>, report: NetworkReport): void {
  expect(shown.status).toBe("done");
  expect(shown.bitExact).toBe("yes");
  expect({ unfused: shown.unfused, fused: shown.fused }).toEqual({ unfused: report.total.unfused.activationBytes, fused: report.total.fused.activationBytes });
  expect(shown.saved).toBe(`${report.total.reduction.toFixed(1)}%`);
  // Bytes and cycles of one plan per block, and the check of that plan.
  expect(shown.blocks.map((b) => b.cycles)).toEqual(report.blocks.map((r) => r.cycles));
  const L = report.latency!;
  expect(shown.latency).toBe(`${(L.unfused.totalCycles / 1e6).toFixed(1)} → ${(L.optimized.totalCycles / 1e6).toFixed(1)} Mcycles (${L.reduction >= 0 ? `${L.reduction.toFixed(1)}% less` : `${(-L.reduction).toFixed(1)}% more`})`);
  expect(shown.deployable).toBe(report.deployable ? "yes" : "no");
  expect(shown.blocks.map((b) => ({ block: b.block, unfused: b.unfused, deployed: b.deployed, schedule: b.schedule }))).toEqual(
    report.blocks.map((r) => ({ block: r.block, unfused: r.unfused.activationBytes, deployed: (r.fused ?? r.unfused).activationBytes, schedule: r.schedule })),
  );
  for (const b of shown.blocks) {
    // The bars are drawn from the same numbers: unfused, and the highlighted one when a fused schedule is deployed.
    expect(b.unfusedBar).toBe(b.unfused);
    expect(b.chosenBar === null ? null : Number(b.chosenBar)).toBe(b.schedule === null ? null : b.deployed);
    expect(b.bars).toBeGreaterThanOrEqual(2);
  }
}

describe("report page in Chromium", () => {
  let out: string;
  let server: PreviewServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), "dwpw-demo-"));
    await build({ configFile: config, logLevel: "warn", build: { outDir: out, emptyOutDir: true } });
    server = await preview({ configFile: config, logLevel: "warn", build: { outDir: out }, preview: { port: 0, host: "127.0.0.1", strictPort: false } });
    browser = await chromium.launch(chromiumLaunchOptions());
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(server.resolvedUrls!.local[0]!);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it("shows MobileNetV1's report as `dwpw report` computes it, and follows the L1 size", async () => {
    await settled(page, "mobilenet_v1_1.0_224", 64000);
    const before = await pageNumbers(page);
    expectMatches(before, await cliReport(["--network", "mobilenet-v1"]));
    expect(before.blocks).toHaveLength(13);
    // The estimated GAP8 latency of the blocks and the deployment check (symmetric padding: nothing to flag).
    expect(before.latency).toMatch(/Mcycles/);
    expect(before.findingsNote).toMatch(/^None/);
    expect(before.findings).toEqual([]);

    await page.fill("input[name=l1]", "46000");
    await settled(page, "mobilenet_v1_1.0_224", 46000);
    const after = await pageNumbers(page);
    expectMatches(after, await cliReport(["--network", "mobilenet-v1", "--l1", "46000"]));
    // Less L1 means smaller tiles: the totals and the bars change.
    expect(after.fused).not.toBe(before.fused);
    expect(after.blocks.map((b) => b.widths)).not.toEqual(before.blocks.map((b) => b.widths));
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, "report-page-v1-l1-46000.png"), fullPage: true });
  }, 240_000);

  it("shows MobileNetV2's report as `dwpw report` computes it", async () => {
    await page.fill("input[name=l1]", "64000");
    await page.selectOption("select[name=network]", "mobilenet-v2");
    await settled(page, "mobilenet_v2_1.0_224", 64000);
    const shown = await pageNumbers(page);
    expectMatches(shown, await cliReport(["--network", "mobilenet-v2"]));
    expect(shown.blocks).toHaveLength(17);
    // Inverted residuals offer both pairs: expand+dw (four pw-dw schedules) and dw+project.
    expect(Math.max(...shown.blocks.map((b) => b.bars))).toBeGreaterThanOrEqual(6);
    await page.screenshot({ path: join(shots, "report-page-v2.png"), fullPage: true });
  }, 240_000);

  it("plans for cycles when asked, and clears an error's leftovers: no chart, no pending check", async () => {
    await page.selectOption("select[name=network]", "mobilenet-v1");
    await page.selectOption("select[name=objective]", "cycles");
    await settled(page, "mobilenet_v1_1.0_224", 64000);
    const shown = await pageNumbers(page);
    expectMatches(shown, fusionReport(mobilenetV1(), { objective: "cycles", run: false }));
    await page.fill("input[name=l1]", "-5");
    await page.waitForSelector("body[data-state=error]");
    const after = await page.evaluate(() => ({
      blocks: document.querySelectorAll(".block").length,
      bitExact: document.querySelector("#bit-exact")!.textContent,
      totals: document.querySelector("#total-fused")!.textContent,
      status: document.querySelector("#status")!.textContent,
    }));
    expect(after).toEqual({ blocks: 0, bitExact: "–", totals: "–", status: "l1 must be a positive whole number of bytes" });
    await page.fill("input[name=l1]", "64000");
    await page.selectOption("select[name=objective]", "bytes");
    await page.waitForSelector("body:not([data-state=error])");
    await settled(page, "mobilenet_v1_1.0_224", 64000);
  }, 240_000);

  for (const width of [390, 1280]) {
    it(`lays out at ${width} px without horizontal overflow`, async () => {
      await page.setViewportSize({ width, height: 900 });
      const overflow = await page.evaluate(() => ({
        page: Math.max(0, document.documentElement.scrollWidth - window.innerWidth),
        // Every summary card and block inside the viewport.
        outside: [...document.querySelectorAll<HTMLElement>("#summary > div, .block, #controls")]
          .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5).length,
      }));
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: join(shots, `report-page-${width}px.png`), fullPage: true });
      expect(overflow).toEqual({ page: 0, outside: 0 });
      await page.setViewportSize({ width: 1200, height: 1000 });
    }, 60_000);
  }

  it("plans an ONNX model given to the page as `dwpw plan` does, and emulates it bit-exact", async () => {
    const file = join(out, "mobilenet_v1_0.25_128.qlinear.onnx");
    writeFileSync(file, qlinearModel(fullV1({ alpha: 0.25, resolution: 128, padding: "symmetric" })));
    await page.setInputFiles("input[name=model]", file);
    await settled(page, "mobilenet_v1_0.25_128.qlinear.onnx", 64000);
    const shown = await pageNumbers(page);
    expectMatches(shown, (await cli("plan", [file, "--json"])) as NetworkReport);
    expect(shown.blocks).toHaveLength(13);
    expect(await page.isDisabled("select[name=scheme]")).toBe(true);
    await page.screenshot({ path: join(shots, "report-page-onnx.png") });
    expect(errors).toEqual([]);
  }, 240_000);
});
