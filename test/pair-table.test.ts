// The pair-table elementwise path (src/pair-table.ts) of the TFLite targets' ADD / SUB / MUL and ONNX
// Runtime's QLinearAdd: over random shapes (rank 0 to 5, broadcast dimensions anywhere, sizes 1
// and odd), lengths and byte offsets (aligned and not, so both the word loop and the byte loop
// run, with tails), every output byte is the table's entry for its two numpy-broadcast input
// bytes, computed here element by element.
import { describe, expect, test } from "vitest";
import { Rng } from "../src/rng.js";
import { applyPairTable, broadcastPlan } from "../src/pair-table.js";

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** out[i] = table[a[ia], b[ib]] with ia, ib the broadcast indices of output index i. */
function expected(table: Uint8Array, aShape: number[], bShape: number[], outShape: number[], a: Int8Array, b: Int8Array): number[] {
  const rank = outShape.length;
  const flat = (shape: number[], pos: number[]) => {
    const s = [...new Array<number>(rank - shape.length).fill(1), ...shape];
    let f = 0;
    for (let d = 0; d < rank; d++) f = f * s[d]! + (s[d] === 1 ? 0 : pos[d]!);
    return f;
  };
  const out: number[] = [];
  const pos = new Array<number>(rank).fill(0);
  for (let i = 0; i < numel(outShape); i++) {
    // The entry's byte, read as the int8 output array reads it.
    out.push((table[((a[flat(aShape, pos)]! & 0xff) << 8) | (b[flat(bShape, pos)]! & 0xff)]! << 24) >> 24);
    for (let d = rank - 1; d >= 0; d--) {
      if (++pos[d]! < outShape[d]!) break;
      pos[d] = 0;
    }
  }
  return out;
}

/** An Int8Array of `n` random bytes starting `offset` bytes into its buffer. */
function bytesAt(rng: Rng, n: number, offset: number): Int8Array {
  const buf = new Int8Array(n + offset);
  for (let i = 0; i < buf.length; i++) buf[i] = rng.int(-128, 127);
  return buf.subarray(offset);
}

describe("pair tables over broadcasting plans", () => {
  const rng = new Rng(4242);
  const table = Uint8Array.from({ length: 65536 }, () => rng.int(0, 255));

  test("equal shapes: every length 0..70 at every byte offset of each array", () => {
    for (let n = 0; n <= 70; n++) {
      for (const [oa, ob, oo] of [[0, 0, 0], [1, 0, 0], [0, 2, 0], [0, 0, 3], [3, 1, 2], [4, 4, 4]] as const) {
        const a = bytesAt(rng, n, oa), b = bytesAt(rng, n, ob);
        const out = bytesAt(rng, n, oo);
        const shape = [1, n];
        applyPairTable(table, broadcastPlan(shape, shape, shape), a, b, out);
        expect(Array.from(out), `n=${n} offsets ${oa},${ob},${oo}`).toEqual(expected(table, shape, shape, shape, a, b));
      }
    }
  });

  test("300 random broadcasts, ranks 0 to 5", () => {
    for (let k = 0; k < 300; k++) {
      const rank = rng.int(0, 5);
      const outShape = Array.from({ length: rank }, () => rng.pick([1, 1, 2, 3, 4, 5, 7]));
      // Each input: a suffix of the output's rank, with some dimensions broadcast (1).
      const side = () => outShape.slice(rng.int(0, rank)).map((d) => (rng.int(0, 2) === 0 ? 1 : d));
      const aShape = side(), bShape = side();
      const a = bytesAt(rng, numel(aShape), rng.int(0, 3)), b = bytesAt(rng, numel(bShape), rng.int(0, 3));
      const out = bytesAt(rng, numel(outShape), rng.int(0, 3));
      applyPairTable(table, broadcastPlan(aShape, bShape, outShape), a, b, out);
      expect(Array.from(out), `[${aShape}] with [${bShape}] -> [${outShape}]`).toEqual(expected(table, aShape, bShape, outShape, a, b));
    }
  });
});
