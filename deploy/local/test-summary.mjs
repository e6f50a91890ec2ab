// Sums the vitest JSON reports of every package into the line `N passed, N failed, N skipped`.
// Exits 1 when a test failed, a suite failed to load, or no report was written at all.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
let reports = 0;
for (const group of ["packages", "services", "apps", "tests"]) {
  if (!existsSync(join(root, group))) continue;
  for (const name of readdirSync(join(root, group))) {
    const file = join(root, group, name, "test-results.json");
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, "utf8"));
    reports += 1;
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    // A file that fails to import counts no test but fails the suite.
    const brokenSuites = r.testResults.filter(
      (s) => s.status === "failed" && s.assertionResults.length === 0,
    );
    failed += brokenSuites.length;
    // A run that failed without a failing test (no test files, a crashed worker) still fails.
    if (r.success === false && r.numFailedTests === 0 && brokenSuites.length === 0) failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || reports === 0 ? 1 : 0);
