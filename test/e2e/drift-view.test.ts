// The report page's drift view end to end: build the page (npm run build:demo's config, into a temp
// dir), serve it, drive it in headless Chromium (playwright-core, Debian's chromium), and check what
// it draws against `compare()` run in this process on the same seeded inputs: person_detect.tflite
// (from ../shared, read at test time) under tflite-micro, litert, gap8-nntool and onnxruntime, every
// layer's drift per target, the first divergence and its why, the outputs' top-1 agreement; a model
// some targets refuse (their UnsupportedOpError shown, the others compared); an ONNX model; the
// error states; the layout at phone and desktop widths. Screenshots go to test-results/.
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { build, preview, type PreviewServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init } from "../../src/runtime.js";
import { loadModel } from "../../src/import/index.js";
import { compare, type CompareReport } from "../../src/compare/index.js";
import { chromiumLaunchOptions } from "../browser/chromium.mjs";
import { SHARED_TFLITE, sharedMissing, skipMeta } from "../helpers/tflite-dumps.js";
// The test models' generator (plain JS), as the report page's test uses it.
import { fullV1 } from "../../scripts/onnx/nets.mjs";
import { qlinearModel } from "../../scripts/onnx/netbuild.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const config = join(root, "demo/vite.config.ts");
const shots = join(root, "test-results");
const PERSON = `${SHARED_TFLITE}models/person_detect.tflite`;
const KEYWORD = `${SHARED_TFLITE}models/keyword_scrambled_8bit.tflite`;
const TARGETS = ["tflite-micro", "litert", "gap8-nntool", "onnxruntime"];

/** `compare` in this process, as the page's worker calls it (inputs are a count, seeded). */
async function nodeCompare(file: string, targets: string[], inputs = 4, seed = 1): Promise<CompareReport> {
  await init();
  return compare(loadModel(new Uint8Array(readFileSync(file))), inputs, { targets, seed });
}

/** Waits until the drift view shows `model` compared under `targets` (or reports an error). */
async function settled(page: Page, model: string, targets: string[]): Promise<void> {
  await page.waitForSelector(`#drift-view[data-state=error], #drift-view[data-state=done][data-model="${model}"][data-targets="${targets.join(",")}"]`, { timeout: 120_000 });
  const status = await page.$eval("#drift-status", (el) => ({ state: (el as HTMLElement).dataset.state, text: el.textContent }));
  expect(status.state, `drift status: ${status.text}`).toBe("done");
}

/** What the drift view draws: the lanes' numbers per layer, the first divergence, the top-1 cards, the refusals. */
async function shown(page: Page) {
  return page.evaluate(() => {
    const view = document.querySelector<HTMLElement>("#drift-view")!;
    const first = document.querySelector<HTMLElement>("#drift-first")!;
    return {
      reference: view.dataset.reference,
      lanes: [...document.querySelectorAll<HTMLElement>("#drift-chart .lane-head")].map((h) => h.dataset.target),
      layers: [...document.querySelectorAll<HTMLElement>("#drift-chart .lrow[data-pos]")].map((row) => ({
        index: row.dataset.index === undefined ? undefined : Number(row.dataset.index),
        name: row.dataset.name,
        kind: row.dataset.kind,
        first: row.classList.contains("first"),
        cells: Object.fromEntries([...row.querySelectorAll<HTMLElement>(".cell")].map((c) => [c.dataset.target, {
          drift: c.dataset.drift,
          values: Number(c.dataset.values),
          differing: Number(c.dataset.differing),
          maxAbsSteps: Number(c.dataset.maxSteps),
          sqnrDb: Number(c.dataset.sqnr),
          bar: parseFloat((c.querySelector(".fill") as HTMLElement).style.width),
        }])),
      })),
      first: first.hidden ? null : { kind: first.dataset.kind, index: first.dataset.index === undefined ? undefined : Number(first.dataset.index), name: first.dataset.name, targets: first.dataset.targets?.split(","), why: first.dataset.why, text: first.textContent },
      top1: Object.fromEntries([...document.querySelectorAll<HTMLElement>("#drift-outputs .card")].map((c) => [c.dataset.target, Number(c.dataset.top1)])),
      refused: Object.fromEntries([...document.querySelectorAll<HTMLElement>("#drift-refused li[data-target]")].map((li) => [li.dataset.target, li.querySelector(".msg")!.textContent])),
      detail: document.querySelector<HTMLElement>("#drift-detail")!.hidden ? null : Number(document.querySelector<HTMLElement>("#drift-detail")!.dataset.pos),
      status: document.querySelector("#drift-status")!.textContent,
    };
  });
}

/** Every layer and every compared target as the page shows it equals `compare`'s report. */
function expectMatches(page: Awaited<ReturnType<typeof shown>>, report: CompareReport): void {
  const others = report.targets.filter((t) => t !== report.reference);
  expect(page.reference).toBe(report.reference);
  expect(page.lanes).toEqual(others);
  expect(page.layers.map((l) => ({ index: l.index, name: l.name, kind: l.kind }))).toEqual(report.layers.map((l) => ({ index: l.index, name: l.name, kind: l.kind })));
  page.layers.forEach((l, i) => {
    for (const t of others) {
      const want = report.layers[i]!.byTarget[t]!;
      const got = l.cells[t]!;
      expect({ layer: l.name, t, values: got.values, differing: got.differing, maxAbsSteps: got.maxAbsSteps, sqnrDb: got.sqnrDb }).toEqual({ layer: l.name, t, values: want.values, differing: want.differing, maxAbsSteps: want.maxAbsSteps, sqnrDb: want.sqnrDb });
      // The colour says identical, within a step, or more; the bar is as long as the share that differs.
      expect(got.drift).toBe(want.differing === 0 ? "same" : want.maxAbsSteps <= 1 + 1e-6 ? "step" : "more");
      expect(got.bar).toBeCloseTo(want.differing === 0 ? 0 : Math.max(2, (100 * want.differing) / want.values), 3);
    }
  });
  for (const o of report.outputs) for (const t of others) expect(page.top1[t], `top-1 ${t}`).toBe(o.byTarget[t]!.top1Agreement);
  const f = report.firstDivergence;
  if (!f) {
    expect(page.first?.text).toMatch(/^No layer differs/);
    return;
  }
  expect({ index: page.first!.index, name: page.first!.name, targets: page.first!.targets, why: page.first!.why }).toEqual({ index: f.index, name: f.name, targets: f.targets, why: f.why });
  // The first divergence's row is marked, and its numbers are the detail shown at first.
  const pos = report.layers.findIndex((l) => l.index === f.index);
  expect(page.layers.map((l) => l.first)).toEqual(report.layers.map((_, i) => i === pos));
  expect(page.detail).toBe(pos);
}

/** Drops `file` on the page as a user would (a DataTransfer with one File). */
async function drop(page: Page, file: string, name: string): Promise<void> {
  const bytes = [...readFileSync(file)];
  await page.evaluate(({ bytes, name }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], name));
    document.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { bytes, name });
}

/**
 * The whole page in one image. The viewport is made as tall as the page first: a full-page capture
 * would draw the sticky lane header and detail line where the small viewport's edges were.
 */
async function screenshot(page: Page, name: string): Promise<void> {
  const size = page.viewportSize()!;
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: size.width, height });
  await page.waitForTimeout(100);
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, name) });
  await page.setViewportSize(size);
}

async function overflow(page: Page) {
  return page.evaluate(() => ({
    page: Math.max(0, document.documentElement.scrollWidth - window.innerWidth),
    // Nothing of the view reaches past the screen's right edge (a wide table scrolls in its own box).
    outside: [...document.querySelectorAll<HTMLElement>("#drift-view > *:not([hidden]), #drift-chart .lrow, #drift-outputs .card, #drift-sqnr svg, #drift-detail .scroll")]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5).map((el) => el.id || el.className),
  }));
}

/** The models are in ../shared; without it the drift view's test skips (test/helpers/shared.ts). */
const noModels = sharedMissing("tflite/models/person_detect.tflite", "tflite/models/keyword_scrambled_8bit.tflite");

describe.skipIf(noModels)("report page: drift view in Chromium", skipMeta(noModels), () => {
  let out: string;
  let server: PreviewServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), "dwpw-drift-"));
    await build({ configFile: config, logLevel: "warn", build: { outDir: out, emptyOutDir: true } });
    server = await preview({ configFile: config, logLevel: "warn", build: { outDir: out }, preview: { port: 0, host: "127.0.0.1", strictPort: false } });
    browser = await chromium.launch(chromiumLaunchOptions());
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(server.resolvedUrls!.local[0]!);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it("bundles the library for the browser: no node:* module in the page or its workers", () => {
    const assets = join(out, "assets");
    const js = readdirSync(assets).filter((f) => f.endsWith(".js"));
    expect(js.some((f) => f.startsWith("drift-worker"))).toBe(true);
    for (const f of js) {
      const text = readFileSync(join(assets, f), "utf8");
      // Vite swaps a Node built-in for an empty "__vite-browser-external" stub that fails at run time.
      expect(text, f).not.toMatch(/__vite-browser-external|["'`]node:[a-z_/]+["'`]/);
    }
  });

  it("switches to the drift view for a dropped .tflite and draws person_detect's drift as `compare` reports it", async () => {
    // The page opens on the fusion plan; a .tflite dropped there belongs to the drift view.
    expect(await page.isVisible("#fusion-view")).toBe(true);
    // Every status line the run shows, to see its progress afterwards.
    await page.evaluate(() => {
      const seen: string[] = ((window as unknown as { driftStatus: string[] }).driftStatus = []);
      const status = document.querySelector("#drift-status")!;
      new MutationObserver(() => seen.push(status.textContent ?? "")).observe(status, { childList: true, characterData: true, subtree: true });
    });
    await drop(page, PERSON, "person_detect.tflite");
    await page.waitForSelector("body[data-tab=drift]");
    expect(await page.isVisible("#fusion-view")).toBe(false);
    // A TFLite model's default targets, its own runtime the reference.
    const checked = await page.$$eval("#drift-targets input:checked", (els) => els.map((e) => (e as HTMLInputElement).value));
    expect(checked).toEqual(TARGETS);
    expect(await page.inputValue("select[name=reference]")).toBe("tflite-micro");
    await settled(page, "person_detect.tflite", TARGETS);

    // Progress in runs (4 inputs × 4 targets), reported through to the last one.
    const statuses = await page.evaluate(() => (window as unknown as { driftStatus: string[] }).driftStatus);
    expect(statuses).toContain("Comparing: 16/16 runs (4 inputs × 4 targets)…");

    const report = await nodeCompare(PERSON, TARGETS);
    const got = await shown(page);
    expectMatches(got, report);
    expect(got.layers).toHaveLength(31);
    expect(got.refused).toEqual({});
    // TFLite Micro and LiteRT part ways at the first depthwise layer: LiteRT's float requantization.
    const firstDw = report.layers.find((l) => l.kind === "depthwiseConv2d")!;
    expect(got.first!.index).toBe(firstDw.index);
    expect(got.first!.targets).toContain("litert");
    expect(got.first!.text).toMatch(/litert: XNNPACK fp32 requantization/);
    // Drift that spreads through the network: litert differs in every layer after the first divergence, by more than a step somewhere.
    expect(got.layers.some((l) => l.cells.litert!.drift === "more")).toBe(true);
    expect(Object.keys(got.top1).sort()).toEqual(["gap8-nntool", "litert", "onnxruntime"]);
    // gap8-nntool is among the targets: the NNTool deployment check is listed.
    expect(await page.$$eval("#drift-findings li", (els) => els.length)).toBeGreaterThan(0);

    // Hovering a layer shows its numbers in the detail line, each target's arithmetic included.
    const last = got.layers.length - 1;
    await page.hover(`#drift-chart .lrow[data-pos="${last}"] .lname`);
    await page.waitForSelector(`#drift-detail[data-pos="${last}"]`);
    const detail = await page.$$eval("#drift-detail li[data-target]", (lis) => lis.map((li) => (li as HTMLElement).dataset.target));
    expect(detail).toEqual(TARGETS);
    // The first divergence's box brings its layer back.
    await page.click("#drift-first");
    const firstPos = got.layers.findIndex((l) => l.first);
    await page.waitForSelector(`#drift-detail[data-pos="${firstPos}"]`);
    await page.evaluate(() => scrollTo(0, 0));

    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 1000 });
      await page.waitForTimeout(100); // the SQNR chart redraws at the new width
      expect(await overflow(page), `${width} px`).toEqual({ page: 0, outside: [] });
      await screenshot(page, `drift-view-${width}px.png`);
    }
    await page.setViewportSize({ width: 1280, height: 1000 });
  }, 240_000);

  it("compares with another seed, input count and reference as `compare` does", async () => {
    await page.fill("input[name=inputs]", "2");
    await page.fill("input[name=seed]", "7");
    await page.selectOption("select[name=reference]", "litert");
    const targets = ["litert", "tflite-micro", "gap8-nntool", "onnxruntime"];
    await page.waitForSelector(`#drift-view[data-state=done][data-seed="7"][data-inputs="2"][data-reference=litert]`, { timeout: 120_000 });
    await settled(page, "person_detect.tflite", targets);
    expectMatches(await shown(page), await nodeCompare(PERSON, targets, 2, 7));
    await page.selectOption("select[name=reference]", "tflite-micro");
    await page.fill("input[name=inputs]", "4");
    await page.fill("input[name=seed]", "1");
    await page.waitForSelector(`#drift-view[data-state=done][data-seed="1"][data-inputs="4"][data-reference=tflite-micro]`, { timeout: 120_000 });
  }, 240_000);

  it("shows the message of each target that refuses a model and compares the others", async () => {
    await page.setInputFiles("input[name=driftModel]", KEYWORD);
    await settled(page, "keyword_scrambled_8bit.tflite", ["tflite-micro"]);
    // Only the reference runs it among the defaults: no lane, every refusal with its reason.
    let got = await shown(page);
    expect(Object.keys(got.refused).sort()).toEqual(["gap8-nntool", "litert", "onnxruntime"]);
    expect(got.refused.litert).toMatch(/SVDF/);
    expect(got.lanes).toEqual([]);
    expect(await page.$$eval("#drift-targets label.refused", (els) => els.map((e) => (e as HTMLElement).dataset.target))).toEqual(["litert", "gap8-nntool", "onnxruntime"]);
    // CMSIS-NN runs it: its SVDF state differs from TFLite Micro's.
    await page.check("#drift-targets input[value=cmsis-nn]");
    await settled(page, "keyword_scrambled_8bit.tflite", ["tflite-micro", "cmsis-nn"]);
    got = await shown(page);
    expectMatches(got, await nodeCompare(KEYWORD, ["tflite-micro", "cmsis-nn"]));
    expect(got.refused.litert).toMatch(/SVDF/);
    expect(got.first!.kind).toBe("svdf");
    await screenshot(page, "drift-view-refused.png");
    // A reference that refuses the model: the first target that runs it is the baseline, and the page says so.
    await page.selectOption("select[name=reference]", "litert");
    await settled(page, "keyword_scrambled_8bit.tflite", ["tflite-micro", "cmsis-nn"]);
    expect((await shown(page)).reference).toBe("tflite-micro");
    expect(await page.textContent("#drift-refused li.note")).toMatch(/reference litert cannot run the model; the lanes compare with tflite-micro/);
    await page.selectOption("select[name=reference]", "tflite-micro");
  }, 240_000);

  it("clears a failed run's leftovers: a bad input count, a file that is no model", async () => {
    await page.fill("input[name=inputs]", "0");
    await page.waitForSelector("#drift-view[data-state=error]");
    const cleared = () => page.evaluate(() => ({
      rows: document.querySelectorAll("#drift-chart .lrow").length,
      cards: document.querySelectorAll("#drift-outputs .card").length,
      refused: document.querySelectorAll("#drift-refused li").length,
      first: document.querySelector<HTMLElement>("#drift-first")!.hidden,
      sqnr: document.querySelectorAll("#drift-sqnr svg").length,
      status: document.querySelector("#drift-status")!.textContent,
    }));
    expect(await cleared()).toEqual({ rows: 0, cards: 0, refused: 0, first: true, sqnr: 0, status: "Random inputs must be a whole number from 1 to 256." });
    await page.fill("input[name=inputs]", "4");
    await page.waitForSelector("#drift-view[data-state=done]");
    expect(await page.$eval("#drift-status", (el) => (el as HTMLElement).dataset.state)).toBe("done");

    const junk = join(out, "not-a-model.onnx");
    writeFileSync(junk, "this is not a model");
    await page.setInputFiles("input[name=driftModel]", junk);
    await page.waitForSelector("#drift-view[data-state=error]");
    const after = await cleared();
    expect({ ...after, status: "" }).toEqual({ rows: 0, cards: 0, refused: 0, first: true, sqnr: 0, status: "" });
    expect(after.status.length).toBeGreaterThan(0);

    // The next model clears the error.
    await page.setInputFiles("input[name=driftModel]", PERSON);
    await settled(page, "person_detect.tflite", TARGETS);
    expect(await page.$eval("#drift-status", (el) => (el as HTMLElement).dataset.state)).toBe("done");
  }, 240_000);

  it("compares an ONNX model between the two ONNX Runtime builds", async () => {
    const file = join(out, "mobilenet_v1_0.25_128.qlinear.onnx");
    writeFileSync(file, qlinearModel(fullV1({ alpha: 0.25, resolution: 128, padding: "symmetric" })));
    await page.setInputFiles("input[name=driftModel]", file);
    const targets = ["onnxruntime", "onnxruntime-wasm"];
    await settled(page, "mobilenet_v1_0.25_128.qlinear.onnx", targets);
    // The TFLite-only targets are offered but disabled.
    const enabled = await page.$$eval("#drift-targets input:not(:disabled)", (els) => els.map((e) => (e as HTMLInputElement).value));
    expect(enabled).toEqual(["onnxruntime-wasm"]);
    expectMatches(await shown(page), await nodeCompare(file, targets));
    // The fusion view is still there, one tab away.
    await page.click("#tab-fusion");
    await page.waitForSelector("body[data-tab=fusion]");
    expect(await page.isVisible("#drift-view")).toBe(false);
    expect(await page.isVisible("#chart")).toBe(true);
    expect(errors).toEqual([]);
  }, 240_000);
});
