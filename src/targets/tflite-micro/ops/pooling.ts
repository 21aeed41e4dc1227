// AVERAGE_POOL_2D and MAX_POOL_2D, int8 and int16: reference_integer_ops::AveragePool / MaxPool.
// Windows are clipped to the input: an average divides by the number of in-bounds taps, rounding
// half away from zero with C's truncating division; both clamp to the fused activation's range in
// the output quantization.
import type { Graph, Pool2dOp } from "../../../graph/types.js";
import { activationRange } from "../../tflite/arith.js";
import { outputFor, valueOf } from "../../tensors.js";
import type { LoweredLayer } from "../../types.js";
import { inputOf, outputOf, quantOf, requireDtype, unsupported } from "./common.js";

export function lowerPool(op: Pool2dOp, graph: Graph): LoweredLayer {
  const x = inputOf(graph, op, 0);
  const out = outputOf(graph, op);
  requireDtype(op, x, ["int8", "int16"], "input");
  if (out.dtype !== x.dtype) unsupported(op, `a ${x.dtype} input with a ${out.dtype} output`);
  const qo = quantOf(op, out, "output");
  const [activationMin, activationMax] = activationRange(op.activation, qo.scale, qo.zeroPoint, out.dtype);
  const [N, H, W, C] = x.shape as [number, number, number, number];
  const [, Ho, Wo] = out.shape as [number, number, number, number];
  const [kh, kw] = op.filter;
  const [sh, sw] = op.stride;
  const { top, left } = op.pad;
  const average = op.kind === "averagePool2d";
  const lowest = out.dtype === "int8" ? -128 : -32768;
  return {
    op,
    params: { filter: [kh, kw], stride: [sh, sw], padding: [top, left], activationMin, activationMax },
    run(values, ctx) {
      const input = valueOf(values, x.index) as Int8Array | Int16Array;
      const o = outputFor(ctx, out) as Int8Array | Int16Array;
      let k = 0;
      for (let n = 0; n < N; n++) {
        for (let oy = 0; oy < Ho; oy++) {
          const y0 = oy * sh - top;
          const fy0 = Math.max(0, -y0);
          const fy1 = Math.min(kh, H - y0);
          for (let ox = 0; ox < Wo; ox++) {
            const x0 = ox * sw - left;
            const fx0 = Math.max(0, -x0);
            const fx1 = Math.min(kw, W - x0);
            const count = (fy1 - fy0) * (fx1 - fx0);
            for (let c = 0; c < C; c++) {
              let v: number;
              if (average) {
                let acc = 0;
                for (let fy = fy0; fy < fy1; fy++) {
                  let p = ((n * H + y0 + fy) * W + x0 + fx0) * C + c;
                  for (let fx = fx0; fx < fx1; fx++, p += C) acc += input[p]!;
                }
                const half = (count / 2) | 0;
                v = acc > 0 ? ((acc + half) / count) | 0 : ((acc - half) / count) | 0;
              } else {
                v = lowest;
                for (let fy = fy0; fy < fy1; fy++) {
                  let p = ((n * H + y0 + fy) * W + x0 + fx0) * C + c;
                  for (let fx = fx0; fx < fx1; fx++, p += C) if (input[p]! > v) v = input[p]!;
                }
              }
              o[k++] = v < activationMin ? activationMin : v > activationMax ? activationMax : v;
            }
          }
        }
      }
      values[out.index] = o;
    },
  };
}
