// TFLite Micro's ops with weights: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, SVDF.
import type { OpTable } from "../../lowering.js";

export const WEIGHTED_OPS: OpTable = {};
