// The block API of SPEC §5: run a depthwise-separable block on the scratchpad model (`block`), or
// get its transfer report in closed form without running it (`plan`).
import type { Engine } from "../engine.js";
import type { ConvOp, Tensor } from "../types.js";
import { describeBlock } from "./block.js";
import { execute } from "./execute.js";
import { resolveMemory } from "./memory.js";
import { choosePlan, type BlockOptions, type TransferReport } from "./plan.js";
import { snapshotBlockArgs } from "../validate.js";
import { schedule } from "./schedules.js";

export type { BlockOptions, TransferReport } from "./plan.js";
export type { DmaModel, MemoryConfig } from "./memory.js";
export { DMA_PRESETS, GAP8_MEMORY } from "./memory.js";
export { SCHEDULES } from "./schedules.js";
export { PreparedBlock } from "./prepared-block.js";

function checkOptions(options: unknown): BlockOptions {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  return options as BlockOptions;
}

/**
 * The transfer report of a block under the chosen (or given) schedule and tiling, computed in
 * closed form. Without `schedule`, the feasible schedule moving the fewest activation bytes wins.
 */
export function planBlock(rawInput: Tensor, rawOps: [ConvOp, ConvOp], rawOptions?: BlockOptions): TransferReport {
  const { input, ops, options } = snapshotBlockArgs(rawInput, rawOps, rawOptions); // read once, then only the snapshot
  const o = checkOptions(options);
  return choosePlan(describeBlock(input, ops), resolveMemory(o.memory), o);
}

/** Runs a block on the engine's scratchpad model: the output and the model's counted report. */
export function runBlock(engine: Engine, rawInput: Tensor, rawOps: [ConvOp, ConvOp], rawOptions?: BlockOptions): { output: Tensor; report: TransferReport } {
  const { input, ops, options } = snapshotBlockArgs(rawInput, rawOps, rawOptions); // read once, then only the snapshot
  const o = checkOptions(options);
  const blk = describeBlock(input, ops);
  const mem = resolveMemory(o.memory);
  const planned = choosePlan(blk, mem, o);
  return execute(engine, blk, input, schedule(planned.schedule), planned, mem);
}
