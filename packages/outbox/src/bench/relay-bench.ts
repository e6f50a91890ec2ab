/**
 * Outbox benchmark (not a test): commit-to-consumed latency at fixed event rates, and the
 * relay's maximum throughput, on real PostgreSQL and Kafka. Run: `pnpm --filter @shop/outbox bench`.
 * Rates and durations: BENCH_RATES (default "100,1000"), BENCH_SECONDS (default 10),
 * BENCH_BACKLOG (rows for the throughput run, default 50000).
 *
 * Two threads, as in the platform, where the writers and the relay live in one service and the
 * consumer in another: the writers (the load: open model, one transaction per event, as a
 * service's request would write it) and the relay share the main thread, so a commit wakes the
 * relay in-process, and each has its own pool, as a service opens them (`openDatabase`); the
 * consumer (its own group, inbox and pool) runs in a worker thread with its own event loop.
 * Times are taken on the shared wall clock (`performance.timeOrigin + performance.now()`), so
 * they compare across threads.
 *
 * BENCH_PG_SOCKET names a Unix socket directory to reach PostgreSQL through (default
 * /var/run/postgresql when its socket is there and TEST_PG_URL is unset; "" for TCP).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { createEventConsumer } from "@shop/consumer";
import { createEvent } from "@shop/events";
import { createKafka } from "@shop/kafka";
import { createLogger, createMetricsRegistry, createSql, type Sql } from "@shop/platform";
import {
  benchSocketDir,
  createTestDatabase,
  dropTopics,
  kafkaBrokers,
  throughSocket,
  uniqueTopicPrefix,
} from "@shop/testkit";
import { createOutbox, type Outbox } from "../enqueue.js";
import { createOutboxRelay, RELAY_POOL } from "../relay.js";

const rates = (process.env.BENCH_RATES ?? "100,1000").split(",").map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const backlog = Number(process.env.BENCH_BACKLOG ?? 50_000);
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const socketDir = benchSocketDir();
const logger = createLogger({ service: "bench", level: "warn" });
const now = () => performance.timeOrigin + performance.now();

type Stamps = [eventId: string, at: number][];
type ConsumerJob = { dbUrl: string; prefix: string };
type FromWorker = { kind: "ready" } | { kind: "stamps"; stamps: Stamps } | { kind: "done" };

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function event(orderId: number) {
  return createEvent("PaymentProcessed", orderId, {
    orderId,
    userId: "bench",
    paymentId: `p${orderId}`,
    amountCents: 1000,
    currency: "USD",
  });
}

/** Sends what a worker stamped in small batches, so the main thread is not woken per event. */
function stampSender() {
  let pending: Stamps = [];
  const timer = setInterval(flush, 50);
  function flush() {
    if (pending.length === 0) return;
    parentPort!.postMessage({ kind: "stamps", stamps: pending } satisfies FromWorker);
    pending = [];
  }
  return {
    stamp: (id: string) => pending.push([id, now()]),
    close() {
      clearInterval(timer);
      flush();
    },
  };
}

/** The load: `total` events at `rate` per second, each committed in a transaction of its own. */
async function writer(
  sql: Sql,
  outbox: Outbox,
  rate: number,
  total: number,
  firstId: number,
  onCommitted: (eventId: string, seq: number) => void,
): Promise<number> {
  const tickMs = 10;
  const perTick = rate / (1000 / tickMs);
  const inflight: Promise<unknown>[] = [];
  let sent = 0;
  let carry = 0;
  let nextId = firstId;
  const started = performance.now();
  // Open model: events are due on a fixed schedule, whether or not earlier ones finished.
  while (sent < total) {
    carry += perTick;
    for (; carry >= 1 && sent < total; carry--, sent++) {
      const seq = nextId++;
      const e = event(seq);
      inflight.push(sql.begin((tx) => outbox.enqueue(tx, e)).then(() => onCommitted(e.eventId, seq)));
    }
    const wait = started + (sent / rate) * 1000 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await Promise.all(inflight);
  return (performance.now() - started) / 1000;
}

/** The consuming service: inbox and handler in one transaction, stamped when the handler runs. */
async function consumer(job: ConsumerJob) {
  const sql = createSql(job.dbUrl, { max: 10 });
  const kafka = createKafka({ brokers: kafkaBrokers(), clientId: "bench-consumer", logger });
  const stamps = stampSender();
  const c = createEventConsumer({
    kafka,
    sql,
    logger,
    metrics: createMetricsRegistry("bench"),
    groupId: "bench",
    topicPrefix: job.prefix,
    topics: ["payments"],
    handlers: {
      PaymentProcessed: async (e) => {
        stamps.stamp(e.eventId);
      },
    },
  });
  await c.start();
  parentPort!.postMessage({ kind: "ready" } satisfies FromWorker);
  parentPort!.once("message", async () => {
    await c.stop();
    stamps.close();
    await sql.end({ timeout: 5 });
    parentPort!.postMessage({ kind: "done" } satisfies FromWorker);
  });
}

function startConsumer(job: ConsumerJob, onStamps: (s: Stamps) => void) {
  const worker = new Worker(new URL(import.meta.url), { workerData: job });
  let readyResolve: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  const done = new Promise<void>((resolve, reject) => {
    worker.on("error", reject);
    worker.on("message", (m: FromWorker) => {
      if (m.kind === "stamps") onStamps(m.stamps);
      else if (m.kind === "ready") readyResolve();
      else resolve();
    });
  });
  return { worker, ready, done };
}

async function main() {
  const db = await createTestDatabase("payment");
  const dbUrl = throughSocket(db.url, socketDir);
  // The writers' pool, and the relay's own, as a service opens them.
  const sql = createSql(dbUrl, { max: 20 });
  const relaySql = createSql(dbUrl, { max: RELAY_POOL.max, settings: RELAY_POOL.settings });
  const prefix = uniqueTopicPrefix();
  const kafka = createKafka({ brokers: kafkaBrokers(), clientId: "bench", logger });
  const committedAt = new Map<string, number>();
  const publishedAt = new Map<string, number>();
  const consumedAt = new Map<string, number>();

  const consumerThread = startConsumer({ dbUrl, prefix }, (stamps) => {
    for (const [id, t] of stamps) consumedAt.set(id, t);
  });
  await consumerThread.ready;
  const relay = createOutboxRelay({
    sql: relaySql,
    kafka,
    logger,
    metrics: createMetricsRegistry("bench"),
    afterPublish: (ids) => {
      const t = now();
      for (const id of ids) publishedAt.set(id, t);
    },
  });
  await relay.start();

  const outbox = createOutbox({ topicPrefix: prefix });
  const results: Record<string, unknown>[] = [];
  let nextId = 1;
  for (const rate of rates) {
    committedAt.clear();
    publishedAt.clear();
    consumedAt.clear();
    // The first events warm up the JIT, the pools and the consumer's fetch loop; they are not measured.
    const warm = rate * warmupSeconds;
    const total = rate * seconds;
    const firstMeasured = nextId + warm;
    const sendSeconds = await writer(sql, outbox, rate, warm + total, nextId, (id, seq) => {
      if (seq >= firstMeasured) committedAt.set(id, now());
    });
    nextId += warm + total;
    const deadline = performance.now() + 60_000;
    while (consumedAt.size < warm + total && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const latencies: number[] = [];
    const publishLatencies: number[] = [];
    for (const [id, t0] of committedAt) {
      const consumed = consumedAt.get(id);
      if (consumed !== undefined) latencies.push(consumed - t0);
      const published = publishedAt.get(id);
      if (published !== undefined) publishLatencies.push(published - t0);
    }
    const sorted = latencies.sort((a, b) => a - b);
    const publishSorted = publishLatencies.sort((a, b) => a - b);
    const row = {
      scenario: `latency @ ${rate} events/s`,
      events: total,
      achievedRate: Math.round((warm + total) / sendSeconds),
      p50ms: +percentile(sorted, 50).toFixed(2),
      p99ms: +percentile(sorted, 99).toFixed(2),
      maxms: +percentile(sorted, 100).toFixed(2),
      publishP50ms: +percentile(publishSorted, 50).toFixed(2),
      publishP99ms: +percentile(publishSorted, 99).toFixed(2),
      received: sorted.length,
    };
    results.push(row);
    console.log(JSON.stringify(row));
  }

  // Maximum relay throughput: a backlog written while the relay is stopped, then drained.
  await relay.stop();
  consumedAt.clear();
  for (let i = 0; i < backlog; i += 1_000) {
    const batch = Array.from({ length: Math.min(1_000, backlog - i) }, () => event(nextId++));
    await sql.begin((tx) => outbox.enqueue(tx, batch));
  }
  const drainStart = performance.now();
  const drainRelay = createOutboxRelay({
    sql: relaySql,
    kafka,
    logger,
    metrics: createMetricsRegistry("bench"),
    batchSize: 500,
  });
  await drainRelay.start();
  for (;;) {
    const [row] = await sql`select count(*)::int as n from outbox where published_at is null`;
    if (row!.n === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const drainSeconds = (performance.now() - drainStart) / 1000;
  const throughput = {
    scenario: "relay max throughput",
    events: backlog,
    seconds: +drainSeconds.toFixed(2),
    eventsPerSecond: Math.round(backlog / drainSeconds),
    consumedDuringDrain: consumedAt.size,
  };
  results.push(throughput);
  console.log(JSON.stringify(throughput));

  await drainRelay.stop();
  consumerThread.worker.postMessage("stop");
  await consumerThread.done;
  await relaySql.end({ timeout: 5 });
  await sql.end({ timeout: 5 });
  await db.drop();
  await dropTopics(prefix);

  const report = {
    benchmark: "outbox relay",
    at: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    threads: "writers and relay (main thread, a pool each), consumer (worker thread)",
    postgres: socketDir ? `unix socket ${socketDir}` : "tcp",
    warmupSeconds,
    results,
  };
  const dir = new URL("../../../../bench-results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL("outbox-relay.json", dir), `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    "\n| scenario | events | p50 ms | p99 ms | publish p50 / p99 ms | events/s |\n|---|---|---|---|---|---|",
  );
  for (const r of results) {
    const publish = r.publishP50ms === undefined ? "-" : `${r.publishP50ms} / ${r.publishP99ms}`;
    console.log(
      `| ${r.scenario} | ${r.events} | ${r.p50ms ?? "-"} | ${r.p99ms ?? "-"} | ${publish} | ${r.eventsPerSecond ?? r.achievedRate} |`,
    );
  }
  process.exit(0);
}

const run = isMainThread ? main() : consumer(workerData as ConsumerJob);
run.catch((err) => {
  console.error(err);
  process.exit(1);
});
