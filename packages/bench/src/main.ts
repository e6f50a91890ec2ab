/**
 * The saga benchmark: the whole platform under an open-model load, against the machine's own
 * HTTP and database ceilings measured in the same run. Run: `pnpm --filter @shop/bench bench`
 * (BENCH_QUICK=1 for a ~4-minute smoke run; every setting in config.ts). Writes a Markdown and
 * a JSON report, SVG charts and CPU profiles under bench-results/.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { createLogger } from "@shop/platform";
import { benchSocketDir, kafkaBrokers, pgServerUrl, SERVICE_NAMES } from "@shop/testkit";
import postgres from "postgres";
import { runPgbenchCeiling } from "./baselines/pgbench.js";
import { measureReadPath } from "./baselines/read-path.js";
import { loadConfig } from "./config.js";
import {
  findSustainableRate,
  judgeStep,
  keptUpRate,
  nextSustainRate,
  onlyLatencyMissed,
  rateSteps,
} from "./load/rate-plan.js";
import { summariseDirectory } from "./profile/summarise.js";
import { stackGrouping, startCpuUsage } from "./report/cpu-usage.js";
import { startDbWaitSampler } from "./report/db-wait-sampler.js";
import { hopTimesBetween, hopTotalsOf } from "./report/hop-times.js";
import { kafkaVersion, machineInfo, postgresInfo } from "./report/machine.js";
import { renderMarkdown } from "./report/markdown.js";
import { readMemoryBreakdown } from "./report/memory-breakdown.js";
import { createProgress } from "./report/progress.js";
import { relayRoundsBetween, relayRoundTotalsOf } from "./report/relay-rounds.js";
import { type BenchReport, type Failed, type StepReport, sagasFinished } from "./report/report.js";
import { readRssMb, startRssSampler } from "./report/rss-sampler.js";
import { readServicesMetrics } from "./report/service-metrics.js";
import { lineChart } from "./report/svg-chart.js";
import { evaluateTargets } from "./report/targets.js";
import {
  BENCH_ENV,
  BENCH_NODE_ARGS,
  BENCH_SERVICE_ENV,
  startBenchStack,
  unbuiltServices,
} from "./saga/bench-stack.js";
import { warmBroker } from "./saga/broker-warmup.js";
import type { SagaStepResult } from "./saga/saga-load.js";
import { openSagaSession } from "./saga/saga-session.js";
import { refreshTokens } from "./saga/seed.js";

const cfg = loadConfig(process.env);
const progress = createProgress();
const logger = createLogger({ service: "bench", level: "warn" });
const failed = (err: unknown): Failed => ({ error: (err as Error).message ?? String(err) });
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const outDir = `${cfg.outDir}/saga-${stamp}`;
const stoppers: (() => Promise<unknown>)[] = [];

async function stopAll() {
  while (stoppers.length) await stoppers.pop()!().catch(() => {});
}

process.once("SIGINT", () => {
  progress.say("interrupted: stopping the stack");
  void stopAll().then(() => process.exit(130));
});

async function main() {
  const socketDir = benchSocketDir();
  if (!cfg.gatewayUrl && unbuiltServices().length > 0) {
    throw new Error(`services not built (${unbuiltServices().join(", ")}): run \`pnpm turbo build\` first`);
  }
  if (cfg.gatewayUrl && (!cfg.adminEmail || !cfg.adminPassword)) {
    throw new Error(
      "BENCH_GATEWAY_URL needs BENCH_ADMIN_EMAIL and BENCH_ADMIN_PASSWORD (and BENCH_TOPIC_PREFIX if not empty)",
    );
  }
  mkdirSync(outDir, { recursive: true });
  const startedAt = new Date();
  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: "",
    mode: cfg.quick ? "quick" : "full",
    command: `${cfg.quick ? "BENCH_QUICK=1 " : ""}pnpm --filter @shop/bench bench`,
    machine: { atStart: machineInfo(), loadAverageAtEnd: [] },
    versions: {
      node: process.version,
      kafka: kafkaVersion(),
      postgres: await postgresInfo(`${pgServerUrl()}/postgres`).catch(failed),
    },
    settings: {
      ...cfg,
      adminPassword: undefined,
      stack: cfg.gatewayUrl
        ? `running stack at ${cfg.gatewayUrl}`
        : `own stack (six services as processes, @shop/testkit startStack); PostgreSQL over ${
            socketDir ? `its Unix socket in ${socketDir}` : "TCP"
          } (BENCH_PG_SOCKET)`,
      env: BENCH_ENV,
      serviceEnv: BENCH_SERVICE_ENV,
      nodeArgs: BENCH_NODE_ARGS,
    } as BenchReport["settings"],
    readPath: undefined,
    dbActivity: undefined,
    dbActivityFailures: undefined,
    capacity: undefined,
    memory: undefined,
    ordersAfterSustained: undefined,
    database: undefined,
    warmups: [],
    steps: [],
    sustainableRate: 0,
    sustained: undefined,
    rss: { idle: {}, sustained: undefined },
    profile: undefined,
    targets: [],
    files: { latencyChart: "latency.svg", throughputChart: "throughput.svg", stepsChart: "steps.svg" },
  };

  // 1. A warm broker, then the stack and its data. A broker that has just started is still
  // compiling its hot paths, which would count against whatever is measured first.
  if (cfg.brokerWarmupSeconds > 0) {
    progress.say(`broker warm-up: messages through three topics for ${cfg.brokerWarmupSeconds} s`);
    report.brokerWarmup = await warmBroker({
      brokers: kafkaBrokers(),
      logger,
      seconds: cfg.brokerWarmupSeconds,
    }).catch(failed);
  } else report.brokerWarmup = { skipped: "BENCH_BROKER_WARMUP_SECONDS=0" };

  const first = await openStack();
  const { gatewayUrl } = first;
  let { session, pids, databases, httpPorts } = first;
  for (const [name, pid] of Object.entries(pids)) report.rss.idle[name] = pid ? readRssMb(pid) : undefined;

  // 2. Baselines, while the stack is idle.
  progress.say(`read path: bare Fastify vs gateway, ${cfg.readSeconds} s each in ${cfg.readRounds} rounds`);
  report.readPath = await measureReadPath({
    gatewayUrl,
    gatewayMetricsUrl: httpPorts.gateway ? `http://127.0.0.1:${httpPorts.gateway}` : undefined,
    productId: session.productIds[0]!,
    connections: cfg.readConnections,
    durationMs: cfg.readSeconds * 1000,
    rounds: cfg.readRounds,
  }).catch(failed);
  progress.say(`database ceiling: pgbench, ${cfg.pgbench.seconds} s`);
  report.database = await runPgbenchCeiling({ ...cfg.pgbench, products: cfg.products, users: 1_000 }).catch(
    failed,
  );

  // 3. Step the arrival rate up until a limit breaks.
  const steps = rateSteps(cfg.rates, cfg.maxRate);
  /** `windowMs`: the CPU count is also cut into windows of that length (0: the run's total only). */
  const runStep = async (label: string, rate: number, seconds: number, windowMs = 0) => {
    await refreshTokens(session.api, session.customers);
    // Each step starts on an empty pipeline: a backlog from the step before would be measured twice.
    const left = await session.settle(cfg.settleSeconds * 1000);
    if (left !== 0) {
      progress.say(
        `consumers still ${left < 0 ? "unreadable" : `${left} messages behind`}; ${label} starts anyway`,
      );
    }
    const cpu = startCpuUsage(stackGrouping(pids), windowMs);
    const result = await session.load.runStep({
      label,
      rate,
      durationMs: seconds * 1000,
      maxOutstanding: cfg.maxOutstanding,
      drainMs: cfg.drainSeconds * 1000,
    });
    progress.say(describe(result));
    return { ...result, cpu: cpu.stop() };
  };
  const warmUp = async (rate: number) => {
    if (cfg.warmupSeconds <= 0) return;
    progress.say(`warm-up: ${rate}/s for ${cfg.warmupSeconds} s (not judged)`);
    report.warmups!.push(await runStep("warm-up", rate, cfg.warmupSeconds));
  };
  await warmUp(steps[0]!);
  const found = await findSustainableRate(
    steps,
    (rate) => runStep("step", rate, cfg.stepSeconds),
    cfg.limits,
    cfg.stepAttempts,
    cfg.refineSteps,
  );
  report.steps = found.results;
  report.sustainableRate = found.best;
  const failedRate = found.stoppedAt;
  const above = failedRate ? steps.filter((r) => r > failedRate.rate) : [];
  if (cfg.capacityProbe && failedRate) {
    // Throughput without the latency limit: where completions stop keeping up with arrivals. When
    // the step that stopped the walk already fell behind, that place is known and no step is added.
    const skipped = !onlyLatencyMissed(failedRate.verdict)
      ? "the step that stopped the walk already fell behind its arrivals"
      : above.length === 0
        ? "no rate left above the step that stopped the walk"
        : undefined;
    const probe = skipped === undefined;
    if (probe) progress.say("capacity probe: the steps go on with the p99 limit lifted");
    const capacity = probe
      ? await findSustainableRate(above, (rate) => runStep("capacity", rate, cfg.stepSeconds), {
          ...cfg.limits,
          p99Ms: Number.POSITIVE_INFINITY,
        })
      : { results: [] };
    report.capacity = {
      rate: keptUpRate([...found.results, ...capacity.results]),
      steps: capacity.results,
      ...(skipped ? { skipped } : {}),
    };
  }

  // 4. The sustained run at the best rate (the lowest step when none held, to still show where it stands).
  // On a fresh stack when the bench owns it: the steps above that rate overload the services, and a
  // Node process keeps the memory its heap grew to, so RSS read after them would be the overload's.
  let sustainRate = found.best || steps[0]!;
  if (!cfg.gatewayUrl) {
    await stopAll();
    progress.say("a fresh stack for the sustained run");
    ({ session, pids, databases, httpPorts } = await openStack());
    for (const [name, pid] of Object.entries(pids)) report.rss.idle[name] = pid ? readRssMb(pid) : undefined;
    await warmUp(sustainRate);
  }
  const sustain = async (rate: number) => {
    progress.say(`sustained run: ${rate}/s for ${cfg.sustainSeconds} s`);
    const sampler = startRssSampler(pids);
    const waits = Object.keys(databases).length ? startDbWaitSampler(pgServerUrl(), databases) : undefined;
    // About six windows over the run: enough to see a minute's creep or a stall, few enough to read.
    const windowMs = Math.max(5, Math.round(cfg.sustainSeconds / 6)) * 1000;
    // The relays' rounds and the events' stretches, from the services' metrics before and after.
    const metricsBefore = await readServicesMetrics(httpPorts);
    const metricsFrom = performance.now();
    const run = await runStep("sustained", rate, cfg.sustainSeconds, windowMs);
    const rss = sampler.stop();
    const metricsAfter = await readServicesMetrics(httpPorts);
    const metricsSeconds = (performance.now() - metricsFrom) / 1000;
    report.relayRounds = relayRoundsBetween(
      relayRoundTotalsOf(metricsBefore),
      relayRoundTotalsOf(metricsAfter),
      metricsSeconds,
    );
    report.hopTimes = hopTimesBetween(hopTotalsOf(metricsBefore), hopTotalsOf(metricsAfter), metricsSeconds);
    report.memory = await readMemoryBreakdown(httpPorts);
    report.dbActivity = await waits?.stop();
    if (databases.order)
      report.ordersAfterSustained = await ordersByStatus(databases.order).catch(() => undefined);
    if (Object.keys(pids).length > 0) report.rss.sustained = rss;
    report.sustained = { ...run, verdict: judgeStep(run, cfg.limits) };
    return report.sustained;
  };
  let sustained = await sustain(sustainRate);
  // A minute can miss where a step's 20 s passed, most of all at a refined rate right at the
  // limit: then again, on the same warm stack, lower (see `nextSustainRate`).
  const misses: StepReport[] = [];
  while (!sustained.verdict.sustainable) {
    misses.push(sustained);
    const next = nextSustainRate(
      report.steps,
      misses.map((m) => m.rate),
      cfg.sustainRefine,
    );
    if (next === undefined) break;
    report.sustainedMisses = [...misses];
    progress.say(`the sustained run missed at ${sustainRate}/s; once more at ${next}/s`);
    sustainRate = next;
    sustained = await sustain(sustainRate);
  }
  writeCharts(sustained);
  // One point per rate: the run that decided it.
  writeStepsChart(report.steps.filter((step) => !step.verdict.retried));
  await stopAll();

  // 5. Where the time goes: the same load against a stack running under the CPU profiler.
  if (!cfg.profile) report.profile = { skipped: "BENCH_PROFILE=0" };
  else if (cfg.gatewayUrl) report.profile = { skipped: "profiles need the bench's own stack" };
  else report.profile = await profileRun(sustainRate).catch(failed);

  report.machine.loadAverageAtEnd = machineInfo().loadAverage;
  report.finishedAt = new Date().toISOString();
  report.targets = evaluateTargets(report);
  writeFileSync(`${outDir}/report.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${outDir}/report.md`, renderMarkdown(report));
  copyFileSync(`${outDir}/report.md`, `${cfg.outDir}/saga-latest.md`);
  copyFileSync(`${outDir}/report.json`, `${cfg.outDir}/saga-latest.json`);
  progress.say(`\nreport: ${outDir}/report.md`);
  for (const t of report.targets) {
    progress.say(`${t.met === null ? "n/a   " : t.met ? "MET   " : "MISSED"} ${t.name}: ${t.result}`);
  }
}

/** The bench's own stack (or the one at BENCH_GATEWAY_URL) with customers, products and a load generator. */
async function openStack() {
  let gatewayUrl = cfg.gatewayUrl;
  let admin = { email: cfg.adminEmail ?? "", password: cfg.adminPassword ?? "" };
  let topicPrefix = cfg.topicPrefix;
  let pids: Record<string, number | undefined> = {};
  let databases: Record<string, string> = {};
  let httpPorts: Record<string, number> = {};
  if (!gatewayUrl) {
    progress.say("starting the stack (six services, own databases and topics)");
    const started = await startBenchStack();
    stoppers.push(() => started.stack.stop());
    gatewayUrl = started.stack.gatewayUrl;
    admin = started.stack.admin;
    topicPrefix = started.stack.topicPrefix;
    pids = started.pids;
    databases = started.databases;
    httpPorts = started.httpPorts;
  }
  const session = await openSagaSession({
    gatewayUrl,
    admin,
    brokers: kafkaBrokers(),
    topicPrefix,
    connections: cfg.connections,
    timeoutMs: cfg.timeoutMs,
    customers: cfg.customers,
    products: cfg.products,
    logger,
    progress,
  });
  stoppers.push(() => session.close());
  return { session, pids, databases, httpPorts, gatewayUrl };
}

async function ordersByStatus(url: string): Promise<Record<string, number>> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<
      { status: string; n: number }[]
    >`select status, count(*)::int as n from orders group by status`;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function describe(s: SagaStepResult): string {
  return (
    `${s.label} ${s.rate}/s: ${s.completedPerSecond.toFixed(1)} completed/s, p50 ${s.latencyMs.p50.toFixed(0)} ms, ` +
    `p99 ${s.latencyMs.p99.toFixed(0)} ms, ${s.failed} failed, ${s.dropped} dropped, ${s.unfinished} unfinished`
  );
}

function writeCharts(s: SagaStepResult) {
  const points = (pick: (p: SagaStepResult["timeline"][number]) => number) =>
    s.timeline.map((p) => [p.second, pick(p)] as [number, number]);
  writeFileSync(
    `${outDir}/latency.svg`,
    lineChart({
      title: `Create-to-terminal latency per second, ${s.rate} orders/s offered`,
      xLabel: "seconds into the sustained run",
      yLabel: "latency (ms)",
      series: [
        { name: "p50", color: "#2b8a3e", points: points((p) => p.p50) },
        { name: "p95", color: "#e67700", points: points((p) => p.p95) },
        { name: "p99", color: "#c92a2a", points: points((p) => p.p99) },
      ],
      guides: [{ y: cfg.limits.p99Ms, label: `p99 target ${cfg.limits.p99Ms} ms`, color: "#868e96" }],
    }),
  );
  writeFileSync(
    `${outDir}/throughput.svg`,
    lineChart({
      title: `Orders sent and sagas completed per second, ${s.rate} orders/s offered`,
      xLabel: "seconds into the sustained run",
      yLabel: "per second",
      series: [
        { name: "sent", color: "#1c7ed6", points: points((p) => p.sent) },
        { name: "completed", color: "#2b8a3e", points: points((p) => p.completed) },
      ],
      guides: [{ y: s.rate, label: `offered ${s.rate}/s`, color: "#868e96" }],
    }),
  );
}

function writeStepsChart(steps: SagaStepResult[]) {
  const byRate = [...steps].sort((a, b) => a.rate - b.rate);
  const by = (pick: (s: SagaStepResult) => number) =>
    byRate.map((s) => [s.rate, pick(s)] as [number, number]);
  writeFileSync(
    `${outDir}/steps.svg`,
    lineChart({
      title: "Create-to-terminal latency by offered rate (rate steps)",
      xLabel: "orders per second offered",
      yLabel: "latency (ms)",
      series: [
        { name: "p50", color: "#2b8a3e", points: by((s) => s.latencyMs.p50) },
        { name: "p95", color: "#e67700", points: by((s) => s.latencyMs.p95) },
        { name: "p99", color: "#c92a2a", points: by((s) => s.latencyMs.p99) },
      ],
      guides: [{ y: cfg.limits.p99Ms, label: `p99 target ${cfg.limits.p99Ms} ms`, color: "#868e96" }],
    }),
  );
}

async function profileRun(rate: number): Promise<NonNullable<BenchReport["profile"]>> {
  const dir = `${outDir}/profiles`;
  progress.say(
    `profiling: a stack under the CPU profiler at ${rate}/s for ${cfg.profileSeconds} s, then the read path`,
  );
  const { stack, pids } = await startBenchStack(dir);
  stoppers.push(() => stack.stop());
  const toggleProfilers = () => {
    for (const pid of Object.values(pids)) if (pid) process.kill(pid, "SIGUSR2");
  };
  const session = await openSagaSession({
    gatewayUrl: stack.gatewayUrl,
    admin: stack.admin,
    brokers: kafkaBrokers(),
    topicPrefix: stack.topicPrefix,
    connections: cfg.connections,
    timeoutMs: cfg.timeoutMs,
    customers: Math.min(cfg.customers, 8),
    products: cfg.products,
    logger,
    progress,
  });
  stoppers.push(() => session.close());
  const step = (label: string, durationMs: number) =>
    session.load.runStep({
      label,
      rate,
      durationMs,
      maxOutstanding: cfg.maxOutstanding,
      drainMs: cfg.drainSeconds * 1000,
    });
  // Warm up at the same rate first, so the profile shows steady state rather than JIT compilation.
  await step("profile warm-up", Math.max(5, cfg.warmupSeconds) * 1000);
  toggleProfilers();
  const cpu = startCpuUsage(stackGrouping(pids));
  const profiled = await step("profile", cfg.profileSeconds * 1000);
  const kernel = cpu.stop();
  toggleProfilers();
  progress.say(describe(profiled));
  // Second profile of every process: the read path at full speed (what the gateway adds to a read).
  await measureReadPath({
    gatewayUrl: stack.gatewayUrl,
    productId: session.productIds[0]!,
    connections: cfg.readConnections,
    durationMs: 2_000,
    skipBare: true,
  });
  toggleProfilers();
  await measureReadPath({
    gatewayUrl: stack.gatewayUrl,
    productId: session.productIds[0]!,
    connections: cfg.readConnections,
    durationMs: cfg.readSeconds * 1000,
    skipBare: true,
  });
  toggleProfilers();
  // Give the processes a moment to write the profiles before they are stopped.
  await new Promise((r) => setTimeout(r, 1_000));
  await stopAll();
  const services: Record<string, ReturnType<typeof summariseDirectory>> = {};
  const readPath: Record<string, ReturnType<typeof summariseDirectory>> = {};
  for (const name of SERVICE_NAMES) {
    services[name] = summariseDirectory(`${dir}/${name}`, 15, 1);
    if (name === "gateway" || name === "product")
      readPath[name] = summariseDirectory(`${dir}/${name}`, 15, 2);
  }
  const kernelCpuSeconds: Record<string, number> = {};
  for (const name of SERVICE_NAMES) {
    const seconds = kernel.groups[name]?.seconds;
    if (seconds !== undefined) kernelCpuSeconds[name] = seconds;
  }
  return {
    rate,
    seconds: cfg.profileSeconds,
    services,
    sagas: sagasFinished(profiled),
    kernelCpuSeconds,
    readPath,
    readSeconds: cfg.readSeconds,
  };
}

main()
  .then(() => process.exit(0))
  .catch(async (err) => {
    progress.say(`bench failed: ${(err as Error).stack ?? err}`);
    await stopAll();
    process.exit(1);
  });
