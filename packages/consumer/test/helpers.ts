import { createEvent } from "@shop/events";
import { createKafka, type Kafka, type Producer } from "@shop/kafka";
import { createLogger, createSql, type Logger, type Sql } from "@shop/platform";
import {
  createTestDatabase,
  dropTopics,
  kafkaBrokers,
  type TestDatabase,
  uniqueTopicPrefix,
} from "@shop/testkit";
import { Partitioners } from "kafkajs";
import { afterAll, beforeAll } from "vitest";

/** An OrderCancelled event for `orderId`: the event the consumer tests send. */
export function cancelled(orderId: number) {
  return createEvent("OrderCancelled", orderId, {
    orderId,
    userId: "u1",
    reason: "PAYMENT_FAILED",
    items: [{ productId: "p1", quantity: 1 }],
    totalCents: 100,
    currency: "USD",
  });
}

/** How many times the test handlers' `effects` table recorded `orderId`. */
export async function effectsOf(sql: Sql, orderId: number): Promise<number> {
  const [row] = await sql`select count(*)::int as n from effects where order_id = ${orderId}`;
  return row!.n;
}

export interface ConsumerTestbed {
  logger: Logger;
  kafka: Kafka;
  /** A database of its own with the services' inbox and outbox (the payment migrations) and `effects`. */
  sql: Sql;
  producer: Producer;
  /** A topic prefix of its own; its topics are dropped after the file's tests. */
  newPrefix(): string;
}

/**
 * What every consumer test file sets up, before its tests and gone after them: a logger, a Kafka
 * client, a scratch database whose `effects` table the test handlers write into, and a producer.
 * Read `sql` and `producer` inside hooks and tests: they exist once the file's `beforeAll` ran.
 */
export function useConsumerTestbed(
  name: string,
  opts: { effectsColumns?: string; poolMax?: number } = {},
): ConsumerTestbed {
  const logger = createLogger({ service: name, level: "silent" });
  const kafka = createKafka({ brokers: kafkaBrokers(), clientId: name, logger });
  const prefixes: string[] = [];
  let db: TestDatabase | undefined;
  const bed = {
    logger,
    kafka,
    sql: undefined as unknown as Sql,
    producer: undefined as unknown as Producer,
    newPrefix() {
      const prefix = uniqueTopicPrefix();
      prefixes.push(prefix);
      return prefix;
    },
  };
  beforeAll(async () => {
    db = await createTestDatabase("payment");
    bed.sql = createSql(db.url, { max: opts.poolMax ?? 5 });
    const columns = opts.effectsColumns ?? "order_id bigint not null, event_id uuid not null";
    await bed.sql.unsafe(`create table effects (${columns})`);
    bed.producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
    await bed.producer.connect();
  });
  afterAll(async () => {
    await bed.producer?.disconnect();
    await bed.sql?.end({ timeout: 5 });
    await db?.drop();
    for (const prefix of prefixes) await dropTopics(prefix);
  });
  return bed;
}
