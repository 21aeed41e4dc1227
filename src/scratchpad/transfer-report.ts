// The transfer report: what a block moves between L2 and L1 under one schedule and tiling. The
// closed form (closed-form.ts) computes it, the executor (execute.ts) counts it on the
// WebAssembly model, and the two are held equal.
import type { LatencyEstimate } from "../latency/estimate.js";

/** The transfer report of SPEC §5. */
export interface TransferReport {
  schedule: string;
  l2ToL1: { input: number; intermediate: number; weights: number; params: number };
  l1ToL2: { intermediate: number; output: number };
  /** input + intermediate (both ways) + output. */
  activationBytes: number;
  dmaCommands: number;
  dmaCycles: number;
  /** Output tiles written back to L2 (both layers' for `unfused`). */
  tiles: number;
  peakL1Bytes: number;
  tiling: Record<string, number>;
  /** Bytes the block keeps in L2: input, output, weights, parameters (and the intermediate, unfused). */
  l2Bytes: number;
  /** Whether l2Bytes fits the configured L2; on GAP8 a block that does not would spill to L3. */
  fitsL2: boolean;
  /** The DMA model the cycles are counted under. */
  dma: string;
  /**
   * Estimated cycles on GAP8's cluster (src/latency): present when planning by `objective: "cycles"`,
   * or when `estimate: true` or `latency` options are given.
   */
  estimate?: LatencyEstimate;
}

/** Activation bytes of a report's directions: input + intermediate (both ways) + output. */
export function activationBytes(l2ToL1: TransferReport["l2ToL1"], l1ToL2: TransferReport["l1ToL2"]): number {
  return l2ToL1.input + l2ToL1.intermediate + l1ToL2.intermediate + l1ToL2.output;
}
