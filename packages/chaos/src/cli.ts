#!/usr/bin/env node
/**
 * `pnpm --filter @shop/chaos chaos`: runs the fault scenarios one after another, each on a fresh
 * stack, prints a line per scenario and writes a Markdown and a JSON report to bench-results/chaos.
 *
 *   CHAOS_SCENARIOS            comma-separated names (default: all); or --scenarios=a,b
 *   CHAOS_ORDERS_PER_SCENARIO  orders to place per scenario (default 1700: ~11,900 tried, over 10,000 accepted even with the orders kill-9 loses at the client); or --orders=N
 *   CHAOS_RATE                 orders per second (default 8: what this 2-core machine sustains); or --rate=N
 *   CHAOS_SEED                 seed of the order mix and the fault choices (default: time)
 *   CHAOS_CONVERGE_TARGET_MS   convergence target after the last fault (default 30000)
 *   CHAOS_QUIET_BOUND_MS       longest wait for quiet before checking anyway (default 120000)
 *   CHAOS_RESTART_POSTGRES=1   adds "pg-restart": restarts the PostgreSQL server itself. Off by
 *                              default: the server is shared by everything on the machine.
 */
import { fileURLToPath } from "node:url";
import { restartPostgresServer } from "./faults.js";
import { type RunReport, summaryLine, writeReport } from "./report.js";
import { openRig, type Rig } from "./rig.js";
import { type RunConfig, runScenario, type Scenario } from "./run-scenario.js";
import { SCENARIOS } from "./scenarios.js";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function option(flag: string, env: string): string | undefined {
  const arg = process.argv.find((a) => a.startsWith(`--${flag}=`));
  return arg ? arg.slice(flag.length + 3) : process.env[env];
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got '${raw}'`);
  return n;
}

let current: Rig | undefined;

/** Ctrl-C or a bug of the harness must not leave a stack's processes and databases behind. */
function closeOnExit() {
  const bail = (code: number) => async (reason?: unknown) => {
    if (reason instanceof Error) console.error(reason);
    await current?.close().catch(() => {});
    process.exit(code);
  };
  process.once("SIGINT", bail(130));
  process.once("SIGTERM", bail(143));
  process.once("unhandledRejection", bail(1));
  process.once("uncaughtException", bail(1));
}

async function main() {
  closeOnExit();
  const all: Scenario[] = [...SCENARIOS];
  if (process.env.CHAOS_RESTART_POSTGRES === "1")
    all.push({
      name: "pg-restart",
      title: "the PostgreSQL server restarted mid-load (shared server: manual only)",
      inject: restartPostgresServer(10_000),
    });
  const wanted = option("scenarios", "CHAOS_SCENARIOS")
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted?.filter((w) => !all.some((s) => s.name === w)) ?? [];
  if (unknown.length > 0)
    throw new Error(`unknown scenario(s) ${unknown.join(", ")}; known: ${all.map((s) => s.name).join(", ")}`);
  const selected = wanted ? all.filter((s) => wanted.includes(s.name)) : all;
  const cfg: RunConfig = {
    orders: positive("CHAOS_ORDERS_PER_SCENARIO", option("orders", "CHAOS_ORDERS_PER_SCENARIO"), 1700),
    ratePerSecond: positive("CHAOS_RATE", option("rate", "CHAOS_RATE"), 8),
    convergeTargetMs: positive("CHAOS_CONVERGE_TARGET_MS", process.env.CHAOS_CONVERGE_TARGET_MS, 30_000),
    quietBoundMs: positive("CHAOS_QUIET_BOUND_MS", process.env.CHAOS_QUIET_BOUND_MS, 120_000),
    seed: positive("CHAOS_SEED", process.env.CHAOS_SEED, Date.now() % 1_000_000_007),
  };
  const run: RunReport = {
    startedAt: new Date().toISOString(),
    finishedAt: "",
    config: cfg,
    scenarios: [],
    errors: [],
  };
  console.log(
    `chaos: ${selected.map((s) => s.name).join(", ")}; ${cfg.orders} orders each at ${cfg.ratePerSecond}/s, seed ${cfg.seed}`,
  );
  for (const [i, scenario] of selected.entries()) {
    console.log(`[${scenario.name}] ${scenario.title}`);
    const rig = await openRig(scenario.rig).catch((err: Error) => {
      run.errors.push({ scenario: scenario.name, error: `stack did not start: ${err.message}` });
      return undefined;
    });
    if (!rig) continue;
    current = rig;
    try {
      const report = await runScenario(rig, scenario, {
        ...cfg,
        seed: cfg.seed + i,
        onProgress: (line) => console.log(`[${scenario.name}]${line}`),
      });
      run.scenarios.push(report);
      console.log(summaryLine(report));
      for (const c of report.checks.filter((c) => !c.ok)) console.log(`  VIOLATED ${c.name}: ${c.detail}`);
    } catch (err) {
      run.errors.push({ scenario: scenario.name, error: (err as Error).stack ?? String(err) });
      console.log(`${scenario.name}: ERROR ${(err as Error).message} (logs: ${rig.stack.logDir})`);
    } finally {
      await rig.close();
      current = undefined;
    }
  }
  run.finishedAt = new Date().toISOString();
  const files = writeReport(`${REPO_ROOT}bench-results/chaos`, run);
  const violations = run.scenarios.reduce((n, r) => n + r.violations, 0);
  const orders = run.scenarios.reduce((n, r) => n + r.ordersAccepted, 0);
  console.log(
    `chaos: ${orders} orders in ${run.scenarios.length} scenarios, ${violations} violation(s), ${run.errors.length} error(s); report ${files.markdown}`,
  );
  process.exitCode = violations === 0 && run.errors.length === 0 ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
