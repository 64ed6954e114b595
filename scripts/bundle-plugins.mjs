// esbuild plugins and options the CLI and daemon bundles share.
import { build } from "esbuild";
import { rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * zod's `z.locales` holds every language's error messages (half of zod's size); rescue's messages
 * are English, so the bundle's `z.locales` holds `en` only.
 */
export const zodEnglishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)$/.test(args.resolveDir) ? { path: join(args.resolveDir, "..", "locales", "en.js"), namespace: "zod-locales" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: dirname(args.path),
    }));
  },
};

/** Lets a bundle's CommonJS dependencies call `require` for node built-ins. */
export const requireBanner = { js: 'import { createRequire as __rescueRequire } from "node:module"; const require = __rescueRequire(import.meta.url);' };

/**
 * Bundles `entryPoints` into `outdir` as split ESM for Node 20, whitespace and syntax minified (names
 * stay readable), with `requireBanner`; `extra` adds or overrides options. The folder is emptied
 * first (chunk names carry hashes, so no stale chunk stays behind) and gets `metafile.json`: which
 * sources each output file holds (minified output has no `// path` lines), which tests read.
 */
export async function bundleNode(root, entryPoints, outdir, extra) {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // Chunks sit beside the entry points: paths out of the bundle are relative to this directory.
    chunkNames: "[name]-[hash]",
    // CommonJS dependencies (commander, ws ...) require node built-ins.
    banner: requireBanner,
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: "warning",
    metafile: true,
    ...extra,
  });
  writeFileSync(join(outdir, "metafile.json"), JSON.stringify(result.metafile));
}
