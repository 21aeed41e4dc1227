// How every browser run of this project starts Chromium: Debian's /usr/bin/chromium (installed by
// apt in .ci/run; Playwright's own browser downloads are never used), headless, with the network
// chatter a closed CI machine refuses switched off. Shared by vitest.config.ts (browser project),
// scripts/consumer-check.mjs and the page's end-to-end test.
//
// Playwright's launch() gives each run a new empty profile (--user-data-dir in a temp dir) by
// itself and refuses that flag in `args`, so it is not listed here.

/** The Chromium binary: DWPW_CHROMIUM overrides Debian's. */
export const CHROMIUM_PATH = process.env.DWPW_CHROMIUM || "/usr/bin/chromium";

/** Flags: headless without a sandbox (CI runs as root) or GPU, and no background networking. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Launch options for Playwright's `chromium.launch()`. */
export const chromiumLaunchOptions = () => ({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], headless: true });
