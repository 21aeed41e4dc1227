// `node:url` for the browser project: see node-fs.ts (imported by the Node loaders, never called).

export function fileURLToPath(url: string | URL): never {
  throw new Error(`node:url.fileURLToPath(${String(url)}) is not available in the browser project`);
}

export function pathToFileURL(path: string): never {
  throw new Error(`node:url.pathToFileURL(${path}) is not available in the browser project`);
}
