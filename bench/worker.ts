// A throughput worker: its own `await init()` (its own WebAssembly instance and memory), its own
// copy of the network's ops, then images on request.
import { parentPort, workerData } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import { defaultEngine, init } from "../src/runtime.js";
import { buildNetwork, networkInput, runNetwork } from "./network.js";
import type { QuantScheme } from "../src/networks/mobilenet.js";
import type { Dtype, Tensor } from "../src/types.js";

interface Data {
  scheme: QuantScheme;
  dtype: Dtype;
  images: number[];
}

const port = parentPort!;
const { scheme, dtype, images } = workerData as Data;
await init();
const net = buildNetwork(scheme, dtype);
const inputs: Tensor[] = images.map((i) => networkInput(scheme, dtype, i));
runNetwork(defaultEngine(), net, inputs[0]!); // warm-up: lets V8 tier the kernels up
port.on("message", (msg: { run: boolean }) => {
  if (!msg.run) {
    port.close();
    return;
  }
  const t = performance.now();
  let check = 0;
  for (const x of inputs) check = (check + runNetwork(defaultEngine(), net, x).data[0]!) | 0;
  port.postMessage({ ms: performance.now() - t, check });
});
port.postMessage({ ready: true });
