// `run(x, { blocks: true })` keeps each block prepared on the scratchpad model from run to run (its
// first run recorded, later ones replayed): every later run must give the bytes and the block
// reports of a fresh network's first run, whatever ran in between (another network, other memory
// configurations, plain runs) and after a run that threw halfway.
import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../src/index.js";
import { loadOnnx } from "../src/onnx/index.js";
import type { Network, RunOptions } from "../src/network/index.js";
import { decodeTensor, MODELS_DIR, modelBytes, smallFixtures } from "./helpers/models.js";

beforeAll(async () => {
  await init();
});

const MODELS = ["v1-int8-sym", "v2-int8", "v1-uint8-same"];
const fixtures = smallFixtures().filter((f) => MODELS.includes(f.name));

/** The outputs' bytes and the block reports of a run, as one comparable value. */
function result(net: Network, x: Float32Array, options: RunOptions): { outputs: Record<string, number[]>; blocks: unknown } {
  const r = net.run(x, options);
  const outputs: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(r.outputs)) outputs[k] = Array.from(v.data);
  return { outputs, blocks: r.blocks };
}

const SMALL_L1: RunOptions = { blocks: { memory: { l1: 64000, l1Usable: 12000, doubleBuffer: true } } };

describe("networks run blocks again as their first run did", () => {
  it("has the models", () => {
    expect(fixtures.map((f) => f.name).sort()).toEqual([...MODELS].sort());
  });

  const load = (name: string) => loadOnnx(modelBytes(MODELS_DIR, fixtures.find((f) => f.name === name)!.fixture.forms.qlinear));
  const input = (name: string) => decodeTensor(fixtures.find((f) => f.name === name)!.fixture.input!) as Float32Array;
  /** A fresh network's first run: nothing prepared before it. */
  const fresh = (name: string, o: RunOptions) => result(load(name), input(name), o);

  for (const name of MODELS) {
    it(`${name}: repeated runs, other memory configurations and layouts in between`, () => {
      const want = fresh(name, { blocks: true });
      const wantSmall = fresh(name, SMALL_L1);
      expect((want.blocks as Array<{ report: unknown }>).some((b) => b.report !== null)).toBe(true);
      const net = load(name);
      const x = input(name);
      for (let k = 0; k < 3; k++) {
        expect(result(net, x, { blocks: true })).toEqual(want);
        expect(result(net, x, SMALL_L1)).toEqual(wantSmall);
        expect(result(net, x, {}).outputs).toEqual(want.outputs);
        expect(result(net, x, { blocks: true, layout: "CHW" }).outputs).toEqual(want.outputs);
      }
    });
  }

  it("two networks interleaved on one engine", () => {
    const [a, b] = ["v1-int8-sym", "v2-int8"];
    const wantA = fresh(a, { blocks: true });
    const wantB = fresh(b, { blocks: true });
    const netA = load(a), netB = load(b);
    for (let k = 0; k < 3; k++) {
      expect(result(netA, input(a), { blocks: true })).toEqual(wantA);
      expect(result(netB, input(b), { blocks: true })).toEqual(wantB);
    }
  });

  it("a run after runs that threw halfway", () => {
    const name = "v2-int8";
    const want = fresh(name, { blocks: true });
    const net = load(name);
    const x = input(name);
    const total = net.layers.length;
    // Throwing at several points: within the first runs (while blocks record) and after them.
    for (const at of [Math.floor(total / 3), Math.floor((2 * total) / 3), 1]) {
      const boom = new Error("stop");
      expect(() =>
        net.run(x, {
          blocks: true,
          onLayer: (done) => {
            if (done >= at) throw boom;
          },
        }),
      ).toThrow(boom);
      expect(result(net, x, { blocks: true })).toEqual(want);
    }
  });
});
