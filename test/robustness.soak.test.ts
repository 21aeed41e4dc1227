// The soak run, bounded: a few thousand mixed calls of every kernel and block schedule (the
// long version is `npm run soak`, 100,000 calls). Same generator, same checks: every result equal
// to the reference, sentinel calls repeated throughout give their first bytes, valid calls after
// rejected ones are exact, plan() equals the counted block report, WebAssembly memory stays under
// a fixed bound.
import { describe, expect, it } from "vitest";
import * as dwpw from "../src/index.js";
import { MEMORY_BOUND_BYTES, runSoak } from "../scripts/soak.mjs";

describe("soak (bounded subset of npm run soak)", () => {
  for (const seed of [20240601, 7]) {
    it(`3,000 mixed calls, seed ${seed}: mismatches = 0, memory bounded`, async () => {
      const r = await runSoak(dwpw, { calls: 3000, seed });
      expect(r.failures, JSON.stringify(r.failures, null, 1)).toEqual([]);
      expect(r.mismatches).toBe(0);
      expect(r.unexpectedErrors).toBe(0);
      expect(r.calls).toBeGreaterThanOrEqual(3000);
      expect(r.rejected).toBeGreaterThan(50);
      expect(r.schedules.length).toBe(dwpw.SCHEDULES.length); // every schedule ran
      for (const bytes of Object.values(r.memoryHighWater) as number[]) expect(bytes).toBeLessThanOrEqual(MEMORY_BOUND_BYTES);
    });
  }

  it("detects a mismatch: a sabotaged kernel (one flipped bit) is counted and reported", async () => {
    const flip = <T extends { data: Int8Array | Uint8Array }>(t: T): T => {
      if (t.data.length > 3) t.data[3] = (t.data[3]! ^ 4) as number;
      return t;
    };
    const sabotaged = { ...dwpw, depthwise: (i: never, o: never) => flip(dwpw.depthwise(i, o)) };
    const r = await runSoak(sabotaged, { calls: 400, seed: 3 });
    expect(r.mismatches).toBeGreaterThan(0);
    expect(r.failures.join("\n")).toMatch(/top-level depthwise .*byte 3/);
  });
});
