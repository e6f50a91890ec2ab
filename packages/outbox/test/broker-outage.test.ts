import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { topicName } from "@shop/events";
import { ensureTopics } from "@shop/kafka";
import { createMetricsRegistry, createSql, type Sql } from "@shop/platform";
import {
  createTestDatabase,
  eventually,
  freePortPair,
  type TestDatabase,
  uniqueTopicPrefix,
} from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutbox } from "../src/enqueue.js";
import { createOutboxRelay } from "../src/relay.js";
import { collect, kafkaAt, logger, paymentFailed } from "./helpers.js";

// A broker of this test's own, so stopping it disturbs nobody else's tests.
const run = promisify(execFile);
const kafkaSh = fileURLToPath(new URL("../../../deploy/local/kafka.sh", import.meta.url));
const runDir = mkdtempSync(join(tmpdir(), "outbox-outage-"));
let port: number;
const broker = (cmd: "up" | "down") => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RUN_DIR: runDir,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(port + 1),
  };
  delete env.KAFKA_BROKERS;
  return run(kafkaSh, [cmd], { env, timeout: 150_000 });
};

let db: TestDatabase;
let sql: Sql;

beforeAll(async () => {
  port = await freePortPair();
  db = await createTestDatabase("payment");
  sql = createSql(db.url, { max: 4 });
  await broker("up");
}, 180_000);
afterAll(async () => {
  await broker("down").catch(() => {});
  rmSync(runDir, { recursive: true, force: true });
  await sql?.end({ timeout: 5 });
  await db?.drop();
}, 60_000);

describe("outbox relay during a broker outage", () => {
  it("when the broker is down, then committed events pile up; after it returns, all are published in order per aggregate", async () => {
    const prefix = uniqueTopicPrefix();
    const topic = topicName("payments", prefix);
    const kafka = kafkaAt([`127.0.0.1:${port}`]);
    await ensureTopics(kafka, [{ topic }]);
    const outbox = createOutbox({ topicPrefix: prefix });
    const metrics = createMetricsRegistry("t");
    const relay = createOutboxRelay({ sql, kafka, logger, metrics, maxBackoffMs: 500 });
    await relay.start();

    const first = paymentFailed(1, 0);
    await sql.begin((tx) => outbox.enqueue(tx, first));
    await eventually(async () => {
      const [row] = await sql`select published_at from outbox where event_id = ${first.eventId}`;
      return row?.published_at ?? undefined;
    });

    await broker("down");
    const events: ReturnType<typeof paymentFailed>[] = [];
    for (let seq = 1; seq <= 60; seq++) events.push(paymentFailed(100 + (seq % 6), seq));
    for (const e of events) await sql.begin((tx) => outbox.enqueue(tx, e));

    // The relay has tried and failed, and nothing was lost or parked.
    await eventually(
      async () =>
        (await metrics.getSingleMetricAsString("outbox_publish_failures_total")).includes('kind="broker"')
          ? true
          : undefined,
      30_000,
    );
    const [pile] =
      await sql`select count(*)::int as n from outbox where published_at is null and parked_at is null`;
    expect(pile?.n).toBe(events.length);

    await broker("up");
    const reader = await collect(kafka, topic);
    await reader.until(events.length + 1);
    await reader.stop();
    await relay.stop();

    const mine = new Set(events.map((e) => e.eventId));
    const got = reader.received.filter((m) => mine.has(m.eventId));
    expect(new Set(got.map((m) => m.eventId)).size).toBe(events.length);
    const byKey = new Map<string, number[]>();
    for (const m of got) byKey.set(m.key, [...(byKey.get(m.key) ?? []), m.seq]);
    for (const seqs of byKey.values()) expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    const [left] = await sql`select count(*)::int as n from outbox where published_at is null`;
    expect(left?.n).toBe(0);
  }, 180_000);
});
