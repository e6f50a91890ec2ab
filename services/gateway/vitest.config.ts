import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: "component", include: ["test/**/*.test.ts"], exclude: ["test/e2e/**"] },
      },
      {
        // The whole platform as real processes, started once for all end-to-end files.
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/e2e/global-setup.ts"],
          testTimeout: 90_000,
        },
      },
    ],
  },
});
