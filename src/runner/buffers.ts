// The arrays a run's layers write their outputs into, reused from run to run: a run of a lowered
// graph allocates nothing proportional to the network once its first run has sized the pool.
import type { DType } from "../graph/types.js";
import { allocData } from "../targets/tensors.js";
import type { TensorData } from "../targets/types.js";

/** The array type that holds each dtype (bool and uint8 share one). */
const ARRAY: Record<DType, string> = { int8: "Int8Array", uint8: "Uint8Array", bool: "Uint8Array", int16: "Int16Array", int32: "Int32Array", int64: "BigInt64Array", float32: "Float32Array" };

/** Arrays by type and length; an array given back serves the next request of its kind. */
export class RunBuffers {
  private readonly free = new Map<string, TensorData[]>();
  private readonly owned = new WeakSet<TensorData>();

  /** An array of `n` elements of `dtype`, holding whatever its previous user left in it. */
  acquire(dtype: DType, n: number): TensorData {
    const d = this.free.get(`${ARRAY[dtype]}:${n}`)?.pop();
    if (d) return d;
    const made = allocData(dtype, n);
    this.owned.add(made);
    return made;
  }

  /** Gives an array back; one this pool did not make (an input, a constant's view) is left alone. */
  release(d: TensorData): void {
    if (!this.owned.has(d)) return;
    const k = `${d.constructor.name}:${d.length}`;
    let l = this.free.get(k);
    if (!l) this.free.set(k, (l = []));
    l.push(d);
  }
}
