// A strict, bounded reader of the FlatBuffers binary format, for the subset of the TFLite schema
// dwpw reads. The `flatbuffers` npm runtime verifies nothing: an offset past the end reads garbage
// or throws a bare RangeError from DataView. Here every table, vtable, vector and string is
// checked against the file before it is read, and every failure is a `TfliteError` that says
// where (byte offset and schema path).
//
// FlatBuffers references are unsigned forward offsets, so no chain of them can cycle; the
// importer bounds the number of elements it walks (src/import/tflite/limits.ts).

/** A malformed, truncated or hostile `.tflite` file. The message says where. */
export class TfliteError extends RangeError {
  override name = "TfliteError";
}

/** A table in the buffer: its position and its vtable. */
export class Table {
  constructor(
    readonly buf: FlatBuffer,
    readonly pos: number,
    private readonly vtable: number,
    private readonly vtableSize: number,
    /** Schema path of this table (for error messages), e.g. `subgraphs[0].tensors[3]`. */
    readonly path: string,
  ) {}

  /** The absolute position of field `id`, or 0 when the field is absent. */
  private field(id: number): number {
    const slot = 4 + 2 * id;
    if (slot + 2 > this.vtableSize) return 0;
    const off = this.buf.view.getUint16(this.vtable + slot, true);
    return off === 0 ? 0 : this.pos + off;
  }

  has(id: number): boolean {
    return this.field(id) !== 0;
  }

  private scalarAt(id: number, size: number, name: string): number {
    const p = this.field(id);
    if (p !== 0) this.buf.need(p, size, `${this.path}.${name}`);
    return p;
  }

  u8(id: number, name: string, dflt = 0): number {
    const p = this.scalarAt(id, 1, name);
    return p === 0 ? dflt : this.buf.view.getUint8(p);
  }

  i8(id: number, name: string, dflt = 0): number {
    const p = this.scalarAt(id, 1, name);
    return p === 0 ? dflt : this.buf.view.getInt8(p);
  }

  bool(id: number, name: string, dflt = false): boolean {
    return this.u8(id, name, dflt ? 1 : 0) !== 0;
  }

  i32(id: number, name: string, dflt = 0): number {
    const p = this.scalarAt(id, 4, name);
    return p === 0 ? dflt : this.buf.view.getInt32(p, true);
  }

  u32(id: number, name: string, dflt = 0): number {
    const p = this.scalarAt(id, 4, name);
    return p === 0 ? dflt : this.buf.view.getUint32(p, true);
  }

  f32(id: number, name: string, dflt = 0): number {
    const p = this.scalarAt(id, 4, name);
    return p === 0 ? dflt : this.buf.view.getFloat32(p, true);
  }

  /** A uint64 field as a number; more than 2^53 is an error (no file of ours can be that large). */
  u64(id: number, name: string): number {
    const p = this.scalarAt(id, 8, name);
    if (p === 0) return 0;
    const v = this.buf.view.getBigUint64(p, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.buf.fail(p, `${this.path}.${name} is ${v}, beyond any file`);
    return Number(v);
  }

  /** Follows the uoffset stored in field `id`; 0 when absent. */
  private target(id: number, name: string): number {
    const p = this.scalarAt(id, 4, name);
    if (p === 0) return 0;
    const rel = this.buf.view.getUint32(p, true);
    const t = p + rel;
    if (rel === 0 || t >= this.buf.length) this.buf.fail(p, `${this.path}.${name} points to byte ${t}, outside the file (${this.buf.length} bytes)`);
    return t;
  }

  table(id: number, name: string): Table | null {
    const t = this.target(id, name);
    return t === 0 ? null : this.buf.tableAt(t, `${this.path}.${name}`);
  }

  string(id: number, name: string): string | null {
    const t = this.target(id, name);
    if (t === 0) return null;
    const { start, length } = this.buf.vectorAt(t, 1, `${this.path}.${name}`);
    return this.buf.decoder.decode(this.buf.bytes.subarray(start, start + length));
  }

  /** A vector field: where its elements start and how many; null when absent. */
  vector(id: number, name: string, elemSize: number): { start: number; length: number } | null {
    const t = this.target(id, name);
    return t === 0 ? null : this.buf.vectorAt(t, elemSize, `${this.path}.${name}`);
  }

  i32s(id: number, name: string): Int32Array | null {
    const v = this.vector(id, name, 4);
    if (!v) return null;
    const out = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.buf.view.getInt32(v.start + 4 * i, true);
    return out;
  }

  f32s(id: number, name: string): Float32Array | null {
    const v = this.vector(id, name, 4);
    if (!v) return null;
    const out = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.buf.view.getFloat32(v.start + 4 * i, true);
    return out;
  }

  /** int64 elements as numbers; values beyond int32 are reported (no quantization needs them). */
  i64sAsI32(id: number, name: string): Int32Array | null {
    const v = this.vector(id, name, 8);
    if (!v) return null;
    const out = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = this.buf.view.getBigInt64(v.start + 8 * i, true);
      if (x < -2147483648n || x > 2147483647n) this.buf.fail(v.start + 8 * i, `${this.path}.${name}[${i}] = ${x} does not fit int32`);
      out[i] = Number(x);
    }
    return out;
  }

  bytes(id: number, name: string): Uint8Array | null {
    const v = this.vector(id, name, 1);
    return v ? this.buf.bytes.subarray(v.start, v.start + v.length) : null;
  }

  /** A vector of tables; `max` bounds its length before anything is read. */
  tables(id: number, name: string, max: number): Table[] {
    const v = this.vector(id, name, 4);
    if (!v) return [];
    if (v.length > max) this.buf.fail(v.start - 4, `${this.path}.${name} has ${v.length} entries; at most ${max} are accepted`);
    const out: Table[] = [];
    for (let i = 0; i < v.length; i++) {
      const p = v.start + 4 * i;
      const t = p + this.buf.view.getUint32(p, true);
      if (t === p || t >= this.buf.length) this.buf.fail(p, `${this.path}.${name}[${i}] points outside the file`);
      out.push(this.buf.tableAt(t, `${this.path}.${name}[${i}]`));
    }
    return out;
  }
}

/** The file, with bounds-checked access. */
export class FlatBuffer {
  readonly view: DataView;
  readonly length: number;
  readonly decoder = new TextDecoder("utf-8");

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = bytes.byteLength;
  }

  fail(at: number, what: string): never {
    throw new TfliteError(`at byte ${at}: ${what}`);
  }

  need(pos: number, size: number, what: string): void {
    if (pos < 0 || pos + size > this.length) this.fail(pos, `${what} runs past the end of the file (${this.length} bytes)`);
  }

  /** The root table (uoffset at byte 0). */
  root(path: string): Table {
    this.need(0, 8, "the header");
    const t = this.view.getUint32(0, true);
    if (t < 8 || t >= this.length) this.fail(0, `the root table offset ${t} is outside the file`);
    return this.tableAt(t, path);
  }

  tableAt(pos: number, path: string): Table {
    if (pos % 4 !== 0) this.fail(pos, `${path}: table at an unaligned offset`);
    this.need(pos, 4, path);
    const vtable = pos - this.view.getInt32(pos, true);
    if (vtable % 2 !== 0) this.fail(pos, `${path}: vtable at an odd offset`);
    this.need(vtable, 4, `${path}'s vtable`);
    const vtableSize = this.view.getUint16(vtable, true);
    const tableSize = this.view.getUint16(vtable + 2, true);
    if (vtableSize < 4 || vtableSize % 2 !== 0) this.fail(vtable, `${path}: vtable size ${vtableSize} is invalid`);
    this.need(vtable, vtableSize, `${path}'s vtable`);
    if (tableSize < 4) this.fail(vtable, `${path}: table size ${tableSize} is invalid`);
    this.need(pos, tableSize, path);
    // Every field must lie inside the table the vtable declares.
    for (let slot = 4; slot < vtableSize; slot += 2) {
      const off = this.view.getUint16(vtable + slot, true);
      if (off !== 0 && off >= tableSize) this.fail(vtable + slot, `${path}: field ${(slot - 4) / 2} lies outside its table`);
    }
    return new Table(this, pos, vtable, vtableSize, path);
  }

  vectorAt(pos: number, elemSize: number, path: string): { start: number; length: number } {
    if (pos % 4 !== 0) this.fail(pos, `${path}: vector at an unaligned offset`);
    this.need(pos, 4, path);
    const length = this.view.getUint32(pos, true);
    const start = pos + 4;
    if (length * elemSize > this.length - start) this.fail(pos, `${path} claims ${length} elements of ${elemSize} bytes; the file has ${this.length - start} bytes after it`);
    return { start, length };
  }
}
