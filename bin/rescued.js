#!/usr/bin/env node
import { main } from "../dist/daemon/main.js";
main(process.argv).then((code) => { process.exitCode = code; });
