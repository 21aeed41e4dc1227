// Size limits of a network's layers, checked once when the network is built (at load), before a
// run allocates anything: every tensor a run would create (each layer's output, the float side of
// QuantizeLinear / DequantizeLinear, a convolution's zero-point-shifted input and the int32
// accumulators, the im2col row and reordered weights of the u8s8 emulation, the broadcast output
// of an add, a fully connected layer's rows) and the work a layer would do. An error names the
// layer and the field.
import { MAX_DIM, MAX_ELEMENTS, layerOf, type TensorShape } from "../validate.js";
import { broadcastShape } from "./ops.js";
import type { NetworkLayer, NetworkGraph, ValueSpec } from "./types.js";

export const NETWORK_LIMITS = {
  /** Elements of any tensor a run holds: inputs, outputs, intermediates (2^28, as for the kernels). */
  tensorElements: MAX_ELEMENTS,
  /** A convolution's padded input (channels x padded height x padded width), as for the kernels' depthwise. */
  paddedElements: MAX_ELEMENTS,
  /** Kernel size, stride, dilation and each pad of a convolution; height, width, channels of a kernel layer. */
  dim: MAX_DIM,
  /** Multiply-accumulates of one convolution or fully connected layer (2^34: about 8x VGG-16's largest layer). */
  layerMacs: 2 ** 34,
  /** Dimensions of a tensor. */
  rank: 64,
} as const;

const L = NETWORK_LIMITS;

/** Elements of a shape; Infinity past the safe integers (dims already checked to be integers >= 1). */
function elements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return Number.isSafeInteger(n) ? n : Infinity;
}

/**
 * Checks every value and layer of `graph` against NETWORK_LIMITS. `fail` makes the error (an
 * OnnxError from the ONNX importer, a RangeError by default); it names the layer and the field.
 */
export function checkNetworkSizes(graph: NetworkGraph, fail: (message: string) => Error = (m) => new RangeError(m)): void {
  const specOf = (name: string, where: string): ValueSpec => {
    const v = graph.values.get(name);
    if (!v) throw fail(`${where}: tensor "${name}" has no shape`);
    return v;
  };
  const checkSpec = (v: ValueSpec, where: string): number => {
    if (!Array.isArray(v.shape) || v.shape.length > L.rank) throw fail(`${where}: tensor "${v.name}" has rank ${v.shape?.length}; at most ${L.rank}`);
    for (const d of v.shape) {
      if (!Number.isSafeInteger(d) || d < 1) throw fail(`${where}: tensor "${v.name}" has shape [${v.shape.join(", ")}]; dims must be integers >= 1`);
    }
    const n = elements(v.shape);
    if (n > L.tensorElements) throw fail(`${where}: tensor "${v.name}" of shape [${v.shape.join(", ")}] has ${n} elements; at most ${L.tensorElements}`);
    return n;
  };
  for (const v of graph.inputs) checkSpec(v, `input "${v.name}"`);
  for (const l of graph.layers) {
    const where = `layer "${l.name}" (${l.opType})`;
    const ins = l.inputs.map((name) => specOf(name, where));
    for (const v of ins) checkSpec(v, where);
    const out = specOf(l.output, where);
    // The layer's own fields first (a pad of 2^62 is named as the pad, not as the output it makes).
    checkLayer(l, ins, out, elements(out.shape), where, fail);
    checkSpec(out, `${where} output`);
  }
}

function checkLayer(l: NetworkLayer, ins: ValueSpec[], out: ValueSpec, outN: number, where: string, fail: (m: string) => Error): void {
  const x = ins[0]!;
  const inN = elements(x.shape);
  const within = (v: number, lo: number, hi: number, field: string) => {
    if (!Number.isSafeInteger(v) || v < lo || v > hi) throw fail(`${where}: ${field} must be an integer in [${lo}, ${hi}], got ${v}`);
  };
  const work = (macs: number) => {
    if (!(macs <= L.layerMacs)) throw fail(`${where}: ${macs} multiply-accumulates; at most ${L.layerMacs} per layer`);
  };
  switch (l.kind) {
    case "depthwise":
    case "pointwise": {
      if (x.shape.length !== 4) throw fail(`${where}: input has shape [${x.shape.join(", ")}]; NCHW expected`);
      const [, C, H, W] = x.shape as [number, number, number, number];
      within(H, 1, L.dim, "input height");
      within(W, 1, L.dim, "input width");
      within(C, 1, L.dim, "input channels");
      if (!x.quant) throw fail(`${where}: input "${x.name}" is not quantized`);
      const s: TensorShape = { height: H, width: W, channels: C, layout: "HWC", zeroPoint: l.inZeroPoint, dtype: x.quant.dtype };
      let layer;
      try {
        // The kernels' own checks, at load: geometry, weights, bias and requantization of the op.
        layer = layerOf(s, l.op, `${where} op`, `${where} input`);
      } catch (e) {
        if (e instanceof RangeError || e instanceof TypeError) throw fail(e.message);
        throw e;
      }
      if (layer.outHeight * layer.outWidth * layer.outChannels !== outN) {
        throw fail(`${where}: output "${out.name}" has shape [${out.shape.join(", ")}] but the op gives ${layer.outChannels}x${layer.outHeight}x${layer.outWidth}`);
      }
      return;
    }
    case "conv": {
      if (x.shape.length !== 4 || out.shape.length !== 4) throw fail(`${where}: input and output must be NCHW`);
      const [, C, H, W] = x.shape as [number, number, number, number];
      const [kh, kw] = l.kernel;
      within(kh, 1, L.dim, "kernel[0]");
      within(kw, 1, L.dim, "kernel[1]");
      within(l.stride[0], 1, L.dim, "stride[0]");
      within(l.stride[1], 1, L.dim, "stride[1]");
      within(l.dilation[0], 1, L.dim, "dilation[0]");
      within(l.dilation[1], 1, L.dim, "dilation[1]");
      for (const side of ["top", "left", "bottom", "right"] as const) within(l.pad[side], 0, L.dim, `pad.${side}`);
      within(l.group, 1, L.dim, "group");
      if (C !== l.inChannels || l.inChannels % l.group !== 0 || l.outChannels % l.group !== 0) {
        throw fail(`${where}: group ${l.group} does not divide ${l.inChannels} input and ${l.outChannels} output channels (input has ${C})`);
      }
      const hp = H + l.pad.top + l.pad.bottom;
      const wp = W + l.pad.left + l.pad.right;
      const padded = C * hp * wp;
      if (padded > L.paddedElements) throw fail(`${where}: pads: the padded input ${C}x${hp}x${wp} has ${padded} elements; at most ${L.paddedElements}`);
      const ho = Math.floor((hp - (l.dilation[0] * (kh - 1) + 1)) / l.stride[0]) + 1;
      const wo = Math.floor((wp - (l.dilation[1] * (kw - 1) + 1)) / l.stride[1]) + 1;
      if (ho < 1 || wo < 1) throw fail(`${where}: output would be empty (${ho}x${wo})`);
      if (l.outChannels * ho * wo !== outN || out.shape[1] !== l.outChannels) {
        throw fail(`${where}: output "${out.name}" has shape [${out.shape.join(", ")}] but the convolution gives ${l.outChannels}x${ho}x${wo}`);
      }
      const k = (l.inChannels / l.group) * kh * kw; // the im2col row of the u8s8 emulation
      const nw = l.outChannels * k;
      if (nw > L.tensorElements) throw fail(`${where}: weights of ${l.outChannels}x${k} have ${nw} elements; at most ${L.tensorElements}`);
      if (l.weights.length !== nw) throw fail(`${where}: weights have ${l.weights.length} entries; expected ${nw}`);
      if (l.bias && l.bias.length !== l.outChannels) throw fail(`${where}: bias has ${l.bias.length} entries; expected ${l.outChannels}`);
      if (l.scale.length !== 1 && l.scale.length !== l.outChannels) throw fail(`${where}: scale has ${l.scale.length} entries; expected ${l.outChannels}`);
      work(outN * k);
      return;
    }
    case "add": {
      const b = ins[1];
      if (!b) throw fail(`${where}: second input is missing`);
      let shape: number[];
      try {
        shape = broadcastShape(x.shape, b.shape, where);
      } catch (e) {
        throw fail((e as Error).message);
      }
      if (elements(shape) !== outN) throw fail(`${where}: output "${out.name}" has shape [${out.shape.join(", ")}] but the inputs broadcast to [${shape.join(", ")}]`);
      return;
    }
    case "globalAveragePool": {
      // Its scale range is ONNX Runtime's run-time check (gapScale); a model that fails it can still be planned.
      if (x.shape.length < 3) throw fail(`${where}: input has shape [${x.shape.join(", ")}]; N x C x spatial expected`);
      return;
    }
    case "fullyConnected": {
      const { rows: m, inFeatures: k, outFeatures: n } = l;
      if (m * k !== inN) throw fail(`${where}: input "${x.name}" has ${inN} elements, not rows x inFeatures = ${m}x${k}`);
      if (m * n !== outN) throw fail(`${where}: output "${out.name}" has ${outN} elements, not rows x outFeatures = ${m}x${n}`);
      if (n * k > L.tensorElements) throw fail(`${where}: weights of ${n}x${k} have ${n * k} elements; at most ${L.tensorElements}`);
      if (l.weights.length !== n * k) throw fail(`${where}: weights have ${l.weights.length} entries; expected ${n * k}`);
      if (l.bias && l.bias.length !== n) throw fail(`${where}: bias has ${l.bias.length} entries; expected ${n}`);
      if (l.scale.length !== 1 && l.scale.length !== n) throw fail(`${where}: scale has ${l.scale.length} entries; expected ${n}`);
      work(m * n * k);
      return;
    }
    case "quantize":
    case "dequantize":
    case "reshape":
      if (inN !== outN) throw fail(`${where}: input "${x.name}" has ${inN} elements but output "${out.name}" has ${outN}`);
      return;
  }
}
