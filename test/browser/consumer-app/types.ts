// Type-checked against the installed tarball (tsc, moduleResolution bundler): the "types" export
// resolves and the main entry points have the shapes a consumer writes against.
import { block, conv, init, plan, SCHEDULES, type ConvOp, type Tensor, type TransferReport } from "dwpw";

export async function run(input: Tensor, ops: [ConvOp, ConvOp]): Promise<[Tensor, TransferReport, number]> {
  await init();
  const r = block(input, ops, { schedule: SCHEDULES[0], memory: { l1Usable: 20_000 } });
  const p: TransferReport = plan(input, ops);
  return [conv(input, ops[0]), r.report, p.activationBytes];
}
