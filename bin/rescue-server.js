#!/usr/bin/env node
import { load } from "./load.js";
// First of all, before the server's modules load: a SIGHUP (reload) sent meanwhile would end `start`.
const { holdSighup } = await load("rescue-server", "../dist/src/server/early-sighup.js");
holdSighup(process.argv);
const { main } = await load("rescue-server", "../dist/src/server/cli.js");
main(process.argv).then((code) => { process.exitCode = code; });
