// MobileNetV1 1.0-224's 13 depthwise-separable blocks as a chain of dwpw calls: the whole-network
// figure of the benchmark, on one thread and spread over worker threads.
import type { Engine } from "../src/engine.js";
import { mobilenetV1, randomInput, randomOp, type QuantScheme } from "../src/presets/mobilenet.js";
import type { ConvOp, Dtype, Tensor } from "../src/types.js";

export interface Network {
  name: string;
  scheme: QuantScheme;
  dtype: Dtype;
  ops: ConvOp[];
  /** Multiply-accumulates of one image through the 26 layers. */
  macs: number;
  /** The first layer's input shape (112 x 112 x 32 after the stem). */
  input: { height: number; width: number; channels: number };
}

/** The 26 layers' ops (deterministic: the same on every thread). */
export function buildNetwork(scheme: QuantScheme, dtype: Dtype, seed = 1): Network {
  const spec = mobilenetV1();
  const o = { scheme, dtype, layout: "HWC" as const, seed };
  const first = spec.layers[0]!;
  return {
    name: spec.name,
    scheme,
    dtype,
    ops: spec.layers.map((l) => randomOp(l, o)),
    macs: spec.layers.reduce((n, l) => n + l.macs, 0),
    input: { height: first.height, width: first.width, channels: first.channels },
  };
}

/** Image `i` of a batch: the stem's output for that image, random bytes here. */
export function networkInput(scheme: QuantScheme, dtype: Dtype, i: number): Tensor {
  return randomInput(mobilenetV1().layers[0]!, { scheme, dtype, layout: "HWC", seed: 1000 + i });
}

/** One image through the 13 blocks (each layer's output in the input's layout feeds the next). */
export function runNetwork(e: Engine, net: Network, x: Tensor): Tensor {
  let t = x;
  for (const op of net.ops) t = e.conv(t, op);
  return t;
}
