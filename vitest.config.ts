import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["host-tests/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Wasm work is CPU-bound; two cores on CI.
    maxWorkers: 2,
  },
});
