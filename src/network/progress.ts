// A one-line progress bar for long CLI runs: drawn on stderr only when it is a terminal, so piped
// or redirected output stays clean; redrawn at most every 100 ms; erased when done.

export interface Progress {
  update(done: number, total: number, label?: string): void;
  done(): void;
}

const NOOP: Progress = { update() {}, done() {} };

export function progressBar(title: string, stream: NodeJS.WriteStream | undefined = globalThis.process?.stderr): Progress {
  if (!stream || !stream.isTTY) return NOOP;
  let last = 0;
  let drawn = false;
  const width = 28;
  return {
    update(done, total, label = "") {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const f = total > 0 ? Math.min(done / total, 1) : 1;
      const bar = "#".repeat(Math.round(f * width)).padEnd(width, ".");
      const cols = stream.columns ?? 80;
      const line = `${title} [${bar}] ${done}/${total} ${label}`.slice(0, Math.max(cols - 1, 10));
      stream.write(`\r${line}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write("\r\x1b[K");
      drawn = false;
    },
  };
}
