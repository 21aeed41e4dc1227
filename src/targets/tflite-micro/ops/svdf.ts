// SVDF (int8 input and output; int8 or int16 time weights and activation state), as TFLite
// Micro's reference kernel computes it (EvalIntegerSvdfReference), and as the CMSIS-NN build does
// (arm_svdf_s8 / arm_svdf_state_s16_s8 behind TFLM's CMSIS-NN wrapper).
//
// Each run: the state (per batch, `filters` rows of `memory` values) moves one slot left as one
// flat buffer; each filter's feature dot product `sum of wf * (x - inZeroPoint)` is rescaled
// (multiplier 1) into the newest slot of its row; the time dot products of each row with its time
// weights are summed per unit over `rank` filters with the bias, rescaled (multiplier 2), shifted
// by the output zero point and clamped to int8. The two builds differ only in the state:
// - reference: the newest slot is `v` clamped to T's range (T the state's dtype) plus the state
//   zero point, narrowed to T (a wrapping cast: the sum is not clamped again), and the time dot
//   product reads `state - stateZeroPoint`. (Later TFLM sources add the zero point before the
//   clamp; the dumps of the pinned TFLM show this order, wrap included.)
// - CMSIS-NN: the newest slot is `v` clamped to int16 and then narrowed to T (a wrapping cast,
//   with no zero point), and the time dot product reads the raw state.
// Neither applies the fused activation to the integer output: both clamp to the int8 range only.
// The state is a variable tensor, updated in place in `values` (the runner starts each run from
// TFLM's reset value, as a fresh interpreter does).
import type { Graph, SvdfOp } from "../../../graph/types.js";
import { quantizeMultiplier } from "../../../quant.js";
import { mulByQuantMul } from "../../tflite/arith.js";
import { constData, tensorAt, valueOf } from "../../tensors.js";
import type { OpLowering } from "../../lowering.js";
import type { LoweredLayer, TensorData } from "../../types.js";
import { activationQuant, int32Bias } from "./weighted-common.js";
import { inputOf, unsupported } from "./common.js";

export type SvdfFlavour = "reference" | "cmsis-nn";

function multiplierOf(op: SvdfOp, e: number, what: string): [number, number] {
  const [m, s] = quantizeMultiplier(e);
  if (s > 30) unsupported(op, `${what} ${e} needs shift ${s}; at most 30 is possible`);
  return [m, s];
}

export function svdfLowering(flavour: SvdfFlavour): OpLowering<"svdf"> {
  return (op, graph) => lowerSvdf(op, graph, flavour);
}

export function lowerSvdf(op: SvdfOp, graph: Graph, flavour: SvdfFlavour): LoweredLayer {
  const x = inputOf(graph, op, 0, "the input");
  const wf = inputOf(graph, op, 1, "weights_feature");
  const wt = inputOf(graph, op, 2, "weights_time");
  const st = inputOf(graph, op, 4, "activation_state");
  const y = tensorAt(graph, op.outputs[0]!);
  const inQ = activationQuant(op, x, "the input");
  const outQ = activationQuant(op, y, "the output");
  if (wf.dtype !== "int8" || !wf.data) unsupported(op, `weights_feature (tensor ${wf.index}) must be constant int8`);
  if ((wt.dtype !== "int8" && wt.dtype !== "int16") || !wt.data) unsupported(op, `weights_time (tensor ${wt.index}) must be constant int8 or int16`);
  // TFLM resets a state to its zero point before the first run whatever its buffer holds; a state
  // stored with contents would also be a constant view of the model here.
  if (st.data) unsupported(op, `activation_state (tensor ${st.index}) has stored contents; a variable tensor without data is expected`);
  if (st.dtype !== wt.dtype) unsupported(op, `activation_state (tensor ${st.index}) is ${st.dtype}; it must have the time weights' dtype ${wt.dtype}`);
  const stQ = activationQuant(op, st, "activation_state", st.dtype);
  const wfScale = activationQuant(op, wf, "weights_feature").scale;
  const wtScale = activationQuant(op, wt, "weights_time", wt.dtype).scale;
  const [batch, nIn] = x.shape as [number, number];
  const [nF] = wf.shape as [number, number];
  const nM = wt.shape[1]!;
  const rank = op.rank;
  const nU = nF / rank;
  const bias = int32Bias(graph, op, 3, nU);
  // TFLM computes both ratios in float32 and widens the result to double.
  const scale1 = Math.fround(Math.fround(inQ.scale * wfScale) / stQ.scale);
  const scale2 = Math.fround(Math.fround(stQ.scale * wtScale) / outQ.scale);
  const [m1, s1] = multiplierOf(op, scale1, "input*weights_feature/state scale");
  const [m2, s2] = multiplierOf(op, scale2, "state*weights_time/output scale");
  const featureW = constData(wf) as Int8Array;
  const timeW = constData(wt) as Int8Array | Int16Array;
  const inputOffset = -inQ.zeroPoint;
  const stateZp = stQ.zeroPoint;
  const outputOffset = outQ.zeroPoint;
  const [stMin, stMax] = st.dtype === "int8" ? [-128, 127] : [-32768, 32767];
  const bits = st.dtype === "int8" ? 24 : 16;
  const reference = flavour === "reference";
  const timeOffset = reference ? -stateZp : 0;
  const xi = op.inputs[0]!;
  const si = op.inputs[4]!;
  const yi = op.outputs[0]!;
  const scratch = new Float64Array(nF);

  return {
    op,
    params: {
      flavour, rank, units: nU, memory: nM,
      multiplier1: m1, shift1: s1, multiplier2: m2, shift2: s2,
      inputOffset, stateZeroPoint: stateZp, outputOffset, activationMin: -128, activationMax: 127,
      weightsFeature: Int8Array.from(featureW), weightsTime: timeW.slice(), bias,
    },
    run(values: Array<TensorData | undefined>) {
      const xd = valueOf(values, xi) as Int8Array;
      const state = valueOf(values, si) as Int8Array | Int16Array;
      const out = new Int8Array(batch * nU);
      state.copyWithin(0, 1);
      for (let b = 0; b < batch; b++) {
        const xb = b * nIn;
        const rowsBase = b * nF * nM;
        for (let r = 0; r < nF; r++) {
          let dot = 0;
          const wb = r * nIn;
          for (let c = 0; c < nIn; c++) dot += featureW[wb + c]! * (xd[xb + c]! + inputOffset);
          let v = mulByQuantMul(dot | 0, m1, s1);
          if (reference) {
            v = v < stMin ? stMin : v > stMax ? stMax : v;
            v = (((v + stateZp) | 0) << bits) >> bits;
          } else {
            v = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
            v = (v << bits) >> bits;
          }
          state[rowsBase + r * nM + nM - 1] = v;
        }
        for (let r = 0; r < nF; r++) {
          const sb = rowsBase + r * nM;
          const tb = r * nM;
          let acc = 0;
          for (let j = 0; j < nM; j++) acc += timeW[tb + j]! * (state[sb + j]! + timeOffset);
          scratch[r] = acc | 0;
        }
        for (let u = 0; u < nU; u++) {
          let acc = bias ? bias[u]! : 0;
          for (let k = 0; k < rank; k++) acc += scratch[u * rank + k]!;
          const v = (mulByQuantMul(acc | 0, m2, s2) + outputOffset) | 0;
          out[b * nU + u] = v < -128 ? -128 : v > 127 ? 127 : v;
        }
      }
      values[yi] = out;
    },
  };
}
