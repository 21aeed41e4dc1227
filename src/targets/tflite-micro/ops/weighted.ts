// TFLite Micro's ops with weights: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, SVDF (reference
// kernels). Each kernel family's arithmetic is in its own file.
import type { OpTable } from "../../lowering.js";
import { lowerConv2d } from "./conv2d.js";
import { lowerDepthwiseConv2d } from "./depthwise-conv2d.js";
import { lowerFullyConnected } from "./fully-connected.js";
import { svdfLowering } from "./svdf.js";

export const WEIGHTED_OPS: OpTable = {
  conv2d: lowerConv2d,
  depthwiseConv2d: lowerDepthwiseConv2d,
  fullyConnected: lowerFullyConnected,
  svdf: svdfLowering("reference"),
};
