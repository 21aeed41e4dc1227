// The plan cache: a search costs 10–40 ms on MobileNet blocks, and networks repeat blocks, so the
// planner keeps the last 128 plans it searched, keyed by everything a plan depends on.
import type { TransferReport } from "./transfer-report.js";

/** A bounded map that forgets the least recently used entry first. */
export class LruCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      // Re-inserting moves the key to the end of Map's insertion order: the most recent.
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }
}

/** A JSON replacer that writes a typed array as its type and length. */
const arraysBySize = (_k: string, v: unknown): unknown => (ArrayBuffer.isView(v) ? `${v.constructor.name}(${(v as Uint8Array).length})` : v);

/**
 * Plans already searched. Entries are never handed out: callers get copies, so a report mutated
 * or returned to a user cannot alter them.
 */
const plans = new LruCache<TransferReport>(128);

/**
 * The plan keyed by `key` (plain data; typed arrays stand in by their type and length, since the
 * planner reads the sizes of weights and parameters, never their values): the one searched
 * before, or `search()`'s, kept. A copy either way.
 */
export function cachedPlan(key: readonly unknown[], search: () => TransferReport): TransferReport {
  const k = JSON.stringify(key, arraysBySize);
  let plan = plans.get(k);
  if (!plan) plans.set(k, (plan = search()));
  return structuredClone(plan);
}
