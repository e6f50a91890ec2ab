import { topicName } from "@shop/events";
import { ensureTopics } from "@shop/kafka";
import { createMetricsRegistry, createSql, type Sql } from "@shop/platform";
import {
  createTestDatabase,
  eventually,
  kafkaBrokers,
  type TestDatabase,
  uniqueTopicPrefix,
} from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutboxRelay } from "../src/relay.js";
import { kafkaAt, logger } from "./helpers.js";

// A database of this file's own whose planner avoids indexes: the plan PostgreSQL may choose on
// stale statistics, where the pending rows are filtered before they are sorted and limited.
let db: TestDatabase;
let sql: Sql;
let observer: Sql;
const prefix = uniqueTopicPrefix();
const topic = topicName("payments", prefix);
const kafka = kafkaAt(kafkaBrokers());

beforeAll(async () => {
  db = await createTestDatabase("payment");
  observer = createSql(db.url, { max: 1 });
  await observer`alter database ${observer(db.name)} set enable_indexscan = off`;
  await observer`alter database ${observer(db.name)} set enable_bitmapscan = off`;
  sql = createSql(db.url, { max: 4 });
  await ensureTopics(kafka, [{ topic }]);
});
afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await observer?.end({ timeout: 5 });
  await db?.drop();
});

describe("outbox relay with a backlog", () => {
  it("when thousands of aggregates have rows pending, then a claim locks at most a batch of them and all are published", async () => {
    const pending = 3_000;
    const batchSize = 50;
    await sql`
      insert into outbox (event_id, topic, message_key, event_type, payload)
      select gen_random_uuid(), ${topic}, g::text, 'PaymentFailed', jsonb_build_object('n', g)
      from generate_series(1, ${pending}) g
    `;
    const held: number[] = [];
    const relay = createOutboxRelay({
      sql,
      kafka,
      logger,
      metrics: createMetricsRegistry("t"),
      batchSize,
      // Inside the claiming transaction, after Kafka acknowledged the batch.
      afterPublish: async () => {
        const [row] = await observer<{ n: number }[]>`
          select count(*)::int as n from pg_locks
          where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())
        `;
        held.push(row!.n);
      },
    });
    await relay.start();
    await eventually(async () => {
      const [row] = await sql<
        { n: number }[]
      >`select count(*)::int as n from outbox where published_at is null`;
      return row!.n === 0 ? true : undefined;
    }, 60_000);
    await relay.stop();
    expect(held.length).toBeGreaterThanOrEqual(pending / batchSize);
    expect(Math.max(...held)).toBeLessThanOrEqual(batchSize);
  });
});
