// Errors shared by every importer and target.

/**
 * A model uses an op (or an attribute of one) that dwpw cannot run, or that a target cannot lower.
 * Names the op (its index in the file, or its node name), its type and what is unsupported.
 */
export class UnsupportedOpError extends RangeError {
  override name = "UnsupportedOpError";
  constructor(
    /** The op's index in the model's op list, or its node name. */
    readonly op: number | string,
    /** The op type as the file names it (`CONV_2D`, `QLinearConv`, ...). */
    readonly opType: string,
    readonly detail: string,
  ) {
    super(typeof op === "number" ? `op ${op} (${opType}): ${detail}` : `node "${op}" (${opType}): ${detail}`);
  }

  /** The node name, for ONNX models (same as `op`). */
  get node(): string {
    return String(this.op);
  }
}
