// The shims' way into dist/. A clone where dist/ was never built (or node_modules is missing) gets
// one line saying what to run, exit 1, instead of Node's module-resolution stack.
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/** Imports `path` (relative to bin/); `name` is the command, for the message. */
export async function load(name, path) {
  try {
    return await import(new URL(path, import.meta.url).href);
  } catch (err) {
    if (err?.code !== "ERR_MODULE_NOT_FOUND") throw err;
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec(String(err.message))?.[1] ?? "";
    const what = missing.startsWith(`${ROOT}/dist/`) ? `${missing.slice(ROOT.length + 1)} is missing: dist/ is not built` : `cannot load ${missing || "a module"}: a dependency is not installed`;
    process.stderr.write(`${name}: ${what}; run \`npm install\` (or \`npm run build\`) in ${ROOT}\n`);
    process.exit(1);
  }
}
