#!/usr/bin/env node
import { statSync } from "node:fs";
import { load } from "./load.js";
// The bundled CLI (npm run build) starts faster. After a bare tsc it is older than the compiled
// sources, which then run instead, so it never runs stale code.
const mtime = (path) => statSync(new URL(path, import.meta.url), { throwIfNoEntry: false })?.mtimeMs ?? -1;
const entry = mtime("../dist/cli/main.js") >= mtime("../dist/src/cli/main.js") ? "../dist/cli/main.js" : "../dist/src/cli/main.js";
const { main } = await load("rescue", entry);
main(process.argv).then((code) => { process.exitCode = code; });
