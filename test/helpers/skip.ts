// Why a test is skipped, recorded where the JSON results (and so the list `.ci/run` prints at the
// end) show it: `meta.skipReason`. Pure (no Node APIs), so browser suites can use it too.

declare module "vitest" {
  interface TaskMeta {
    /** Why the test is skipped (listed by .ci/run). */
    skipReason?: string;
  }
}

/** Test or suite options that record why it is skipped (none when `reason` is null: it runs). */
export function skipMeta(reason: string | null): { meta?: { skipReason: string } } {
  return reason === null ? {} : { meta: { skipReason: reason } };
}
