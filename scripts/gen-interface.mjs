// Writes the host/WebAssembly binary interface from one declaration, so that the two sides cannot
// drift apart: the kernel ids of the requantization schemes and the tables that dispatch on them,
// the words of the requantization header, and the scratchpad model's transfer kinds, counter
// slots and error codes. Run before `asc` (npm run build:wasm, hence pretest and prepare); the
// outputs are git-ignored like the embedded wasm bytes.
//
// The kernel ids are not listed here: each scheme module in src/schemes/ names the kernels it
// runs on (`export const KERNELS = [...] as const`), in the order src/schemes/index.ts imports
// the modules. A kernel "foo-bar" is the constant FOO_BAR in assembly/generated/interface.ts and
// must be handled by the arithmetic in assembly/requant.ts (asc refuses an unknown name there).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The requantization header: i32 words the host writes per layer (or tile), in this order. */
const HEADER = [
  ["scheme", "kernel id (KERNELS below)"],
  ["outZp", "output zero point"],
  ["min", "clamp low"],
  ["max", "clamp high"],
  ["shift", "pulp-*: the right shift d"],
  ["mult", "pulp-quant: int16 multiplier"],
  ["relu", "gap-sq8: 1 with the scaled ReLU"],
  ["actScale", "gap-sq8"],
  ["actNorm", "gap-sq8"],
  ["bias", "address of the int32 bias per output channel (pre-shifted where the scheme says), or 0"],
  ["pa", "address of the scheme's first per-channel array"],
  ["pb", "address of the scheme's second per-channel array"],
];

/** Kinds of DMA transfer the scratchpad model counts. */
const TRANSFER_KINDS = ["input", "intermediate", "weights", "params", "output"];

/** The model's counters (f64 each): [name, slots]. */
const COUNTERS = [
  ["in", 4, "L2 -> L1 bytes by kind (input, intermediate, weights, params)"],
  ["out", 5, "L1 -> L2 bytes by kind (input..output)"],
  ["commands", 1, "DMA commands"],
  ["cycles", 1, "DMA cycles"],
  ["peakL1", 1, "high-water mark of L1 allocations"],
];

/** Error codes of the model's checked accesses: [name, message]. */
const ERRORS = [
  ["ok", ""],
  ["l1Budget", "L1 access outside the allocated tile buffers"],
  ["l1Range", "L1 access outside the allocated tile buffers"],
  ["l2Range", "L2 access outside the block's tensors"],
];

/**
 * The operations of a recorded block run, which `spReplay` runs again (src/scratchpad/trace.ts):
 * [name, argument words (-1: variable), what it replays].
 */
const TRACE_OPS = [
  ["alloc", 2, "l1Alloc(bytes), and the address it returned"],
  ["l1Reset", 0, "l1Reset()"],
  ["box", 13, "dmaBox(...)"],
  ["linear", 4, "dmaLinear(...)"],
  ["linearUnread", 4, "dmaLinear(...) checked and counted, not copied: no later operation reads those bytes in L1"],
  ["depthwise", 24, "depthwise(...)"],
  ["pointwise", 19, "pointwise(...)"],
  ["move", 3, "a core-local copy within L1 (dst, src, bytes): a window slide"],
  ["write", -1, "words the host wrote (address, count, then the words): a requantization header"],
];

// ---------------------------------------------------------------------------------------------

const snake = (name) => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/-/g, "_").toUpperCase();
const pascal = (name) => name.split("-").map((w) => w[0].toUpperCase() + w.slice(1)).join("");

function parse(file) {
  return ts.createSourceFile(file, readFileSync(join(ROOT, file), "utf8"), ts.ScriptTarget.Latest, false);
}

/** The kernels of every scheme module, in the order src/schemes/index.ts imports the modules. */
function kernels() {
  const index = parse("src/schemes/index.ts");
  const modules = index.statements
    .filter((s) => ts.isImportDeclaration(s) && !s.importClause?.isTypeOnly && ts.isStringLiteral(s.moduleSpecifier))
    .map((s) => s.moduleSpecifier.text)
    .filter((m) => /^\.\/[a-z0-9-]+\.js$/.test(m) && m !== "./scheme.js");
  const out = [];
  for (const m of modules) {
    const file = `src/schemes/${m.slice(2, -3)}.ts`;
    let found = null;
    for (const st of parse(file).statements) {
      if (!ts.isVariableStatement(st)) continue;
      for (const d of st.declarationList.declarations) {
        if (!ts.isIdentifier(d.name) || d.name.text !== "KERNELS" || !d.initializer) continue;
        let init = d.initializer;
        if (ts.isAsExpression(init)) init = init.expression;
        if (!ts.isArrayLiteralExpression(init) || !init.elements.every(ts.isStringLiteral)) {
          throw new Error(`${file}: KERNELS must be an array of string literals`);
        }
        found = init.elements.map((e) => e.text);
      }
    }
    if (!found) throw new Error(`${file}: no \`export const KERNELS = [...] as const\``);
    out.push(...found);
  }
  if (new Set(out).size !== out.length) throw new Error(`duplicate kernel names: ${out.join(", ")}`);
  return out;
}

const KERNELS = kernels();
const HEADER_BYTES = Math.ceil((HEADER.length * 4) / 16) * 16;
let slot = 0;
const COUNTER_AT = COUNTERS.map(([name, n, doc]) => [name, (slot += n) - n, doc]);
const COUNTER_SLOTS = slot;

const banner = "// Generated by scripts/gen-interface.mjs; do not edit (edit the declaration there, or a scheme's KERNELS).\n";

// ---- WebAssembly side ------------------------------------------------------------------------
const asInterface =
  banner +
  "\n// Kernel ids of the requantization schemes (index into the dispatch tables).\n" +
  KERNELS.map((k, i) => `export const ${snake(k)} = ${i};\n`).join("") +
  `export const KERNEL_COUNT = ${KERNELS.length};\n` +
  "\n// The requantization header: byte offsets of its i32 words.\n" +
  HEADER.map(([f, doc], i) => `/** ${doc} */\nexport const H_${snake(f)} = ${i * 4};\n`).join("") +
  `export const HEADER_BYTES = ${HEADER_BYTES};\n` +
  "\n// The scratchpad model: transfer kinds, counter slots (f64), error codes.\n" +
  TRANSFER_KINDS.map((k, i) => `export const K_${snake(k)} = ${i};\n`).join("") +
  COUNTER_AT.map(([c, at, doc]) => `/** ${doc} */\nexport const C_${snake(c)} = ${at};\n`).join("") +
  `export const COUNTERS = ${COUNTER_SLOTS};\n` +
  ERRORS.map(([e], i) => `export const ${e === "ok" ? "OK" : `E_${snake(e)}`} = ${i};\n`).join("") +
  "\n// The operations of a recorded block run (spReplay), with their argument words.\n" +
  TRACE_OPS.map(([o, n, doc], i) => `/** ${doc}: ${n < 0 ? "variable" : n} words */\nexport const OP_${snake(o)} = ${i};\n`).join("");

const PIXELS = "a: usize, s: i32, n: i32, t: usize, cn: i32, d: usize, px: i32, ch: i32";
const CHANNELS = "a: usize, s: i32, r: i32, rows: i32, n: i32, c0: i32, cn: i32, d: usize, dr: i32, px: i32, ch: i32";
const loops = [
  ["pixelsWide", "PixelsFn", PIXELS, (k) => `pixelsLoop(${k}, true, a, s, n, t, cn, d, px, 1)`],
  ["pixelsAny", "PixelsFn", PIXELS, (k) => `pixelsLoop(${k}, false, a, s, n, t, cn, d, px, ch)`],
  ["channelsWide", "ChannelsFn", CHANNELS, (k) => `channelsLoop(${k}, true, a, s, r, rows, n, c0, cn, d, dr, 1, ch)`],
  ["channelsAny", "ChannelsFn", CHANNELS, (k) => `channelsLoop(${k}, false, a, s, r, rows, n, c0, cn, d, dr, px, ch)`],
];
const asDispatch =
  banner +
  "//\n// The requantization loops, one function per kernel and shape, called through tables indexed by\n" +
  "// kernel id: inlined side by side into one function, binaryen's code folding merges the identical\n" +
  "// tails of several schemes' loops and the scheme becomes a variable tested inside the inner loop.\n" +
  "// The scalar build never calls them.\n" +
  `import { channelsLoop, pixelsLoop } from "../requant";\n` +
  `import { ${KERNELS.map(snake).join(", ")} } from "./interface";\n\n` +
  "export type PixelsFn = (acc: usize, accStride: i32, n: i32, t0: usize, cn: i32, d0: usize, pxStride: i32, chStride: i32) => void;\n" +
  "export type ChannelsFn = (acc: usize, accStride: i32, accRow: i32, rows: i32, n: i32, c0: i32, cn: i32, dst: usize, dstRow: i32, pxStride: i32, chStride: i32) => void;\n" +
  loops
    .map(([prefix, , params, call]) =>
      "\n" + KERNELS.map((k) => `function ${prefix}${pascal(k)}(${params}): void { if (ASC_FEATURE_SIMD) ${call(snake(k))}; }\n`).join(""),
    )
    .join("") +
  loops
    .map(([prefix, type]) => `\n@lazy export const ${snake(prefix)}: StaticArray<${type}> = [\n  ${KERNELS.map((k) => prefix + pascal(k)).join(", ")},\n];\n`)
    .join("");

// ---- Host side -------------------------------------------------------------------------------
const obj = (entries) => `{ ${entries.map(([k, v]) => `${/^[a-zA-Z_]\w*$/.test(k) ? k : JSON.stringify(k)}: ${v}`).join(", ")} }`;
const host =
  banner +
  "// The host's half of the binary interface with assembly/ (see assembly/generated/interface.ts).\n\n" +
  "/** Kernel ids of the requantization schemes' kernels. */\n" +
  `export const KERNEL_ID = ${obj(KERNELS.map((k, i) => [k, i]))} as const;\n` +
  "export type KernelName = keyof typeof KERNEL_ID;\n\n" +
  "/** Word index of each field of the requantization header. */\n" +
  `export const HEADER_WORD = ${obj(HEADER.map(([f], i) => [f, i]))} as const;\n` +
  "export type HeaderField = keyof typeof HEADER_WORD;\n" +
  `/** Size of the header in bytes (${HEADER.length} int32 words, padded to 16-byte alignment). */\n` +
  `export const HEADER_BYTES = ${HEADER_BYTES};\n\n` +
  "/** The scratchpad model's transfer kinds. */\n" +
  `export const TRANSFER_KIND = ${obj(TRANSFER_KINDS.map((k, i) => [k, i]))} as const;\n` +
  "/** First slot of each of the model's counters (f64 each). */\n" +
  `export const COUNTER = ${obj(COUNTER_AT.map(([c, at]) => [c, at]))} as const;\n` +
  `export const COUNTER_SLOTS = ${COUNTER_SLOTS};\n` +
  "/** The model's error codes, by code: what went wrong. */\n" +
  `export const MODEL_ERRORS: readonly string[] = ${JSON.stringify(ERRORS.map(([, m]) => m))};\n` +
  "/** The operations of a recorded block run (spReplay): code and argument words (-1: variable). */\n" +
  `export const TRACE_OP = ${obj(TRACE_OPS.map(([o, n], i) => [o, `{ code: ${i}, words: ${n} }`]))} as const;\n`;

function write(file, text) {
  const path = join(ROOT, file);
  mkdirSync(dirname(path), { recursive: true });
  let old = null;
  try {
    old = readFileSync(path, "utf8");
  } catch {
    // first run
  }
  // Unchanged outputs keep their timestamps (watchers and incremental builds see no change).
  if (old !== text) writeFileSync(path, text);
}

write("assembly/generated/interface.ts", asInterface);
write("assembly/generated/dispatch.ts", asDispatch);
write("src/wasm/interface.generated.ts", host);
