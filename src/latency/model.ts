// The compute cycle model's constants: what one step of each PULP-NN-style kernel costs on a
// GAP8 cluster core, counted from the kernels' C code (pulp-platform/pulp-nn, 32bit/src:
// pulp_nn_matmul.c, pulp_nn_pointwise_HoWo_parallel.c, pulp_nn_depthwise_generic.c, pulp_nn_utils.c;
// and the layout variants of eml-eda/depthwise-separable-fusion, src/convolution) as the RI5CY core
// executes it: one instruction per cycle, post-increment and register-offset loads, two nested
// zero-overhead hardware loops, single-cycle `p.sdotusp.b` and `p.clipu`. Every constant is a
// parameter; the comments say which lines of the kernels it counts.

/** Cycle costs of the kernels' building blocks on one cluster core. */
export interface ComputeModel {
  /** Cores sharing each kernel (GAP8's cluster: 8). A power of two: PULP-NN splits work with shifts. */
  cores: number;
  /**
   * Stall cycles per L1 (TCDM) access from bank conflicts. GAP8's 8 cores share 16 word-interleaved
   * banks; in the 4x2 inner loop a core issues 6 accesses per 14 cycles (0.43/cycle), so another core
   * targets the same bank in a given cycle with probability about 7 x 0.43 / 16 = 0.19 and the
   * round-robin arbiter makes one of the two wait a cycle: about 0.1 stall cycles per access.
   */
  l1Stall: number;
  /**
   * Extra cycles of a misaligned 32-bit load or store (RI5CY splits it into two aligned accesses).
   * It applies in 3 of 4 cases where a pointer walks with a stride that is not a multiple of 4
   * (the depthwise column buffer's rows are kw = 3 bytes apart; pointwise rows when Cin % 4 != 0).
   */
  misaligned: number;

  // --- Pointwise: pulp_nn_pointwise_HoWo_parallel + pulp_nn_matmul (4 output channels x 2 pixels) ---
  /** Inner loop, per 4 input channels of a 4x2 block: 4 weight `lw` + 2 activation `lw` + 8 `sdotusp4` (hardware loop, no overhead). */
  pwInner: number;
  /** Leftover input channel (Cin % 4) of a 4x2 block: 6 byte loads + 8 `p.mac` + loop count and branch. */
  pwInnerTail: number;
  /**
   * Per 4x2 block besides the inner loop and requantization: pB/pB2/pA2..pA4 pointers (4), four int8
   * bias loads and four copies to the second pixel's sums (8), loop setup and tail count (2), `pA += 3*Cin` (1), loop branch (1).
   */
  pwBlockSetup: number;
  /** Leftover output channel (Co % 4), per 4 input channels: 1 weight + 2 activation `lw` + 2 `sdotusp4`. */
  pwChanInner: number;
  /** Leftover output channel, per leftover input channel: 3 byte loads + 2 `p.mac` + loop. */
  pwChanTail: number;
  /** Leftover output channel, setup: pointers (2), bias (2), loop setup and tail (2), channel loop (2). */
  pwChanSetup: number;
  /**
   * Per pixel pair: the matmul call (14 arguments, 6 on the stack, prologue/epilogue saving the
   * callee-saved registers the 8 accumulators need) plus the HoWo loop's address computation.
   */
  pwPairCall: number;
  /** Odd pixel left to a core, per output channel: bias, pointer and loop setup. */
  pwPixelSetup: number;
  /** Odd pixel, per 4 input channels: `lw` weight + `lw` activation + `sdotusp4`. */
  pwPixelInner: number;
  /** Odd pixel, per leftover input channel: 2 byte loads + `p.mac` + loop. */
  pwPixelTail: number;
  /** Per output row of a core: loop bookkeeping and the start pixel. */
  pwRow: number;
  /**
   * CHW input (the paper's HoWo_parallel_CHW_CHW): per input channel of a pixel pair, the gather into
   * the per-core im2col buffer: 2 `lbu` (register offset) + 2 `sb` + 1 pointer add by H*W.
   */
  pwGather: number;
  /**
   * Requantization of one pointwise output (pulp_nn_bn_quant_u8: `(k*acc + lambda) >> d`, clip):
   * `mul` + `add` + `sra` + `p.clipu` + `sb`, and one load (k and lambda are loaded once per channel
   * and serve both pixels of the pair).
   */
  requantPw: number;

  // --- Depthwise: pulp_nn_depthwise_generic (channels split over cores, per-core column buffer) ---
  /** Per channel: input/weight offsets (2 `mul`), k/lambda pointer increments, loop. */
  dwChannel: number;
  /** Per output column: output pointer, buffer reset, top-padding test, source pointer, loop test (`mul` + compare). */
  dwColumn: number;
  /** Per column-buffer row copied from the image: `pBuffer -= incr`, source += row stride, counter and branch. */
  dwRow: number;
  /** CHW input, per word of a column-buffer row (ceil(kw/4) words): `lw` + `sw` (both misaligned 3 times in 4). */
  dwWordCopy: number;
  /** HWC input (the paper's HWC variants), per byte of a column-buffer row (kw rounded up to 4): `lbu` (register offset) + `sb` + index add by C. */
  dwByteGather: number;
  /** Per padding row of the column buffer: loop and pointer bookkeeping (plus one `sw` per word). */
  dwPadRow: number;
  /** Per output pixel: weight pointer, bias test and load, buffer pointer (`mul` + `add`), output pointer, loop. */
  dwPixel: number;
  /** Per leftover tap (taps % 4): `lb` + `lbu` + `p.mac` (the byte loop also costs 2 cycles of setup). */
  dwTap: number;
  /** Per 4 taps: `lw` weights + `lw` column buffer + `sdotusp4` (both loads misaligned 3 times in 4). */
  dwWordTap: number;
  /** Requantization of one depthwise output: k and lambda loads (2), `mul` + `add` + `sra` + `p.clipu` + `sb`. */
  requantDw: number;

  // --- The parallel runtime around each kernel ---
  /** Per kernel call and core: core id, chunk arithmetic (shifts, `min`), base pointers. */
  prologue: number;
  /** `pi_cl_team_barrier` at the end of each kernel (GAP8's hardware event unit: a few cycles after the last core arrives, plus the call). */
  barrier: number;
  /**
   * Per tile of the deployment loop (DORY's layer template): tile sizes and L2 offsets of the next
   * tile (about 60 instructions) and the team barriers around the kernel and its transfers (3 x 16).
   * The DMA commands themselves are costed by the DMA model.
   */
  tileOverhead: number;
  /** Core-local copy of the fused row schedules' sliding window: `lw` + `sw` per word, split over the cores. */
  copyWord: number;
}

/**
 * GAP8 (8 RI5CY cores, 16-bank TCDM) running PULP-NN's kernels. The counts follow the kernels'
 * structure (see each field); the two memory-system figures (l1Stall, misaligned) are estimates
 * from GAP8's architecture, not fits. With these constants a large pointwise layer reaches
 * 16.4 MAC/cycle (the 4x2 loop's bound is 8 x 32/14 = 18.3; PULP-NN publishes "up to 15.5"), and
 * a 3x3 depthwise layer 1.8 MAC/cycle at stride 1 and 1.5 at stride 2 (CHW input; about 20% less
 * with HWC input's byte gathers), before any DMA.
 */
export const GAP8_COMPUTE: Readonly<ComputeModel> = Object.freeze({
  cores: 8,
  l1Stall: 0.1,
  misaligned: 1,
  pwInner: 14,
  pwInnerTail: 16,
  pwBlockSetup: 16,
  pwChanInner: 5,
  pwChanTail: 6,
  pwChanSetup: 8,
  pwPairCall: 25,
  pwPixelSetup: 8,
  pwPixelInner: 3,
  pwPixelTail: 4,
  pwRow: 6,
  pwGather: 5,
  requantPw: 6,
  dwChannel: 10,
  dwColumn: 12,
  dwRow: 4,
  dwWordCopy: 2,
  dwByteGather: 3,
  dwPadRow: 3,
  dwPixel: 8,
  dwTap: 3,
  dwWordTap: 3,
  requantDw: 7,
  prologue: 40,
  barrier: 16,
  tileOverhead: 100,
  copyWord: 2,
});

/** How the estimate treats the DMA. */
export interface LatencyOptions {
  /** Overrides of GAP8_COMPUTE's constants. */
  compute?: Partial<ComputeModel>;
  /**
   * Overlap transfers with compute (double buffering). Default false: GAP8 deployments wait for
   * every transfer (DORY's GAP8 target declares blocking transfers). Needs `memory.doubleBuffer`,
   * which gives the second buffer the overlap needs.
   */
  overlap?: boolean;
}

/** Options with defaults filled in and checked. */
export interface ResolvedLatency {
  compute: ComputeModel;
  overlap: boolean;
}

/** Fills in GAP8 defaults and validates; `doubleBuffer` is the memory configuration's flag. */
export function resolveLatency(o: LatencyOptions | undefined, doubleBuffer: boolean): ResolvedLatency {
  if (o === undefined) return { compute: GAP8_COMPUTE, overlap: false };
  if (typeof o !== "object" || o === null) throw new TypeError("options.latency must be an object");
  const over = o.compute ?? {};
  if (typeof over !== "object" || over === null) throw new TypeError("options.latency.compute must be an object");
  const compute = { ...GAP8_COMPUTE } as ComputeModel;
  for (const [k, v] of Object.entries(over)) {
    if (!(k in GAP8_COMPUTE)) throw new RangeError(`options.latency.compute.${k} is not a compute model constant`);
    if (typeof v !== "number") throw new TypeError(`options.latency.compute.${k} must be a number`);
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`options.latency.compute.${k} must be a finite number >= 0, got ${v}`);
    (compute as unknown as Record<string, number>)[k] = v;
  }
  if (!Number.isInteger(compute.cores) || compute.cores < 1 || (compute.cores & (compute.cores - 1)) !== 0) {
    throw new RangeError(`options.latency.compute.cores must be a power of two, got ${compute.cores}`);
  }
  if (o.overlap !== undefined && typeof o.overlap !== "boolean") throw new TypeError("options.latency.overlap must be a boolean");
  const overlap = o.overlap ?? false;
  if (overlap && !doubleBuffer) throw new RangeError("options.latency.overlap needs memory.doubleBuffer: true (the second tile buffer the overlap fills)");
  return { compute, overlap };
}
