#!/usr/bin/env node
import { load } from "./load.js";
// The bundle (npm run build) holds only what the daemon uses and so needs less memory.
const { main } = await load("rescued", "../dist/rescued/main.js");
// Exit once main is done, whatever handles are left (a socket a library failed to close): main has
// released the pid file, so a process that lingered would be a second daemon nobody can stop.
main(process.argv).then((code) => process.exit(code));
