// The consumer page: the package as a bundler sees it (bare import, resolved through its exports).
import * as dwpw from "dwpw";
import { check } from "./check.js";
import files from "./vectors.json";

const out = document.querySelector("#result");
check(dwpw, files).then(
  (result) => {
    out.textContent = JSON.stringify(result, null, 2);
    window.__result = result;
  },
  (e) => {
    out.textContent = String(e?.stack ?? e);
    window.__result = { error: String(e?.stack ?? e) };
  },
);
