// Type-checked against the installed tarball (tsc, moduleResolution bundler): the "types" export
// resolves and the main entry points have the shapes a consumer writes against.
import { block, conv, init, layersPool, plan, SCHEDULES, type ConvOp, type Tensor, type TransferReport } from "dwpw";

export async function run(input: Tensor, ops: [ConvOp, ConvOp]): Promise<[Tensor, TransferReport, number]> {
  await init();
  const r = block(input, ops, { schedule: SCHEDULES[0], memory: { l1Usable: 20_000 } });
  const p: TransferReport = plan(input, ops);
  return [conv(input, ops[0]), r.report, p.activationBytes];
}

/** Throughput mode: its types must not need Node's (the consumer has `types: []`). */
export async function batch(ops: ConvOp[], inputs: Tensor[]): Promise<Tensor[]> {
  const pool = await layersPool(ops, { workers: 2 });
  try {
    return await pool.run(inputs);
  } finally {
    await pool.close();
  }
}
