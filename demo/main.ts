// The report page: reads the form, hands the job to a Web Worker (a new one per change, so a stale
// job just stops), and redraws the chart and totals from what the worker streams back.
import { QUANT_SCHEMES } from "../src/networks/mobilenet.js";
import type { BlockRow } from "../src/report.js";
import { DMA_PRESETS } from "../src/scratchpad/memory.js";
import type { BlockPlan, Candidate } from "./candidates.js";
import type { FromWorker, Job } from "./protocol.js";

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
  /** The deployment check's findings, once the worker has sent them. */
  findings: Array<{ layer: string; target: string; rule: string; message: string; fix: string }> | null;
  done: boolean;
}
let state: State | null = null;
let worker: Worker | null = null;
/** The ONNX model given by the file input or a drop, kept while its option is in the network list. */
let model: { name: string; bytes: ArrayBuffer } | null = null;

const kB = (bytes: number) => `${(bytes / 1000).toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 })} kB`;
const pct = (unfused: number, fused: number) => (unfused === 0 ? 0 : (100 * (unfused - fused)) / unfused);

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
  return { source, scheme: form.scheme.value, layout: form.layout.value, memory: clean } as Job;
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

function start(): void {
  worker?.terminate();
  worker = null;
  const job = readJob();
  if (typeof job === "string") {
    setStatus("error", job);
    return;
  }
  state = { network: job.source.kind === "onnx" ? job.source.name : job.source.network, memory: "", blocks: 0, plans: [], rows: new Map(), findings: null, done: false };
  for (const k of ["network", "l1", "l1Usable"]) delete document.body.dataset[k];
  render();
  setStatus("planning", "Planning…");
  worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  const mine = worker;
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    if (worker !== mine || !state) return;
    onMessage(state, e.data);
  };
  worker.onerror = (e) => setStatus("error", `worker failed: ${e.message}`);
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
      setStatus("error", m.message);
      return;
  }
  render();
}

/** One bar: a label, a fill on the block's scale, and the value. */
function bar(kind: "unfused" | "fused" | "chosen", name: string, bytes: number | null, max: number, title = ""): HTMLElement {
  const el = document.createElement("div");
  el.className = `bar ${kind === "unfused" ? "unfused" : "fused"}${kind === "chosen" ? " chosen" : ""}${bytes === null ? " nofit" : ""}`;
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
  }
  el.append(label, track, value);
  return el;
}

function candidateTitle(c: Candidate): string {
  return c.bytes === null ? `${c.schedule}: no tiling fits L1` : `${c.schedule}\ntiling ${JSON.stringify(c.tiling)}\nDMA ${c.dmaCycles} cycles`;
}

function render(): void {
  const s = state;
  chart.replaceChildren();
  if (!s) return;
  let unfused = 0, deployed = 0;
  for (const p of s.plans) {
    // Each block on its own scale: fused schedules that re-read a lot would flatten every other block.
    const max = Math.max(1, p.unfused, ...p.candidates.map((c) => c.bytes ?? 0));
    const checked = s.rows.get(p.block);
    // Once the report has run on a block, its numbers are the ones that count.
    const u = checked ? checked.row.unfused.activationBytes : p.unfused;
    const f = checked ? (checked.row.fused ?? checked.row.unfused).activationBytes : p.deployed;
    unfused += u;
    deployed += f;
    const box = document.createElement("div");
    box.className = "block";
    box.dataset.block = String(p.block);
    box.dataset.unfused = String(u);
    box.dataset.deployed = String(f);
    box.dataset.schedule = checked ? String(checked.row.schedule) : p.chosen === null ? "null" : p.candidates[p.chosen]!.schedule;
    const head = document.createElement("div");
    head.className = "head";
    const exact = checked ? (checked.row.bitExact ? `<span class="exact yes">✓ bit-exact</span>` : `<span class="exact no">✗ bytes differ</span>`) : `<span class="exact">…</span>`;
    const disagree = checked && !checked.agrees ? ` <span class="disagree">report: ${kB(u)} / ${kB(f)} ${checked.row.schedule ?? "unfused"}</span>` : "";
    head.innerHTML = `<b>${p.block}</b><span class="shape">${p.shape.replace("->", "→")}</span><span class="fusion">${p.fusion} · saved ${pct(u, f).toFixed(1)}%</span>${disagree}${exact}`;
    box.append(head, bar("unfused", "unfused (layer by layer)", p.unfused, max));
    p.candidates.forEach((c, i) => {
      // In an inverted residual, name the fused pair (the third layer runs alone).
      const pairName = c.fusion.split(" | ").find((part) => part.includes("+"));
      const name = p.candidates.some((o) => o.fusion !== c.fusion) ? `${pairName}: ${c.schedule}` : c.schedule;
      box.append(bar(i === p.chosen ? "chosen" : "fused", name, c.bytes, max, candidateTitle(c)));
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
  out("#total-fused", s.plans.length ? kB(deployed) + partial : "–", complete ? deployed : undefined);
  out("#total-saved", s.plans.length ? `${pct(unfused, deployed).toFixed(1)}%` : "–");
  const exact = $<HTMLOutputElement>("#bit-exact");
  const rows = [...s.rows.values()];
  const bad = rows.filter((r) => !r.row.bitExact).map((r) => r.row.block);
  exact.className = bad.length ? "no" : s.done ? "yes" : "";
  exact.dataset.state = bad.length ? "no" : s.done ? "yes" : "pending";
  exact.textContent = bad.length ? `NO (block ${bad.join(", ")})` : s.done ? `yes (${rows.length}/${s.blocks} blocks)` : `checking ${rows.length}/${s.blocks || "…"}`;
  // Estimated GAP8 cycles of the blocks (src/latency), unfused against the optimized plans.
  const lat = rows.map((r) => r.row.latency).filter((l) => l !== undefined);
  const cyc = (k: "unfused" | "optimized") => lat.reduce((t, l) => t + l![k].totalCycles, 0);
  out("#latency", lat.length ? `${(cyc("unfused") / 1e6).toFixed(1)} → ${(cyc("optimized") / 1e6).toFixed(1)} Mcycles (${pct(cyc("unfused"), cyc("optimized")).toFixed(1)}% less)${lat.length < s.blocks ? ` (${lat.length}/${s.blocks} blocks)` : ""}` : "–");
  const list = $<HTMLUListElement>("#findings-list");
  list.replaceChildren();
  const note = $<HTMLParagraphElement>("#findings-note");
  note.textContent = s.findings === null ? "Checking…" : s.findings.length === 0 ? "None: the GAP8 kernels (PULP-NN and the fused kernels) compute every layer's exact bytes." : `${s.findings.length} finding(s):`;
  for (const f of s.findings ?? []) {
    const li = document.createElement("li");
    li.dataset.rule = f.rule;
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
document.addEventListener("drop", (e) => {
  e.preventDefault();
  document.body.classList.remove("dragging");
  const file = e.dataTransfer?.files[0];
  if (file) void useModel(file);
});
start();
