// One worker of a WorkerPool (pool.ts), loaded as a Node `worker_threads` Worker or a browser
// module Worker. It initializes its own WebAssembly instance, builds the job it is sent first, and
// then answers each input in turn: one input runs to completion before the next message is read.
import { init, defaultEngine } from "../runtime.js";
import { loadOnnx } from "../onnx/index.js";
import type { Tensor } from "../types.js";
import type { ErrorData, Job, Reply, Request } from "./protocol.js";

interface Port {
  post(msg: Reply, transfer: ArrayBuffer[]): void;
  listen(fn: (msg: Request) => void): void;
}

/** The channel to the pool: `self` in a browser worker, `parentPort` in a Node one. */
async function parent(): Promise<Port> {
  const g = globalThis as unknown as {
    WorkerGlobalScope?: unknown;
    postMessage(m: unknown, t: ArrayBuffer[]): void;
    addEventListener(type: "message", fn: (e: { data: Request }) => void): void;
  };
  if (g.WorkerGlobalScope !== undefined) {
    return { post: (m, t) => g.postMessage(m, t), listen: (fn) => g.addEventListener("message", (e) => fn(e.data)) };
  }
  // A variable specifier: bundlers for the browser leave it alone (this branch never runs there).
  const wt = "node:worker_threads";
  const { parentPort } = (await import(/* @vite-ignore */ /* webpackIgnore: true */ wt)) as { parentPort: { postMessage(m: unknown, t: ArrayBuffer[]): void; on(e: "message", fn: (m: Request) => void): void } };
  return { post: (m, t) => parentPort.postMessage(m, t), listen: (fn) => parentPort.on("message", fn) };
}

function errorData(e: unknown): ErrorData {
  return e instanceof Error ? { name: e.name, message: e.message } : { name: "Error", message: String(e) };
}

/** The job as a function of one input; its output and the buffers that can move back without a copy. */
async function build(job: Job): Promise<(input: unknown) => { output: unknown; transfer: ArrayBuffer[] }> {
  await init();
  if (job.kind === "layers") {
    const engine = defaultEngine();
    return (input) => {
      let t = input as Tensor;
      for (const op of job.ops) t = engine.conv(t, op);
      // The last conv's output owns its buffer: it moves to the main thread without a copy.
      return { output: t, transfer: [t.data.buffer as ArrayBuffer] };
    };
  }
  const net = loadOnnx(job.model, job.load);
  return (input) => ({ output: net.run(input as never, job.run), transfer: [] });
}

/** Listens for the job, then for inputs. (No top-level await: bundlers build workers as classic scripts by default.) */
async function main(): Promise<void> {
  const port = await parent();
  let run: ((input: unknown) => { output: unknown; transfer: ArrayBuffer[] }) | null = null;
  port.listen((msg) => {
    if ("job" in msg) {
      build(msg.job).then(
        (f) => {
          run = f;
          port.post({ ready: true }, []);
        },
        (e) => port.post({ ready: false, error: errorData(e) }, []),
      );
      return;
    }
    try {
      const { output, transfer } = run!(msg.input);
      port.post({ id: msg.id, output }, transfer);
    } catch (e) {
      port.post({ id: msg.id, error: errorData(e) }, []);
    }
  });
}

void main();
