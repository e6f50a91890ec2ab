import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Builds every overlay once (kubectl kustomize) and hands the YAML to the test files.
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 30_000,
  },
});
