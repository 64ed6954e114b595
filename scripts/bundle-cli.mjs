#!/usr/bin/env node
// Bundles the `rescue` CLI (src/cli, the protocol, zod, commander) into dist/cli/, run after tsc.
// On Node 20 most of a command's startup went to resolving and loading ~120 small modules; the
// bundle is a few files. Code splitting keeps every verb lazy: `--version` loads main.js alone.
// Server, customer, console and daemon code stays the tsc output in dist/ (it finds its assets
// next to itself), and npm packages other than zod and commander load from node_modules.
import { dirname, join, relative, sep } from "node:path";
import { bundleNode, zodEnglishOnly } from "./bundle-plugins.mjs";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "dist", "cli");
const BUNDLED_PACKAGES = /^(zod|commander)(\/|$)/;
/** Source trees the CLI only reaches through `await import()`, kept as their tsc output. */
const SEPARATE = ["src/server/", "src/customer/", "src/tui/", "daemon/"].map((d) => join(ROOT, d));

const keepSeparate = {
  name: "keep-separate",
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === "entry-point") return undefined;
      if (!args.path.startsWith(".")) return BUNDLED_PACKAGES.test(args.path) || args.path.startsWith("node:") ? undefined : { external: true };
      const target = join(args.resolveDir, args.path);
      if (!SEPARATE.some((d) => target.startsWith(d))) return undefined;
      // The same module compiled by tsc, addressed from the bundle's directory.
      const compiled = join(ROOT, "dist", relative(ROOT, target));
      const path = relative(OUT, compiled).split(sep).join("/");
      return { path: path.startsWith(".") ? path : `./${path}`, external: true };
    });
  },
};

// Less text for V8 to scan at startup (commander is mostly comments).
await bundleNode(ROOT, { main: join(ROOT, "src", "cli", "main.ts") }, OUT, { plugins: [zodEnglishOnly, keepSeparate] });
