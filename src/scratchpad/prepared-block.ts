// A block prepared once for inputs of one shape, as a network runs it image after image: checked,
// described and planned at preparation; its first run on an engine walks the schedule on the model
// and records what it did (./trace.ts), and later runs replay that record in one WebAssembly call.
// Outputs and counts are the walk's: the replay makes the same model calls at the same addresses.
import type { Engine } from "../engine.js";
import type { ConvOp, Tensor } from "../types.js";
import { checkTensor, snapshotBlockArgs } from "../validate.js";
import { describeBlock, type Block } from "./block.js";
import { execute, replay, type RecordedRun } from "./execute.js";
import { resolveMemory, type ResolvedMemory } from "./memory.js";
import { choosePlan, type BlockOptions, type TransferReport } from "./plan.js";
import { schedule, type Schedule } from "./schedules.js";

export class PreparedBlock {
  private readonly blk: Block;
  private readonly mem: ResolvedMemory;
  private readonly planned: TransferReport;
  private readonly schedule: Schedule;
  /** The first run's record, and the engine it ran on (a record holds that engine's addresses). */
  private recorded: { engine: Engine; run: RecordedRun } | null = null;
  /** How many runs walked the schedule (recording it) and how many replayed a record. */
  readonly runs = { walked: 0, replayed: 0 };

  /** `input` gives the shape, dtype, layout and zero point of the inputs to come (its values are not read). */
  constructor(input: Tensor, ops: [ConvOp, ConvOp], options: BlockOptions = {}) {
    const a = snapshotBlockArgs(input, ops, options);
    if (typeof a.options !== "object" || a.options === null) throw new TypeError("options must be an object");
    this.blk = describeBlock(a.input, a.ops);
    this.mem = resolveMemory(a.options.memory);
    this.planned = choosePlan(this.blk, this.mem, a.options);
    this.schedule = schedule(this.planned.schedule);
  }

  /**
   * Runs the block on `input` (of the prepared shape) on the engine's scratchpad model: the output
   * (into `out` when given: the output's length and dtype) and the model's counted report.
   */
  run(engine: Engine, input: Tensor, out?: Tensor["data"]): { output: Tensor; report: TransferReport } {
    const dtype = checkTensor(input);
    const want = this.blk.input;
    if (input.height !== want.height || input.width !== want.width || input.channels !== want.channels ||
      input.layout !== want.layout || input.zeroPoint !== want.zeroPoint || dtype !== want.dtype) {
      throw new RangeError(`input must be ${want.height}x${want.width}x${want.channels} ${want.dtype} ${want.layout} with zero point ${want.zeroPoint}, as prepared`);
    }
    const { blk, schedule: s, planned, mem } = this;
    const rec = this.recorded;
    if (rec && rec.engine === engine) {
      const r = replay(engine, blk, input, s, planned, mem, rec.run, out);
      if (r) {
        this.runs.replayed++;
        return r;
      }
    }
    const r = execute(engine, blk, input, s, planned, mem, { record: true, out });
    this.recorded = { engine, run: r.recorded! };
    this.runs.walked++;
    return { output: r.output, report: r.report };
  }
}
