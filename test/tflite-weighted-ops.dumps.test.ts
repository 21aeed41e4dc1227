// The weighted ops (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, SVDF) of every dump case, each
// run alone: its inputs are the bytes TFLite Micro fed it (from the dump), its outputs and the
// state it updates must be the bytes TFLite Micro produced. This pins each kernel on the real
// models too, independently of the other ops of those models, under both TFLM builds.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, test } from "vitest";
import { init, loadTflite } from "../src/index.js";
import { defaultEngine } from "../src/runtime.js";
import { reference } from "../src/reference/index.js";
import { CMSIS_NN_OPS } from "../src/targets/cmsis-nn/index.js";
import type { OpLowering, OpTable } from "../src/targets/lowering.js";
import { TFLITE_MICRO_OPS } from "../src/targets/tflite-micro/index.js";
import { allocFor, viewAs } from "../src/targets/tensors.js";
import type { ConvRunner, TensorData } from "../src/targets/types.js";
import { describeShared, dumpFiles, rawBytes, type DumpCase } from "./helpers/tflite-dumps.js";

const WEIGHTED = new Set(["conv2d", "depthwiseConv2d", "fullyConnected", "svdf"]);

beforeAll(async () => {
  await init();
});

function bytesOf(c: DumpCase, index: number): Uint8Array | null {
  const t = c.tensors.find((d) => d.index === index);
  if (t?.data !== undefined) return Uint8Array.from(Buffer.from(t.data, "base64"));
  const i = c.inputs.find((d) => d.tensor === index);
  return i ? Uint8Array.from(Buffer.from(i.data, "base64")) : null;
}

describeShared("weighted ops alone, on the TFLite Micro dumps", ["tflite/ref", "tflite/cmsis-nn"], () => {
  for (const kind of ["ref", "cmsis-nn"] as const) {
    const target = kind === "ref" ? "tflite-micro" : "cmsis-nn";
    const table: OpTable = kind === "ref" ? TFLITE_MICRO_OPS : CMSIS_NN_OPS;
    for (const f of dumpFiles(kind)) {
      const graph = loadTflite(readFileSync(f.modelPath)).graph;
      if (!graph.ops.some((op) => WEIGHTED.has(op.kind))) continue;
      describe(`${target} ${f.path.split("/shared/tflite/")[1]!}`, () => {
        for (const c of f.cases) {
          // The engine only matters where a layer runs on the kernels (convolutions).
          const engines = graph.ops.some((op) => op.kind === "conv2d" || op.kind === "depthwiseConv2d" || op.kind === "fullyConnected") ? (["wasm", "reference"] as const) : (["wasm"] as const);
          for (const engine of engines) {
            test(`${c.name} (${engine})`, () => {
              // Only the weighted ops are lowered: the others are not under test here.
              const layers = graph.ops.filter((op) => WEIGHTED.has(op.kind)).map((op) => (table[op.kind] as OpLowering<typeof op.kind>)(op as never, graph));
              const conv: ConvRunner = engine === "wasm" ? (t, op) => defaultEngine().conv(t, op) : reference.conv;
              const general = engine === "wasm" ? defaultEngine() : reference;
              const bad: string[] = [];
              let checked = 0;
              for (const layer of layers) {
                const values: Array<TensorData | undefined> = new Array(graph.tensors.length);
                for (const i of layer.op.inputs) {
                  if (i < 0) continue;
                  const t = graph.tensors[i]!;
                  if (t.data) values[i] = viewAs(t.dtype, t.data);
                  else if (t.variable) {
                    const d = allocFor(t);
                    if (t.dtype === "int8" && t.quant) (d as Int8Array).fill(t.quant.zeroPoint[0]!);
                    values[i] = d;
                  } else {
                    const b = bytesOf(c, i);
                    if (!b) throw new Error(`tensor ${i} has no inline data in the dump`);
                    values[i] = viewAs(t.dtype, b);
                  }
                }
                layer.run(values, { conv, general });
                const produced = [...layer.op.outputs, ...layer.op.inputs.filter((i) => i >= 0 && graph.tensors[i]!.variable)];
                for (const o of produced) {
                  const want = c.tensors.find((d) => d.index === o)!;
                  const got = rawBytes(values[o]!);
                  checked++;
                  if (createHash("sha256").update(got).digest("hex") !== want.sha256) bad.push(`op ${layer.op.index} ${layer.op.opcode}: tensor ${o} differs`);
                }
              }
              expect(checked).toBeGreaterThan(0);
              expect(bad).toEqual([]);
            });
          }
        }
      });
    }
  }
});
