// `node:fs` for the browser project. Nothing in the browser reads files: test/helpers/vectors.ts
// imports these at its top, but the browser project swaps its loaders for test/browser/vectors.ts
// and only reuses its pure parser. A call here means a suite reached for the disk in the browser.

const unavailable = (name: string) => (): never => {
  throw new Error(`node:fs.${name} is not available in the browser project (see test/browser/vectors.ts)`);
};

export const readFileSync = unavailable("readFileSync");
export const readdirSync = unavailable("readdirSync");
export const existsSync = unavailable("existsSync");
