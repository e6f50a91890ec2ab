/**
 * Prints the self-time summary of .cpuprofile files as Markdown.
 * Usage: node dist/profile/summarise-cli.js <file.cpuprofile | directory>... [--top N]
 */
import { readFileSync, statSync } from "node:fs";
import { profileSummaryMarkdown } from "../report/markdown.js";
import { type CpuProfile, summariseDirectory, summariseProfile } from "./summarise.js";

const args = process.argv.slice(2);
const topAt = args.indexOf("--top");
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 15;
if (args.length === 0) {
  console.error("usage: summarise-cli <file.cpuprofile | directory>... [--top N]");
  process.exit(2);
}
for (const path of args) {
  const summary = statSync(path).isDirectory()
    ? summariseDirectory(path, top)
    : summariseProfile(JSON.parse(readFileSync(path, "utf8")) as CpuProfile, top);
  console.log(summary ? profileSummaryMarkdown(path, summary) : `${path}: no .cpuprofile found\n`);
}
