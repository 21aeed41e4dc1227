// The GAP8 latency model: compute cycles of PULP-NN-style kernels on the 8-core cluster (model.ts,
// kernels.ts), whole schedules and layers (estimate.ts), and the comparison with measured GAP8 layers (calibrate.ts).
export { GAP8_COMPUTE, resolveLatency, type ComputeModel, type LatencyOptions, type ResolvedLatency } from "./model.js";
export {
  channelSplit, copyCycles, depthwiseChannelCycles, depthwiseColumnCycles, depthwiseCycles, howoSplit,
  pointwiseCoreCycles, pointwiseCycles, pointwisePairCycles, pointwisePixelCycles,
  type DepthwiseCall, type HoWoShare, type PointwiseCall,
} from "./kernels.js";
export { addEstimates, blockCompute, combine, estimateWith, layerCompute, layerEstimate, type ComputeCount, type LatencyEstimate } from "./estimate.js";
export {
  compareMeasured, DORY_MOBILENET_V1_128, FIT_GRID, fitDma, fitLoss, layerKind, MEASURED_CYCLES_PER_MS, summarize,
  type CalibrationOptions, type KindSummary, type LayerComparison, type LayerKind, type MeasuredLayer,
} from "./calibrate.js";
export { GAP8_FIT_DMA } from "./fit.js";
