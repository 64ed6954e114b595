#!/usr/bin/env node
// Bundles rescued (daemon/ with the sources and packages it imports) into dist/rescued/, run after
// tsc. V8 keeps the source text of every module it loads: from node_modules that was 4 MB for the
// peer alone (mediabunny's 70 files, 2 MB with all of its muxers and demuxers; zod's 95 with every
// locale; comments and all). Tree-shaken and without whitespace it is half that, and the
// receiver's V8 heap 9 MB smaller (peak RSS 90 -> 76.5 MB in bench/media.mjs). Code splitting
// keeps lazy imports lazy; names stay readable for stack traces in the log.
//   dist/rescued/main.js  what bin/rescued.js runs
//   dist/rescued/peer.js  the technician's peer alone, as rescued runs it (benches fork it)
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleNode, zodEnglishOnly } from "./bundle-plugins.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "dist", "rescued");
/**
 * Left to node_modules: native addons, packages that find files next to themselves, and ws's
 * optional native helpers (it requires them inside try/catch).
 */
const EXTERNAL = ["@napi-rs/keyring", "@ffmpeg-installer/*", "bufferutil", "utf-8-validate"];

await bundleNode(ROOT, { main: join(ROOT, "daemon", "main.ts"), peer: join(ROOT, "daemon", "session", "peer.ts") }, OUT, {
  external: EXTERNAL,
  // Non-ASCII characters escaped: V8 then keeps each file's source one byte per character, not two.
  charset: "ascii",
  plugins: [zodEnglishOnly],
});
