#!/usr/bin/env node
// A small writer of TFLite model files (flatbuffers, TFLite schema version 3) for tests: one
// subgraph, tensors with their own buffers (buffer 0 is the empty sentinel, as the converter
// writes it), per-tensor or per-axis quantization, variable tensors, operator codes (both the
// deprecated int8 code and the int32 one) and the builtin options of the ops the tests build.
//
// Layout: the flatbuffer is written front to back. A table's vtable is written just before the
// table, and everything a table refers to (strings, vectors, sub-tables) after it, so every
// unsigned offset points forward, as the format requires.
//
// Library use: `writeModel(model)` returns the bytes (see the JSDoc of `writeModel`).
// Command line: `node scripts/tflite/write-model.mjs spec.json out.tflite`, where spec.json is the
// same object with tensor data as plain arrays of numbers.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const TENSOR_TYPES = { float32: 0, float16: 1, int32: 2, uint8: 3, int64: 4, bool: 6, int16: 7, int8: 9 };
const ELEMENT_BYTES = { float32: 4, float16: 2, int32: 4, uint8: 1, int64: 8, bool: 1, int16: 2, int8: 1 };
const BUILTIN_CODES = {
  ADD: 0, AVERAGE_POOL_2D: 1, CONCATENATION: 2, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEQUANTIZE: 6, FULLY_CONNECTED: 9,
  LOGISTIC: 14, MAX_POOL_2D: 17, MUL: 18, RELU: 19, RELU6: 21, RESHAPE: 22, SOFTMAX: 25, SVDF: 27, TANH: 28, PAD: 34,
  TRANSPOSE: 39, MEAN: 40, SUB: 41, QUANTIZE: 114,
};
const PADDINGS = { SAME: 0, VALID: 1 };
const ACTIVATIONS = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3 };

// ---- a minimal flatbuffer builder --------------------------------------------------------------

/** Field kinds of a table: scalars by width, or an offset to a child object. */
const scalar = (kind, value) => ({ kind, value });
const u8 = (v) => scalar("u8", v);
const i8 = (v) => scalar("i8", v);
const bool = (v) => scalar("u8", v ? 1 : 0);
const i32 = (v) => scalar("i32", v);
const u32 = (v) => scalar("u32", v);
const SCALAR_BYTES = { u8: 1, i8: 1, i32: 4, u32: 4, f32: 4, i64: 8 };

const table = (fields) => ({ kind: "table", fields });
const str = (s) => ({ kind: "string", bytes: new TextEncoder().encode(s) });
const vec = (elem, values) => ({ kind: "vector", elem, values: Array.from(values) });
const bytesVec = (bytes, align = 1) => ({ kind: "bytes", bytes, align });
const tables = (items) => ({ kind: "tables", items });

class Builder {
  constructor() {
    this.buf = new Uint8Array(1024);
    this.len = 0;
  }
  reserve(n) {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  pad(to) {
    while (this.len % to !== 0) this.put("u8", 0);
  }
  put(kind, v) {
    const n = SCALAR_BYTES[kind];
    this.reserve(n);
    const dv = new DataView(this.buf.buffer, this.len, n);
    if (kind === "u8") dv.setUint8(0, v);
    else if (kind === "i8") dv.setInt8(0, v);
    else if (kind === "i32") dv.setInt32(0, v, true);
    else if (kind === "u32") dv.setUint32(0, v, true);
    else if (kind === "f32") dv.setFloat32(0, v, true);
    else if (kind === "i64") dv.setBigInt64(0, BigInt(v), true);
    this.len += n;
  }
  putU16(v) {
    this.reserve(2);
    new DataView(this.buf.buffer, this.len, 2).setUint16(0, v, true);
    this.len += 2;
  }
  patchOffset(at, target) {
    new DataView(this.buf.buffer, at, 4).setUint32(0, target - at, true);
  }
  /** Writes `obj` (a table, string or vector) and returns its position. */
  write(obj) {
    switch (obj.kind) {
      case "table":
        return this.writeTable(obj.fields);
      case "string": {
        this.pad(4);
        const at = this.len;
        this.put("u32", obj.bytes.length);
        this.reserve(obj.bytes.length + 1);
        this.buf.set(obj.bytes, this.len);
        this.len += obj.bytes.length;
        this.put("u8", 0);
        return at;
      }
      case "vector": {
        const size = SCALAR_BYTES[obj.elem];
        // The length is a u32 right before the elements, which are aligned to their size.
        while ((this.len + 4) % Math.max(size, 4) !== 0 || this.len % 4 !== 0) this.put("u8", 0);
        const at = this.len;
        this.put("u32", obj.values.length);
        for (const v of obj.values) this.put(obj.elem, v);
        return at;
      }
      case "bytes": {
        while ((this.len + 4) % Math.max(obj.align, 4) !== 0 || this.len % 4 !== 0) this.put("u8", 0);
        const at = this.len;
        this.put("u32", obj.bytes.length);
        this.reserve(obj.bytes.length);
        this.buf.set(obj.bytes, this.len);
        this.len += obj.bytes.length;
        return at;
      }
      case "tables": {
        this.pad(4);
        const at = this.len;
        this.put("u32", obj.items.length);
        const slots = obj.items.map(() => {
          const s = this.len;
          this.put("u32", 0);
          return s;
        });
        obj.items.forEach((item, k) => this.patchOffset(slots[k], this.write(item)));
        return at;
      }
      default:
        throw new Error(`unknown object kind ${obj.kind}`);
    }
  }
  writeTable(fields) {
    // Inline layout: the soffset to the vtable, then each present field at its natural alignment.
    const present = fields.map((f, id) => [id, f]).filter(([, f]) => f !== undefined && f !== null);
    const sizeOf = (f) => (f.kind in SCALAR_BYTES ? SCALAR_BYTES[f.kind] : 4);
    const align = Math.max(4, ...present.map(([, f]) => sizeOf(f)));
    // Largest fields first keeps every field aligned once the table start is aligned.
    const order = present.slice().sort((a, b) => sizeOf(b[1]) - sizeOf(a[1]));
    let off = 4;
    const fieldOffset = new Map();
    for (const [id, f] of order) {
      const n = sizeOf(f);
      off = Math.ceil(off / n) * n;
      fieldOffset.set(id, off);
      off += n;
    }
    const inline = Math.ceil(off / align) * align;
    const vtableBytes = 4 + 2 * fields.length;
    // vtable (u16 entries) right before the table; the table start aligned to `align`.
    this.pad(2);
    while ((this.len + vtableBytes) % align !== 0) this.putU16(0);
    const vtable = this.len;
    this.putU16(vtableBytes);
    this.putU16(inline);
    for (let id = 0; id < fields.length; id++) this.putU16(fieldOffset.get(id) ?? 0);
    const start = this.len;
    this.reserve(inline);
    this.buf.fill(0, start, start + inline);
    this.len = start + inline;
    new DataView(this.buf.buffer, start, 4).setInt32(0, start - vtable, true);
    const children = [];
    for (const [id, f] of present) {
      const at = start + fieldOffset.get(id);
      if (f.kind in SCALAR_BYTES) {
        const save = this.len;
        this.len = at;
        this.put(f.kind, f.value);
        this.len = save;
      } else children.push([at, f]);
    }
    for (const [at, f] of children) this.patchOffset(at, this.write(f));
    return start;
  }
  finish(root) {
    this.put("u32", 0);
    this.put("u32", 0); // file identifier slot left empty ("TFL3" below)
    new Uint8Array(this.buf.buffer, 4, 4).set(new TextEncoder().encode("TFL3"));
    this.patchOffset(0, this.write(root));
    return this.buf.slice(0, this.len);
  }
}

// ---- TFLite objects -------------------------------------------------------------------------------

function rawBytes(data, dtype) {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // Plain numbers, stored as the tensor's dtype.
  const n = ELEMENT_BYTES[dtype];
  const out = new Uint8Array(data.length * n);
  const dv = new DataView(out.buffer);
  data.forEach((v, i) => {
    if (dtype === "int8") dv.setInt8(i, v);
    else if (dtype === "uint8" || dtype === "bool") dv.setUint8(i, v);
    else if (dtype === "int16") dv.setInt16(2 * i, v, true);
    else if (dtype === "int32") dv.setInt32(4 * i, v, true);
    else if (dtype === "float32") dv.setFloat32(4 * i, v, true);
    else if (dtype === "int64") dv.setBigInt64(8 * i, BigInt(v), true);
    else throw new Error(`cannot store numbers as ${dtype}`);
  });
  return out;
}

function activation(a = "NONE") {
  const v = ACTIVATIONS[a];
  if (v === undefined) throw new Error(`unknown activation ${a}`);
  return v;
}

function padding(p = "SAME") {
  const v = PADDINGS[p];
  if (v === undefined) throw new Error(`unknown padding ${p}`);
  return v;
}

/** Builtin options: [union type id, table] for an operator's options object. */
function builtinOptions(op, o = {}) {
  const [sh, sw] = o.stride ?? [1, 1];
  const [dh, dw] = o.dilation ?? [1, 1];
  switch (op) {
    case "CONV_2D":
      // Conv2DOptions: padding, stride_w, stride_h, fused_activation_function, dilation_w, dilation_h.
      return [1, table([i8(padding(o.padding)), i32(sw), i32(sh), i8(activation(o.activation)), i32(dw), i32(dh)])];
    case "DEPTHWISE_CONV_2D":
      // DepthwiseConv2DOptions: padding, stride_w, stride_h, depth_multiplier, activation, dilation_w, dilation_h.
      return [2, table([i8(padding(o.padding)), i32(sw), i32(sh), i32(o.depthMultiplier ?? 1), i8(activation(o.activation)), i32(dw), i32(dh)])];
    case "FULLY_CONNECTED":
      // FullyConnectedOptions: fused_activation_function, weights_format, keep_num_dims.
      return [8, table([i8(activation(o.activation)), i8(0), bool(o.keepNumDims ?? false)])];
    case "SVDF":
      // SVDFOptions: rank, fused_activation_function.
      return [6, table([i32(o.rank ?? 1), i8(activation(o.activation))])];
    case "AVERAGE_POOL_2D":
    case "MAX_POOL_2D": {
      // Pool2DOptions: padding, stride_w, stride_h, filter_width, filter_height, activation.
      const [fh, fw] = o.filter ?? [1, 1];
      return [5, table([i8(padding(o.padding)), i32(sw), i32(sh), i32(fw), i32(fh), i8(activation(o.activation))])];
    }
    case "SOFTMAX":
      return [9, table([scalar("f32", o.beta ?? 1)])];
    case "ADD":
      return [11, table([i8(activation(o.activation))])];
    case "MEAN":
      // ReducerOptions: keep_dims.
      return [27, table([bool(o.keepDims ?? false)])];
    case "RESHAPE":
      return [17, table([o.newShape ? vec("i32", o.newShape) : undefined])];
    default:
      return [0, undefined];
  }
}

/** Version numbers the TFLite converter assigns to int8 kernels (informative for TFLM). */
function opVersion(op) {
  return { CONV_2D: 3, DEPTHWISE_CONV_2D: 3, FULLY_CONNECTED: 4, SVDF: 3 }[op] ?? 1;
}

/**
 * Writes a TFLite model.
 * @param {{
 *   name?: string,
 *   tensors: Array<{ name?: string, shape: number[], dtype: string, data?: ArrayBufferView | number[],
 *     quant?: { scale: number[], zeroPoint: number[], axis?: number }, variable?: boolean }>,
 *   inputs: number[], outputs: number[],
 *   operators: Array<{ op: string, inputs: number[], outputs: number[], options?: object }>,
 * }} model
 * `options`: CONV_2D { padding: "SAME"|"VALID", stride: [h, w], dilation: [h, w], activation },
 * DEPTHWISE_CONV_2D the same plus depthMultiplier, FULLY_CONNECTED { activation, keepNumDims },
 * SVDF { rank, activation }, MEAN { keepDims }; activation is "NONE" | "RELU" | "RELU6" | "RELU_N1_TO_1".
 * @returns {Uint8Array}
 */
export function writeModel(model) {
  const opNames = [...new Set(model.operators.map((o) => o.op))];
  const operatorCodes = opNames.map((name) => {
    const code = BUILTIN_CODES[name];
    if (code === undefined) throw new Error(`unknown operator ${name}`);
    // deprecated_builtin_code is an int8: codes above 127 put the placeholder 127 there.
    return table([i8(Math.min(code, 127)), undefined, i32(opVersion(name)), i32(code)]);
  });
  const buffers = [table([])];
  const tensors = model.tensors.map((t, k) => {
    if (!(t.dtype in TENSOR_TYPES)) throw new Error(`tensor ${k}: unknown dtype ${t.dtype}`);
    const buffer = buffers.length;
    buffers.push(t.data ? table([bytesVec(rawBytes(t.data, t.dtype), 16)]) : table([]));
    const q = t.quant
      ? table([undefined, undefined, vec("f32", t.quant.scale), vec("i64", t.quant.zeroPoint), undefined, undefined, i32(t.quant.axis ?? 0)])
      : undefined;
    return table([vec("i32", t.shape), u8(TENSOR_TYPES[t.dtype]), u32(buffer), str(t.name ?? `t${k}`), q, t.variable ? bool(true) : undefined]);
  });
  const operators = model.operators.map((o) => {
    const [type, opts] = builtinOptions(o.op, o.options);
    return table([u32(opNames.indexOf(o.op)), vec("i32", o.inputs), vec("i32", o.outputs), type ? u8(type) : undefined, opts]);
  });
  const subgraph = table([tables(tensors), vec("i32", model.inputs), vec("i32", model.outputs), tables(operators), str(model.name ?? "main")]);
  const root = table([u32(3), tables(operatorCodes), tables([subgraph]), str("dwpw test model"), tables(buffers)]);
  return new Builder().finish(root);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [spec, out] = process.argv.slice(2);
  if (!spec || !out) {
    console.error("usage: node scripts/tflite/write-model.mjs spec.json out.tflite");
    process.exit(2);
  }
  writeFileSync(out, writeModel(JSON.parse(readFileSync(spec, "utf8"))));
}
