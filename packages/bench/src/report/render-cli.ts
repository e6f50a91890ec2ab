/**
 * Renders a report again from its JSON (after a change to the Markdown or the target rules).
 * Usage: node dist/report/render-cli.js bench-results/saga-<time>/report.json
 */
import { readFileSync, writeFileSync } from "node:fs";
import { renderMarkdown } from "./markdown.js";
import type { BenchReport } from "./report.js";
import { evaluateTargets } from "./targets.js";

const path = process.argv[2];
if (!path) {
  console.error("usage: render-cli <report.json>");
  process.exit(2);
}
const report = JSON.parse(readFileSync(path, "utf8")) as BenchReport;
report.targets = evaluateTargets(report);
const out = path.replace(/\.json$/, ".md");
writeFileSync(out, renderMarkdown(report));
console.log(out);
