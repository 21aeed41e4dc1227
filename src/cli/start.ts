// `npm start`: the quick check (`dwpw selftest --quick`), which takes seconds. The exhaustive
// self-check is `npm run selftest` (`dwpw selftest`), or `npm start -- --exhaustive`.
import { main } from "./main.js";

const argv = process.argv.slice(2);
const exhaustive = argv.includes("--exhaustive");
const rest = argv.filter((a) => a !== "--exhaustive");
main(["selftest", ...(exhaustive ? [] : ["--quick"]), ...rest]).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`npm start: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
