import { topicName } from "@shop/events";
import { createKafka } from "@shop/kafka";
import { AppError, createLogger, createMetricsRegistry, createSql, type Sql } from "@shop/platform";
import {
  createTestDatabase,
  dropTopics,
  eventually,
  kafkaBrokers,
  type TestDatabase,
  uniqueTopicPrefix,
} from "@shop/testkit";
import { type Admin, Partitioners, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEventConsumer, type EventConsumer } from "../src/consumer.js";
import { cancelled, effectsOf as countEffects } from "./helpers.js";

// Offsets reach the broker at most once per interval; a dead letter and a stop commit at once.
// The interval here is far longer than a test, so any commit seen within it came from those.
const logger = createLogger({ service: "consumer-commit-test", level: "silent" });
const kafka = createKafka({ brokers: kafkaBrokers(), clientId: "consumer-commit-test", logger });
const LONG_INTERVAL_MS = 10 * 60_000;
let db: TestDatabase;
let sql: Sql;
let producer: Producer;
let admin: Admin;
const prefixes: string[] = [];
/** Order ids whose handler rejects its event. */
const poison = new Set<number>();

beforeAll(async () => {
  db = await createTestDatabase("payment");
  sql = createSql(db.url, { max: 4 });
  await sql`create table effects (order_id bigint not null, event_id uuid not null)`;
  producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  await admin?.disconnect();
  await producer?.disconnect();
  await sql?.end({ timeout: 5 });
  await db?.drop();
  for (const prefix of prefixes) await dropTopics(prefix);
});

async function startConsumer(): Promise<{ consumer: EventConsumer; topic: string }> {
  const prefix = uniqueTopicPrefix();
  prefixes.push(prefix);
  const consumer = createEventConsumer({
    kafka,
    sql,
    logger,
    metrics: createMetricsRegistry("t"),
    groupId: "commit-test",
    topicPrefix: prefix,
    topics: ["orders"],
    commitIntervalMs: LONG_INTERVAL_MS,
    handlers: {
      OrderCancelled: async (event, tx) => {
        if (poison.has(event.payload.orderId)) throw AppError.unprocessable("order is unknown here");
        await tx`insert into effects (order_id, event_id) values (${event.payload.orderId}, ${event.eventId})`;
      },
    },
  });
  await consumer.start();
  return { consumer, topic: topicName("orders", prefix) };
}

/** Sends one event under a fixed key (so every send lands on one partition); returns where it went. */
async function send(topic: string, orderId: number) {
  const [meta] = await producer.send({
    topic,
    acks: -1,
    messages: [{ key: "same-key", value: JSON.stringify(cancelled(orderId)) }],
  });
  return { partition: meta!.partition, next: String(BigInt(meta!.baseOffset!) + 1n) };
}

async function committedOffset(consumer: EventConsumer, topic: string, partition: number): Promise<string> {
  const [offsets] = await admin.fetchOffsets({ groupId: consumer.groupId, topics: [topic] });
  return offsets!.partitions.find((p) => p.partition === partition)!.offset;
}

const effectsOf = (orderId: number) => countEffects(sql, orderId);

describe("offset commits", () => {
  it("when messages follow each other within the interval, then the first is committed at once and the rest when the consumer stops", async () => {
    const { consumer, topic } = await startConsumer();
    const first = await send(topic, 8101);
    await eventually(async () =>
      (await committedOffset(consumer, topic, first.partition)) === first.next ? true : undefined,
    );

    const second = await send(topic, 8102);
    await eventually(async () => ((await effectsOf(8102)) === 1 ? true : undefined));
    // Handled and its transaction committed, but the interval is not up: the broker still has the first.
    expect(await committedOffset(consumer, topic, second.partition)).toBe(first.next);

    await consumer.stop();
    expect(await committedOffset(consumer, topic, second.partition)).toBe(second.next);
  });

  it("when a message is dead-lettered, then its offset is committed at once", async () => {
    const { consumer, topic } = await startConsumer();
    try {
      const first = await send(topic, 8201);
      await eventually(async () =>
        (await committedOffset(consumer, topic, first.partition)) === first.next ? true : undefined,
      );
      poison.add(8202);
      const bad = await send(topic, 8202);
      const committed = await eventually(async () => {
        const at = await committedOffset(consumer, topic, bad.partition);
        return at === bad.next ? at : undefined;
      });
      expect(committed).toBe(bad.next);
      expect(await effectsOf(8202)).toBe(0);
    } finally {
      await consumer.stop();
    }
  });
});
