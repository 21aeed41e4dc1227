// Chromium gives Node's bytes: the seeded workload of workload.ts (every layer of small MobileNets,
// every scheme and layout, both kernel builds, every fused schedule on the scratchpad model),
// digested here in the page and in Node through a browser command, block by block.
import { expect, it } from "vitest";
import { commands } from "vitest/browser";
import { BUILDS_KEY, workloadDigests } from "./workload.js";

it("the workload's bytes and transfer reports in Chromium equal Node's", async () => {
  const [here, node] = await Promise.all([workloadDigests(), commands.nodeDigests()]);
  // Different builds mean src/wasm/*.generated.ts was rewritten during the run (npm run build:wasm elsewhere).
  expect(here[BUILDS_KEY], "the page and Node loaded different WebAssembly builds").toBe(node[BUILDS_KEY]);
  expect(Object.keys(here).length).toBeGreaterThan(100);
  const differ = Object.keys(node).filter((k) => here[k] !== node[k]);
  expect(differ, "blocks whose bytes or reports differ").toEqual([]);
  expect(Object.keys(here).sort()).toEqual(Object.keys(node).sort());
}, 180_000);

it("runs in a real browser with WebAssembly SIMD", () => {
  expect(navigator.userAgent).toMatch(/Chrome\//);
  expect(typeof window).toBe("object");
  // The smallest SIMD module (one v128.const), as src/wasm/module.ts's validate check does.
  const simd = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);
  expect(WebAssembly.validate(simd)).toBe(true);
});
