import { heldRates } from "../load/rate-plan.js";
import type { ProfileSummary } from "../profile/summarise.js";
import type { SagaStepResult } from "../saga/saga-load.js";
import type { LatencySummary } from "../stats/percentiles.js";
import { cpuShares } from "./cpu-usage.js";
import { hopWhat, pathToPaid } from "./hop-times.js";
import {
  type BenchReport,
  isFailed,
  type MeasuredRun,
  machineMsPerSaga,
  missedSustainedRuns,
  sagasFinished,
} from "./report.js";
import { ratesInWords } from "./targets.js";

const f = (v: number | null | undefined, d = 0) =>
  v === null || v === undefined || !Number.isFinite(v) ? "n/a" : v.toFixed(d);
const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : "n/a");
const lat = (s: LatencySummary) => `${f(s.p50, 1)} / ${f(s.p95, 1)} / ${f(s.p99, 1)} / ${f(s.max, 1)}`;

function table(head: string[], rows: (string | number)[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

/**
 * A run's CPU window by window, beside what the saga did in the same seconds: the parts that kept
 * at least a twentieth of a core busy, busiest first. Empty when the run was counted as a whole.
 */
export function cpuWindowsTable(run: MeasuredRun): string {
  const windows = run.cpu?.windows ?? [];
  if (windows.length === 0) return "";
  const total = new Map<string, number>();
  const wall = windows.reduce((sum, w) => sum + w.seconds, 0);
  for (const w of windows) {
    for (const [group, cores] of Object.entries(w.cores)) {
      total.set(group, (total.get(group) ?? 0) + cores * w.seconds);
    }
  }
  const parts = [...total]
    .filter(([, seconds]) => seconds / wall >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([group]) => group);
  const rows = windows.map((w) => {
    const from = Math.round(w.at);
    const to = Math.round(w.at + w.seconds);
    const seconds = run.timeline.filter((t) => t.second >= from && t.second < to);
    const completed = seconds.reduce((sum, t) => sum + t.completed, 0);
    // A second without completions has no p99 (NaN, null once read back from the JSON).
    const p99s = seconds.map((t) => t.p99).filter((v) => Number.isFinite(v));
    const worst = p99s.length > 0 ? Math.max(...p99s) : Number.NaN;
    return [
      `${from}-${to}`,
      f(completed / w.seconds, 1),
      f(worst),
      f(w.machineCores, 2),
      f(completed > 0 ? (w.machineCores * w.seconds * 1000) / completed : Number.NaN, 1),
      ...parts.map((g) => f(w.cores[g] ?? 0, 2)),
      f(w.stealCores, 2),
    ];
  });
  return table(
    [
      "seconds",
      "completed/s",
      "worst second's p99 ms",
      "machine cores",
      "machine ms per saga",
      ...parts.map((g) => g.replace(/ \(.*$/, "")),
      "steal",
    ],
    rows,
  );
}

/** One profile's summary; `kernelSeconds`: the CPU the kernel counted for the whole process meanwhile. */
export function profileSummaryMarkdown(title: string, p: ProfileSummary, kernelSeconds?: number): string {
  const kernel =
    kernelSeconds === undefined
      ? ""
      : ` The kernel counted ${f(kernelSeconds, 1)} s of CPU for the process (every thread).`;
  return [
    `#### ${title}`,
    "",
    `Wall ${f(p.wallMs / 1000, 1)} s, busy ${f(p.busyMs / 1000, 1)} s (${pct(p.busyMs / p.wallMs)} of one core), GC ${f(p.gcMs / 1000, 2)} s.${kernel}`,
    "",
    table(
      ["self ms", "share", "function", "where"],
      p.topFunctions.map((t) => [f(t.ms), pct(t.share), `\`${t.name}\``, `\`${t.where}\``]),
    ),
    "",
    "By owner: " +
      p.byOwner
        .slice(0, 8)
        .map((o) => `${o.name} ${pct(o.share)}`)
        .join(", "),
    "",
  ].join("\n");
}

type ProfileRun = Extract<NonNullable<BenchReport["profile"]>, { services: unknown }>;

/**
 * What the services cost per saga in the profiled step: by the kernel's count when the report has
 * it (a profiler counts its thread busy while it waits for a core), else by the profilers' busy time.
 */
export function profileCostParagraph(p: ProfileRun, cores: number): string {
  const busyMs = Object.values(p.services).reduce((sum, x) => sum + (x?.busyMs ?? 0), 0);
  const sagas = p.sagas ?? p.rate * p.seconds;
  if (!p.kernelCpuSeconds) {
    return (
      `Busy time of all six services together: ${f(busyMs / 1000, 1)} s for about ${sagas} sagas, ` +
      `**${f(busyMs / sagas, 0)} ms of service CPU per saga** (main threads; Kafka, PostgreSQL and Redis come on top), ` +
      `so the ${cores} cores could carry at most about ${f((cores * 1000) / (busyMs / sagas), 0)} sagas/s for the services alone.`
    );
  }
  const kernelSeconds = Object.values(p.kernelCpuSeconds).reduce((sum, x) => sum + x, 0);
  const msPerSaga = (kernelSeconds * 1000) / sagas;
  return (
    `All six services together: busy ${f(busyMs / 1000, 1)} s to the profilers, ` +
    `${f(kernelSeconds, 1)} s of CPU as the kernel counts it (every thread), for ${sagas} sagas finished: ` +
    `**${f(msPerSaga, 1)} ms of service CPU per saga** (Kafka, PostgreSQL and Redis come on top), ` +
    `so the ${cores} cores could carry at most about ${f((cores * 1000) / msPerSaga, 0)} sagas/s for the services alone. ` +
    "A profiler counts its thread busy while the thread waits for a core, so on a loaded machine the profilers' busy time runs above the kernel's count: " +
    "read a profile's shares within its service, and the kernel's count for what a service costs."
  );
}

function errorsOf(s: SagaStepResult): string {
  const http = Object.entries(s.httpErrors)
    .map(([code, n]) => `${n}x${code}`)
    .join(" ");
  return (
    [http, s.timeouts ? `${s.timeouts} timeouts` : "", s.transportErrors ? `${s.transportErrors} conn` : ""]
      .filter(Boolean)
      .join(", ") || "0"
  );
}

/** What the broker ran per hop in each window of its warm-up: its JIT compiler settling. */
function brokerWarmupLines(w: BenchReport["brokerWarmup"]): string[] {
  if (w === undefined) return [];
  if (isFailed(w)) return [`Broker warm-up failed: ${w.error}`, ""];
  if ("skipped" in w) return [`Broker warm-up skipped (${w.skipped}).`, ""];
  const perHop = w.windows.map((x) =>
    x.kafkaCpuSeconds === undefined || x.hops === 0 ? "-" : f((x.kafkaCpuSeconds * 1e6) / x.hops, 0),
  );
  const hops = w.windows.reduce((n, x) => n + x.hops, 0);
  const seconds = w.windows.reduce((n, x) => n + x.seconds, 0);
  return [
    `Broker warm-up before anything was measured: ${w.chains} messages circulating through ${w.topics.length} topics, ${hops} hops in ${f(seconds, 0)} s. ` +
      `The broker's CPU per hop, in µs, window by window: ${perHop.join(", ")} (it falls while its JIT compiler works through the hot paths).`,
    "",
  ];
}

export function renderMarkdown(r: BenchReport): string {
  const out: string[] = [];
  const m = r.machine.atStart;
  out.push(
    `# Saga benchmark, ${r.startedAt}`,
    "",
    `Mode **${r.mode}**, ${r.settings.stack}. Command: \`${r.command}\`. Finished ${r.finishedAt}.`,
    "",
    "## Targets",
    "",
    table(
      ["target", "wanted", "result", "met", "what limits it"],
      r.targets.map((t) => [
        t.name,
        t.target,
        t.result,
        t.met === null ? "n/a" : t.met ? "**met**" : "**missed**",
        t.limitedBy || "-",
      ]),
    ),
    "",
    "## Machine and versions",
    "",
    `- ${m.cores} cores, ${m.cpuModel}, ${m.memoryGiB} GiB, kernel ${m.kernel}`,
    `- load average (1/5/15 min) at start ${m.loadAverage.join(" / ")}, at end ${r.machine.loadAverageAtEnd.join(" / ")}: other work on the machine shares these cores`,
    `- Node.js ${r.versions.node}, Kafka ${r.versions.kafka} (deploy/local/kafka/pom.xml), PostgreSQL ${
      isFailed(r.versions.postgres)
        ? r.versions.postgres.error
        : Object.entries(r.versions.postgres)
            .map(([k, v]) => `${k}=${v}`)
            .join(", ")
    }`,
    "",
    "## Settings",
    "",
    `Steps of ${r.settings.stepSeconds} s over ${r.settings.rates.join(", ")}/s (then on by the last increment up to ${r.settings.maxRate}/s), drain wait ${r.settings.drainSeconds} s; ` +
      `sustained run ${r.settings.sustainSeconds} s; a step passes with p99 <= ${r.settings.limits.p99Ms} ms, errors+drops <= ${r.settings.limits.maxErrorRatio * 100}%, ` +
      `completed/s >= ${r.settings.limits.minCompletionRatio * 100}% of the arrival rate and <= ${r.settings.limits.maxUnfinishedRatio * 100}% unfinished after the drain. ` +
      ((r.settings.stepAttempts ?? 1) > 1
        ? `A failing step is run again, up to ${r.settings.stepAttempts} runs, and the last run decides (every run is listed). `
        : "") +
      ((r.settings.refineSteps ?? 0) > 0
        ? `After the first failing step, up to ${r.settings.refineSteps} more ${r.settings.refineSteps === 1 ? "rate is" : "rates are"} tried, each halfway between the highest that held and the lowest that failed. `
        : "") +
      `Open model: requests leave on schedule, at most ${r.settings.maxOutstanding} outstanding (more are dropped and counted), ${r.settings.connections} keep-alive connections, ` +
      `timeout ${r.settings.timeoutMs} ms. ${r.settings.customers} customers, ${r.settings.products} products, one line of quantity 1 per order. ` +
      "Latency runs from the moment a request was due to the moment its OrderPaid/OrderCancelled reached the bench's Kafka consumer.",
    "",
    `Service environment: \`${JSON.stringify(r.settings.env)}\`, per service \`${JSON.stringify(r.settings.serviceEnv)}\`${
      r.settings.nodeArgs?.length ? `, node flags \`${r.settings.nodeArgs.join(" ")}\`` : ""
    }.`,
    "",
    ...brokerWarmupLines(r.brokerWarmup),
    "## Saga rate steps",
    "",
    table(
      [
        "rate/s",
        "due",
        "accepted",
        "errors",
        "dropped",
        "completed/s",
        "paid",
        "cancelled",
        "unfinished",
        "p50 / p95 / p99 / max ms",
        "PAID p99",
        "accept p99",
        "gen. late p99",
        "CPU ms per saga",
        "verdict",
      ],
      r.steps.map((s) => [
        s.rate,
        s.due,
        s.accepted,
        errorsOf(s),
        s.dropped,
        f(s.completedPerSecond, 1),
        s.paid,
        s.cancelled,
        s.unfinished,
        lat(s.latencyMs),
        f(s.paidLatencyMs.p99, 1),
        f(s.acceptMs.p99, 1),
        f(s.generatorLatenessMs.p99, 1),
        f(machineMsPerSaga(s), 0),
        s.verdict.sustainable
          ? "ok"
          : `${s.verdict.reasons.join("; ")}${s.verdict.retried ? "; run again" : ""}`,
      ]),
    ),
    "",
    "CPU ms per saga: what the whole machine ran (user and system time as the kernel counts it; the load generator, Kafka, PostgreSQL and Redis included) during the step and its drain wait, divided by the sagas that finished.",
    "",
    ...(r.warmups?.length
      ? [
          `Warm-ups on each fresh stack before it was judged (not judged; a new process's first seconds, JIT compilation included): ${r.warmups
            .map(
              (w) =>
                `${w.rate}/s for ${f(w.seconds)} s -> ${f(w.completedPerSecond, 1)} completed/s, p50 / p99 ${f(w.latencyMs.p50)} / ${f(w.latencyMs.p99)} ms, ${f(machineMsPerSaga(w))} ms CPU per saga`,
            )
            .join("; ")}.`,
          "",
        ]
      : []),
    `**Highest sustainable rate: ${r.sustainableRate}/s.**`,
    "",
    ...(r.capacity
      ? [
          `${
            !r.capacity.skipped
              ? `Capacity probe (p99 limit lifted, completions and errors still judged): ${r.capacity.steps
                  .map(
                    (s) =>
                      `${s.rate}/s -> ${f(s.completedPerSecond, 1)} completed/s, p99 ${f(s.latencyMs.p99)} ms, ${f(machineMsPerSaga(s))} ms CPU per saga${s.verdict.sustainable ? "" : ` (${s.verdict.reasons.join("; ")})`}`,
                  )
                  .join("; ")}.`
              : `Capacity probe not run: ${r.capacity.skipped}.`
          } **The saga keeps up with ${r.capacity.rate}/s when latency is not judged** (the highest rate whose completions kept up with its arrivals).`,
          "",
        ]
      : []),
    `![latency by rate](${r.files.stepsChart})`,
    "",
  );
  const s = r.sustained;
  out.push("## Sustained run", "");
  const misses = missedSustainedRuns(r);
  if (misses.length) {
    out.push(
      `${misses.length === 1 ? "A sustained run" : "Sustained runs"} at ${ratesInWords(misses.map((m) => m.rate))} came first and missed: ` +
        misses
          .map(
            (m) =>
              `${m.rate}/s ${m.verdict.reasons.join("; ")} (p50 / p99 ${f(m.latencyMs.p50)} / ${f(m.latencyMs.p99)} ms, ${f(m.completedPerSecond, 1)} completed/s, ${f(machineMsPerSaga(m))} ms CPU per saga)`,
          )
          .join("; ") +
        `. The run below is at ${s?.rate}/s, ${
          s && heldRates(r.steps).has(s.rate)
            ? "the highest rate the steps held below"
            : "halfway between the lowest rate that missed and the highest the steps held below it"
        }, on the same stack right after ${misses.length === 1 ? "it" : "them"}; its memory, database activity and CPU are the ones reported.`,
      "",
    );
  }
  if (s) {
    out.push(
      `${s.rate}/s offered for ${f(s.seconds, 1)} s: ${s.accepted} accepted, ${f(s.completedPerSecond, 1)} completed sagas/s, ` +
        `${s.paid} PAID, ${s.cancelled} CANCELLED, ${s.unfinished} unfinished, errors ${errorsOf(s)}, ${s.dropped} dropped. ` +
        `Verdict: ${s.verdict.sustainable ? "sustainable" : s.verdict.reasons.join("; ")}.`,
      "",
      table(
        ["latency (ms)", "p50 / p95 / p99 / max", "mean"],
        [
          ["create -> terminal event received", lat(s.latencyMs), f(s.latencyMs.mean, 1)],
          ["create -> PAID event received", lat(s.paidLatencyMs), f(s.paidLatencyMs.mean, 1)],
          [
            "create -> terminal event written (occurredAt)",
            lat(s.toTerminalWriteMs),
            f(s.toTerminalWriteMs.mean, 1),
          ],
          ["create -> 202 Accepted", lat(s.acceptMs), f(s.acceptMs.mean, 1)],
        ],
      ),
      "",
      `![latency over time](${r.files.latencyChart})`,
      "",
      `![throughput over time](${r.files.throughputChart})`,
      "",
    );
  } else out.push("Not run.", "");

  if (isFailed(r.ordersAfterSustained)) {
    out.push(`Orders by status after the sustained run: not read (${r.ordersAfterSustained.error}).`, "");
  } else if (r.ordersAfterSustained) {
    out.push(
      `Orders in the order database after the sustained run and its drain wait: ${Object.entries(
        r.ordersAfterSustained,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}.`,
      "",
    );
  }
  if (r.dbActivityFailures?.failures) {
    out.push(
      `pg_stat_activity sampling missed ${r.dbActivityFailures.failures} samples (last error: ${r.dbActivityFailures.lastError}).`,
      "",
    );
  }
  if (r.dbActivity?.length) {
    out.push(
      "What the services' PostgreSQL connections were doing during the sustained run (pg_stat_activity every 100 ms; idle connections left out; `cpu` = running):",
      "",
      table(
        ["service", "share", "wait", "state", "query"],
        r.dbActivity.map((w) => [
          w.service,
          pct(w.share),
          w.wait,
          w.state,
          `\`${w.query.replace(/\|/g, "\\|")}\``,
        ]),
      ),
      "",
    );
  }

  if (r.relayRounds && Object.keys(r.relayRounds).length) {
    out.push(
      "The outbox relays' rounds during the sustained run and its drain wait (their `outbox_round_*` metrics; " +
        "a round is one claim, one produce request and one mark per batch, and its events reach their consumers together; " +
        "the rounds that published nothing are mostly the fallback polls):",
      "",
      table(
        ["service", "rounds/s", "events per round", "mean round ms", "rounds with no event"],
        Object.entries(r.relayRounds).map(([name, x]) => [
          name,
          f(x.roundsPerSecond, 1),
          f(x.eventsPerRound, 2),
          f(x.meanRoundMs, 1),
          pct(x.emptyShare),
        ]),
      ),
      "",
    );
  }
  if (r.hopTimes?.length) {
    const path = pathToPaid(r.hopTimes);
    const paidMean = r.sustained?.paidLatencyMs.mean;
    out.push(
      "Where an event's time went during the sustained run and its drain wait, from the services' own histograms: " +
        "`outbox`, from the start of the transaction that wrote the event to the relay's commit after Kafka acknowledged it " +
        "(the writer's transaction, the wait for a round, the claim, the produce request and the mark); " +
        "`delivery`, from the producer's timestamp to the consumer's batch (the broker and the fetch); " +
        "`handler`, the consumer's transaction, which for a service that emits an event is also the start of that event's `outbox` stretch.",
      "",
      ...(path
        ? [
            `Along the saga's way to PAID, at the means: ${path.parts.map((p) => `${p.label} ${f(p.meanMs, 1)}`).join(", ")}: ` +
              `**${f(path.totalMs)} ms**${paidMean === undefined ? "" : `, against a mean create-to-PAID of ${f(paidMean)} ms in this run`} ` +
              "(the stretches overlap by each round's produce request and mark, which are in an `outbox` and the `delivery` after it; " +
              "the HTTP request before the order's transaction and OrderPaid's way to the bench are not in the sum; the order's two events share its relay's figure).",
            "",
          ]
        : []),
      table(
        ["stretch", "service", "of", "events/s", "mean ms", "p99 at most, ms (a bucket bound)"],
        r.hopTimes.map((h) => [
          h.stage,
          h.service,
          hopWhat(h),
          f(h.perSecond, 1),
          f(h.meanMs, 1),
          Number.isFinite(h.p99AtMostMs) ? f(h.p99AtMostMs) : "more than the last bucket",
        ]),
      ),
      "",
    );
  }
  out.push("## Database ceiling (pgbench)", "");
  const db = r.database;
  if (!db) out.push("Not run.", "");
  else if (isFailed(db)) out.push(`Failed: ${db.error}`, "");
  else if ("skipped" in db) out.push(`Skipped: ${db.skipped}`, "");
  else {
    out.push(
      `\`${db.command}\` with packages/bench/sql/saga.pgbench.sql: the saga's 13 transactions (order insert + line + outbox; ` +
        "reservation with inbox and outbox; two order status updates with inbox; payment with inbox and outbox; sale; notification row; " +
        "four outbox publish marks; dispatcher claim and mark-sent), one script run per saga.",
      "",
      `- **${f(db.sagasPerSecond, 1)} sagas/s** (${f(db.transactionsPerSecond, 0)} transactions/s), ${db.sagas} sagas, average ${f(db.latencyAverageMs, 1)} ms per saga, ${db.failedSagas} failed`,
      `- check: ${db.check.paidOrders} PAID orders, ${db.check.soldUnits} units sold, ${db.check.payments} payments, ${db.check.sentNotifications} notifications SENT`,
      s
        ? `- the sustained saga reached **${pct(s.completedPerSecond / db.sagasPerSecond)}** of this ceiling`
        : "",
      "",
    );
  }

  out.push("## Gateway read path", "");
  const rp = r.readPath;
  if (!rp) out.push("Not run.", "");
  else if (isFailed(rp)) out.push(`Failed: ${rp.error}`, "");
  else {
    out.push(
      `\`GET ${rp.path}\`, closed loop, ${rp.bare.connections} connections, ${f(rp.bare.seconds, 1)} s each (after a warm-up).`,
      "",
      table(
        ["server", "req/s", "p50 / p95 / p99 / max ms", "errors"],
        [
          ["bare Fastify (same body, no work)", f(rp.bare.perSecond), lat(rp.bare.latencyMs), rp.bare.errors],
          [
            "gateway (rate limit, near cache; on a miss gRPC -> product, Redis cache)",
            f(rp.gateway.perSecond),
            lat(rp.gateway.latencyMs),
            rp.gateway.errors,
          ],
        ],
      ),
      "",
      `Gateway / bare: **${pct(rp.ratio)}** of the throughput, p99 ${f(rp.gateway.latencyMs.p99 / rp.bare.latencyMs.p99, 1)}x.`,
      "",
      ...(rp.rounds && rp.rounds.length > 1
        ? [
            `Rounds of bare then gateway, in the order run (the median round is shown above): ${rp.rounds
              .map((x) => `${pct(x.ratio)} (${f(x.gateway)} / ${f(x.bare)})`)
              .join(", ")}.`,
            "",
          ]
        : []),
      rp.nearCache
        ? `The gateway's product near cache answered ${rp.nearCache.hit} of ${rp.nearCache.hit + rp.nearCache.miss + rp.nearCache.bypass} reads (warm-up included; ${rp.nearCache.miss} misses, ${rp.nearCache.bypass} while unsubscribed): one hot product, as a shop's front page reads it. A read that misses costs what the product service adds (see the read path profiles).`
        : "The gateway's near-cache counters were not readable.",
      "",
    );
  }

  out.push("## Memory (VmRSS)", "");
  if (!r.settings.gatewayUrl) {
    out.push(
      "During the sustained run, on a fresh stack warmed up at that rate (the overload steps ran on another: " +
        "a Node process keeps the memory its heap grew to). Mapped files (RssFile, at the maximum) are " +
        "mostly the `node` binary: the services share those pages, yet RSS counts them in each one.",
      "",
    );
  }
  const rss = r.rss.sustained;
  out.push(
    table(
      [
        "service",
        "after start MB",
        "sustained max MB",
        "of it mapped files MB",
        "sustained mean MB",
        "samples",
        "at end: heap used / heap total / external MB",
      ],
      Object.entries(r.rss.idle).map(([n, idle]) => [
        n,
        f(idle),
        f(rss?.[n]?.maxMb),
        f(rss?.[n]?.fileMbAtMax),
        f(rss?.[n]?.meanMb),
        rss?.[n]?.samples ?? 0,
        r.memory?.[n]
          ? `${f(r.memory[n].heapUsedMb)} / ${f(r.memory[n].heapTotalMb)} / ${f(r.memory[n].externalMb)}`
          : "n/a",
      ]),
    ),
    "",
  );

  out.push("## CPU during the sustained run", "");
  const cpu = r.sustained?.cpu;
  if (!r.sustained || !cpu) out.push("Not measured.", "");
  else {
    const sagas = sagasFinished(r.sustained);
    out.push(
      `User and system time as the kernel counts it (/proc), over the sustained run and its drain wait ` +
        `(${f(cpu.wallSeconds, 1)} s, ${sagas} sagas finished); a thread waiting for a core is not counted. ` +
        `The machine was busy ${f(cpu.machine.busy / cpu.wallSeconds, 2)} of its ${r.machine.atStart.cores} cores on average.`,
      "",
      table(
        ["part", "CPU s", "of it in the kernel", "cores busy", "ms per saga"],
        cpuShares(cpu, sagas).map((x) => [
          x.group,
          f(x.seconds, 2),
          x.systemSeconds === undefined || x.seconds === 0 ? "-" : pct(x.systemSeconds / x.seconds),
          f(x.cores, 2),
          f(x.msPerSaga, 1),
        ]),
      ),
      "",
    );
    for (const [run, title] of [
      ...missedSustainedRuns(r).map(
        (m) => [m, `The sustained run at ${m.rate}/s that missed, window by window`] as const,
      ),
      [r.sustained, `The sustained run at ${r.sustained.rate}/s, window by window`],
    ] as const) {
      const windows = run && cpuWindowsTable(run);
      if (windows) {
        out.push(
          `${title} (cores busy in each; the saga's seconds matched to the window by their start):`,
          "",
          windows,
          "",
        );
      }
    }
  }

  out.push("## CPU profiles", "");
  const p = r.profile;
  if (!p) out.push("Not run.", "");
  else if (isFailed(p)) out.push(`Failed: ${p.error}`, "");
  else if ("skipped" in p) out.push(`Skipped: ${p.skipped}`, "");
  else {
    out.push(
      `Every service under the V8 CPU profiler (a separate stack; profiling starts after a warm-up at the same rate) while orders arrive at ${p.rate}/s for ${p.seconds} s; self time per function, top first. ` +
        "On a shared machine a descheduled thread still counts as busy in the function it was in, so shares of native calls such as `writeBuffer` (socket writes) grow with the load average.",
      "",
    );
    const kernel = p.kernelCpuSeconds;
    out.push(profileCostParagraph(p, r.machine.atStart.cores), "");
    for (const [name, summary] of Object.entries(p.services)) {
      out.push(
        summary
          ? profileSummaryMarkdown(name, summary, kernel?.[name])
          : `#### ${name}\n\nno profile written\n`,
      );
    }
    out.push(
      `### Read path profiles`,
      "",
      `The same stack, \`GET /api/v1/products/:id\` through the gateway at full speed (closed loop, ${r.settings.readConnections} connections) for ${p.readSeconds} s.`,
      "",
    );
    for (const [name, summary] of Object.entries(p.readPath)) {
      out.push(
        summary
          ? profileSummaryMarkdown(`${name} (read path)`, summary)
          : `#### ${name}\n\nno profile written\n`,
      );
    }
  }
  return `${out.join("\n")}\n`;
}
