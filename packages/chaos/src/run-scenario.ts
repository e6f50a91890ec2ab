import { auditEvents } from "./event-audit.js";
import type { FaultContext, FaultRecord, Injector } from "./faults.js";
import { type Check, checkInvariants } from "./invariants.js";
import { startLoad } from "./load.js";
import { waitForQuiet } from "./quiet.js";
import { createRandom, type Random } from "./random.js";
import type { Rig, RigOptions } from "./rig.js";
import type { Crash } from "./supervisor.js";

export interface Scenario {
  name: string;
  title: string;
  rig?: RigOptions;
  inject: Injector;
  /** Extra checks once the system is quiet (e.g. replay the topics and compare). */
  afterQuiet?: (rig: Rig, random: Random) => Promise<Check[]>;
}

export interface RunConfig {
  orders: number;
  ratePerSecond: number;
  /** Every saga must converge within this after the faults and the load stop. */
  convergeTargetMs: number;
  /** How long to wait for quiet at most, before checking anyway. */
  quietBoundMs: number;
  seed: number;
  onProgress?: (line: string) => void;
}

export interface ScenarioReport {
  name: string;
  title: string;
  ordersAttempted: number;
  ordersAccepted: number;
  failedAtClient: number;
  clientFailures: Record<string, number>;
  keyedRetries: number;
  ordersInDatabase: number;
  outcomes: Record<string, number>;
  faults: FaultRecord[];
  /** Services that died on their own (restarted by the supervisor); `at` from the load's start. */
  crashes: Crash[];
  faultsInjected: number;
  loadMs: number;
  convergeMs: number;
  converged: boolean;
  duplicateCopies: number;
  deadLetters: Record<string, number>;
  checks: Check[];
  violations: number;
  logDir: string;
}

/** Faults that count as injected (restarts and resumes are their healing, not new faults). */
const HEALING = new Set(["restarted", "broker started", "SIGCONT", "redis started", "postgres restarted"]);

/**
 * Waits until an order goes through (a service of the rig may still be coming back from the
 * previous scenario, or the gateway's circuit still open), so each scenario starts healthy.
 */
async function untilOrdersFlow(rig: Rig, timeoutMs = 90_000) {
  const customer = rig.shop.customers[0]!;
  const product = rig.shop.products.find((p) => !p.scarce)!;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await rig.api.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
    if ("id" in res) return;
    if (Date.now() > deadline)
      throw new Error(`no order accepted within ${timeoutMs} ms: ${JSON.stringify(res)}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/**
 * One scenario on a rig: steady load, the faults while it runs, then stop the load, wait for
 * quiet (bounded) and check every invariant against the databases, the broker and the API.
 */
export async function runScenario(rig: Rig, scenario: Scenario, cfg: RunConfig): Promise<ScenarioReport> {
  const random = createRandom(cfg.seed);
  const say = cfg.onProgress ?? (() => {});
  await untilOrdersFlow(rig);
  const faults: FaultRecord[] = [];
  const started = Date.now();
  const crashesBefore = rig.supervisor.crashes.length;
  const load = startLoad({ api: rig.api, shop: rig.shop, random, ratePerSecond: cfg.ratePerSecond });
  const ctx: FaultContext = {
    stack: rig.stack,
    observer: rig.observer,
    supervisor: rig.supervisor,
    random,
    broker: rig.broker,
    redis: rig.redis,
    loadRunning: () => load.stats.attempted < cfg.orders,
    record: (kind, target, detail) => {
      faults.push({ atMs: Date.now() - started, kind, target, ...(detail ? { detail } : {}) });
      say(
        `  ${((Date.now() - started) / 1000).toFixed(1)}s ${kind} ${target}${detail ? ` (${detail})` : ""}`,
      );
    },
  };
  let faultsDone = false;
  let faultError: unknown;
  const injected = scenario
    .inject(ctx)
    .catch((err) => {
      faultError = err;
    })
    .finally(() => {
      faultsDone = true;
    });
  const ticker = setInterval(() => {
    const s = load.stats;
    say(
      `  ${((Date.now() - started) / 1000).toFixed(0)}s: ${s.attempted} orders tried, ${s.accepted} accepted, ${s.failedAtClient} failed at the client`,
    );
  }, 10_000);
  try {
    await load.stop(() => (load.stats.attempted >= cfg.orders && faultsDone) || faultError !== undefined);
    await injected;
  } finally {
    clearInterval(ticker);
  }
  if (faultError) throw faultError;
  const stats = load.stats;
  say(`  load done: ${stats.attempted} tried, ${stats.accepted} accepted; waiting for quiet`);

  const quiet = await waitForQuiet(rig.observer, cfg.quietBoundMs, say);
  const audit = await auditEvents(rig.observer);
  say(
    `  quiet after ${(quiet.ms / 1000).toFixed(1)} s; ${audit.messages} saga messages read; checking invariants`,
  );
  const checks: Check[] = [
    {
      name: `every saga converged within ${cfg.convergeTargetMs / 1000} s after the faults and the load`,
      ok: quiet.converged && quiet.ms <= cfg.convergeTargetMs,
      detail: quiet.converged
        ? `${(quiet.ms / 1000).toFixed(1)} s`
        : `not within ${quiet.ms} ms: ${quiet.open.join("; ")}`,
    },
    ...(await checkInvariants({
      observer: rig.observer,
      api: rig.api,
      shop: rig.shop,
      audit,
      sampleOrders: stats.orderIds.slice(-50),
      idempotencyViolations: stats.idempotencyViolations,
    })),
  ];
  if (scenario.afterQuiet) checks.push(...(await scenario.afterQuiet(rig, random)));
  const crashes = rig.supervisor.crashes.slice(crashesBefore);
  checks.push({
    name: "no service crashed on its own",
    ok: crashes.length === 0,
    detail:
      crashes.length === 0
        ? "none"
        : crashes
            .slice(0, 3)
            .map((c) => `${c.service} at ${((c.at - started) / 1000).toFixed(1)} s: ${c.cause}`)
            .join("; ") + (crashes.length > 3 ? `; ... (${crashes.length} in all)` : ""),
  });

  const outcomes = await rig.observer.db("order")`
    select case when status = 'CANCELLED' then 'CANCELLED ' || cancel_reason else status end as outcome,
           count(*)::int as n
    from orders group by 1 order by 1`;
  const outcomeCounts = Object.fromEntries(outcomes.map((r) => [r.outcome as string, r.n as number]));
  return {
    name: scenario.name,
    title: scenario.title,
    ordersAttempted: stats.attempted,
    ordersAccepted: stats.accepted,
    failedAtClient: stats.failedAtClient,
    clientFailures: stats.failures,
    keyedRetries: stats.keyedRetries,
    ordersInDatabase: Object.values(outcomeCounts).reduce((a, b) => a + b, 0),
    outcomes: outcomeCounts,
    faults,
    crashes: crashes.map((c) => ({ ...c, at: c.at - started })),
    faultsInjected: faults.filter((f) => !HEALING.has(f.kind)).length,
    loadMs: stats.durationMs,
    convergeMs: quiet.ms,
    converged: quiet.converged,
    duplicateCopies: audit.duplicateCopies,
    deadLetters: await rig.observer.deadLetterCounts(),
    checks,
    violations: checks.filter((c) => !c.ok).length,
    logDir: rig.stack.logDir,
  };
}
