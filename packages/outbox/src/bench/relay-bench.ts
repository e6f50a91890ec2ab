/**
 * Outbox benchmark (not a test): commit-to-consumed latency at fixed event rates, and the
 * relay's maximum throughput, on real PostgreSQL and Kafka. Run: `pnpm --filter @shop/outbox bench`.
 * Rates and durations: BENCH_RATES (default "100,1000"), BENCH_SECONDS (default 10),
 * BENCH_BACKLOG (rows for the throughput run, default 50000).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { createEventConsumer } from "@shop/consumer";
import { createEvent } from "@shop/events";
import { createKafka } from "@shop/kafka";
import { createLogger, createMetricsRegistry, createSql } from "@shop/platform";
import { createTestDatabase, kafkaBrokers, uniqueTopicPrefix } from "@shop/testkit";
import { createOutbox } from "../enqueue.js";
import { createOutboxRelay } from "../relay.js";

const rates = (process.env.BENCH_RATES ?? "100,1000").split(",").map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const backlog = Number(process.env.BENCH_BACKLOG ?? 50_000);
const logger = createLogger({ service: "bench", level: "warn" });

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

async function main() {
  const db = await createTestDatabase("payment");
  const sql = createSql(db.url, { max: 20 });
  const prefix = uniqueTopicPrefix();
  const kafka = createKafka({ brokers: kafkaBrokers(), clientId: "bench", logger });
  const outbox = createOutbox({ topicPrefix: prefix });
  const committedAt = new Map<string, number>();
  const latencies: number[] = [];
  let consumed = 0;
  const consumer = createEventConsumer({
    kafka,
    sql,
    logger,
    metrics: createMetricsRegistry("bench"),
    groupId: "bench",
    topicPrefix: prefix,
    topics: ["payments"],
    handlers: {
      PaymentProcessed: async (e) => {
        const t0 = committedAt.get(e.eventId);
        if (t0 !== undefined) latencies.push(performance.now() - t0);
        consumed += 1;
      },
    },
  });
  await consumer.start();
  const publishLatencies: number[] = [];
  const relay = createOutboxRelay({
    sql,
    kafka,
    logger,
    metrics: createMetricsRegistry("bench"),
    afterPublish: (ids) => {
      const now = performance.now();
      for (const id of ids) {
        const t0 = committedAt.get(id);
        if (t0 !== undefined) publishLatencies.push(now - t0);
      }
    },
  });
  await relay.start();

  const results: Record<string, unknown>[] = [];
  let nextId = 1;
  for (const rate of rates) {
    latencies.length = 0;
    publishLatencies.length = 0;
    const total = rate * seconds;
    const tickMs = 10;
    const perTick = rate / (1000 / tickMs);
    let sent = 0;
    let carry = 0;
    const started = performance.now();
    const inflight: Promise<unknown>[] = [];
    // Open model: events are due on a fixed schedule, whether or not earlier ones finished.
    while (sent < total) {
      carry += perTick;
      for (; carry >= 1 && sent < total; carry--, sent++) {
        const e = event(nextId++);
        inflight.push(
          sql.begin((tx) => outbox.enqueue(tx, e)).then(() => committedAt.set(e.eventId, performance.now())),
        );
      }
      const due = started + (sent / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await Promise.all(inflight);
    const sendSeconds = (performance.now() - started) / 1000;
    const deadline = performance.now() + 60_000;
    while (latencies.length < total && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const sorted = [...latencies].sort((a, b) => a - b);
    const row = {
      scenario: `latency @ ${rate} events/s`,
      events: total,
      achievedRate: Math.round(total / sendSeconds),
      p50ms: +percentile(sorted, 50).toFixed(2),
      p99ms: +percentile(sorted, 99).toFixed(2),
      maxms: +percentile(sorted, 100).toFixed(2),
      publishP50ms: +percentile(
        [...publishLatencies].sort((a, b) => a - b),
        50,
      ).toFixed(2),
      publishP99ms: +percentile(
        [...publishLatencies].sort((a, b) => a - b),
        99,
      ).toFixed(2),
      received: sorted.length,
    };
    results.push(row);
    console.log(JSON.stringify(row));
  }

  // Maximum relay throughput: a backlog written while the relay is stopped, then drained.
  await relay.stop();
  const consumedBefore = consumed;
  for (let i = 0; i < backlog; i += 1_000) {
    const batch = Array.from({ length: Math.min(1_000, backlog - i) }, () => event(nextId++));
    await sql.begin((tx) => outbox.enqueue(tx, batch));
  }
  const drainStart = performance.now();
  const drainRelay = createOutboxRelay({
    sql,
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
    consumedDuringDrain: consumed - consumedBefore,
  };
  results.push(throughput);
  console.log(JSON.stringify(throughput));

  await drainRelay.stop();
  await consumer.stop();
  await sql.end({ timeout: 5 });
  await db.drop();

  const report = {
    benchmark: "outbox relay",
    at: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    results,
  };
  const dir = new URL("../../../../bench-results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL("outbox-relay.json", dir), `${JSON.stringify(report, null, 2)}\n`);
  console.log("\n| scenario | events | p50 ms | p99 ms | events/s |\n|---|---|---|---|---|");
  for (const r of results) {
    console.log(
      `| ${r.scenario} | ${r.events} | ${r.p50ms ?? "-"} | ${r.p99ms ?? "-"} | ${r.eventsPerSecond ?? r.achievedRate} |`,
    );
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
