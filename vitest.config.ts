import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Media and e2e tests spawn real processes; two cores do not like more than two at once.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
