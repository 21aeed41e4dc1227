// Layout conversion between HWC (channel fastest) and CHW (planar), SPEC §1.
import type { Layout, Tensor } from "./types.js";

/** Maps (y, x, c) to the offset of that element in an H x W x C tensor stored in `layout`. */
export function elementIndex(layout: Layout, H: number, W: number, C: number): (y: number, x: number, c: number) => number {
  return layout === "HWC" ? (y, x, c) => (y * W + x) * C + c : (y, x, c) => (c * H + y) * W + x;
}

/**
 * The tensor in `layout`: the same object when it is already in that layout, otherwise a copy with
 * a new data array of the same kind (Int8Array or Uint8Array).
 */
export function toLayout(t: Tensor, layout: Layout): Tensor {
  if (t.layout === layout) return t;
  const { height: H, width: W, channels: C } = t;
  const from = elementIndex(t.layout, H, W, C);
  const to = elementIndex(layout, H, W, C);
  const data = t.data instanceof Int8Array ? new Int8Array(t.data.length) : new Uint8Array(t.data.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < C; c++) data[to(y, x, c)] = t.data[from(y, x, c)];
    }
  }
  return { ...t, data, layout };
}
