// Bounded file reads for the CLI. A file's size is known before its bytes are read, and no read
// goes past a limit, whatever the path names (a device such as /dev/zero, a pipe, a file that grows
// while it is read).
import { closeSync, constants, fstatSync, opendirSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { join } from "node:path";
import { ValueError } from "./errors.js";

/** Largest model file the CLI reads (ONNX and TFLite files for microcontrollers are far smaller). */
export const MAX_MODEL_BYTES = 512 * 2 ** 20;

function cannot(path: string, what: string, e: unknown): ValueError {
  const code = (e as { code?: string }).code;
  const why =
    code === "ENOENT" ? "no such file"
    : code === "EACCES" || code === "EPERM" ? "permission denied"
    : code === "EISDIR" ? "is a directory"
    : code === "ELOOP" ? "too many symbolic links"
    : code === "ENAMETOOLONG" ? "name too long"
    : code === "ENOTDIR" ? "a part of the path is not a directory"
    : (e as Error).message;
  return new ValueError(`cannot read ${what}${path}: ${why}`);
}

/** Reads from `fd` until `limit` bytes or the end, into a buffer of at most `limit` bytes. */
function readUpTo(fd: number, limit: number): Buffer {
  const buf = Buffer.allocUnsafe(limit);
  let n = 0;
  while (n < limit) {
    const got = readSync(fd, buf, n, limit - n, null);
    if (got === 0) break;
    n += got;
  }
  return buf.subarray(0, n);
}

function kind(st: Stats): string {
  return st.isDirectory() ? "a directory" : st.isCharacterDevice() || st.isBlockDevice() ? "a device" : st.isFIFO() ? "a pipe" : st.isSocket() ? "a socket" : "not a regular file";
}

/**
 * A model file's bytes. Only regular files of at most MAX_MODEL_BYTES are read; the size is
 * checked on the path and again on the opened file, and the read stops one byte past it.
 */
export function readModelFile(path: string): Uint8Array {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw cannot(path, "", e);
  }
  if (!st.isFile()) throw new ValueError(`${path} is ${kind(st)}, not a model file`);
  if (st.size > MAX_MODEL_BYTES) throw new ValueError(`${path} has ${st.size} bytes; model files are at most ${MAX_MODEL_BYTES} bytes (512 MiB)`);
  let fd: number;
  try {
    // O_NONBLOCK: should the path have become a pipe since the stat, opening it must not wait.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw cannot(path, "", e);
  }
  try {
    const fst = fstatSync(fd);
    if (!fst.isFile()) throw new ValueError(`${path} is ${kind(fst)}, not a model file`);
    if (fst.size > MAX_MODEL_BYTES) throw new ValueError(`${path} has ${fst.size} bytes; model files are at most ${MAX_MODEL_BYTES} bytes (512 MiB)`);
    const buf = readUpTo(fd, fst.size + 1);
    if (buf.length !== fst.size) throw new ValueError(`${path} changed while it was read`);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    if (e instanceof ValueError) throw e;
    throw cannot(path, "", e);
  } finally {
    closeSync(fd);
  }
}

/**
 * Exactly `want` bytes from `path` (any readable path: a file, a pipe, /dev/stdin). Reads at most
 * want + 1 bytes; `describe` says what the bytes are for, in the size error.
 */
export function readExactly(path: string, want: number, flag: string, describe: string): Buffer {
  let fd: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    fd = openSync(path, "r");
  } catch (e) {
    throw cannot(path, `${flag} `, e);
  }
  const wrongSize = (has: string) => new ValueError(`${flag} ${path} has ${has}; the model takes ${want}: ${describe}`);
  try {
    // A regular file's size is known without reading it; a device or a pipe is read one byte past.
    const st = fstatSync(fd);
    if (st.isFile() && st.size !== want) throw wrongSize(`${st.size} bytes`);
    const buf = readUpTo(fd, want + 1);
    if (buf.length !== want) throw wrongSize(buf.length > want ? `more than ${want} bytes` : `${buf.length} bytes`);
    return buf;
  } catch (e) {
    if (e instanceof ValueError) throw e;
    throw cannot(path, `${flag} `, e);
  } finally {
    closeSync(fd);
  }
}

/**
 * The input files of a folder: every entry whose name does not start with "." (so a stray
 * .DS_Store is no input), sorted by name in code-unit order (the same order on every system).
 * Each must be a regular file; at most `max` are listed, and the folder is read no further than
 * one entry past that.
 */
export function inputFolder(dir: string, flag: string, max: number, limit: string): string[] {
  let st: Stats;
  try {
    st = statSync(dir);
  } catch (e) {
    throw cannot(dir, `${flag} `, e);
  }
  if (!st.isDirectory()) throw new ValueError(`${flag} ${dir} is ${st.isFile() ? "a file" : kind(st)}: give a number of random inputs or a folder of input files`);
  const names: string[] = [];
  let d;
  try {
    d = opendirSync(dir);
  } catch (e) {
    throw cannot(dir, `${flag} `, e);
  }
  try {
    for (let e = d.readSync(); e !== null; e = d.readSync()) {
      if (e.name.startsWith(".")) continue;
      if (names.length === max) throw new ValueError(`${flag} ${dir} holds more than ${max} input files; ${limit}`);
      names.push(e.name);
    }
  } finally {
    d.closeSync();
  }
  if (names.length === 0) throw new ValueError(`${flag} ${dir} holds no input file (names starting with "." are skipped)`);
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((n) => {
    const p = join(dir, n);
    let s: Stats;
    try {
      s = statSync(p);
    } catch (e) {
      throw cannot(p, `${flag} `, e);
    }
    if (!s.isFile()) throw new ValueError(`${flag} ${p} is ${kind(s)}, not an input file`);
    return p;
  });
}
