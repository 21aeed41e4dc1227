// The drift view: one model run under several deployments' arithmetic (the library's `compare`, in
// drift-worker.ts), drawn per layer. Each layer is a row in execution order and each compared target
// a lane, coloured by how far it drifts from the reference (identical, within one quantization step,
// more), with a bar as long as the share of values that differ; above the lanes, the SQNR of every
// target along the depth of the network, the first divergence with the arithmetic that explains it,
// and the outputs' top-1 agreement. A new run (new model, targets, input count or seed) starts a new
// worker and clears what the previous one showed, errors included.
import type { CompareReport, LayerDrift } from "../src/compare/index.js";
import { isTflite } from "../src/import/tflite/import.js";
import { TARGETS } from "../src/targets/index.js";
import type { DriftFinding, DriftJob, FromDriftWorker, Refusal } from "./protocol.js";

const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;
const view = $<HTMLElement>("#drift-view");
const form = $<HTMLFormElement>("#drift-controls");
const targetBox = $<HTMLDivElement>("#drift-targets");
const status = $<HTMLParagraphElement>("#drift-status");
const progress = $<HTMLProgressElement>("#drift-progress");
const refusedList = $<HTMLUListElement>("#drift-refused");
const outputsBox = $<HTMLDivElement>("#drift-outputs");
const firstBox = $<HTMLDivElement>("#drift-first");
const legend = $<HTMLParagraphElement>(".drift-legend");
const sqnrBox = $<HTMLDivElement>("#drift-sqnr");
const chart = $<HTMLDivElement>("#drift-chart");
const detail = $<HTMLDivElement>("#drift-detail");
const findingsBox = $<HTMLElement>("#drift-findings");

type Format = "tflite" | "onnx";

/** What each format compares by default: TFLite's own runtime against the deployments it ships to. */
const DEFAULTS: Record<Format, { targets: string[]; reference: string }> = {
  tflite: { targets: ["tflite-micro", "litert", "gap8-nntool", "onnxruntime"], reference: "tflite-micro" },
  onnx: { targets: ["onnxruntime", "onnxruntime-wasm"], reference: "onnxruntime" },
};
/** An ONNX model runs as the library's ONNX network, which has the two ONNX Runtime builds only. */
const ONNX_TARGETS = new Set(["onnxruntime", "onnxruntime-wasm"]);

/** One colour per target, the same in the lanes' headers and the SQNR chart. */
const COLOURS: Record<string, string> = {
  "tflite-micro": "#5c6bc0",
  "cmsis-nn": "#00897b",
  litert: "#e8870e",
  "gap8-nntool": "#c62828",
  onnxruntime: "#1e88e5",
  "onnxruntime-wasm": "#8e24aa",
};

interface State {
  model: string;
  format: Format;
  graph: string;
  inputs: string;
  ran: string[];
  refused: Refusal[];
  reference: string;
  report: CompareReport | null;
  findings: DriftFinding[] | null;
  /** The layer (position in the report) whose numbers the detail line shows. */
  selected: number | null;
  done: boolean;
}

let state: State | null = null;
let worker: Worker | null = null;
let model: { name: string; bytes: ArrayBuffer; format: Format } | null = null;

// The target checkboxes and the reference's choices, from the library's list of targets.
for (const t of TARGETS) {
  const label = document.createElement("label");
  label.className = "target";
  label.dataset.target = t;
  label.style.setProperty("--tc", COLOURS[t] ?? "#888");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.name = "target";
  box.value = t;
  label.append(box, ` ${t}`);
  targetBox.append(label);
  form.reference.add(new Option(t, t));
}
setFormat("tflite");

/** Checks the format's default targets and disables those its models cannot run. */
function setFormat(format: Format): void {
  const d = DEFAULTS[format];
  for (const box of targetBoxes()) {
    box.checked = d.targets.includes(box.value);
    const usable = format === "tflite" || ONNX_TARGETS.has(box.value);
    box.disabled = !usable;
    box.parentElement!.title = usable ? "" : "an ONNX model compares between onnxruntime and onnxruntime-wasm only";
    (form.reference as HTMLSelectElement).querySelector<HTMLOptionElement>(`option[value="${box.value}"]`)!.disabled = !usable;
  }
  form.reference.value = d.reference;
  lockReference();
}

function targetBoxes(): HTMLInputElement[] {
  return [...targetBox.querySelectorAll<HTMLInputElement>("input[name=target]")];
}

/** The reference always runs: its box stays checked while it is the reference. */
function lockReference(): void {
  for (const box of targetBoxes()) {
    const isRef = box.value === form.reference.value;
    if (isRef) box.checked = true;
    const usable = !box.parentElement!.title;
    box.disabled = !usable || isRef;
    box.parentElement!.classList.toggle("reference", isRef);
  }
}

/** Makes `file` the model the view compares. */
export async function useDriftModel(file: File): Promise<void> {
  // What the last model showed goes at once, not when the new file has been read.
  worker?.terminate();
  worker = null;
  clearResults();
  setStatus("loading", `${file.name}: reading…`);
  const bytes = await file.arrayBuffer();
  const format: Format = isTflite(new Uint8Array(bytes)) ? "tflite" : "onnx";
  if (format !== model?.format) setFormat(format);
  model = { name: file.name, bytes, format };
  runDrift();
}

function setStatus(s: string, text: string): void {
  status.dataset.state = s;
  status.textContent = text;
  view.dataset.state = s === "error" ? "error" : s === "done" ? "done" : s === "idle" ? "idle" : "busy";
}

/** Empties everything a run drew (a new run, or an error). */
function clearResults(): void {
  state = null;
  for (const el of [refusedList, outputsBox, firstBox, sqnrBox, chart, detail]) el.replaceChildren();
  firstBox.hidden = detail.hidden = legend.hidden = findingsBox.hidden = true;
  findingsBox.querySelector("ul")!.replaceChildren();
  progress.hidden = true;
  progress.value = 0;
  for (const k of ["model", "reference", "targets", "inputs", "seed"]) delete view.dataset[k];
  for (const k of Object.keys(firstBox.dataset)) delete firstBox.dataset[k];
  for (const label of targetBox.querySelectorAll<HTMLElement>("label.target.refused")) {
    label.classList.remove("refused");
    delete label.dataset.refused;
  }
  delete detail.dataset.pos;
}

function fail(message: string): void {
  worker?.terminate();
  worker = null;
  clearResults();
  setStatus("error", message);
}

function readJob(): DriftJob | string {
  if (!model) return "Pick or drop a model first.";
  const whole = (name: string, lo: number, hi: number) => {
    const raw = (form.elements.namedItem(name) as HTMLInputElement).value.trim();
    const v = Number(raw);
    return raw !== "" && Number.isInteger(v) && v >= lo && v <= hi ? v : null;
  };
  const inputs = whole("inputs", 1, 256);
  if (inputs === null) return "Random inputs must be a whole number from 1 to 256.";
  const seed = whole("seed", 0, 2 ** 31 - 1);
  if (seed === null) return "The seed must be a whole number from 0 to 2147483647.";
  const reference = form.reference.value as string;
  const targets = targetBoxes().filter((b) => b.checked).map((b) => b.value);
  if (!targets.includes(reference)) targets.unshift(reference);
  // The reference first: it is the baseline of every lane.
  targets.sort((a, b) => (a === reference ? -1 : b === reference ? 1 : TARGETS.indexOf(a as never) - TARGETS.indexOf(b as never)));
  if (targets.length < 2) return "Choose at least one target besides the reference.";
  return { name: model.name, bytes: model.bytes.slice(0), targets, reference, inputs, seed };
}

function runDrift(): void {
  worker?.terminate();
  worker = null;
  clearResults();
  const job = readJob();
  if (typeof job === "string") {
    if (model) fail(job);
    else setStatus("idle", "Drop a .tflite or .onnx model on the page, or pick one above.");
    return;
  }
  state = { model: job.name, format: model!.format, graph: "", inputs: "", ran: [], refused: [], reference: job.reference, report: null, findings: null, selected: null, done: false };
  Object.assign(view.dataset, { model: job.name, inputs: String(job.inputs), seed: String(job.seed) });
  setStatus("loading", `${job.name}: loading…`);
  worker = new Worker(new URL("./drift-worker.ts", import.meta.url), { type: "module" });
  const mine = worker;
  worker.onmessage = (e: MessageEvent<FromDriftWorker>) => {
    if (worker === mine && state) onMessage(state, job, e.data);
  };
  worker.onerror = (e) => {
    if (worker === mine) fail(`worker failed: ${e.message}`);
  };
  worker.postMessage(job, [job.bytes]);
}

function onMessage(s: State, job: DriftJob, m: FromDriftWorker): void {
  switch (m.type) {
    case "model":
      s.graph = m.graph;
      s.inputs = m.inputs;
      setStatus("loading", `${s.model} (${m.format === "tflite" ? "TFLite" : "ONNX"}${m.graph ? `, ${m.graph}` : ""}): input ${m.inputs}; lowering to each target…`);
      return;
    case "targets":
      s.ran = m.ran;
      s.refused = m.refused;
      s.reference = m.reference;
      Object.assign(view.dataset, { reference: m.reference, targets: m.ran.join(",") });
      renderRefused(s, job);
      progress.hidden = false;
      setStatus("comparing", `Comparing ${m.ran.length} targets on ${job.inputs} random input${job.inputs === 1 ? "" : "s"} (seed ${job.seed})…`);
      return;
    case "progress":
      progress.max = m.total;
      progress.value = m.done;
      setStatus("comparing", `Comparing: ${m.done}/${m.total} runs (${job.inputs} input${job.inputs === 1 ? "" : "s"} × ${s.ran.length} targets)…`);
      return;
    case "report":
      s.report = m.report;
      s.findings = m.findings;
      s.selected = firstPosition(m.report);
      render(s);
      return;
    case "done": {
      s.done = true;
      progress.hidden = true;
      const others = s.ran.filter((t) => t !== s.reference).length;
      setStatus("done", `${s.model}: ${s.report?.layers.length ?? 0} layers, ${others} target${others === 1 ? "" : "s"} against ${s.reference} on ${job.inputs} random input${job.inputs === 1 ? "" : "s"} (seed ${job.seed}) in ${m.ms < 1000 ? `${Math.round(m.ms)} ms` : `${(m.ms / 1000).toFixed(1)} s`}.`);
      return;
    }
    case "error":
      fail(m.message);
      return;
  }
}

/** Position in the report of the first divergence (or null when nothing differs). */
function firstPosition(r: CompareReport): number | null {
  const f = r.firstDivergence;
  if (!f) return null;
  const i = r.layers.findIndex((l) => (f.index !== undefined ? l.index === f.index : l.name === f.name));
  return i < 0 ? null : i;
}

/** Identical, off by at most one step of the reference's quantization, or more. */
export function driftClass(d: LayerDrift | undefined): "same" | "step" | "more" | "none" {
  if (!d) return "none";
  if (d.differing === 0) return "same";
  // Steps are real differences over the reference's scale: allow the float error of that division.
  return d.maxAbsSteps <= 1 + 1e-6 ? "step" : "more";
}

const fmt = (v: number, digits: number) => (Number.isInteger(v) ? String(v) : v.toFixed(digits));
const sqnr = (v: number) => (v === Infinity ? "∞ (identical)" : v === -Infinity ? "−∞" : `${v.toFixed(1)} dB`);
const share = (d: LayerDrift) => (d.values === 0 ? 0 : d.differing / d.values);
const pctText = (f: number) => (f === 0 ? "0%" : f < 0.001 ? "<0.1%" : `${(100 * f).toFixed(1)}%`);

/** A layer's name as a short label: the last two path parts, or its tensor index when unnamed. */
function shortName(l: CompareReport["layers"][number]): string {
  if (!l.name) return l.index !== undefined ? `tensor ${l.index}` : "(unnamed)";
  const parts = l.name.split(";")[0]!.split("/").filter(Boolean);
  return parts.slice(-2).join("/") || l.name;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function renderRefused(s: State, job: DriftJob): void {
  refusedList.replaceChildren();
  for (const label of targetBox.querySelectorAll<HTMLElement>("label.target")) {
    const r = s.refused.find((x) => x.target === label.dataset.target);
    label.classList.toggle("refused", !!r);
    if (r) label.dataset.refused = r.message;
    else delete label.dataset.refused;
  }
  for (const r of s.refused) {
    const li = el("li");
    li.dataset.target = r.target;
    li.append(el("b", "", r.target), ` cannot run this model: `, el("span", "msg", r.message));
    refusedList.append(li);
  }
  if (job.reference !== s.reference) {
    const li = el("li", "note");
    li.textContent = `The chosen reference ${job.reference} cannot run the model; the lanes compare with ${s.reference} instead.`;
    refusedList.append(li);
  }
}

function render(s: State): void {
  const r = s.report!;
  const others = r.targets.filter((t) => t !== r.reference);
  renderOutputs(r, others);
  renderFirst(s, r);
  legend.hidden = false;
  renderSqnr(s);
  renderLanes(s, r, others);
  renderDetail(s);
  renderFindings(s);
}

/** Per output and target: how often the arg-max (the predicted class) agrees with the reference's. */
function renderOutputs(r: CompareReport, others: string[]): void {
  outputsBox.replaceChildren();
  for (const o of r.outputs) {
    const group = el("div", "output");
    group.dataset.output = o.name;
    group.append(el("h3", "", `Top-1 agreement with ${r.reference}${r.outputs.length > 1 ? `: ${o.name || "output"}` : ""}`));
    const cards = el("div", "cards");
    for (const t of others) {
      const d = o.byTarget[t];
      if (!d) continue;
      const agree = Math.round(d.top1Agreement * r.inputs);
      const card = el("div", `card ${d.top1Agreement === 1 ? "agree" : "disagree"}`);
      card.dataset.target = t;
      card.dataset.top1 = String(d.top1Agreement);
      card.style.setProperty("--tc", COLOURS[t] ?? "#888");
      card.append(
        el("span", "t", t),
        el("output", "", `${agree}/${r.inputs}`),
        el("span", "sub", d.differing === 0 ? "same output bytes" : `${d.differing} output value${d.differing === 1 ? "" : "s"} differ, at most ${fmt(d.maxAbsReal, 4)}`),
      );
      cards.append(card);
    }
    group.append(cards);
    outputsBox.append(group);
  }
}

function renderFirst(s: State, r: CompareReport): void {
  firstBox.hidden = false;
  firstBox.replaceChildren();
  const f = r.firstDivergence;
  if (!f) {
    firstBox.className = "none";
    firstBox.textContent = `No layer differs: every target computes ${r.reference}'s bytes on these inputs.`;
    return;
  }
  firstBox.className = "found";
  firstBox.dataset.name = f.name;
  if (f.index !== undefined) firstBox.dataset.index = String(f.index);
  firstBox.dataset.kind = f.kind;
  firstBox.dataset.targets = f.targets.join(",");
  if (f.why) firstBox.dataset.why = f.why;
  const head = el("p", "head");
  const pos = firstPosition(r);
  head.append(el("b", "", "First divergence: "), el("span", "layer", `${f.index !== undefined ? `#${f.index} ` : ""}${f.name || "(unnamed)"}`), ` (${f.kind}) under ${f.targets.join(", ")}`);
  if (pos !== null) head.append(` · layer ${pos + 1} of ${r.layers.length}`);
  firstBox.append(head);
  // The why: each target's arithmetic for this layer, the reference's first.
  const arith = pos !== null ? r.layers[pos]!.arithmetic : undefined;
  if (arith) {
    const ul = el("ul", "why");
    for (const t of [r.reference, ...f.targets]) {
      if (!arith[t]) continue;
      const li = el("li");
      li.style.setProperty("--tc", COLOURS[t] ?? "#888");
      li.append(el("b", "", t), `: ${arith[t]}`);
      ul.append(li);
    }
    firstBox.append(ul);
  } else if (f.why) {
    firstBox.append(el("p", "why", f.why));
  }
}

/** The lanes: one row per layer in execution order, one cell per compared target. */
function renderLanes(s: State, r: CompareReport, others: string[]): void {
  chart.replaceChildren();
  chart.style.setProperty("--lanes", String(others.length));
  const head = el("div", "lrow lhead");
  const against = el("span", "lname", "layer ");
  against.append(el("span", "vs", `· against ${r.reference}`));
  head.append(against);
  for (const t of others) {
    const h = el("span", "lane-head");
    h.dataset.target = t;
    h.style.setProperty("--tc", COLOURS[t] ?? "#888");
    h.textContent = t;
    h.title = t;
    head.append(h);
  }
  chart.append(head);
  r.layers.forEach((l, pos) => {
    const row = el("div", "lrow");
    row.tabIndex = 0;
    row.dataset.pos = String(pos);
    row.dataset.name = l.name;
    row.dataset.kind = l.kind;
    if (l.index !== undefined) row.dataset.index = String(l.index);
    if (pos === firstPosition(r)) row.classList.add("first");
    if (pos === s.selected) row.classList.add("selected");
    const name = el("span", "lname");
    name.title = `${l.index !== undefined ? `tensor ${l.index}: ` : ""}${l.name || "(unnamed)"} (${l.kind})`;
    name.append(el("b", "", l.index !== undefined ? `${l.index}` : `${pos + 1}`), el("span", "n", shortName(l)), el("span", "k", l.kind));
    row.append(name);
    for (const t of others) {
      const d = l.byTarget[t];
      const cls = driftClass(d);
      const cell = el("span", `cell d-${cls}`);
      cell.dataset.target = t;
      cell.dataset.drift = cls;
      if (d) {
        Object.assign(cell.dataset, { values: String(d.values), differing: String(d.differing), maxSteps: String(d.maxAbsSteps), sqnr: String(d.sqnrDb) });
        cell.title = `${t} at ${l.name || `tensor ${l.index}`}: ${d.differing}/${d.values} values differ (${pctText(share(d))}), at most ${fmt(d.maxAbsSteps, 2)} steps (${fmt(d.maxAbsReal, 5)} real), SQNR ${sqnr(d.sqnrDb)}`;
        const fill = el("span", "fill");
        fill.style.width = `${d.differing === 0 ? 0 : Math.max(2, 100 * share(d))}%`;
        const text = el("span", "txt", d.differing === 0 ? "" : `${pctText(share(d))} ±${fmt(d.maxAbsSteps, 1)}`);
        cell.append(fill, text);
      } else {
        cell.title = `${t} has no tensor to match this layer`;
      }
      row.append(cell);
    }
    chart.append(row);
  });
}

/** The selected layer's numbers per target, each with the target's arithmetic for it. */
function renderDetail(s: State): void {
  const r = s.report;
  detail.replaceChildren();
  if (!r || s.selected === null) {
    detail.hidden = true;
    return;
  }
  const l = r.layers[s.selected]!;
  detail.hidden = false;
  detail.dataset.pos = String(s.selected);
  const head = el("p", "head");
  head.append(el("b", "", `${l.index !== undefined ? `#${l.index} ` : ""}${l.name || "(unnamed)"}`), ` ${l.kind} · layer ${s.selected + 1} of ${r.layers.length} · ${l.byTarget[r.reference]?.values ?? 0} values over ${r.inputs} input${r.inputs === 1 ? "" : "s"}`);
  const list = el("ul");
  for (const t of r.targets) {
    const d = l.byTarget[t];
    const li = el("li", `d-${t === r.reference ? "ref" : driftClass(d)}`);
    li.dataset.target = t;
    li.style.setProperty("--tc", COLOURS[t] ?? "#888");
    const numbers =
      t === r.reference ? "the reference"
      : !d ? "no tensor to match"
      : d.differing === 0 ? "identical"
      : `${d.differing} of ${d.values} values differ (${pctText(share(d))}) · at most ${fmt(d.maxAbsSteps, 2)} step${d.maxAbsSteps === 1 ? "" : "s"} (${fmt(d.maxAbsReal, 5)}) · SQNR ${sqnr(d.sqnrDb)}`;
    li.append(el("b", "t", t), " ", el("span", "nums", numbers));
    if (l.arithmetic?.[t]) li.append(el("span", "arith", l.arithmetic[t]));
    list.append(li);
  }
  detail.append(head, list);
}

function renderFindings(s: State): void {
  const list = findingsBox.querySelector("ul")!;
  list.replaceChildren();
  findingsBox.hidden = !s.findings || s.findings.length === 0;
  const bySeverity = new Map<string, number>();
  for (const f of s.findings ?? []) bySeverity.set(f.severity, (bySeverity.get(f.severity) ?? 0) + 1);
  findingsBox.querySelector(".count")!.textContent = ` (${[...bySeverity].map(([k, n]) => `${n} ${k}${n === 1 ? "" : "s"}`).join(", ")})`;
  for (const f of s.findings ?? []) {
    const li = el("li");
    li.dataset.rule = f.rule;
    li.dataset.severity = f.severity;
    li.append(el("b", "", `#${f.index} ${f.layer || ""}`.trim()), " ", el("code", "", f.rule), ` (${f.severity})`, el("br"), el("span", "msg", f.message), el("br"), el("span", "fix", `Fix: ${f.fix}`));
    list.append(li);
  }
}

/**
 * SQNR of each target along the depth of the network: a line per target, identical layers on the
 * top line (∞). Drawn at the box's width in pixels, so the text stays legible on a phone.
 */
function renderSqnr(s: State): void {
  sqnrBox.replaceChildren();
  const r = s.report;
  if (!r || r.layers.length === 0) return;
  const others = r.targets.filter((t) => t !== r.reference);
  const finite = r.layers.flatMap((l) => others.map((t) => l.byTarget[t]?.sqnrDb ?? Infinity)).filter((v) => Number.isFinite(v));
  const W = Math.max(240, sqnrBox.clientWidth || 600);
  const H = W < 500 ? 150 : 190;
  const pad = { l: 38, r: 10, t: 32, b: 22 };
  const lo = finite.length ? Math.floor(Math.min(...finite) / 10) * 10 : 0;
  const hi = finite.length ? Math.ceil(Math.max(...finite) / 10) * 10 : 10;
  const n = r.layers.length;
  const x = (i: number) => pad.l + (n === 1 ? 0.5 : i / (n - 1)) * (W - pad.l - pad.r);
  const infY = pad.t - 18;
  const y = (v: number) => (v === Infinity ? infY : v === -Infinity ? H - pad.b : pad.t + ((hi - v) / Math.max(hi - lo, 1)) * (H - pad.t - pad.b));
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("width", String(W));
  svg.setAttribute("height", String(H));
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `SQNR per layer against ${r.reference}`);
  const add = (tag: string, attrs: Record<string, string | number>, text?: string) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  // Grid: every 10 dB (every 20 when the range is wide), and the "identical" line on top.
  const stepDb = hi - lo > 60 ? 20 : 10;
  for (let v = lo; v <= hi; v += stepDb) {
    add("line", { x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v), class: "grid" });
    add("text", { x: pad.l - 4, y: y(v) + 4, class: "axis", "text-anchor": "end" }, `${v}`);
  }
  add("line", { x1: pad.l, x2: W - pad.r, y1: infY, y2: infY, class: "grid inf" });
  add("text", { x: pad.l - 4, y: infY + 4, class: "axis", "text-anchor": "end" }, "∞");
  add("text", { x: pad.l, y: H - 6, class: "axis" }, "SQNR (dB) by layer, input → output");
  const first = firstPosition(r);
  if (first !== null) add("line", { x1: x(first), x2: x(first), y1: infY, y2: H - pad.b, class: "first" });
  others.forEach((t, k) => {
    const pts = r.layers.map((l, i) => [x(i), y(l.byTarget[t]?.sqnrDb ?? Infinity)] as const);
    const c = COLOURS[t] ?? "#888";
    // Targets often compute the same bytes: each line thinner than the one under it, so none hides another.
    const width = Math.max(1.5, 2 * (others.length - k) + 0.5);
    add("polyline", { points: pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" "), fill: "none", stroke: c, "stroke-width": width, "stroke-linejoin": "round", "data-target": t });
    pts.forEach(([a, b], i) => {
      const dot = add("circle", { cx: a.toFixed(1), cy: b.toFixed(1), r: n > 60 ? 1.5 : Math.max(2.5, width / 2 + 1), fill: c });
      const l = r.layers[i]!;
      const e = document.createElementNS(NS, "title");
      e.textContent = `${t} · ${l.index !== undefined ? `#${l.index} ` : ""}${shortName(l)}: SQNR ${sqnr(l.byTarget[t]?.sqnrDb ?? Infinity)}`;
      dot.append(e);
    });
  });
  const key = el("div", "key");
  for (const t of others) {
    const k = el("span", "", t);
    k.style.setProperty("--tc", COLOURS[t] ?? "#888");
    key.append(k);
  }
  sqnrBox.append(key, svg);
}

function select(pos: number): void {
  if (!state?.report || state.selected === pos) return;
  state.selected = pos;
  for (const row of chart.querySelectorAll<HTMLElement>(".lrow.selected")) row.classList.remove("selected");
  chart.querySelector<HTMLElement>(`.lrow[data-pos="${pos}"]`)?.classList.add("selected");
  renderDetail(state);
}

const rowOf = (e: Event) => (e.target as HTMLElement).closest<HTMLElement>(".lrow[data-pos]");
chart.addEventListener("click", (e) => {
  const row = rowOf(e);
  if (row) select(Number(row.dataset.pos));
});
chart.addEventListener("mouseover", (e) => {
  const row = rowOf(e);
  if (row && matchMedia("(hover: hover)").matches) select(Number(row.dataset.pos));
});
chart.addEventListener("focusin", (e) => {
  const row = rowOf(e);
  if (row) select(Number(row.dataset.pos));
});
firstBox.addEventListener("click", () => {
  const pos = state?.report ? firstPosition(state.report) : null;
  if (pos !== null) {
    select(pos);
    chart.querySelector<HTMLElement>(`.lrow[data-pos="${pos}"]`)?.scrollIntoView({ block: "nearest" });
  }
});

// The SQNR chart is drawn at the box's pixel width: redraw when it changes.
let lastWidth = 0;
new ResizeObserver(() => {
  if (sqnrBox.clientWidth !== lastWidth && state?.report) {
    lastWidth = sqnrBox.clientWidth;
    renderSqnr(state);
  }
}).observe(sqnrBox);

let timer: ReturnType<typeof setTimeout> | undefined;
form.addEventListener("input", (e) => {
  clearTimeout(timer);
  const input = form.elements.namedItem("driftModel") as HTMLInputElement;
  if (e.target === input) {
    const file = input.files?.[0];
    if (file) void useDriftModel(file);
    return;
  }
  if (e.target === form.reference) lockReference();
  // What is on screen is for the previous settings until the new run starts.
  if (model) setStatus("loading", "Settings changed: comparing again…");
  timer = setTimeout(runDrift, 300);
});
form.addEventListener("submit", (e) => e.preventDefault());
