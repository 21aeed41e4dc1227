// `node:path` for the browser project: the one function the shared suites use (test names).

/** The last segment of a slash-separated path, as node:path's posix basename. */
export function basename(path: string, suffix?: string): string {
  const base = path.replace(/\/+$/, "").split("/").pop() ?? "";
  return suffix && base.endsWith(suffix) && base !== suffix ? base.slice(0, -suffix.length) : base;
}
