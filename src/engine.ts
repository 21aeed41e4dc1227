// An Engine is one instance of the WebAssembly kernels with its own memory. The package's
// top-level functions use a default engine made by `init()`; tests and benchmarks can make more
// (for example a scalar one, to compare with the SIMD build).
import { Arena } from "./wasm/arena.js";
import { instantiate, simdSupported, type KernelExports } from "./wasm/module.js";
import { HEADER_BYTES, channelParams, writeHeader } from "./wasm/params.js";
import { checkCall, checkPrepared, outputTensor, type CheckedLayer } from "./validate.js";
import type { ConvOp, DepthwiseOp, Layout, Padding, PointwiseOp, Tensor } from "./types.js";
import {
  checkFullyConnectedCall, checkGeneralCall, generalLayerFor, generalOutput, prepareGeneralOn,
  type FullyConnectedOp, type GeneralConvOp, type GeneralInputShape, type PreparedGeneral, type Rows,
} from "./general.js";

/** A strided window of WebAssembly memory: element (y, x, c) is at `ptr + y*row + x*px + c*ch`. */
export interface View {
  ptr: number;
  row: number;
  px: number;
  ch: number;
}

/** The view of a dense H x W x C tensor stored at `ptr` in `layout`. */
export function denseView(ptr: number, layout: Layout, height: number, width: number, channels: number): View {
  return layout === "HWC"
    ? { ptr, row: width * channels, px: channels, ch: 1 }
    : { ptr, row: width, px: 1, ch: height * width };
}

/** What one kernel call computes: a layer, or a tile of one with its own padding. */
export interface KernelCall {
  kind: "depthwise" | "pointwise";
  height: number;
  width: number;
  channels: number;
  outChannels: number;
  signed: boolean;
  zeroPoint: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pad: Padding;
}

/** Scratch bytes the kernel needs for `k` (beyond its input, output, weights and parameters). */
export function scratchBytes(wasm: KernelExports, k: KernelCall): number {
  return k.kind === "depthwise"
    ? wasm.depthwiseScratchBytes(k.height, k.width, k.channels, k.pad.left, k.pad.right, k.kh, k.kw, k.sw)
    : wasm.pointwiseScratchBytes(k.channels, k.outChannels);
}

/**
 * Runs one kernel on buffers already in WebAssembly memory. Pointwise only (see `pointwise` in
 * assembly/pointwise.ts): `sameSource`, the source bytes have not changed since the previous
 * kernel call on `scratch`, so a packing of them that call left there is used again;
 * `weightSlot`, 0 or a weight slot kept for this tile's weights across calls.
 */
export function runKernel(
  wasm: KernelExports, k: KernelCall, src: View, dst: View, weights: number, hdr: number, scratch: number, sameSource = false, weightSlot = 0,
): void {
  if (k.kind === "depthwise") {
    wasm.depthwise(
      src.ptr, src.row, src.px, src.ch, k.height, k.width, k.channels, k.signed ? 1 : 0, k.zeroPoint,
      k.pad.top, k.pad.left, k.pad.bottom, k.pad.right, k.kh, k.kw, k.sh, k.sw,
      weights, hdr, dst.ptr, dst.row, dst.px, dst.ch, scratch,
    );
  } else {
    wasm.pointwise(
      src.ptr, src.row, src.px, src.ch, k.height, k.width, k.channels, k.signed ? 1 : 0, k.zeroPoint,
      weights, k.outChannels, hdr, dst.ptr, dst.row, dst.px, dst.ch, scratch, sameSource ? 1 : 0, weightSlot,
    );
  }
}

/** The kernel call that computes a whole validated layer. */
export function layerCall(layer: CheckedLayer): KernelCall {
  return {
    kind: layer.kind, height: layer.height, width: layer.width, channels: layer.channels,
    outChannels: layer.outChannels, signed: layer.inDtype === "int8", zeroPoint: layer.inZeroPoint,
    kh: layer.kh, kw: layer.kw, sh: layer.sh, sw: layer.sw, pad: layer.pad,
  };
}

export class Engine {
  /** The arena used by whole-layer calls; the scratchpad model reserves from it too. */
  readonly arena: Arena;

  constructor(readonly wasm: KernelExports, readonly simd: boolean) {
    this.arena = new Arena(wasm);
  }

  /** Depthwise convolution; the output is in the input's layout. */
  depthwise(input: Tensor, op: DepthwiseOp): Tensor {
    return this.run(checkCall(input, op, "depthwise"));
  }

  /** Pointwise convolution; the output is in the input's layout. */
  pointwise(input: Tensor, op: PointwiseOp): Tensor {
    return this.run(checkCall(input, op, "pointwise"));
  }

  /** Either convolution, by `op.kind`. */
  conv(input: Tensor, op: ConvOp): Tensor {
    return this.run(checkCall(input, op));
  }

  /**
   * General convolution: any kernel, stride, dilation, explicit padding and groups (a depthwise
   * convolution with a depth multiplier is groups = channels); the output is in the input's layout.
   */
  convGeneral(input: Tensor, op: GeneralConvOp): Tensor {
    const { data, layer } = checkGeneralCall(input, op);
    const out = generalOutput(layer);
    prepareGeneralOn(this, layer).run(data, out.data);
    return out;
  }

  /** Fully connected layer over rows of features. */
  fullyConnected(input: Rows, op: FullyConnectedOp): Rows {
    const { data, layer } = checkFullyConnectedCall(input, op);
    return { data: prepareGeneralOn(this, layer).run(data), rows: layer.outHeight, features: layer.outChannels, zeroPoint: layer.outZeroPoint };
  }

  /**
   * A general convolution or fully connected layer (rows = `shape.height`, features =
   * `shape.channels`, width 1) validated and its weights packed once, for inputs of `shape`:
   * `run(data)` computes one input's output bytes. Unlike `prepare`, it stays valid across calls.
   */
  prepareGeneral(shape: GeneralInputShape, op: GeneralConvOp | FullyConnectedOp): PreparedGeneral {
    return prepareGeneralOn(this, generalLayerFor(shape, op));
  }

  private run(c: { data: Int8Array | Uint8Array; layer: CheckedLayer }): Tensor {
    const k = this.place(c.data, c.layer);
    k.run();
    return k.output();
  }

  /**
   * Places a validated layer's input, weights and parameters in WebAssembly memory and returns
   * the kernel call on them: `run()` computes, `output()` copies the result out. `layer` must come
   * from `checkConv` (or `checkDepthwise` / `checkPointwise`) and `input` must be the tensor it was
   * checked with (same geometry, dtype, layout and zero point); `input` is read once here. Valid
   * until the engine's next call, which reuses the memory: after it, both throw instead of
   * computing on another call's buffers. The benchmark times `run()` alone.
   */
  prepare(input: Tensor, layer: CheckedLayer): { run(): void; output(): Tensor } {
    return this.place(checkPrepared(input, layer), layer);
  }

  private place(data: Int8Array | Uint8Array, layer: CheckedLayer): { run(): void; output(): Tensor } {
    const out = outputTensor(layer);
    const call = layerCall(layer);
    const p = channelParams(layer.requant, layer.bias);
    const a = this.arena;
    a.reset();
    const src = a.alloc(data.length);
    const weights = a.alloc(layer.weights.length);
    const bias = p.bias ? a.alloc(p.bias.length) : 0;
    const pa = p.a ? a.alloc(p.a.length) : 0;
    const pb = p.b ? a.alloc(p.b.length) : 0;
    const hdr = a.alloc(HEADER_BYTES);
    const dst = a.alloc(out.data.length);
    const scratch = a.alloc(scratchBytes(this.wasm, call));
    a.commit();
    a.write(src, data);
    a.write(weights, layer.weights);
    if (p.bias) a.write(bias, p.bias);
    if (p.a) a.write(pa, p.a);
    if (p.b) a.write(pb, p.b);
    writeHeader(this.wasm.memory, hdr, layer.requant, bias, pa, pb);
    const sv = denseView(src, layer.layout, layer.height, layer.width, layer.channels);
    const dv = denseView(dst, layer.layout, layer.outHeight, layer.outWidth, layer.outChannels);
    const generation = a.generation;
    const current = () => {
      if (a.generation !== generation) throw new Error("this prepared call is stale: the engine has run another call since prepare()");
    };
    return {
      run: () => {
        current();
        runKernel(this.wasm, call, sv, dv, weights, hdr, scratch);
      },
      output: () => {
        current();
        new Uint8Array(out.data.buffer).set(a.bytes(dst, out.data.length));
        return out;
      },
    };
  }
}


/** Makes a new engine. `simd: false` forces the scalar build; by default SIMD is used if supported. */
export async function createEngine(options: { simd?: boolean } = {}): Promise<Engine> {
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  if (options.simd !== undefined && typeof options.simd !== "boolean") throw new TypeError("options.simd must be a boolean");
  const simd = options.simd ?? simdSupported();
  if (simd && !simdSupported()) throw new RangeError("options.simd: this WebAssembly engine has no SIMD support");
  return new Engine(await instantiate(simd), simd);
}
