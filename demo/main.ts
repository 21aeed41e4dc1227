// The report page, two views: the fusion plan (this file: reads the form, hands the job to a Web
// Worker, a new one per change so a stale job just stops, and redraws the chart and totals from what
// the worker streams back; a new run or an error clears what the previous run showed) and the drift
// between deployments (drift.ts). The URL's hash picks the view (#fusion, #drift).
import { QUANT_SCHEMES } from "../src/presets/mobilenet.js";
import type { BlockRow } from "../src/fusion-report.js";
import { DMA_PRESETS } from "../src/scratchpad/memory.js";
import type { BlockPlan, Candidate } from "./candidates.js";
import type { FromWorker, Job } from "./protocol.js";
import { useDriftModel } from "./drift.js";

const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;
const form = $<HTMLFormElement>("#controls");
const chart = $<HTMLDivElement>("#chart");
const status = $<HTMLParagraphElement>("#status");

for (const s of QUANT_SCHEMES) form.scheme.add(new Option(s, s));
for (const d of Object.keys(DMA_PRESETS)) form.dma.add(new Option(d, d));

/** What the page shows for the current job. */
interface State {
  network: string;
  /** The memory as the worker resolved it, one line. */
  memory: string;
  blocks: number;
  plans: BlockPlan[];
  rows: Map<number, { row: BlockRow; agrees: boolean }>;
  /** PULP-NN's findings on the single layers, once the worker has sent them. */
  findings: Array<{ layer: string; target: string; rule: string; message: string; fix: string }> | null;
  done: boolean;
}
let state: State | null = null;
let worker: Worker | null = null;
/** The ONNX model given by the file input or a drop, kept while its option is in the network list. */
let model: { name: string; bytes: ArrayBuffer } | null = null;

const kB = (bytes: number) => `${(bytes / 1000).toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 })} kB`;
const pct = (unfused: number, fused: number) => (unfused === 0 ? 0 : (100 * (unfused - fused)) / unfused);
const mcyc = (c: number) => `${(c / 1e6).toFixed(1)}`;
/** "12.3% less", or "4.5% more" when the plan costs more than the baseline. */
const less = (unfused: number, planned: number) => {
  const r = pct(unfused, planned);
  return r >= 0 ? `${r.toFixed(1)}% less` : `${(-r).toFixed(1)}% more`;
};

function readJob(): Job | string {
  const num = (name: string) => {
    const v = (form.elements.namedItem(name) as HTMLInputElement).value.trim();
    return v === "" ? undefined : Number(v);
  };
  const memory = { l1: num("l1"), l1Usable: num("l1Usable"), l2: num("l2"), dma: form.dma.value, doubleBuffer: form.doubleBuffer.checked };
  for (const [k, v] of Object.entries(memory)) if (typeof v === "number" && !(Number.isInteger(v) && v > 0)) return `${k} must be a positive whole number of bytes`;
  const clean = Object.fromEntries(Object.entries(memory).filter(([, v]) => v !== undefined));
  const source = form.network.value === "onnx" && model ? { kind: "onnx", ...model } : { kind: "preset", network: form.network.value };
  form.scheme.disabled = source.kind === "onnx"; // the model carries its own quantization
  return { source, scheme: form.scheme.value, layout: form.layout.value, objective: form.objective.value, memory: clean } as Job;
}

/** Makes `file` the network the page reports on. */
async function useModel(file: File): Promise<void> {
  model = { name: file.name, bytes: await file.arrayBuffer() };
  let option = form.network.querySelector('option[value="onnx"]') as HTMLOptionElement | null;
  if (!option) form.network.add((option = new Option("", "onnx")));
  option.textContent = `ONNX: ${file.name}`;
  form.network.value = "onnx";
  start();
}

function setStatus(state: string, text: string): void {
  status.dataset.state = state;
  status.textContent = text;
  if (state === "error") document.body.dataset.state = "error";
}

/** A run that cannot go on: nothing of it stays on screen as if more were coming. */
function fail(message: string): void {
  worker?.terminate();
  worker = null;
  clearResults();
  setStatus("error", message);
}

/** Empties the chart, the totals and the findings (a new run, or an error). */
function clearResults(): void {
  state = null;
  chart.replaceChildren();
  for (const id of ["#total-unfused", "#total-fused", "#total-saved", "#latency", "#bit-exact", "#deployable"]) {
    const o = $<HTMLOutputElement>(id);
    o.textContent = "–";
    o.className = "";
    delete o.dataset.bytes;
    delete o.dataset.state;
  }
  $<HTMLUListElement>("#findings-list").replaceChildren();
  $<HTMLParagraphElement>("#findings-note").textContent = "–";
}

function start(): void {
  worker?.terminate();
  worker = null;
  clearResults();
  for (const k of ["network", "l1", "l1Usable"]) delete document.body.dataset[k];
  const job = readJob();
  if (typeof job === "string") {
    fail(job);
    return;
  }
  state = { network: job.source.kind === "onnx" ? job.source.name : job.source.network, memory: "", blocks: 0, plans: [], rows: new Map(), findings: null, done: false };
  render();
  setStatus("planning", "Planning…");
  worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  const mine = worker;
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    if (worker !== mine || !state) return;
    onMessage(state, e.data);
  };
  worker.onerror = (e) => {
    if (worker === mine) fail(`worker failed: ${e.message}`);
  };
  worker.postMessage(job);
}

function onMessage(s: State, m: FromWorker): void {
  switch (m.type) {
    case "start": {
      s.network = m.network;
      s.blocks = m.blocks;
      const mem = m.memory;
      form.l1Usable.placeholder = String(mem.l1Usable);
      s.memory = `L1 ${mem.l1Usable}/${mem.l1} B usable, L2 ${mem.l2} B, DMA ${mem.dma}${mem.doubleBuffer ? ", double-buffered" : ""}`;
      // For scripts driving the page (test/e2e): which configuration the chart shows.
      Object.assign(document.body.dataset, { network: m.network, l1: String(mem.l1), l1Usable: String(mem.l1Usable) });
      setStatus("planning", `${m.network}, ${s.memory}: planning…`);
      break;
    }
    case "plan":
      s.plans.push(m.plan);
      status.dataset.state = "planning";
      break;
    case "progress":
      setStatus("checking", m.text);
      return;
    case "findings":
      s.findings = m.findings;
      break;
    case "checked":
      s.rows.set(m.row.block, { row: m.row, agrees: m.agrees });
      setStatus("checking", `Emulating block ${s.rows.size}/${s.blocks} and comparing with the reference…`);
      break;
    case "done": {
      s.done = true;
      const disagree = [...s.rows.values()].filter((r) => !r.agrees).map((r) => r.row.block);
      setStatus(disagree.length ? "error" : "done",
        disagree.length ? `The report's own numbers differ from the plan at block ${disagree.join(", ")} (shown in red).` : `${s.network}, ${s.memory}: ${s.blocks} blocks planned and emulated in ${(m.ms / 1000).toFixed(1)} s.`);
      break;
    }
    case "error":
      fail(m.message);
      return;
  }
  render();
}

/** One bar: a label, a fill on the block's scale, and the value. */
function bar(kind: "unfused" | "fused" | "chosen" | "flagged", name: string, bytes: number | null, max: number, title = "", cycles: number | null = null): HTMLElement {
  const el = document.createElement("div");
  el.className = `bar ${kind === "unfused" ? "unfused" : "fused"}${kind === "chosen" || kind === "flagged" ? ` ${kind}` : ""}${bytes === null ? " nofit" : ""}`;
  el.dataset.kind = kind;
  el.title = title;
  const label = document.createElement("span");
  label.className = "name";
  label.textContent = name;
  const track = document.createElement("span");
  track.className = "track";
  const value = document.createElement("span");
  value.className = "value";
  if (bytes === null) {
    track.textContent = "does not fit L1";
  } else {
    el.dataset.bytes = String(bytes);
    const fill = document.createElement("span");
    fill.className = "fill";
    fill.style.width = `${max > 0 ? (100 * bytes) / max : 0}%`;
    track.append(fill);
    value.textContent = kB(bytes);
    if (cycles !== null) {
      el.dataset.cycles = String(cycles);
      const c = document.createElement("span");
      c.className = "cycles";
      c.textContent = ` · ${(cycles / 1000).toFixed(0)} kcyc`;
      value.append(c);
    }
  }
  el.append(label, track, value);
  return el;
}

function candidateTitle(c: Candidate): string {
  if (c.bytes === null) return `${c.schedule}: no tiling fits L1`;
  const flagged = c.rejectedBy.length ? `\nthe deployment check flags it: ${c.rejectedBy.join(", ")}` : "";
  return `${c.schedule}\ntiling ${JSON.stringify(c.tiling)}\nDMA ${c.dmaCycles} cycles${c.cycles === null ? "" : `, estimated ${c.cycles} cycles in all`}${flagged}`;
}

function render(): void {
  const s = state;
  chart.replaceChildren();
  if (!s) return;
  let unfused = 0, planned = 0, unfusedCycles = 0, plannedCycles = 0, withCycles = 0;
  for (const p of s.plans) {
    // Each block on its own scale: fused schedules that re-read a lot would flatten every other block.
    const max = Math.max(1, p.unfused, ...p.candidates.map((c) => c.bytes ?? 0));
    const checked = s.rows.get(p.block);
    // Once the report has run on a block, its numbers are the ones that count.
    const u = checked ? checked.row.unfused.activationBytes : p.unfused;
    const f = checked ? checked.row.activationBytes : p.planned;
    unfused += u;
    planned += f;
    if (p.unfusedCycles !== null && p.plannedCycles !== null) {
      unfusedCycles += p.unfusedCycles;
      plannedCycles += p.plannedCycles;
      withCycles++;
    }
    const box = document.createElement("div");
    box.className = `block${p.deployable ? "" : " flagged"}`;
    box.dataset.block = String(p.block);
    box.dataset.unfused = String(u);
    box.dataset.deployed = String(f);
    box.dataset.deployable = String(p.deployable);
    if (p.plannedCycles !== null) box.dataset.cycles = String(p.plannedCycles);
    box.dataset.schedule = checked ? String(checked.row.schedule) : p.chosen === null ? "null" : p.candidates[p.chosen]!.schedule;
    const head = document.createElement("div");
    head.className = "head";
    const exact = checked ? (checked.row.bitExact ? `<span class="exact yes">✓ bit-exact</span>` : `<span class="exact no">✗ bytes differ</span>`) : `<span class="exact">…</span>`;
    const disagree = checked && !checked.agrees ? ` <span class="disagree">report: ${kB(u)} / ${kB(f)} ${checked.row.schedule ?? "unfused"}</span>` : "";
    const cyc = p.unfusedCycles !== null && p.plannedCycles !== null ? ` · cycles ${less(p.unfusedCycles, p.plannedCycles)}` : "";
    const flag = p.deployable ? "" : ` <span class="flag">✗ fails the deployment check</span>`;
    head.innerHTML = `<b>${p.block}</b><span class="shape">${p.shape.replace("->", "→")}</span><span class="fusion">${p.fusion} · bytes ${pct(u, f).toFixed(1)}% less${cyc}</span>${flag}${disagree}${exact}`;
    box.append(head, bar("unfused", "unfused (layer by layer)", p.unfused, max, "", p.unfusedCycles));
    p.candidates.forEach((c, i) => {
      // In an inverted residual, name the fused pair (the third layer runs alone).
      const pairName = c.fusion.split(" | ").find((part) => part.includes("+"));
      const name = p.candidates.some((o) => o.fusion !== c.fusion) ? `${pairName}: ${c.schedule}` : c.schedule;
      const kind = i === p.chosen ? (p.deployable ? "chosen" : "flagged") : "fused";
      const el = bar(kind, c.rejectedBy.length ? `${name} ✗ check` : name, c.bytes, max, candidateTitle(c), c.cycles);
      if (c.rejectedBy.length) el.classList.add("rejected");
      box.append(el);
    });
    chart.append(box);
  }
  const complete = s.plans.length === s.blocks && s.blocks > 0;
  const out = (id: string, text: string, data?: number) => {
    const o = $<HTMLOutputElement>(id);
    o.textContent = text;
    if (data === undefined) delete o.dataset.bytes;
    else o.dataset.bytes = String(data);
  };
  const partial = complete ? "" : ` (${s.plans.length}/${s.blocks || "…"} blocks)`;
  out("#total-unfused", s.plans.length ? kB(unfused) + partial : "–", complete ? unfused : undefined);
  out("#total-fused", s.plans.length ? kB(planned) + partial : "–", complete ? planned : undefined);
  out("#total-saved", s.plans.length ? `${pct(unfused, planned).toFixed(1)}%` : "–");
  // Estimated GAP8 cycles of the same plans (src/latency), unfused against planned.
  out("#latency", withCycles ? `${mcyc(unfusedCycles)} → ${mcyc(plannedCycles)} Mcycles (${less(unfusedCycles, plannedCycles)})${partial}` : "–");
  const exact = $<HTMLOutputElement>("#bit-exact");
  const rows = [...s.rows.values()];
  const bad = rows.filter((r) => !r.row.bitExact).map((r) => r.row.block);
  exact.className = bad.length ? "no" : s.done ? "yes" : "";
  exact.dataset.state = bad.length ? "no" : s.done ? "yes" : "pending";
  exact.textContent = bad.length ? `NO (block ${bad.join(", ")})` : s.done ? `yes (${rows.length}/${s.blocks} blocks)` : `checking ${rows.length}/${s.blocks || "…"}`;
  const flagged = s.plans.filter((p) => !p.deployable).map((p) => p.block);
  const dep = $<HTMLOutputElement>("#deployable");
  dep.className = flagged.length ? "no" : complete ? "yes" : "";
  dep.dataset.state = flagged.length ? "no" : complete ? "yes" : "pending";
  dep.textContent = flagged.length ? `errors (block ${flagged.join(", ")})` : complete ? "no errors" : "…";
  // The plan's own findings (the planned blocks on the fused kernels), then PULP-NN's on single layers.
  const findings = [
    ...s.plans.flatMap((p) => p.findings.map((f) => ({ layer: `block ${p.block} ${f.layer}`, target: "dory-fused", rule: f.rule, message: f.message, fix: f.fix }))),
    ...(s.findings ?? []),
  ];
  const list = $<HTMLUListElement>("#findings-list");
  list.replaceChildren();
  const note = $<HTMLParagraphElement>("#findings-note");
  note.textContent = s.findings === null || !complete
    ? "Checking…"
    : findings.length === 0
      ? "None: the GAP8 kernels (the fused kernels for the planned blocks, PULP-NN for single layers) compute every layer's exact bytes."
      : `${findings.length} finding(s):`;
  for (const f of findings) {
    const li = document.createElement("li");
    li.dataset.rule = f.rule;
    li.dataset.target = f.target;
    li.innerHTML = `<b></b> <code></code> <span class="target"></span><br><span class="msg"></span><br><span class="fix"></span>`;
    const [b, code, target, msg, fix] = Array.from(li.querySelectorAll("b, code, .target, .msg, .fix"));
    b!.textContent = f.layer;
    code!.textContent = f.rule;
    target!.textContent = `(${f.target})`;
    msg!.textContent = f.message;
    fix!.textContent = `Fix: ${f.fix}`;
    list.append(li);
  }
  document.body.dataset.state = s.done ? "done" : "busy";
}

let timer: ReturnType<typeof setTimeout> | undefined;
form.addEventListener("input", (e) => {
  clearTimeout(timer);
  const file = e.target === form.model ? (form.model as HTMLInputElement).files?.[0] : undefined;
  if (file) void useModel(file);
  else if (e.target !== form.model) timer = setTimeout(start, 250);
});
form.addEventListener("submit", (e) => e.preventDefault());
document.addEventListener("dragover", (e) => {
  e.preventDefault();
  document.body.classList.add("dragging");
});
document.addEventListener("dragleave", () => document.body.classList.remove("dragging"));
type Tab = "fusion" | "drift";
let fusionStarted = false;

/** Shows one view; the fusion report first runs when its view is first shown. */
function showTab(tab: Tab): void {
  for (const t of ["fusion", "drift"] as const) {
    $<HTMLElement>(`#${t}-view`).hidden = t !== tab;
    $<HTMLElement>(`#tab-${t}`).setAttribute("aria-selected", String(t === tab));
  }
  document.body.dataset.tab = tab;
  if (tab === "fusion" && !fusionStarted) {
    fusionStarted = true;
    start();
  }
}
const tabOf = (): Tab => (location.hash === "#drift" ? "drift" : "fusion");
addEventListener("hashchange", () => showTab(tabOf()));

document.addEventListener("drop", (e) => {
  e.preventDefault();
  document.body.classList.remove("dragging");
  const file = e.dataTransfer?.files[0];
  if (!file) return;
  // A .tflite model only has a drift view; an ONNX model goes to the view on screen.
  if (/\.tflite$/i.test(file.name) || document.body.dataset.tab === "drift") {
    if (location.hash !== "#drift") location.hash = "#drift";
    showTab("drift");
    void useDriftModel(file);
  } else {
    void useModel(file);
  }
});
showTab(tabOf());
