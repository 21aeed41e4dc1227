// From a `.tflite` file to the format-neutral graph (src/graph/types.ts): subgraph 0's tensors
// with their stored quantization, constants, and its operators with their options. Every op is
// checked for the shapes its kind needs (and its output shape recomputed), so a target and the
// runner can rely on them. Nothing here decides arithmetic.
import { UnsupportedOpError } from "../../graph/errors.js";
import { DTYPE_BYTES, numel, type Activation, type DType, type Graph, type GraphOp, type GraphTensor, type Pad4, type Quantization } from "../../graph/types.js";
import { FlatBuffer, TfliteError, type Table } from "./flatbuffer.js";
import { TFLITE_LIMITS as L } from "./limits.js";
import { ACTIVATIONS, F, OPTIONS, PADDING, TENSOR_TYPES, builtinName } from "./schema.js";

const DTYPES: Partial<Record<(typeof TENSOR_TYPES)[number], DType>> = {
  FLOAT32: "float32",
  INT8: "int8",
  UINT8: "uint8",
  INT16: "int16",
  INT32: "int32",
  INT64: "int64",
  BOOL: "bool",
};

/** True when the bytes carry the TFLite file identifier ("TFL3" at byte 4). */
export function isTflite(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[4] === 0x54 && bytes[5] === 0x46 && bytes[6] === 0x4c && bytes[7] === 0x33;
}

/** Decodes a `.tflite` file into a graph. Throws `TfliteError` (malformed) or `UnsupportedOpError`. */
export function importTflite(input: Uint8Array): Graph {
  if (!(input instanceof Uint8Array)) throw new TypeError("the model must be a Uint8Array of the .tflite file's bytes");
  if (input.byteLength > L.fileBytes) throw new TfliteError(`the file has ${input.byteLength} bytes; at most ${L.fileBytes} are accepted`);
  // One private copy: the caller's array may change while we read, and constants are views of it.
  // (`new Uint8Array(x)` copies; a Node Buffer's `slice` would only make a view.)
  const bytes = new Uint8Array(input);
  if (!isTflite(bytes)) throw new TfliteError(`at byte 4: not a TFLite flatbuffer (no "TFL3" file identifier)`);
  const fb = new FlatBuffer(bytes);
  const model = fb.root("model");
  const version = model.u32(F.Model.version, "version");
  if (version !== 3) throw new TfliteError(`model.version is ${version}; dwpw reads schema version 3`);

  const opcodes = model.tables(F.Model.operatorCodes, "operator_codes", L.operatorCodes).map((t) => opcodeName(t));
  const buffers = model.tables(F.Model.buffers, "buffers", L.buffers);
  const subgraphs = model.tables(F.Model.subgraphs, "subgraphs", L.subgraphs);
  const sg = subgraphs[0];
  if (!sg) throw new TfliteError("the model has no subgraph");

  const tensorTables = sg.tables(F.SubGraph.tensors, "tensors", L.tensors);
  const tensors = tensorTables.map((t, i) => readTensor(t, i, buffers, fb));
  let activationBytes = 0;
  for (const t of tensors) if (!t.data) activationBytes += numel(t.shape) * DTYPE_BYTES[t.dtype];
  if (activationBytes > L.activationBytes) throw new TfliteError(`the runtime tensors of subgraphs[0] take ${activationBytes} bytes; at most ${L.activationBytes} are accepted`);
  const tensorIndex = (v: number, where: string, optional: boolean): number => {
    if (optional && v === -1) return -1;
    if (!Number.isInteger(v) || v < 0 || v >= tensors.length) throw new TfliteError(`${where} = ${v} is not a tensor index (the subgraph has ${tensors.length} tensors)`);
    return v;
  };
  const indexList = (t: Table, id: number, name: string, optional: boolean): number[] => {
    const v = t.vector(id, name, 4);
    if (v && v.length > L.opTensors) throw new TfliteError(`${t.path}.${name} has ${v.length} entries; at most ${L.opTensors} are accepted`);
    return Array.from(t.i32s(id, name) ?? [], (x, k) => tensorIndex(x, `${t.path}.${name}[${k}]`, optional));
  };
  const inputs = indexList(sg, F.SubGraph.inputs, "inputs", false);
  const outputs = indexList(sg, F.SubGraph.outputs, "outputs", false);
  if (outputs.length === 0) throw new TfliteError("subgraphs[0] has no outputs");

  const ops: GraphOp[] = sg.tables(F.SubGraph.operators, "operators", L.operators).map((t, index) => {
    const code = t.u32(F.Operator.opcodeIndex, "opcode_index");
    const opcode = opcodes[code];
    if (opcode === undefined) throw new TfliteError(`${t.path}.opcode_index = ${code}; the model has ${opcodes.length} operator codes`);
    const ins = indexList(t, F.Operator.inputs, "inputs", true);
    const outs = indexList(t, F.Operator.outputs, "outputs", false);
    return readOp(t, index, opcode, ins, outs, tensors);
  });
  checkDataflow(tensors, ops, inputs, outputs);
  const name = sg.string(F.SubGraph.name, "name") || model.string(F.Model.description, "description") || "tflite";
  return { format: "tflite", name, tensors, ops, inputs, outputs };
}

function opcodeName(t: Table): string {
  // Files written before schema 3a keep the code in the deprecated int8 field only; later ones write
  // both, and codes above 127 only in builtin_code: the larger of the two is the code.
  const code = Math.max(t.i8(F.OperatorCode.deprecatedBuiltinCode, "deprecated_builtin_code"), t.i32(F.OperatorCode.builtinCode, "builtin_code"));
  if (code === 32) return `CUSTOM:${t.string(F.OperatorCode.customCode, "custom_code") ?? ""}`;
  return builtinName(code);
}

function readTensor(t: Table, index: number, buffers: Table[], fb: FlatBuffer): GraphTensor {
  const where = `tensor ${index}`;
  // An unnamed tensor keeps the empty name TFLite gives it (graph inputs are bound by that name).
  const name = t.string(F.Tensor.name, "name") ?? "";
  const rawShape = t.i32s(F.Tensor.shape, "shape") ?? new Int32Array(0);
  if (rawShape.length > L.rank) throw new TfliteError(`${t.path}.shape has ${rawShape.length} dimensions; at most ${L.rank} are accepted`);
  const shape = Array.from(rawShape);
  let elements = 1;
  for (const d of shape) {
    if (d < 1) throw new TfliteError(`${t.path}.shape [${shape.join(", ")}] of ${where} ("${name}") has a dimension below 1`);
    elements *= d;
    if (elements > L.tensorElements) throw new TfliteError(`${t.path}.shape [${shape.join(", ")}] of ${where} ("${name}") has more than ${L.tensorElements} elements`);
  }
  const typeCode = t.i8(F.Tensor.type, "type");
  const typeName = TENSOR_TYPES[typeCode];
  const dtype = typeName ? DTYPES[typeName] : undefined;
  if (!dtype) throw new TfliteError(`${t.path}.type: ${where} ("${name}") has type ${typeName ?? typeCode}, which dwpw does not support`);
  if (t.has(F.Tensor.sparsity)) throw new TfliteError(`${t.path}.sparsity: ${where} ("${name}") is sparse, which dwpw does not support`);

  let quant: Quantization | null = null;
  const q = t.table(F.Tensor.quantization, "quantization");
  if (q) {
    if (q.u8(F.Quantization.detailsType, "details_type") !== 0) throw new TfliteError(`${q.path}.details: ${where} ("${name}") uses custom quantization, which dwpw does not support`);
    const scale = q.f32s(F.Quantization.scale, "scale");
    const zp = q.i64sAsI32(F.Quantization.zeroPoint, "zero_point");
    if (scale && scale.length > 0) {
      let axis = q.i32(F.Quantization.quantizedDimension, "quantized_dimension");
      // Converters copy the filter's axis (3 for depthwise) onto the 1-D bias: its only axis is meant.
      if (shape.length === 1 && shape[0] === scale.length) axis = 0;
      if (scale.length > 1 && (axis < 0 || axis >= shape.length || shape[axis] !== scale.length)) {
        throw new TfliteError(`${q.path}: ${where} ("${name}") has ${scale.length} scales along dimension ${axis} of shape [${shape.join(", ")}]`);
      }
      const zeroPoint = zp && zp.length > 0 ? zp : new Int32Array(scale.length);
      if (zeroPoint.length !== scale.length) throw new TfliteError(`${q.path}: ${where} ("${name}") has ${scale.length} scales but ${zeroPoint.length} zero points`);
      for (let i = 0; i < scale.length; i++) {
        if (!Number.isFinite(scale[i]!) || scale[i]! < 0) throw new TfliteError(`${q.path}.scale[${i}] of ${where} ("${name}") is ${scale[i]}`);
      }
      quant = { scale, zeroPoint, axis: scale.length > 1 ? axis : 0 };
      // Some deployments (NNTool) start from the recorded range rather than from scale and zero point.
      const min = q.f32s(F.Quantization.min, "min");
      const max = q.f32s(F.Quantization.max, "max");
      if (min && max && min.length > 0 && min.length === max.length) {
        quant.min = min;
        quant.max = max;
      }
    }
  }

  const bufIndex = t.u32(F.Tensor.buffer, "buffer");
  let data: Uint8Array | null = null;
  if (bufIndex !== 0) {
    const b = buffers[bufIndex];
    if (!b) throw new TfliteError(`${t.path}.buffer = ${bufIndex}; the model has ${buffers.length} buffers`);
    data = b.bytes(F.Buffer.data, "data");
    if (!data || data.length === 0) {
      // Constants of models over 2 GB sit after the flatbuffer, addressed by offset and size.
      const offset = b.u64(F.Buffer.offset, "offset");
      const size = b.u64(F.Buffer.size, "size");
      if (offset > 1 && size > 0) {
        if (offset + size > fb.length) throw new TfliteError(`${b.path}: data at byte ${offset}, ${size} bytes, runs past the end of the file`);
        data = fb.bytes.subarray(offset, offset + size);
      } else {
        data = null;
      }
    }
    if (data) {
      const want = elements * DTYPE_BYTES[dtype];
      if (data.length !== want) throw new TfliteError(`${b.path}: ${where} ("${name}") is ${dtype} [${shape.join(", ")}], ${want} bytes, but its buffer holds ${data.length}`);
    }
  }
  const variable = t.bool(F.Tensor.isVariable, "is_variable");
  return { index, name, dtype, shape, quant, data, variable };
}

/** Every runtime tensor an op reads must be a graph input, a variable, or an earlier op's output. */
function checkDataflow(tensors: GraphTensor[], ops: GraphOp[], inputs: number[], outputs: number[]): void {
  const ready = new Set<number>(inputs);
  for (const t of tensors) if (t.data || t.variable) ready.add(t.index);
  for (const op of ops) {
    for (const i of op.inputs) {
      if (i >= 0 && !ready.has(i)) throw new TfliteError(`operators[${op.index}] (${op.opcode}) reads tensor ${i} ("${tensors[i]!.name}") before anything writes it`);
    }
    for (const o of op.outputs) {
      if (tensors[o]!.data) throw new TfliteError(`operators[${op.index}] (${op.opcode}) writes tensor ${o} ("${tensors[o]!.name}"), which is a constant`);
      if (ready.has(o) && !tensors[o]!.variable) throw new TfliteError(`operators[${op.index}] (${op.opcode}) writes tensor ${o} ("${tensors[o]!.name}"), which is already written`);
      ready.add(o);
    }
  }
  for (const o of outputs) if (!ready.has(o)) throw new TfliteError(`graph output tensor ${o} ("${tensors[o]!.name}") is never written`);
}

// ---- operators ----

/** Reads one operator into a graph op, checking what its kind needs. */
function readOp(t: Table, index: number, opcode: string, inputs: number[], outputs: number[], tensors: GraphTensor[]): GraphOp {
  const fail = (detail: string): never => {
    throw new UnsupportedOpError(index, opcode, detail);
  };
  const bad = (detail: string): never => {
    throw new TfliteError(`operators[${index}] (${opcode}): ${detail}`);
  };
  const base = { index, opcode, inputs, outputs };
  const optType = t.u8(F.Operator.builtinOptionsType, "builtin_options_type");
  /** The builtin options table, which must be of `type` when present. */
  const options = (type: number): Table | null => {
    if (optType !== 0 && optType !== type) bad(`builtin_options_type is ${optType}; this op takes options type ${type}`);
    return optType === 0 ? null : t.table(F.Operator.builtinOptions, "builtin_options");
  };
  const tensor = (k: number, what: string): GraphTensor => {
    const i = inputs[k];
    if (i === undefined || i < 0) return bad(`input ${k} (${what}) is missing`);
    return tensors[i]!;
  };
  const out = (): GraphTensor => {
    if (outputs.length !== 1) bad(`has ${outputs.length} outputs; it produces one`);
    return tensors[outputs[0]!]!;
  };
  const arity = (min: number, max = min) => {
    if (inputs.length < min || inputs.length > max) bad(`has ${inputs.length} inputs; it takes ${min === max ? min : `${min} to ${max}`}`);
  };
  const constant = (g: GraphTensor, what: string): Uint8Array => g.data ?? fail(`${what} (tensor ${g.index}) is not a constant`);
  const ints = (g: GraphTensor, what: string): number[] => {
    const d = constant(g, what);
    const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    if (g.dtype === "int32") return Array.from({ length: d.length / 4 }, (_, i) => v.getInt32(4 * i, true));
    if (g.dtype === "int64") {
      return Array.from({ length: d.length / 8 }, (_, i) => {
        const x = v.getBigInt64(8 * i, true);
        if (x < -(2n ** 31n) || x >= 2n ** 31n) bad(`${what} value ${x} is out of range`);
        return Number(x);
      });
    }
    return fail(`${what} (tensor ${g.index}) is ${g.dtype}; int32 or int64 expected`);
  };
  const expectShape = (o: GraphTensor, shape: number[]) => {
    if (o.shape.length !== shape.length || o.shape.some((d, i) => d !== shape[i])) {
      bad(`output tensor ${o.index} ("${o.name}") has shape [${o.shape.join(", ")}]; the inputs give [${shape.join(", ")}]`);
    }
  };
  const rank4 = (g: GraphTensor, what: string) => {
    if (g.shape.length !== 4) fail(`${what} (tensor ${g.index}) has shape [${g.shape.join(", ")}]; NHWC (4 dimensions) expected`);
    return g.shape as [number, number, number, number];
  };
  const activation = (opt: Table | null, id: number): Activation => {
    const a = opt ? opt.i8(id, "fused_activation_function") : 0;
    const name = ACTIVATIONS[a];
    if (name === "NONE") return "none";
    if (name === "RELU") return "relu";
    if (name === "RELU6") return "relu6";
    if (name === "RELU_N1_TO_1") return "reluN1To1";
    return fail(`fused activation ${name ?? a} is not supported`);
  };
  const positiveInt = (v: number, what: string): number => {
    if (!Number.isInteger(v) || v < 1 || v > 65536) bad(`${what} is ${v}`);
    return v;
  };
  /** TFLite's SAME / VALID: explicit pads and the output size, along one axis. */
  const axisPad = (padding: number, size: number, filter: number, stride: number, dilation: number): [number, number, number] => {
    const eff = (filter - 1) * dilation + 1;
    if (PADDING[padding] === "VALID") {
      const o = Math.floor((size - eff) / stride) + 1;
      if (o < 1) fail(`a ${filter}-tap filter (dilation ${dilation}) does not fit ${size} pixels without padding`);
      return [0, 0, o];
    }
    if (PADDING[padding] !== "SAME") bad(`padding ${padding} is not SAME or VALID`);
    const o = Math.ceil(size / stride);
    const total = Math.max((o - 1) * stride + eff - size, 0);
    const before = Math.floor(total / 2);
    return [before, total - before, o];
  };
  const window = (opt: Table | null, ids: { padding: number; strideW: number; strideH: number }, H: number, W: number, kh: number, kw: number, dil: [number, number]) => {
    const sh = positiveInt(opt ? opt.i32(ids.strideH, "stride_h") : 1, "stride_h");
    const sw = positiveInt(opt ? opt.i32(ids.strideW, "stride_w") : 1, "stride_w");
    const padding = opt ? opt.i8(ids.padding, "padding") : 0;
    const [top, bottom, Ho] = axisPad(padding, H, kh, sh, dil[0]);
    const [left, right, Wo] = axisPad(padding, W, kw, sw, dil[1]);
    const pad: Pad4 = { top, left, bottom, right };
    return { stride: [sh, sw] as [number, number], pad, Ho, Wo };
  };
  const bias = (k: number, channels: number) => {
    const i = inputs[k];
    if (i === undefined || i < 0) return;
    const b = tensors[i]!;
    constant(b, "the bias");
    if (b.dtype !== "int32") fail(`bias (tensor ${b.index}) is ${b.dtype}; int32 expected`);
    if (numel(b.shape) !== channels) bad(`bias (tensor ${b.index}) has ${numel(b.shape)} values for ${channels} output channels`);
  };

  switch (opcode) {
    case "CONV_2D": {
      arity(2, 3);
      const opt = options(OPTIONS.Conv2D);
      const [N, H, W, C] = rank4(tensor(0, "input"), "the input");
      const w = tensor(1, "filter");
      const [O, kh, kw, Ig] = rank4(w, "the filter");
      constant(w, "the filter");
      if (C % Ig !== 0 || O % (C / Ig) !== 0) bad(`filter [${w.shape.join(", ")}] does not divide ${C} input channels into groups`);
      bias(2, O);
      const dilation: [number, number] = [positiveInt(opt ? opt.i32(5, "dilation_h_factor", 1) : 1, "dilation_h_factor"), positiveInt(opt ? opt.i32(4, "dilation_w_factor", 1) : 1, "dilation_w_factor")];
      const g = window(opt, { padding: 0, strideW: 1, strideH: 2 }, H, W, kh, kw, dilation);
      expectShape(out(), [N, g.Ho, g.Wo, O]);
      return { ...base, kind: "conv2d", stride: g.stride, dilation, pad: g.pad, activation: activation(opt, 3) };
    }
    case "DEPTHWISE_CONV_2D": {
      arity(2, 3);
      const opt = options(OPTIONS.DepthwiseConv2D);
      const [N, H, W, C] = rank4(tensor(0, "input"), "the input");
      const w = tensor(1, "filter");
      const [one, kh, kw, O] = rank4(w, "the filter");
      constant(w, "the filter");
      // The multiplier is the ratio of channels (the option is redundant and may be stale).
      if (one !== 1 || O % C !== 0) bad(`filter [${w.shape.join(", ")}] does not fit ${C} input channels`);
      bias(2, O);
      const dilation: [number, number] = [positiveInt(opt ? opt.i32(6, "dilation_h_factor", 1) : 1, "dilation_h_factor"), positiveInt(opt ? opt.i32(5, "dilation_w_factor", 1) : 1, "dilation_w_factor")];
      const g = window(opt, { padding: 0, strideW: 1, strideH: 2 }, H, W, kh, kw, dilation);
      expectShape(out(), [N, g.Ho, g.Wo, O]);
      return { ...base, kind: "depthwiseConv2d", stride: g.stride, dilation, pad: g.pad, depthMultiplier: O / C, activation: activation(opt, 4) };
    }
    case "FULLY_CONNECTED": {
      arity(2, 3);
      const opt = options(OPTIONS.FullyConnected);
      if (opt && opt.i8(1, "weights_format") !== 0) fail("shuffled weights are not supported");
      const x = tensor(0, "input");
      const w = tensor(1, "weights");
      constant(w, "the weights");
      if (w.shape.length !== 2) fail(`weights (tensor ${w.index}) have shape [${w.shape.join(", ")}]; [outputs, inputs] expected`);
      const [O, I] = w.shape as [number, number];
      const n = numel(x.shape);
      if (n % I !== 0) bad(`input [${x.shape.join(", ")}] is not a whole number of ${I}-value rows`);
      bias(2, O);
      const keepNumDims = opt ? opt.bool(2, "keep_num_dims") : false;
      if (keepNumDims && x.shape[x.shape.length - 1] !== I) bad(`keep_num_dims needs the input's last dimension to be ${I}`);
      expectShape(out(), keepNumDims ? [...x.shape.slice(0, -1), O] : [n / I, O]);
      return { ...base, kind: "fullyConnected", keepNumDims, activation: activation(opt, 0) };
    }
    case "AVERAGE_POOL_2D":
    case "MAX_POOL_2D": {
      arity(1);
      const opt = options(OPTIONS.Pool2D);
      const [N, H, W, C] = rank4(tensor(0, "input"), "the input");
      const kh = positiveInt(opt ? opt.i32(4, "filter_height") : 0, "filter_height");
      const kw = positiveInt(opt ? opt.i32(3, "filter_width") : 0, "filter_width");
      const g = window(opt, { padding: 0, strideW: 1, strideH: 2 }, H, W, kh, kw, [1, 1]);
      expectShape(out(), [N, g.Ho, g.Wo, C]);
      return { ...base, kind: opcode === "MAX_POOL_2D" ? "maxPool2d" : "averagePool2d", filter: [kh, kw], stride: g.stride, pad: g.pad, activation: activation(opt, 5) };
    }
    case "ADD":
    case "SUB":
    case "MUL": {
      arity(2);
      const opt = options(opcode === "ADD" ? OPTIONS.Add : opcode === "SUB" ? OPTIONS.Sub : OPTIONS.Mul);
      const a = tensor(0, "a");
      const b = tensor(1, "b");
      expectShape(out(), broadcastShape(a.shape, b.shape) ?? bad(`shapes [${a.shape.join(", ")}] and [${b.shape.join(", ")}] do not broadcast`));
      return { ...base, kind: opcode === "ADD" ? "add" : opcode === "SUB" ? "sub" : "mul", activation: activation(opt, 0) };
    }
    case "MEAN": {
      arity(2);
      const opt = options(OPTIONS.Reducer);
      const x = tensor(0, "input");
      const axes = [...new Set(ints(tensor(1, "axes"), "the axes").map((a) => (a < 0 ? a + x.shape.length : a)))].sort((p, q) => p - q);
      if (axes.some((a) => a < 0 || a >= x.shape.length)) bad(`axes out of range for rank ${x.shape.length}`);
      const keepDims = opt ? opt.bool(0, "keep_dims") : false;
      const shape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
      expectShape(out(), shape);
      return { ...base, kind: "mean", axes, keepDims };
    }
    case "SOFTMAX": {
      arity(1);
      const opt = options(OPTIONS.Softmax);
      const beta = opt ? opt.f32(0, "beta") : 0;
      if (!Number.isFinite(beta)) bad(`beta is ${beta}`);
      expectShape(out(), tensor(0, "input").shape);
      return { ...base, kind: "softmax", beta };
    }
    case "CONCATENATION": {
      if (inputs.length < 1) bad("has no inputs");
      const opt = options(OPTIONS.Concatenation);
      const ins = inputs.map((_, k) => tensor(k, `input ${k}`));
      const rank = ins[0]!.shape.length;
      let axis = opt ? opt.i32(0, "axis") : 0;
      if (axis < 0) axis += rank;
      if (axis < 0 || axis >= rank) bad(`axis ${axis} is out of range for rank ${rank}`);
      const shape = ins[0]!.shape.slice();
      for (const g of ins.slice(1)) {
        if (g.shape.length !== rank || g.shape.some((d, i) => i !== axis && d !== shape[i])) bad(`input shapes [${ins.map((x) => x.shape.join("x")).join("], [")}] do not concatenate along axis ${axis}`);
        shape[axis] += g.shape[axis]!;
      }
      expectShape(out(), shape);
      return { ...base, kind: "concatenation", axis, activation: activation(opt, 1) };
    }
    case "PAD":
    case "PADV2": {
      arity(opcode === "PAD" ? 2 : 3, 3);
      options(opcode === "PAD" ? OPTIONS.Pad : OPTIONS.PadV2);
      const x = tensor(0, "input");
      const p = ints(tensor(1, "paddings"), "the paddings");
      if (p.length !== 2 * x.shape.length) bad(`paddings have ${p.length} values for rank ${x.shape.length}`);
      const paddings = x.shape.map((_, i) => [p[2 * i]!, p[2 * i + 1]!] as [number, number]);
      if (p.some((v) => v < 0 || v > 65536)) bad(`paddings [${p.join(", ")}] must be in 0..65536`);
      if (inputs.length === 3 && inputs[2]! >= 0) {
        const c = tensor(2, "constant value");
        constant(c, "the constant value");
        if (numel(c.shape) !== 1 || c.dtype !== x.dtype) bad(`the constant value (tensor ${c.index}) must be one ${x.dtype} value`);
      }
      expectShape(out(), x.shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]));
      return { ...base, kind: "pad", paddings };
    }
    case "TRANSPOSE": {
      arity(2);
      options(OPTIONS.Transpose);
      const x = tensor(0, "input");
      const perm = ints(tensor(1, "perm"), "the permutation");
      if (perm.length !== x.shape.length || [...perm].sort((p, q) => p - q).some((v, i) => v !== i)) bad(`[${perm.join(", ")}] is not a permutation of ${x.shape.length} axes`);
      expectShape(out(), perm.map((p) => x.shape[p]!));
      return { ...base, kind: "transpose", perm };
    }
    case "RESHAPE":
    case "SQUEEZE":
    case "EXPAND_DIMS": {
      // The new shape is the output tensor's (static shapes); the operand or option only restates it.
      if (inputs.length < 1) bad("has no input");
      const o = out();
      if (numel(o.shape) !== numel(tensor(0, "input").shape)) bad(`output [${o.shape.join(", ")}] does not hold the input's ${numel(tensor(0, "input").shape)} values`);
      return { ...base, kind: "reshape" };
    }
    case "QUANTIZE":
    case "DEQUANTIZE":
    case "RELU":
    case "RELU6":
    case "RELU_N1_TO_1":
    case "LOGISTIC":
    case "TANH":
    case "HARD_SWISH": {
      arity(1);
      expectShape(out(), tensor(0, "input").shape);
      const kinds = { QUANTIZE: "quantize", DEQUANTIZE: "dequantize", RELU: "relu", RELU6: "relu6", RELU_N1_TO_1: "reluN1To1", LOGISTIC: "logistic", TANH: "tanh", HARD_SWISH: "hardSwish" } as const;
      return { ...base, kind: kinds[opcode] };
    }
    case "LEAKY_RELU": {
      arity(1);
      const opt = options(OPTIONS.LeakyRelu);
      const alpha = opt ? opt.f32(0, "alpha") : 0;
      if (!Number.isFinite(alpha)) bad(`alpha is ${alpha}`);
      expectShape(out(), tensor(0, "input").shape);
      return { ...base, kind: "leakyRelu", alpha };
    }
    case "SVDF": {
      arity(5);
      const opt = options(OPTIONS.SVDF);
      const rank = positiveInt(opt ? opt.i32(0, "rank") : 0, "rank");
      const x = tensor(0, "input");
      const wf = tensor(1, "weights_feature");
      const wt = tensor(2, "weights_time");
      const state = tensor(4, "activation_state");
      if (x.shape.length !== 2 || wf.shape.length !== 2 || wt.shape.length !== 2 || state.shape.length !== 2) bad("input, weights and state must be 2-D");
      const [batch, inSize] = x.shape as [number, number];
      const [filters, wfIn] = wf.shape as [number, number];
      const [wtFilters, memory] = wt.shape as [number, number];
      if (wfIn !== inSize || wtFilters !== filters || filters % rank !== 0) bad("weights do not match the input size and rank");
      if (!state.variable || state.shape[0] !== batch || state.shape[1] !== memory * filters) bad(`activation_state (tensor ${state.index}) must be a variable [${batch}, ${memory * filters}]`);
      constant(wf, "weights_feature");
      constant(wt, "weights_time");
      bias(3, filters / rank);
      expectShape(out(), [batch, filters / rank]);
      return { ...base, kind: "svdf", rank, activation: activation(opt, 1) };
    }
    default:
      return fail("this op is not supported");
  }
}

/** numpy broadcasting of two shapes, or null. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(Math.max(x, y));
  }
  return out;
}
