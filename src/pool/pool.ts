// Throughput mode: a batch of inputs spread over worker threads, each with its own WebAssembly
// instance (Node `worker_threads`, Web Workers in browsers). The kernels are single-threaded and
// bit-exact, so a pool gives the same bytes as one thread, in input order, only sooner.
import { loadOnnx, type LoadOptions } from "../onnx/index.js";
import type { RunOptions, RunResult, NetworkInput } from "../network/network.js";
import type { ConvOp, Tensor } from "../types.js";
import { snapshotNetworkInput } from "../network/network.js";
import { checkTensor, snapshotBytes, snapshotOp, snapshotTensor, snapshotValue } from "../validate.js";
import type { ErrorData, Job, Reply, Request } from "./protocol.js";

export interface PoolOptions {
  /** Worker threads (1-256). Default: the machine's available parallelism. */
  workers?: number;
}

/** The one thing the pool needs from a Node or a browser worker. */
interface Channel {
  post(msg: Request): void;
  onReply(fn: (msg: Reply) => void): void;
  /** The worker died (an uncaught error, or it exited). */
  onDeath(fn: (e: Error) => void): void;
  terminate(): Promise<void>;
}

const isNode = (): boolean =>
  typeof process !== "undefined" && typeof process.versions?.node === "string" && (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === undefined;

/** Variable specifiers: bundlers for the browser leave these Node-only imports alone. */
const NODE_WORKER_THREADS = "node:worker_threads";
const NODE_OS = "node:os";
/** In Node the worker file is loaded by path; browsers and bundlers see the literal below. */
const WORKER_FILE = "./worker.js";

interface NodeWorker {
  postMessage(m: unknown): void;
  on(e: "message", fn: (m: Reply) => void): void;
  on(e: "error", fn: (e: Error) => void): void;
  on(e: "exit", fn: (code: number) => void): void;
  terminate(): Promise<number>;
}

async function spawn(): Promise<Channel> {
  if (isNode()) {
    const { Worker: NodeWorkerClass } = (await import(/* @vite-ignore */ /* webpackIgnore: true */ NODE_WORKER_THREADS)) as { Worker: new (url: URL) => NodeWorker };
    const w = new NodeWorkerClass(new URL(WORKER_FILE, import.meta.url));
    let closing = false;
    return {
      post: (m) => w.postMessage(m),
      onReply: (fn) => w.on("message", fn),
      onDeath: (fn) => {
        w.on("error", fn);
        w.on("exit", (code) => {
          if (!closing) fn(new Error(`dwpw: a pool worker exited (code ${code})`));
        });
      },
      terminate: async () => {
        closing = true;
        await w.terminate();
      },
    };
  }
  // This exact form lets bundlers (Vite, webpack, Rollup) find the worker and bundle it.
  const w = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  return {
    post: (m) => w.postMessage(m),
    onReply: (fn) => w.addEventListener("message", (e) => fn(e.data as Reply)),
    onDeath: (fn) => w.addEventListener("error", (e) => fn(new Error(`dwpw: a pool worker failed: ${e.message || "could not load or run the worker script"}`))),
    terminate: async () => w.terminate(),
  };
}

/** Rebuilds an error from a worker as the standard class it was (RangeError, TypeError), else an Error with its name. */
function rebuild(d: ErrorData): Error {
  const e = d.name === "RangeError" ? new RangeError(d.message) : d.name === "TypeError" ? new TypeError(d.message) : new Error(d.message);
  if (e.name !== d.name) e.name = d.name;
  return e;
}

/** One worker with its requests in flight. */
class Endpoint {
  private next = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private dead: Error | null = null;

  constructor(private readonly ch: Channel) {
    ch.onReply((msg) => {
      if (!("id" in msg)) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if ("error" in msg) p.reject(rebuild(msg.error));
      else p.resolve(msg.output);
    });
    ch.onDeath((e) => this.fail(e));
  }

  /** Sends the job; resolves once the worker has built it. */
  start(job: Job): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ch.onReply((msg) => {
        if (!("ready" in msg)) return;
        if (msg.ready) resolve();
        else reject(rebuild(msg.error));
      });
      this.ch.onDeath(reject);
      this.ch.post({ job });
    });
  }

  call(input: unknown, field: string): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.ch.post({ id, input });
      } catch (e) {
        // Not cloneable (a function inside): it never reached the worker. Said as the TypeError
        // one thread would give for a value of the wrong type.
        this.pending.delete(id);
        reject(new TypeError(`${field} cannot be sent to a worker: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
  }

  fail(e: Error): void {
    this.dead ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.fail(new Error("dwpw: the worker pool is closed"));
    await this.ch.terminate();
  }
}

/**
 * Worker threads that each run the same job (a chain of layers, or an ONNX network) on inputs
 * handed out one at a time as workers come free. Create one with `layersPool` or `networkPool`;
 * `close()` it when done (its workers keep a Node process alive).
 */
/** How a pool takes its inputs: each read once when `run` is called, and checked as it is handed out. */
interface Intake {
  snapshot(input: unknown, field: string): unknown;
  check(input: unknown, field: string): void;
}

const PLAIN_INTAKE: Intake = { snapshot: (v, field) => snapshotValue(v, field), check: () => {} };

export class WorkerPool<I, O> {
  private constructor(
    private readonly ends: Endpoint[],
    private readonly intake: Intake,
  ) {}

  /** @internal Starts `workers` workers on `job`. */
  static async start<I, O>(job: Job, options: PoolOptions, intake: Intake = PLAIN_INTAKE): Promise<WorkerPool<I, O>> {
    const n = options.workers ?? (await defaultWorkers());
    const ends: Endpoint[] = [];
    try {
      for (let k = 0; k < n; k++) ends.push(new Endpoint(await spawn()));
      await Promise.all(ends.map((e) => e.start(job)));
    } catch (e) {
      await Promise.all(ends.map((x) => x.close()));
      throw e;
    }
    return new WorkerPool<I, O>(ends, intake);
  }

  /** Number of workers. */
  get size(): number {
    return this.ends.length;
  }

  /**
   * Runs every input; resolves with the outputs in input order. Rejects with the first error
   * (a bad input is the same RangeError or TypeError as on one thread) once the inputs already
   * handed out have finished.
   */
  async run(rawInputs: readonly I[]): Promise<O[]> {
    if (!Array.isArray(rawInputs)) throw new TypeError("inputs must be an array");
    // Every input is read once, now: what the caller changes while the batch runs is not seen.
    const n = rawInputs.length;
    const inputs = new Array<unknown>(n);
    for (let i = 0; i < n; i++) inputs[i] = this.intake.snapshot(rawInputs[i], `inputs[${i}]`);
    const out = new Array<O>(inputs.length);
    let next = 0;
    let failure: unknown = null;
    await Promise.all(
      this.ends.map(async (e) => {
        while (failure === null && next < inputs.length) {
          const i = next++;
          try {
            this.intake.check(inputs[i], `inputs[${i}]`);
            out[i] = (await e.call(inputs[i], `inputs[${i}]`)) as O;
          } catch (err) {
            failure ??= err;
          }
        }
      }),
    );
    if (failure !== null) throw failure;
    return out;
  }

  /** Stops the workers; runs still in flight reject. */
  async close(): Promise<void> {
    await Promise.all(this.ends.map((e) => e.close()));
  }
}

async function defaultWorkers(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return Math.min(nav.hardwareConcurrency, 256);
  if (isNode()) {
    const os = (await import(/* @vite-ignore */ /* webpackIgnore: true */ NODE_OS)) as { availableParallelism?: () => number; cpus(): unknown[] };
    return Math.max(1, Math.min(os.availableParallelism?.() ?? os.cpus().length, 256));
  }
  return 1;
}

function checkPoolOptions(raw: unknown): PoolOptions {
  const options = snapshotValue(raw, "options");
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  const w = (options as PoolOptions).workers;
  if (w !== undefined && (typeof w !== "number" || !Number.isInteger(w) || w < 1 || w > 256)) {
    throw new RangeError(`options.workers must be an integer in [1, 256], got ${String(w)}`);
  }
  return options as PoolOptions;
}

/**
 * A pool whose workers run `ops` in order on each input tensor (each output feeds the next op),
 * as `conv` does on one thread; `run` resolves with the last op's outputs.
 */
export async function layersPool(rawOps: readonly ConvOp[], options?: PoolOptions): Promise<WorkerPool<Tensor, Tensor>> {
  if (!Array.isArray(rawOps) || rawOps.length === 0) throw new TypeError("ops must be a non-empty array of depthwise or pointwise ops");
  const n = rawOps.length;
  if (n > 4096) throw new RangeError(`ops has ${n} entries; at most 4096 are accepted`);
  const ops: ConvOp[] = [];
  for (let i = 0; i < n; i++) ops.push(snapshotOp(rawOps[i]!));
  ops.forEach((op, i) => {
    if (typeof op !== "object" || op === null || (op.kind !== "depthwise" && op.kind !== "pointwise")) {
      throw new TypeError(`ops[${i}].kind must be "depthwise" or "pointwise"`);
    }
  });
  return WorkerPool.start({ kind: "layers", ops }, checkPoolOptions(options), {
    snapshot: (v) => snapshotTensor(v),
    // The tensor's own checks on this thread, with one thread's messages (a Proxy or a lying array is refused here).
    check: (v) => void checkTensor(v),
  });
}

/**
 * A pool whose workers each load the ONNX `model` (as `loadOnnx(model, load)`) and `run` it on
 * each input with the options `run` (no `onLayer`: it cannot cross to a worker). The model is
 * loaded here first, so a bad file throws before any worker starts.
 */
export async function networkPool(
  model: Uint8Array,
  options?: PoolOptions & { load?: LoadOptions; run?: Omit<RunOptions, "onLayer"> },
): Promise<WorkerPool<NetworkInput, RunResult>> {
  // A copy of the file: the workers load it later (after awaits), and must load what was checked here.
  const bytes = snapshotBytes(model, "model", "with the contents of an .onnx file").slice();
  const o = checkPoolOptions(options) as PoolOptions & { load?: LoadOptions; run?: RunOptions };
  if (o.run?.onLayer !== undefined) throw new TypeError("options.run.onLayer cannot run in a worker; leave it out");
  loadOnnx(bytes, o.load);
  return WorkerPool.start({ kind: "network", model: bytes, load: o.load ?? {}, run: o.run ?? {} }, o, {
    snapshot: (v) => snapshotNetworkInput(v),
    check: () => {},
  });
}
