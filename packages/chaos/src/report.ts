import { mkdirSync, writeFileSync } from "node:fs";
import type { RunConfig, ScenarioReport } from "./run-scenario.js";

export interface RunReport {
  startedAt: string;
  finishedAt: string;
  config: Omit<RunConfig, "onProgress">;
  scenarios: ScenarioReport[];
  errors: { scenario: string; error: string }[];
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One line per scenario, for the console while the run goes on. */
export function summaryLine(r: ScenarioReport): string {
  const verdict = r.violations === 0 ? "OK" : `${r.violations} VIOLATION(S)`;
  return `${r.name}: ${verdict} | ${r.ordersAccepted} orders (${r.failedAtClient} failed at the client) | ${r.faultsInjected} faults | converged in ${s(r.convergeMs)} | ${r.duplicateCopies} duplicate event copies`;
}

export function toMarkdown(run: RunReport): string {
  const lines = [
    "# Chaos run",
    "",
    `${run.startedAt} to ${run.finishedAt}; ${run.config.orders} orders per scenario at ${run.config.ratePerSecond}/s, seed ${run.config.seed}; convergence target ${s(run.config.convergeTargetMs)}.`,
    "",
    "| scenario | orders placed | failed at client | orders in DB | faults | converged in | duplicates | dead letters | violations |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...run.scenarios.map(
      (r) =>
        `| ${r.name} | ${r.ordersAccepted} | ${r.failedAtClient} | ${r.ordersInDatabase} | ${r.faultsInjected} | ${r.converged ? s(r.convergeMs) : `no (${s(r.convergeMs)})`} | ${r.duplicateCopies} | ${Object.values(r.deadLetters).reduce((a, b) => a + b, 0)} | ${r.violations} |`,
    ),
    "",
  ];
  for (const e of run.errors) lines.push(`**${e.scenario} did not complete:** ${e.error}`, "");
  for (const r of run.scenarios) {
    lines.push(`## ${r.name}: ${r.title}`, "");
    lines.push(
      `Orders: ${r.ordersAttempted} tried, ${r.ordersAccepted} accepted, ${r.failedAtClient} failed at the client ${JSON.stringify(r.clientFailures)}, ${r.keyedRetries} keyed resends. Outcomes: ${JSON.stringify(r.outcomes)}. Load ${s(r.loadMs)}. Logs: ${r.logDir}`,
      "",
      "| invariant | result | detail |",
      "|---|---|---|",
      ...r.checks.map(
        (c) => `| ${c.name} | ${c.ok ? "ok" : "**VIOLATED**"} | ${c.detail.replaceAll("|", "\\|")} |`,
      ),
      "",
      `Faults (${r.faultsInjected}): ${r.faults.map((f) => `${s(f.atMs)} ${f.kind} ${f.target}${f.detail ? ` (${f.detail})` : ""}`).join("; ") || "none"}`,
      "",
    );
  }
  return lines.join("\n");
}

/** Writes `<dir>/chaos-<time>.{md,json}` and returns their paths. */
export function writeReport(dir: string, run: RunReport): { markdown: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = run.startedAt.replace(/[:.]/g, "-");
  const markdown = `${dir}/chaos-${stamp}.md`;
  const json = `${dir}/chaos-${stamp}.json`;
  writeFileSync(markdown, toMarkdown(run));
  writeFileSync(json, `${JSON.stringify(run, null, 2)}\n`);
  return { markdown, json };
}
