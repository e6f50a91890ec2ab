import { createEvent, type EventEnvelope, topicName } from "@shop/events";
import { createKafka, ensureTopics, type Kafka } from "@shop/kafka";
import { createLogger, createSql, type Logger, type Sql } from "@shop/platform";
import { createTestDatabase, kafkaBrokers, type TestDatabase, uniqueTopicPrefix } from "@shop/testkit";
import type { Consumer } from "kafkajs";
import { afterAll, beforeAll } from "vitest";
import { createOutbox, type Outbox } from "../src/enqueue.js";

export const logger: Logger = createLogger({ service: "outbox-test", level: "silent" });

export function kafkaAt(brokers: string[]): Kafka {
  return createKafka({
    brokers,
    clientId: "outbox-test",
    logger,
    config: { retry: { retries: 2, initialRetryTime: 100 } },
  });
}

/** A valid event for order `orderId`, tagged so tests can tell events apart. */
export function paymentFailed(orderId: number, seq = 0): EventEnvelope<"PaymentFailed"> {
  return createEvent("PaymentFailed", orderId, {
    orderId,
    userId: "u",
    paymentId: `pay-${seq}`,
    amountCents: 100,
    currency: "USD",
    reason: `seq ${seq}`,
  });
}

export interface Received {
  eventId: string;
  key: string;
  partition: number;
  seq: number;
  headers: Record<string, string>;
}

/** Reads a topic from the beginning into an array; `until` resolves once `n` messages arrived. */
export async function collect(kafka: Kafka, topic: string) {
  const received: Received[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const consumer: Consumer = kafka.consumer({ groupId: `${topic}.reader.${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const event = JSON.parse(String(message.value)) as EventEnvelope<"PaymentFailed">;
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
      );
      received.push({
        eventId: event.eventId,
        key: String(message.key),
        partition,
        seq: Number(event.payload.reason.split(" ")[1]),
        headers,
      });
      for (const w of waiters) if (received.length >= w.n) w.resolve();
    },
  });
  await joined;
  return {
    received,
    until(n: number): Promise<void> {
      if (received.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    stop: () => consumer.disconnect(),
  };
}

export interface OutboxTestFile {
  db: TestDatabase;
  /** The writers' pool. */
  sql: Sql;
  topic: string;
  kafka: Kafka;
  outbox: Outbox;
  /** Everything published to `topic` since the file started. */
  reader: Awaited<ReturnType<typeof collect>>;
}

/**
 * The set-up of a test file: a payment database (its migrations have the outbox table), a topic of
 * the file's own and a reader of it, made before the file's tests and removed after them. The
 * fields are there once the file's `beforeAll` hooks have run.
 */
export function outboxTestFile(poolMax = 8): OutboxTestFile {
  const prefix = uniqueTopicPrefix();
  const file = {
    topic: topicName("payments", prefix),
    kafka: kafkaAt(kafkaBrokers()),
    outbox: createOutbox({ topicPrefix: prefix }),
  } as OutboxTestFile;
  beforeAll(async () => {
    file.db = await createTestDatabase("payment");
    file.sql = createSql(file.db.url, { max: poolMax });
    await ensureTopics(file.kafka, [{ topic: file.topic }]);
    file.reader = await collect(file.kafka, file.topic);
  });
  afterAll(async () => {
    await file.reader?.stop();
    await file.sql?.end({ timeout: 5 });
    await file.db?.drop();
  });
  return file;
}
