// FULLY_CONNECTED as TFLite Micro's reference kernels compute it: the input is read as rows of the
// weights' inner size (any rank; keep_num_dims only changes the output's shape), and each output
// is `sum of (w - wZeroPoint) * (x - inZeroPoint) + bias`, MultiplyByQuantizedMultiplier,
// `+ outZeroPoint`, clamped. Per-tensor weights use one multiplier (and honour a weight zero
// point, as TFLM's per-tensor path does); per-channel weights one per output (zero point 0).
// Runs on the general convolution kernel as a 1x1 convolution over the rows (`tflite` scheme, the
// weight zero point subtracted while the weights are packed, once); TypeScript loops remain for a
// run without a general runner and for layers the kernel cannot take.
import type { FullyConnectedOp, Graph } from "../../../graph/types.js";
import type { FullyConnectedOp as GeneralFc } from "../../../general.js";
import { numel } from "../../../graph/types.js";
import { outputFor, tensorAt, valueOf } from "../../tensors.js";
import { generalCall, runBatches } from "../../tflite/general-op.js";
import type { LoweredLayer, RunContext, TensorData } from "../../types.js";
import { activationQuant, channelMultipliers, int32Bias, int8Weights, outputClamp, requant, withOffset } from "./weighted-common.js";
import { inputOf } from "./common.js";

export function lowerFullyConnected(op: FullyConnectedOp, graph: Graph): LoweredLayer {
  const x = inputOf(graph, op, 0, "the input");
  const f = inputOf(graph, op, 1, "the weights");
  const y = tensorAt(graph, op.outputs[0]!);
  const inQ = activationQuant(op, x, "the input");
  const [O, I] = f.shape as [number, number];
  const w = int8Weights(op, f, O, "the weights");
  const bias = int32Bias(graph, op, 2, O);
  const clampQ = outputClamp(op, y);
  const perChannel = w.scales.length > 1;
  const { multiplier, shift } = channelMultipliers(op, inQ.scale, w.scales, clampQ.outScale, O);
  const inputOffset = -inQ.zeroPoint;
  const weightsOffset = perChannel ? 0 : -w.zeroPoint;
  const { outputOffset, activationMin, activationMax } = clampQ;
  // The weights with their offset added (int16: |w + offset| <= 255), for the TypeScript loops:
  // made at their first run, since the kernels take the int8 weights.
  let offsetWeights: Int16Array | null = null;
  const xi = op.inputs[0]!;
  const yi = op.outputs[0]!;
  const params: Record<string, unknown> = {
    multiplier: perChannel ? multiplier : multiplier.subarray(0, 1),
    shift: perChannel ? shift : shift.subarray(0, 1),
    inputOffset, weightsOffset, outputOffset, activationMin, activationMax,
    weights: Int8Array.from(w.data), bias, perChannel,
  };
  const fc: GeneralFc = {
    kind: "fullyConnected", outFeatures: O, weights: Int8Array.from(w.data), weightZeroPoint: -weightsOffset, bias,
    requant: { scheme: "tflite", rounding: "double", multiplier, shift, outputZeroPoint: outputOffset, min: activationMin, max: activationMax },
  };
  const allRows = numel(x.shape) / I;
  const general = Number.isInteger(allRows) && allRows > 0 ? generalCall({ height: allRows, width: 1, channels: I, layout: "HWC", zeroPoint: inQ.zeroPoint, dtype: "int8" }, fc, allRows * O) : null;
  params.kernel = general ? "wasm general" : "typescript";
  return {
    op, params,
    run(values: Array<TensorData | undefined>, ctx: RunContext) {
      const xd = valueOf(values, xi) as Int8Array;
      if (general && xd.length === allRows * I) {
        const out = outputFor(ctx, y) as Int8Array;
        if (runBatches(general, ctx, xd, 1, allRows * I, out, allRows * O)) {
          values[yi] = out;
          return;
        }
      }
      const weights = (offsetWeights ??= withOffset(w.data, weightsOffset));
      const xo = withOffset(xd, inputOffset);
      const rows = xo.length / I;
      const out = outputFor(ctx, y) as Int8Array;
      for (let r = 0; r < rows; r++) {
        const xb = r * I;
        for (let o = 0; o < O; o++) {
          const wb = o * I;
          let acc = 0;
          for (let i = 0; i < I; i++) acc += weights[wb + i]! * xo[xb + i]!;
          if (bias) acc += bias[o]!;
          out[r * O + o] = requant(acc, multiplier[o]!, shift[o]!, outputOffset, activationMin, activationMax);
        }
      }
      values[yi] = out;
    },
  };
}
