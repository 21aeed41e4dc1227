// The memory configuration of the scratchpad model: sizes of L1 and L2 and the DMA cost model.
// Defaults are GAP8's (SPEC §5); every constant can be overridden.
import { GAP8_FIT_DMA } from "../latency/fit.js";

/** DMA cost constants. */
export interface DmaModel {
  /** Bandwidth of an ordinary (same-layout) transfer. */
  bytesPerCycle: number;
  /** Fixed cost of each command (1D or 2D transfer). */
  cyclesPerCommand: number;
  /** Bandwidth of a layout-changing (HWC <-> CHW) copy, which moves one byte per element. */
  layoutBytesPerCycle: number;
  /** Fixed cost per channel of a layout-changing copy (one command per channel). */
  layoutCyclesPerChannel: number;
}

/**
 * Named DMA models. `dory-gap8`: what DORY's GAP8 target description declares (8 B/cycle,
 * 10 cycles per command); its byte-granular layout copies are taken at 1 B/cycle with the same
 * 10-cycle command cost. `match-gap9`: the paper group's GAP9 model (8 B/cycle, ~920 cycles per
 * command, layout copies at 1 B/cycle + 12 cycles per channel). `gap8-fit`: effective constants
 * fitted to measured GAP8 layer times (src/latency/fit.ts).
 */
export const DMA_PRESETS = {
  "dory-gap8": { bytesPerCycle: 8, cyclesPerCommand: 10, layoutBytesPerCycle: 1, layoutCyclesPerChannel: 10 },
  "match-gap9": { bytesPerCycle: 8, cyclesPerCommand: 920, layoutBytesPerCycle: 1, layoutCyclesPerChannel: 12 },
  "gap8-fit": GAP8_FIT_DMA,
} as const satisfies Record<string, DmaModel>;

export type DmaPreset = keyof typeof DMA_PRESETS;

export interface MemoryConfig {
  /** L1 size in bytes. */
  l1: number;
  /** Bytes of L1 available to tiles (the rest holds the cluster cores' stacks). */
  l1Usable: number;
  /** L2 size in bytes. */
  l2: number;
  /** DMA cost model, or the name of a preset. */
  dma: DmaModel | DmaPreset;
  /** Doubles the input and output tile buffers (DMA of the next tile may overlap compute). */
  doubleBuffer: boolean;
}

/** GAP8: 64,000 B of L1 of which 36,700 B are usable (64,000 - 3,500 - 7 x 3,400), 512,000 B of L2. */
export const GAP8_MEMORY: Readonly<MemoryConfig> = {
  l1: 64000,
  l1Usable: 36700,
  l2: 512000,
  dma: "dory-gap8",
  doubleBuffer: false,
};

/** A memory configuration with the DMA preset resolved. */
export interface ResolvedMemory extends Omit<MemoryConfig, "dma"> {
  dma: DmaModel;
  dmaName: string;
}

function positiveInt(v: unknown, field: string): number {
  if (typeof v !== "number") throw new TypeError(`${field} must be a number`);
  if (!Number.isInteger(v) || v <= 0 || v > 2 ** 31) throw new RangeError(`${field} must be a positive integer, got ${v}`);
  return v;
}

function positiveFinite(v: unknown, field: string, allowZero: boolean): number {
  if (typeof v !== "number") throw new TypeError(`${field} must be a number`);
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) throw new RangeError(`${field} must be a finite number > ${allowZero ? "= " : ""}0, got ${v}`);
  return v;
}

/** Fills in GAP8 defaults and validates. A custom `l1` without `l1Usable` keeps the 27,300 B stack reserve. */
export function resolveMemory(m: Partial<MemoryConfig> = {}): ResolvedMemory {
  if (typeof m !== "object" || m === null) throw new TypeError("options.memory must be an object");
  const l1 = positiveInt(m.l1 ?? GAP8_MEMORY.l1, "memory.l1");
  const reserve = GAP8_MEMORY.l1 - GAP8_MEMORY.l1Usable;
  if (m.l1Usable === undefined && l1 <= reserve) {
    throw new RangeError(`memory.l1 (${l1}) leaves no room for tiles after the ${reserve} B kept for the cores' stacks; set memory.l1Usable too`);
  }
  const l1Usable = positiveInt(m.l1Usable ?? l1 - reserve, "memory.l1Usable");
  if (l1Usable > l1) throw new RangeError(`memory.l1Usable (${l1Usable}) exceeds memory.l1 (${l1})`);
  const l2 = positiveInt(m.l2 ?? GAP8_MEMORY.l2, "memory.l2");
  const d = m.dma ?? GAP8_MEMORY.dma;
  let dma: DmaModel;
  let dmaName: string;
  if (typeof d === "string") {
    if (!Object.hasOwn(DMA_PRESETS, d)) throw new RangeError(`memory.dma must be one of ${Object.keys(DMA_PRESETS).join(", ")} or a DmaModel, got ${d}`);
    dma = DMA_PRESETS[d as DmaPreset];
    dmaName = d;
  } else {
    if (typeof d !== "object" || d === null) throw new TypeError("memory.dma must be a preset name or a DmaModel object");
    dma = {
      bytesPerCycle: positiveFinite(d.bytesPerCycle, "memory.dma.bytesPerCycle", false),
      cyclesPerCommand: positiveFinite(d.cyclesPerCommand, "memory.dma.cyclesPerCommand", true),
      layoutBytesPerCycle: positiveFinite(d.layoutBytesPerCycle, "memory.dma.layoutBytesPerCycle", false),
      layoutCyclesPerChannel: positiveFinite(d.layoutCyclesPerChannel, "memory.dma.layoutCyclesPerChannel", true),
    };
    // A preset passed as its object (e.g. GAP8_FIT_DMA) keeps its name.
    dmaName = Object.entries(DMA_PRESETS).find(([, v]) => v === d)?.[0] ?? "custom";
  }
  if (m.doubleBuffer !== undefined && typeof m.doubleBuffer !== "boolean") throw new TypeError("memory.doubleBuffer must be a boolean");
  return { l1, l1Usable, l2, dma, dmaName, doubleBuffer: m.doubleBuffer ?? false };
}
