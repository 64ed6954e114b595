#!/usr/bin/env node
// First of all, before the server's modules load: a SIGHUP (reload) sent meanwhile would end `start`.
import { holdSighup } from "../dist/src/server/early-sighup.js";
holdSighup(process.argv);
const { main } = await import("../dist/src/server/cli.js");
main(process.argv).then((code) => { process.exitCode = code; });
