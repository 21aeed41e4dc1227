#!/usr/bin/env node
// The `dwpw` executable; the command line itself is in main.ts.
import { main } from "./main.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // main() catches every error a command throws; this is only for a failure of main itself.
    console.error(`dwpw: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
