// TFLite Micro's ops without weights: elementwise arithmetic, pooling, reductions, activations,
// quantize/dequantize and the ops that only move bytes.
import type { OpTable } from "../../lowering.js";
import { lowerHardSwish, lowerLeakyRelu, lowerLogistic, lowerRelu, lowerRelu6, lowerReluN1To1, lowerTanh } from "./activations.js";
import { lowerAddSub } from "./add-sub.js";
import { lowerConcatenation, lowerPad, lowerReshape, lowerTranspose } from "./layout-ops.js";
import { lowerMean } from "./mean.js";
import { lowerMul } from "./mul.js";
import { lowerPool } from "./pooling.js";
import { lowerDequantize, lowerQuantize } from "./quantize.js";
import { lowerSoftmax } from "./softmax.js";

export const TENSOR_OPS: OpTable = {
  add: lowerAddSub,
  sub: lowerAddSub,
  mul: lowerMul,
  averagePool2d: lowerPool,
  maxPool2d: lowerPool,
  mean: lowerMean,
  softmax: lowerSoftmax,
  relu: lowerRelu,
  relu6: lowerRelu6,
  reluN1To1: lowerReluN1To1,
  leakyRelu: lowerLeakyRelu,
  hardSwish: lowerHardSwish,
  logistic: lowerLogistic,
  tanh: lowerTanh,
  quantize: lowerQuantize,
  dequantize: lowerDequantize,
  reshape: lowerReshape,
  pad: lowerPad,
  transpose: lowerTranspose,
  concatenation: lowerConcatenation,
};
