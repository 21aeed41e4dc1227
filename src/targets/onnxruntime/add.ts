// ADD as ONNX Runtime's QLinearAdd (com.microsoft), with numpy broadcasting. The two targets differ
// here and only here: `onnxruntime` rounds as the x86-64 MLAS kernel does (fused multiply-adds on
// the raw inputs, `addX86`), `onnxruntime-wasm` as the portable kernel of the WebAssembly build
// (`addWasm`). The x86 kernel takes a first input that is one value per broadcast span through
// another order of multiply-adds, so the layout ONNX Runtime runs the add in matters: NHWC, the
// file's own. A converted model keeps an add between NHWC tensors in NHWC, and one between
// convolutions ends up there too at ONNX Runtime's default optimization level (its layout
// transformer runs QLinearConv in NHWC and cancels the transposes around the add; measured with
// onnxruntime-node, test/onnxruntime-target.test.ts). With optimizations disabled, an add between
// NCHW convolutions would see a per-channel [1,C,1,1] first operand as one value per span.
// A fused activation clamps the rounded byte (see activationBounds).
import type { ElementwiseOp, Graph } from "../../graph/types.js";
import { addWasm, addX86, addX86Constants, addX86ScalarA, type AddParams } from "../../network/arith.js";
import { applyPairTable, broadcastPlan, pairTable } from "../../pair-table.js";
import { outputFor, valueOf } from "../tensors.js";
import type { LoweredLayer, RunContext, TensorData } from "../types.js";
import { activationBounds, input, isQ8, output, q8 } from "./common.js";
import { lowerFloatPath } from "./float-path.js";

export type AddRounding = "x86" | "wasm";

/** Whether ONNX Runtime's broadcaster hands this input to the kernel as one value per span: its
 * innermost non-trivial dimension is broadcast while the output's is not. */
function oneValuePerSpan(shape: readonly number[], out: readonly number[]): boolean {
  if (shape.reduce((a, b) => a * b, 1) === 1) return true;
  const aligned = [...new Array<number>(out.length - shape.length).fill(1), ...shape];
  for (let d = out.length - 1; d >= 0; d--) {
    if (out[d] === 1) continue;
    return aligned[d] === 1;
  }
  return false;
}

export function addLowering(rounding: AddRounding) {
  return (op: ElementwiseOp, graph: Graph): LoweredLayer => {
    const at = input(graph, op, 0, "input a");
    const bt = input(graph, op, 1, "input b");
    const yt = output(graph, op);
    // QLinearAdd takes three tensors of one 8-bit type; anything else is the float path.
    if (!isQ8(at) || !isQ8(bt) || !isQ8(yt) || at.dtype !== yt.dtype || bt.dtype !== yt.dtype) return lowerFloatPath(op, graph);
    const a = q8(op, at, "input a");
    const b = q8(op, bt, "input b");
    const y = q8(op, yt, "the output");
    const [lo, hi] = activationBounds(op.activation, y);
    const p: AddParams = { sa: a.scale, za: a.zeroPoint, sb: b.scale, zb: b.zeroPoint, sc: y.scale, zc: y.zeroPoint, lo, hi };
    const x86 = rounding === "x86" ? addX86Constants(p) : null;
    const scalarA = x86 !== null && oneValuePerSpan(at.shape, yt.shape);
    // The output byte is a function of the two input bytes: one table lookup per output.
    const table = pairTable(
      !x86 ? (u, v) => addWasm(u, v, p) : scalarA ? (u, v) => addX86ScalarA(u, v, x86.rA, x86.rB, x86.fixed, lo, hi) : (u, v) => addX86(u, v, x86.rA, x86.rB, x86.fixed, lo, hi),
      a.dtype,
      b.dtype,
    );
    const plan = broadcastPlan(at.shape, bt.shape, yt.shape);
    const ai = op.inputs[0]!;
    const bi = op.inputs[1]!;
    const yi = op.outputs[0]!;
    const params: Record<string, unknown> = {
      onnxOp: "QLinearAdd", rounding: rounding === "x86" ? "x86-64 (fused multiply-adds)" : "WebAssembly (portable)",
      aScale: a.scale, aZeroPoint: a.zeroPoint, bScale: b.scale, bZeroPoint: b.zeroPoint, outputScale: y.scale, outputZeroPoint: y.zeroPoint, min: lo, max: hi,
    };
    if (x86) Object.assign(params, { rA: x86.rA, rB: x86.rB, fixed: x86.fixed, aPerSpan: scalarA });
    return {
      op,
      params,
      run(values: Array<TensorData | undefined>, ctx: RunContext) {
        const out = outputFor(ctx, yt) as Int8Array | Uint8Array;
        applyPairTable(table(), plan, valueOf(values, ai) as Int8Array | Uint8Array, valueOf(values, bi) as Int8Array | Uint8Array, out);
        values[yi] = out;
      },
    };
  };
}
