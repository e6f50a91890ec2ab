import type { NearCacheCounts } from "../baselines/read-path.js";
import { cpuShares } from "./cpu-usage.js";
import type { BenchReport, Target } from "./report.js";
import { isFailed, machineMsPerSaga, missedSustainedRuns, sagasFinished } from "./report.js";

const RSS_LIMIT_MB = 150;
const fmt = (v: number | null | undefined, d = 0) =>
  v === null || v === undefined || !Number.isFinite(v) ? "n/a" : v.toFixed(d);

/** Rates in words, in the order given: "25/s", "25 and 18/s", "25, 18 and 10/s". */
export function ratesInWords(rates: number[]): string {
  if (rates.length <= 1) return `${rates.join("")}/s`;
  return `${rates.slice(0, -1).join(", ")} and ${rates[rates.length - 1]}/s`;
}

/** What stopped the step-up: the broken limits of the lowest rate that failed. */
function stepLimit(r: BenchReport): string {
  const failed = r.steps
    .filter((s) => !s.verdict.sustainable && !s.verdict.retried)
    .sort((a, b) => a.rate - b.rate)[0];
  const load = `load average ${r.machine.atStart.loadAverage[0]} -> ${r.machine.loadAverageAtEnd[0]} on ${r.machine.atStart.cores} cores`;
  if (!failed) return `every step up to ${r.sustainableRate}/s passed (the step list ended); ${load}`;
  return `at ${failed.rate}/s: ${failed.verdict.reasons.join("; ")}; ${load}`;
}

/** Where the CPU went in the sustained run, per saga, as the kernel counts it. */
function cpuLimit(r: BenchReport): string {
  const s = r.sustained;
  if (!s?.cpu) return "";
  const top = cpuShares(s.cpu, sagasFinished(s))
    .slice(0, -2)
    .filter((x) => x.msPerSaga >= 1)
    .map((x) => `${x.group.split(" (")[0]} ${x.msPerSaga.toFixed(0)}`)
    .join(", ");
  // No bound on the rate follows from it: relay rounds and Kafka fetches carry more events each
  // as the rate rises, so the cost per saga falls.
  return (
    `; CPU counted by the kernel in the sustained run at ${s.rate}/s: ${machineMsPerSaga(s).toFixed(0)} ms per saga (${top}); ` +
    `steal ${((s.cpu.machine.steal / s.cpu.wallSeconds) * 100).toFixed(0)}% of a core`
  );
}

function busiest(r: BenchReport): string {
  if (r.sustained?.cpu) return cpuLimit(r);
  const p = r.profile;
  if (!p || isFailed(p) || "skipped" in p) return "";
  const shares = Object.entries(p.services)
    .filter(([, s]) => s)
    .map(([name, s]) => [name, s!.busyMs / s!.wallMs] as const)
    .sort((a, b) => b[1] - a[1]);
  const busyMs = Object.values(p.services).reduce((sum, x) => sum + (x?.busyMs ?? 0), 0);
  const perSaga = busyMs / (p.rate * p.seconds);
  return shares.length
    ? `; CPU (profiled run): ${shares.map(([n, s]) => `${n} ${(s * 100).toFixed(0)}%`).join(", ")} of one core, ` +
        `${perSaga.toFixed(0)} ms of service CPU per saga (at most ~${((r.machine.atStart.cores * 1000) / perSaga).toFixed(0)} sagas/s on ${r.machine.atStart.cores} cores)`
    : "";
}

const SAGA_RATE_TARGET = 500;

/**
 * When PostgreSQL alone, doing only the saga's database work with the machine to itself, stays
 * under the wanted rate, no saga code can reach it here; the report says that first.
 */
function belowCeiling(r: BenchReport): string {
  const db = r.database;
  if (!db || isFailed(db) || "skipped" in db || db.sagasPerSecond >= SAGA_RATE_TARGET) return "";
  return (
    `PostgreSQL alone, running only the saga's transactions with the machine to itself, ` +
    `reached ${fmt(db.sagasPerSecond)} sagas/s in this run (the database ceiling), below ${SAGA_RATE_TARGET}/s; `
  );
}

/** The four targets of the issue, each met or missed with the figure that decides it. */
export function evaluateTargets(r: BenchReport): Target[] {
  const targets: Target[] = [];
  const s = r.sustained;
  const misses = missedSustainedRuns(r);
  const sustainedOk =
    s !== undefined && s.rate >= SAGA_RATE_TARGET && s.verdict.sustainable && s.paidLatencyMs.p99 < 200;
  targets.push({
    name: "saga throughput",
    target: `>= ${SAGA_RATE_TARGET} completed sagas/s for 60 s, p99 create-to-PAID < 200 ms`,
    result: s
      ? `${fmt(s.completedPerSecond)} sagas/s for ${fmt(s.seconds)} s at ${s.rate}/s offered, p99 create-to-PAID ${fmt(s.paidLatencyMs.p99)} ms${
          misses.length
            ? ` (${misses.length === 1 ? "a sustained run" : "sustained runs"} before it missed: ${misses.map((m) => `${m.rate}/s, ${m.verdict.reasons.join("; ")}`).join("; ")})`
            : ""
        }`
      : "no sustained run",
    met: s ? sustainedOk : null,
    limitedBy: sustainedOk ? "" : `${belowCeiling(r)}${stepLimit(r)}${busiest(r)}`,
  });

  const db = r.database;
  if (db && !isFailed(db) && !("skipped" in db) && s) {
    // Only a sustainable rate counts as saga throughput; otherwise the figure is shown for scale.
    const sustainable = s.verdict.sustainable ? s.completedPerSecond : 0;
    const ratio = sustainable / db.sagasPerSecond;
    // Where the latency limit binds before the machine is full, throughput alone tells more.
    const keptUp = r.capacity
      ? `; with p99 ignored the saga kept up with ${r.capacity.rate}/s = ${((r.capacity.rate / db.sagasPerSecond) * 100).toFixed(0)}% of ${fmt(db.sagasPerSecond)} sagas/s`
      : undefined;
    targets.push({
      name: "share of the database ceiling",
      target: ">= 50% of the pgbench saga rate",
      result: s.verdict.sustainable
        ? `${(ratio * 100).toFixed(0)}% (${fmt(s.completedPerSecond)} of ${fmt(db.sagasPerSecond)} sagas/s)${keptUp ?? ""}`
        : `0% sustainable (${
            r.sustainableRate > 0
              ? `the steps held ${r.sustainableRate}/s, ${
                  misses.length
                    ? `sustained runs at ${ratesInWords([...misses, s].map((m) => m.rate))} did not`
                    : "its sustained run did not"
                }: ${s.verdict.reasons.join("; ")}`
              : "no rate met the step limits"
          })${keptUp ?? `; ${fmt(db.sagasPerSecond)} sagas/s ceiling`}`,
      met: ratio >= 0.5,
      limitedBy: ratio >= 0.5 ? "" : `the services, not PostgreSQL: ${stepLimit(r)}${busiest(r)}`,
    });
  } else {
    targets.push({
      name: "share of the database ceiling",
      target: ">= 50% of the pgbench saga rate",
      result: db && "skipped" in db ? db.skipped : isFailed(db) ? db.error : "not measured",
      met: null,
      limitedBy: "",
    });
  }

  const rp = r.readPath;
  const hitShare = (c: NearCacheCounts | undefined) => {
    const reads = c ? c.hit + c.miss + c.bypass : 0;
    return c && reads > 0 ? `; ${((c.hit / reads) * 100).toFixed(1)}% near-cache hits` : "";
  };
  if (rp && !isFailed(rp)) {
    targets.push({
      name: "gateway read path",
      target: ">= 35% of bare Fastify (GET /api/v1/products/:id)",
      result: `${(rp.ratio * 100).toFixed(0)}% (${fmt(rp.gateway.perSecond)} vs ${fmt(rp.bare.perSecond)} req/s; p99 ${fmt(rp.gateway.latencyMs.p99, 1)} vs ${fmt(rp.bare.latencyMs.p99, 1)} ms)${hitShare(rp.nearCache)}`,
      met: rp.ratio >= 0.35,
      limitedBy:
        rp.ratio >= 0.35
          ? ""
          : rp.nearCache && rp.nearCache.hit < rp.nearCache.miss + rp.nearCache.bypass
            ? "the gateway's near cache mostly missed: each miss is a gRPC call and the product service's cache read"
            : "per request: the rate limit's Redis call, routing, serialisation and the socket writes",
    });
  } else {
    targets.push({
      name: "gateway read path",
      target: ">= 35% of bare Fastify",
      result: rp ? rp.error : "not measured",
      met: null,
      limitedBy: "",
    });
  }

  const rss = r.rss.sustained;
  if (rss) {
    const over = Object.entries(rss).filter(([, v]) => v.maxMb >= RSS_LIMIT_MB);
    targets.push({
      name: "memory",
      target: `every service < ${RSS_LIMIT_MB} MB RSS during the sustained run`,
      result: Object.entries(rss)
        .map(([n, v]) => `${n} ${fmt(v.maxMb)}`)
        .join(", "),
      met: over.length === 0,
      limitedBy: over
        .map(
          ([n, v]) =>
            `${n} peaked at ${fmt(v.maxMb)} MB` +
            (Number.isFinite(v.fileMbAtMax)
              ? ` (${fmt(v.fileMbAtMax)} MB of it mapped files, the node binary's pages shared by every service)`
              : ""),
        )
        .join("; "),
    });
  } else {
    targets.push({
      name: "memory",
      target: `every service < ${RSS_LIMIT_MB} MB RSS`,
      result: "not sampled (no own stack)",
      met: null,
      limitedBy: "",
    });
  }
  return targets;
}
