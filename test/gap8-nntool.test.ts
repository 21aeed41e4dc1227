// The `gap8-nntool` target against what GreenWaves NNTool decided and computed for each model in
// shared/gap8-nntool (read from there, never copied): every node's quantization, constants (byte for
// byte) and output bytes in every case, the C kernel's bytes where they differ from NNTool's.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, test } from "vitest";
import { init, loadTflite } from "../src/index.js";
import { UnsupportedOpError } from "../src/graph/errors.js";
import { importTflite } from "../src/import/tflite/import.js";
import { lowerGap8Nntool, softmaxOverflow } from "../src/targets/gap8-nntool/index.js";
import { expFp1715 } from "../src/targets/gap8-nntool/kernels.js";
import { b64, chwToHwc, describeShared, sharedMissing, skipMeta, vectorFiles } from "./helpers/gap8-nntool-vectors.js";

beforeAll(async () => {
  await init();
});

const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Mismatches between one lowered layer and one NNTool node's constants (empty when identical). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function compareConstants(n: any, params: Record<string, any>): string[] {
  const bad: string[] = [];
  const at = n.autotiler;
  const infos = at?.bindings.find((b: { role?: string }) => b.role === "infos");
  if (infos && bytesOf(params.infos).toString("base64") !== infos.data) bad.push(`infos ${Array.from(params.infos)} vs ${Array.from(b64(infos.data))}`);
  if (at && params.kops && at.kops.join() !== params.kops.join()) bad.push(`kops ${params.kops} vs ${at.kops}`);
  const x = n.extraQ;
  if (x?.scale_in_mul_biases_q && (params.in1Scale !== x.scale_in_mul_biases_q.qbiases[0] || params.in1ScaleN !== x.scale_in_mul_biases_q.qnorms[0] || params.in1ScaleFloat !== x.scale_in_mul_biases_q.scaleFloat[0])) bad.push("add input rescale");
  if (x?.scale_mul_biases_q && n.kind === "add" && (params.outScale !== x.scale_mul_biases_q.qbiases[0] || params.outScaleN !== x.scale_mul_biases_q.qnorms[0] || params.outScaleFloat !== x.scale_mul_biases_q.scaleFloat[0])) bad.push("add output rescale");
  if (x?.add_bias_offset && params.biasOffset !== x.add_bias_offset[0]) bad.push("add bias offset");
  if (x?.scale_mul_biases_q && n.kind === "globalpool" && (params.scale !== x.scale_mul_biases_q.qbiases[0] || params.scaleN !== x.scale_mul_biases_q.qnorms[0] || params.scaleFloat !== x.scale_mul_biases_q.scaleFloat[0])) bad.push("global pool scale");
  if (n.params) {
    const p = n.params;
    if (bytesOf(params.weights).toString("base64") !== p.weights.data) bad.push("weights");
    if (params.weightsShape.join() !== p.weights.shape.join()) bad.push(`weights shape ${params.weightsShape} vs ${p.weights.shape}`);
    if (Array.from(params.biases).join() !== p.biases.data.join()) bad.push("biases");
    if (Array.from(params.scale).join() !== p.scale.join()) bad.push("scale");
    if (Array.from(params.scaleN).join() !== p.scaleN.join()) bad.push("scaleN");
    if (params.weightsScale.join() !== p.weightsScale.join()) bad.push("weightsScale");
    if (params.biasesScale.join() !== p.biasesScale.join()) bad.push("biasesScale");
    if (params.scaleFloat.join() !== n.requant.scaleFloat.join()) bad.push("scaleFloat");
    for (const b of at.bindings) {
      if (b.role === "scale" && b.values.join() !== Array.from(params.scale).join()) bad.push("Mul_scale binding");
      if (b.role === "scaleN" && b.values.join() !== Array.from(params.scaleN).join()) bad.push("Mul_shift binding");
      if (b.role === "weights" && b.count !== params.weights.length) bad.push("weights binding count");
      if (b.role === "biases" && b.count !== params.biases.length) bad.push("biases binding count");
    }
  }
  return bad;
}

describeShared("NNTool records of ../shared/gap8-nntool", ["gap8-nntool"], () => {
  for (const f of vectorFiles()) {
    const j = f.json;
    describe(`gap8-nntool ${j.model}`, () => {
      if (!f.modelPath) {
        test.skip(`model ${j.model} is not available here`, skipMeta(`model ${j.model} (held out) is not available here`), () => {});
        return;
      }
      const bytes = new Uint8Array(readFileSync(f.modelPath));
      const graph = importTflite(bytes);
      const lowered = lowerGap8Nntool(graph);
      const byOp = new Map(lowered.layers.map((l) => [l.op.index, l]));
      const byTensor = new Map<number, (typeof lowered.layers)[number]>();
      for (const l of lowered.layers) for (const o of l.op.outputs) byTensor.set(o, l);

      test("quantization decisions: every node's output quantization and constants", () => {
        const bad: string[] = [];
        const inQ = j.input.nntoolQ;
        const fi = lowered.formats[j.input.tfliteTensor]!;
        if (fi.scale !== inQ.scale[0] || fi.zeroPoint !== inQ.zeroPoint[0]) bad.push(`input quantization ${fi.scale}/${fi.zeroPoint}`);
        for (const n of j.nodes) {
          const fmt = lowered.formats[n.tflite.tensor]!;
          const q = n.outQ[0];
          if (fmt.scale !== q.scale[0] || fmt.zeroPoint !== q.zeroPoint[0] || fmt.dtype !== q.dtype) bad.push(`node ${n.index} ${n.name}: out ${fmt.dtype} ${fmt.scale}/${fmt.zeroPoint} vs ${q.dtype} ${q.scale[0]}/${q.zeroPoint[0]}`);
          const opIndex = n.tflite.ops?.[0]?.index;
          if (opIndex === undefined || !n.autotiler) continue;
          const layer = byOp.get(opIndex)!;
          for (const m of compareConstants(n, layer.params)) bad.push(`node ${n.index} ${n.name}: ${m}`);
        }
        expect(bad).toEqual([]);
      });

      const net = () => loadTflite(bytes);
      for (const c of j.cases) {
        test(`case ${c.name}: every node's output bytes`, () => {
          const input = new Int8Array(b64(c.tfliteInput.data).buffer);
          const converted = lowered.convertInput!(0, input) as Int8Array;
          const bad: string[] = [];
          if (bytesOf(converted).toString("base64") !== bytesOf(new Int8Array(chwToHwc(new Int8Array(b64(c.nntoolInput.data).buffer), c.nntoolInput.shape.length === 3 ? c.nntoolInput.shape : [c.nntoolInput.shape[0]]))).toString("base64")) bad.push("converted input");
          // The WebAssembly gap-sq8 kernels by default; every other case on the TypeScript reference.
          const engine = j.cases.indexOf(c) % 2 === 0 ? "wasm" : "reference";
          const run = net().run(input, { target: "gap8-nntool", layers: true, engine });
          const got = new Map(run.layers!.map((l) => [l.output.index, l.output]));
          const outputNode = j.nodes.find((n: { kind: string }) => n.kind === "output");
          for (const o of c.outputs) {
            const n = j.nodes[o.node];
            if (n.kind === "input" || n.kind === "output") continue;
            const v = got.get(n.tflite.tensor);
            if (!v) {
              bad.push(`node ${n.index} ${n.name}: tensor ${n.tflite.tensor} not produced`);
              continue;
            }
            // Where the C kernel differs from NNTool's emulator, the board runs the C kernel.
            const cDiff = o.cKernels?.find((k: { equal: boolean }) => !k.equal);
            const src = cDiff ? cDiff.data : o.data;
            if (!src) {
              // Large tensors carry only a hash.
              const chw = toChw(v.data, n.outShapes[0].shape);
              if (createHash("sha256").update(chw).digest("hex") !== o.sha256) bad.push(`node ${n.index} ${n.name}: sha256`);
              continue;
            }
            let want: number[];
            if (o.dtype === "int16") want = Array.from(new Int16Array(b64(src).buffer));
            else want = chwToHwc(new Int8Array(b64(src).buffer), n.outShapes[0].shape);
            const gotv = Array.from(v.data as ArrayLike<number>);
            if (gotv.join() !== want.join()) {
              let d = 0;
              for (let i = 0; i < want.length; i++) if (gotv[i] !== want[i]) d++;
              bad.push(`node ${n.index} ${n.name}: ${d} of ${want.length} values differ${cDiff ? " (C kernel bytes)" : ""}`);
            }
            if (n.index === outputNode?.inputs[0]?.node && outputNode) {
              const oo = c.outputs.find((x: { node: number }) => x.node === outputNode.index);
              const board = oo?.cKernelsOfSource ? Array.from(new Int16Array(b64(oo.cKernelsOfSource.data ?? oo.cKernelsOfSource).buffer)) : null;
              if (board && board.join() !== gotv.join()) bad.push("graph output differs from cKernelsOfSource");
            }
          }
          expect(bad).toEqual([]);
        });
      }
    });
  }
});

/** NHWC values as CHW bytes for a [C, H, W] (or vector) shape. */
function toChw(data: ArrayLike<number>, shape: number[]): Buffer {
  if (shape.length !== 3) return Buffer.from(new Int8Array(Array.from(data)).buffer);
  const [C, H, W] = shape as [number, number, number];
  const out = new Int8Array(C * H * W);
  for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) out[(c * H + h) * W + w] = data[(h * W + w) * C + c]!;
  return Buffer.from(out.buffer);
}

describe("gap8-nntool softmax exp", () => {
  test("the C exp wraps just above |x| = 11 and matches exp elsewhere", () => {
    // exp(0) = 1.0 in Q15; exp(-1) = 0.3679
    expect(expFp1715(0)).toBe(32768);
    expect(Math.abs(expFp1715(-32768) / 32768 - Math.exp(-1))).toBeLessThan(1e-3);
    // (-11.25) * 2^15: U_Res * ScaledInt overflows int32 and the result is -1.
    expect(expFp1715(-(11.25 * 32768))).toBe(-1);
    expect(softmaxOverflow(12, 1 / 8)).toEqual({ steps: [89, 91], real: [89 / 8, 91 / 8] });
  });
});

const noRecords = sharedMissing("gap8-nntool");

describe("gap8-nntool refuses what it cannot deploy", () => {
  test.skipIf(noRecords)("an op without an SQ8 lowering is an UnsupportedOpError naming the op", skipMeta(noRecords), () => {
    const f = vectorFiles().find((v) => v.modelPath);
    if (!f) throw new Error("no NNTool record with its model in ../shared/gap8-nntool");
    const g = importTflite(new Uint8Array(readFileSync(f.modelPath!)));
    const bad = { ...g, ops: g.ops.map((op, i) => (i === 0 ? { ...op, kind: "tanh" as const, opcode: "TANH" } : op)) };
    expect(() => lowerGap8Nntool(bad as typeof g)).toThrow(UnsupportedOpError);
    expect(() => lowerGap8Nntool(bad as typeof g)).toThrow(/TANH/);
  });
});
