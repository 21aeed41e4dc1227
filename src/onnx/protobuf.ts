// A small, strict protobuf wire-format reader: just what decoding ONNX's ModelProto needs.
//
// Why not a generic library at run time: the package has no runtime dependencies, runs in
// browsers, and a model file is untrusted input. This reader never allocates more than the input
// holds, never recurses deeper than a fixed limit, and turns every malformation (truncation, a bad
// varint, an impossible wire type) into an `OnnxError` that names the field path where it happened.
// The tests cross-check it against protobufjs on the same files.
import { ONNX_LIMITS } from "./limits.js";

/** A model file that cannot be read (corrupt, truncated, not ONNX) or uses what dwpw does not support. */
export class OnnxError extends RangeError {
  override name = "OnnxError";
}

/** What one file may hold in total (see ONNX_LIMITS): counted as it is read, shared by every Reader of the file. */
export class ReadBudget {
  private readonly used: Record<string, number> = {};

  constructor(private readonly limits: Readonly<Record<string, number>>) {}

  /** How much of `kind` is left. */
  left(kind: string): number {
    return (this.limits[kind] as number) - (this.used[kind] ?? 0);
  }

  /** Takes `n` of `kind`; an OnnxError naming the limit and where (`at()`) when the file holds more. */
  take(kind: string, n: number, at: () => string): void {
    if (!(n <= this.left(kind))) throw new OnnxError(`the ONNX file holds more ${kind} than the ${this.limits[kind]} dwpw reads (${at()})`);
    this.used[kind] = (this.used[kind] ?? 0) + n;
  }
}

/** Wire types of the protobuf encoding. */
export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

/** Reads fields of one message: `bytes[pos, end)`. */
export class Reader {
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly path: string,
    start = 0,
    readonly end = bytes.length,
    /** Limits of the whole file, shared with the readers of its sub-messages; none when null. */
    readonly budget: ReadBudget | null = null,
    /** Longest string field accepted. */
    readonly maxString = Infinity,
  ) {
    this.pos = start;
  }

  /** Counts `n` against the file's budget for `kind` (see ReadBudget). */
  take(kind: string, n: number): void {
    this.budget?.take(kind, n, () => `${this.path} at byte ${this.pos}`);
  }

  /** An OnnxError saying what is wrong, where. */
  fail(what: string): never {
    throw new OnnxError(`corrupt or truncated ONNX file: ${what} in ${this.path} at byte ${this.pos}`);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** An unsigned varint as a JS number; values above 2^53 lose low bits (never used as sizes). */
  private varintRaw(): { lo: number; hi: number } {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail("varint runs past the end of the message");
      const b = this.bytes[this.pos++] as number;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if ((b & 0x80) === 0) return { lo: lo >>> 0, hi: hi >>> 0 };
    }
    this.fail("varint longer than 10 bytes");
  }

  /** A varint as an unsigned 32-bit number (tags, lengths): larger values are errors. */
  uint32(): number {
    const { lo, hi } = this.varintRaw();
    if (hi !== 0) this.fail("varint too large for a length or tag");
    return lo;
  }

  /** A varint as a signed 64-bit integer (int64/int32 fields), exact below 2^53 in magnitude. */
  int64(): number {
    const { lo, hi } = this.varintRaw();
    if (hi & 0x80000000) {
      // Negative: two's complement of the 64-bit value.
      const nlo = (~lo + 1) >>> 0;
      const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
      return -(nhi * 4294967296 + nlo);
    }
    return hi * 4294967296 + lo;
  }

  float32(): number {
    if (this.end - this.pos < 4) this.fail("fixed32 field runs past the end");
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  float64(): number {
    if (this.end - this.pos < 8) this.fail("fixed64 field runs past the end");
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** The next field's number and wire type, or null at the end of the message. */
  tag(): { field: number; wire: number } | null {
    if (this.pos >= this.end) return null;
    const t = this.uint32();
    const field = t >>> 3;
    const wire = t & 7;
    if (field === 0) this.fail("field number 0");
    if (wire === 6 || wire === 7) this.fail(`invalid wire type ${wire}`);
    return { field, wire };
  }

  /** A length-delimited field's bytes (a view, not a copy). */
  bytesField(name: string): Uint8Array {
    const n = this.uint32();
    if (n > this.end - this.pos) this.fail(`field ${name} declares ${n} bytes but only ${this.end - this.pos} remain`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A sub-message: a reader over its bytes, with a longer path. */
  message(name: string): Reader {
    const n = this.uint32();
    if (n > this.end - this.pos) this.fail(`message ${name} declares ${n} bytes but only ${this.end - this.pos} remain`);
    const r = new Reader(this.bytes, `${this.path}.${name}`, this.pos, this.pos + n, this.budget, this.maxString);
    this.pos += n;
    return r;
  }

  string(name: string): string {
    const b = this.bytesField(name);
    if (b.length > this.maxString) this.fail(`string ${name} of ${b.length} bytes (at most ${this.maxString})`);
    return textDecoder.decode(b);
  }

  /** Skips a field of the given wire type (unknown fields are allowed, as protobuf requires). */
  skip(wire: number, field: number, depth = 0): void {
    switch (wire) {
      case WireType.VARINT:
        this.varintRaw();
        return;
      case WireType.I64:
        if (this.end - this.pos < 8) this.fail(`field ${field} runs past the end`);
        this.pos += 8;
        return;
      case WireType.I32:
        if (this.end - this.pos < 4) this.fail(`field ${field} runs past the end`);
        this.pos += 4;
        return;
      case WireType.LEN:
        this.bytesField(String(field));
        return;
      case WireType.SGROUP: {
        if (depth > ONNX_LIMITS.groupDepth) this.fail(`groups nested more than ${ONNX_LIMITS.groupDepth} deep`);
        for (;;) {
          const t = this.tag();
          if (t === null) this.fail(`unterminated group ${field}`);
          if (t.wire === WireType.EGROUP) {
            if (t.field !== field) this.fail(`group ${field} closed by ${t.field}`);
            return;
          }
          this.skip(t.wire, t.field, depth + 1);
        }
      }
      default:
        this.fail(`unexpected wire type ${wire} for field ${field}`);
    }
  }

  /** Repeated int64 values, packed (one LEN field) or not (one VARINT field each). */
  repeatedInt64(wire: number, into: number[], name: string): void {
    if (wire === WireType.VARINT) {
      this.take("repeatedValues", 1);
      into.push(this.int64());
      return;
    }
    this.expect(wire, WireType.LEN, name);
    const r = this.message(name);
    // Counted as decoded (a varint's size is not known in advance), against what is left.
    const left = this.budget ? this.budget.left("repeatedValues") : Infinity;
    let n = 0;
    while (!r.done) {
      if (++n > left) r.take("repeatedValues", n);
      into.push(r.int64());
    }
    r.take("repeatedValues", n);
  }

  /** Repeated float32 values, packed or not. */
  repeatedFloat(wire: number, into: number[], name: string): void {
    if (wire === WireType.I32) {
      this.take("repeatedValues", 1);
      into.push(this.float32());
      return;
    }
    this.expect(wire, WireType.LEN, name);
    const r = this.message(name);
    if ((r.end - r.pos) % 4 !== 0) r.fail(`packed floats ${name} of ${r.end - r.pos} bytes`);
    r.take("repeatedValues", (r.end - r.pos) / 4);
    while (!r.done) into.push(r.float32());
  }

  /** Repeated float64 values, packed or not. */
  repeatedDouble(wire: number, into: number[], name: string): void {
    if (wire === WireType.I64) {
      this.take("repeatedValues", 1);
      into.push(this.float64());
      return;
    }
    this.expect(wire, WireType.LEN, name);
    const r = this.message(name);
    if ((r.end - r.pos) % 8 !== 0) r.fail(`packed doubles ${name} of ${r.end - r.pos} bytes`);
    r.take("repeatedValues", (r.end - r.pos) / 8);
    while (!r.done) into.push(r.float64());
  }

  expect(wire: number, want: number, name: string): void {
    if (wire !== want) this.fail(`field ${name} has wire type ${wire}, expected ${want}`);
  }
}

const textDecoder = new TextDecoder("utf-8", { fatal: false });
