#!/usr/bin/env node
import { main } from "../dist/rescued/main.js";
// Exit once main is done, whatever handles are left (a socket a library failed to close): main has
// released the pid file, so a process that lingered would be a second daemon nobody can stop.
main(process.argv).then((code) => process.exit(code));
