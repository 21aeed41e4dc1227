// Reads shared/gap8-nntool/*.json (never copied into the repo) and finds each file's .tflite model.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { SHARED } from "./shared.js";

export { describeShared, sharedMissing, skipMeta } from "./shared.js";

// Suites reading these files skip without ../shared: see ./shared.ts.
const shared = resolve(SHARED);

/** Folders holding gap8-nntool JSON files: the public one, the held-out one when present, and GAP8_NNTOOL_DIRS. */
function vectorDirs(): string[] {
  const dirs = [join(shared, "gap8-nntool"), resolve(shared, "../holdout/gap8-nntool")];
  for (const d of (process.env.GAP8_NNTOOL_DIRS ?? "").split(":")) if (d) dirs.push(resolve(d));
  return dirs.filter((d) => existsSync(d));
}

/** Folders searched for a file's model (by name). */
function modelDirs(): string[] {
  const dirs = [join(shared, "tflite/models"), join(shared, "tflite/generated/models"), resolve(shared, "../holdout/tflite/models"), resolve(shared, "../holdout/models")];
  for (const d of (process.env.GAP8_NNTOOL_MODELS ?? "").split(":")) if (d) dirs.push(resolve(d));
  return dirs.filter((d) => existsSync(d));
}

export interface VectorFile {
  path: string;
  /** The model file, or null when it is not available here (held-out models are not shipped). */
  modelPath: string | null;
  // The parsed JSON (FORMAT.md).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export function vectorFiles(): VectorFile[] {
  const out: VectorFile[] = [];
  for (const d of vectorDirs()) {
    for (const f of readdirSync(d).filter((n) => n.endsWith(".json")).sort()) {
      const path = join(d, f);
      const json = JSON.parse(readFileSync(path, "utf8"));
      const modelPath = modelDirs().map((m) => join(m, json.model)).find((p) => existsSync(p)) ?? null;
      out.push({ path, modelPath, json });
    }
  }
  return out;
}

export function b64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "base64"));
}

/** A CHW byte array ([C, H, W] or a vector) as NHWC. */
export function chwToHwc(data: ArrayLike<number>, shape: number[]): number[] {
  if (shape.length !== 3) return Array.from(data);
  const [C, H, W] = shape as [number, number, number];
  const out = new Array<number>(C * H * W);
  for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) out[(h * W + w) * C + c] = data[(c * H + h) * W + w]!;
  return out;
}
