// esbuild plugins the CLI and daemon bundles share.
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
