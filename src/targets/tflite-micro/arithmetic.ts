// TFLite Micro's arithmetic per op kind, in a phrase: what a drift report names as the reason two
// targets part ways. The kernels themselves are in ./ops.
import type { ArithmeticTable } from "../lowering.js";

const DOUBLE_ROUNDING = "gemmlowp double rounding (saturating rounding doubling high multiply, then a rounding right shift, ties away from zero)";

export const TFLITE_MICRO_ARITHMETIC: ArithmeticTable = {
  conv2d: `int32 accumulation; per-channel multiplier and shift, ${DOUBLE_ROUNDING}; clamp to the fused activation`,
  depthwiseConv2d: `int32 accumulation; per-channel multiplier and shift, ${DOUBLE_ROUNDING}; clamp to the fused activation`,
  fullyConnected: `int32 accumulation; multiplier and shift, ${DOUBLE_ROUNDING}; clamp to the fused activation`,
  add: `inputs shifted left by 20 and rescaled by per-input multipliers, the sum rescaled to the output; ${DOUBLE_ROUNDING}`,
  sub: `inputs shifted left by 20 and rescaled by per-input multipliers, the difference rescaled to the output; ${DOUBLE_ROUNDING}`,
  mul: `int32 product of the offset inputs, one output multiplier; ${DOUBLE_ROUNDING}`,
  averagePool2d: "int32 sum divided by the number of in-bounds taps, rounding half away from zero",
  maxPool2d: "the window's largest byte, clamped to the fused activation",
  mean: `int32 sum rescaled by a multiplier and shift over the element count; ${DOUBLE_ROUNDING}`,
  softmax: "fixed-point exp (gemmlowp) of the scaled differences to the maximum, fixed-point reciprocal of their sum",
  logistic: "fixed-point logistic (gemmlowp) of the input rescaled by a multiplier and left shift",
  tanh: "fixed-point tanh (gemmlowp) of the input rescaled by a multiplier and left shift",
  hardSwish: "fixed-point hard swish (TFLite reference): rescaled input, ReLU6 slope, output rescale",
  leakyRelu: `two multipliers (identity and alpha, from float32 ratios); ${DOUBLE_ROUNDING}`,
  relu: `requantized to the output scale (multiplier from a float32 ratio, ${DOUBLE_ROUNDING}), clamped at the output's zero`,
  relu6: "clamped to [0, 6] in the input's quantization and copied: no requantization to the output's",
  quantize: `float input: x / scale in float32, rounded half away from zero; integer input: multiplier and shift, ${DOUBLE_ROUNDING}`,
  dequantize: "scale x (q - zero point) in float32",
  concatenation: "bytes copied (inputs share the output's quantization)",
  pad: "bytes copied, the padding filled with the zero point (PAD) or the constant (PADV2)",
  transpose: "bytes moved",
  reshape: "bytes unchanged",
  svdf: "integer SVDF (TFLite Micro reference): feature and time dot products, the state updated with its zero point",
};
