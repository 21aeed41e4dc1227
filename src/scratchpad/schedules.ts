// The schedules: every way the scratchpad model can run a block, listed once. A schedule family
// is one file in ./schedules/ (its steps, its tile sizes and their limits, its L1 footprint; see
// ./schedules/walk.ts for what a family provides); its schedules are its layout variants, named
// `order/input-output-intermediate layouts/step`. The tiling search, the executor, the latency
// model, the deployment check and the reports all take the list from here.
import type { Layout } from "../types.js";
import type { Block } from "./block.js";
import { l2Layout, tensorsInL2 } from "./l2.js";
import { dwpwRows } from "./schedules/dwpw-rows.js";
import { pwdwChannels } from "./schedules/pwdw-channels.js";
import { pwdwRows } from "./schedules/pwdw-rows.js";
import { unfused } from "./schedules/unfused.js";
import type { Family, Scratchpad, Tiling } from "./schedules/walk.js";

/** The families, in the order the search tries their schedules (on a tie the first wins). */
export const FAMILIES = [dwpwRows, pwdwRows, pwdwChannels, unfused] as const;

export type FamilyName = (typeof FAMILIES)[number]["name"];
export type ScheduleName = (typeof FAMILIES)[number]["schedules"][number];

/** Every schedule: the seven fused ones (the paper's kernels) and the unfused baseline. */
export const SCHEDULES: readonly ScheduleName[] = Object.freeze(FAMILIES.flatMap((f): readonly ScheduleName[] => f.schedules));

const BY_NAME = new Map<string, Family>(FAMILIES.map((f) => [f.name, f]));

/** What a schedule's name says: op order, layouts, and the family that runs it. */
export interface Schedule {
  name: ScheduleName;
  family: FamilyName;
  /** null for `unfused`, which runs either order and keeps every tensor in the input's layout. */
  order: "dw-pw" | "pw-dw" | null;
  input: Layout | null;
  output: Layout | null;
  intermediate: Layout | null;
}

/** Parses a schedule name; a RangeError names the field if it is not one of SCHEDULES. */
export function schedule(name: unknown, field = "options.schedule"): Schedule {
  const family = FAMILIES.find((f) => (f.schedules as readonly unknown[]).includes(name));
  if (!family) throw new RangeError(`${field} must be one of ${SCHEDULES.join(", ")}; got ${String(name)}`);
  const n = name as ScheduleName;
  if (n === "unfused") return { name: n, family: family.name, order: null, input: null, output: null, intermediate: null };
  const [order, layouts] = n.split("/") as ["dw-pw" | "pw-dw", string];
  const [input, output, intermediate] = layouts.split("-") as [Layout, Layout, Layout];
  return { name: n, family: family.name, order, input, output, intermediate };
}

/** The family that runs `s`. */
export const familyOf = (s: Schedule): Family => BY_NAME.get(s.family) as Family;

/**
 * Walks schedule `s` with tiling `t` on `sp`, the block placed in L2 at `l2Base` (the closed form
 * and the latency model, which need only the strides, place it at 0).
 */
export function walk(blk: Block, s: Schedule, t: Tiling, sp: Scratchpad, l2Base = 0): void {
  familyOf(s).walk(blk, s, t, sp, tensorsInL2(blk, s, l2Layout(blk, s), l2Base));
}
