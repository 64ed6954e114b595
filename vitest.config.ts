import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores. `npm test` runs the real-time suites (media, e2e, collab, browser) afterwards,
    // one file at a time: they judge frame counts and timing, which a busy machine distorts.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
