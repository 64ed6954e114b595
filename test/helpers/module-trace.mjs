// Loaded with `node --import`: records every module URL the process resolves into MODULE_TRACE_FILE.
import { register } from "node:module";
register("./module-trace-hooks.mjs", import.meta.url);
