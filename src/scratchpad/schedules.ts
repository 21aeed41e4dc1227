// The schedule family of SPEC §5: seven fused kernels (the paper's) and the unfused baseline.
import type { Layout } from "../types.js";

export const SCHEDULES = [
  "dw-pw/CHW-CHW-HWC/rows",
  "dw-pw/HWC-HWC-HWC/rows",
  "pw-dw/HWC-HWC-CHW/rows",
  "pw-dw/HWC-HWC-HWC/rows",
  "pw-dw/HWC-HWC-CHW/channels",
  "pw-dw/HWC-HWC-HWC/channels",
  "pw-dw/CHW-CHW-CHW/channels",
  "unfused",
] as const;

export type ScheduleName = (typeof SCHEDULES)[number];

/** What a schedule's name says: op order, layouts, and what one step of the intermediate holds. */
export interface Schedule {
  name: ScheduleName;
  /** How the block is run: `dwpwRows`, `pwdwRows`, `pwdwChannels` (fused) or `unfused`. */
  family: "dwpwRows" | "pwdwRows" | "pwdwChannels" | "unfused";
  order: "dw-pw" | "pw-dw" | null;
  input: Layout | null;
  output: Layout | null;
  intermediate: Layout | null;
}

/** Parses a schedule name; a RangeError names the field if it is not one of SCHEDULES. */
export function schedule(name: unknown, field = "options.schedule"): Schedule {
  if (!SCHEDULES.includes(name as ScheduleName)) {
    throw new RangeError(`${field} must be one of ${SCHEDULES.join(", ")}; got ${String(name)}`);
  }
  const n = name as ScheduleName;
  if (n === "unfused") return { name: n, family: "unfused", order: null, input: null, output: null, intermediate: null };
  const [order, layouts, step] = n.split("/") as ["dw-pw" | "pw-dw", string, "rows" | "channels"];
  const [input, output, intermediate] = layouts.split("-") as [Layout, Layout, Layout];
  const family = order === "dw-pw" ? "dwpwRows" : step === "rows" ? "pwdwRows" : "pwdwChannels";
  return { name: n, family, order, input, output, intermediate };
}
