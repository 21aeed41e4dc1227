// The same quantized block in onnxruntime-web (WebAssembly backend, one thread): a QLinearConv
// depthwise (group = C) then a QLinearConv 1x1, built in memory with the project's small ONNX
// writer. Scales are chosen so that ONNX Runtime's own derivation f32(f32(xScale * wScale) /
// yScale) reproduces the `onnx` requant scales exactly (xScale = yScale = 1, wScale = scale), so
// the two runtimes compute the same bytes and the comparison is like for like.
import * as ort from "onnxruntime-web";
import * as P from "../scripts/onnx/proto.mjs";
import type { DepthwiseOp, OnnxRequant, PointwiseOp, Tensor } from "../src/types.js";

/** onnxruntime-web's WebAssembly backend on one thread, no proxy worker. */
export function configureOrt(): void {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";
}

export const ortVersion = (): string => ort.env.versions?.web ?? "unknown";

function scalesOf(rq: OnnxRequant): Float32Array {
  return Float32Array.from(rq.scale);
}

/** The ONNX model of depthwise `dw` then pointwise `pw` on a 1 x C x H x W input of `x`'s dtype. */
export function blockModel(x: Tensor, dw: DepthwiseOp, pw: PointwiseOp): Uint8Array {
  const C = x.channels;
  const int8 = x.data instanceof Int8Array;
  const T = int8 ? P.DataType.INT8 : P.DataType.UINT8;
  const A = (v: number) => (int8 ? Int8Array.of(v) : Uint8Array.of(v));
  const dwq = dw.requant as OnnxRequant;
  const pwq = pw.requant as OnnxRequant;
  const Co = pw.outChannels;
  const one = Float32Array.of(1);
  const inits = [
    P.tensor("x_scale", P.DataType.FLOAT, [], one),
    P.tensor("x_zp", T, [], A(x.zeroPoint)),
    P.tensor("dw_w", P.DataType.INT8, [C, 1, dw.kernel[0], dw.kernel[1]], dw.weights),
    P.tensor("dw_ws", P.DataType.FLOAT, [C], scalesOf(dwq)),
    P.tensor("dw_wz", P.DataType.INT8, [C], new Int8Array(C)),
    P.tensor("mid_scale", P.DataType.FLOAT, [], one),
    P.tensor("mid_zp", T, [], A(dwq.outputZeroPoint)),
    P.tensor("pw_w", P.DataType.INT8, [Co, C, 1, 1], pw.weights),
    P.tensor("pw_ws", P.DataType.FLOAT, [Co], scalesOf(pwq)),
    P.tensor("pw_wz", P.DataType.INT8, [Co], new Int8Array(Co)),
    P.tensor("y_scale", P.DataType.FLOAT, [], one),
    P.tensor("y_zp", T, [], A(pwq.outputZeroPoint)),
  ];
  const dwIn = ["x", "x_scale", "x_zp", "dw_w", "dw_ws", "dw_wz", "mid_scale", "mid_zp"];
  const pwIn = ["mid", "mid_scale", "mid_zp", "pw_w", "pw_ws", "pw_wz", "y_scale", "y_zp"];
  if (dw.bias) {
    inits.push(P.tensor("dw_b", P.DataType.INT32, [C], dw.bias));
    dwIn.push("dw_b");
  }
  if (pw.bias) {
    inits.push(P.tensor("pw_b", P.DataType.INT32, [Co], pw.bias));
    pwIn.push("pw_b");
  }
  const { top, left, bottom, right } = dw.pad;
  const Ho = Math.floor((x.height + top + bottom - dw.kernel[0]) / dw.stride[0]) + 1;
  const Wo = Math.floor((x.width + left + right - dw.kernel[1]) / dw.stride[1]) + 1;
  return P.model({
    opset: 13,
    graph: P.graph({
      name: "dwpw_block",
      nodes: [
        P.node("QLinearConv", dwIn, ["mid"], [
          P.attrInt("group", C),
          P.attrInts("kernel_shape", dw.kernel),
          P.attrInts("strides", dw.stride),
          P.attrInts("pads", [top, left, bottom, right]),
        ], "depthwise"),
        P.node("QLinearConv", pwIn, ["y"], [P.attrInts("kernel_shape", [1, 1])], "pointwise"),
      ],
      initializers: inits,
      inputs: [P.valueInfo("x", T, [1, C, x.height, x.width])],
      outputs: [P.valueInfo("y", T, [1, Co, Ho, Wo])],
    }),
  });
}

export interface OrtBlock {
  run(): Promise<Uint8Array>;
  release(): Promise<void>;
}

/** A session for the block; `x` must be planar (CHW = NCHW with batch 1). */
export async function ortBlock(x: Tensor, dw: DepthwiseOp, pw: PointwiseOp): Promise<OrtBlock> {
  if (x.layout !== "CHW") throw new Error("ortBlock: the input must be CHW");
  const session = await ort.InferenceSession.create(blockModel(x, dw, pw), {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const input = new ort.Tensor(x.data instanceof Int8Array ? "int8" : "uint8", x.data, [1, x.channels, x.height, x.width]);
  return {
    async run() {
      const r = await session.run({ x: input });
      const y = r.y as ort.Tensor;
      const d = y.data as Int8Array | Uint8Array;
      return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    },
    release: () => session.release(),
  };
}
