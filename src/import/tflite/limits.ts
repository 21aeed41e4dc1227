// What the TFLite importer accepts at most. Each bound is checked before the structure it guards
// is read or allocated, so a hostile file costs bounded time and memory.

export const TFLITE_LIMITS = {
  /** Size of the file. */
  fileBytes: 512 * 1024 * 1024,
  /** Tensors in subgraph 0. */
  tensors: 100_000,
  /** Operators in subgraph 0. */
  operators: 100_000,
  /** Entries of the buffers and operator_codes tables. */
  buffers: 200_000,
  operatorCodes: 10_000,
  /** Subgraphs listed (only the first is read). */
  subgraphs: 1_000,
  /** Dimensions of a tensor. */
  rank: 8,
  /** Inputs or outputs of one operator (CONCATENATION is the widest op of these networks). */
  opTensors: 1_024,
  /** Elements of one tensor (2^28: 256 MiB of int8). */
  tensorElements: 2 ** 28,
  /** Bytes of all runtime (non-constant) tensors together: what one run allocates at most. */
  activationBytes: 512 * 1024 * 1024,
} as const;
