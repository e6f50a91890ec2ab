import { topicName } from "@shop/events";
import { AppError, createMetricsRegistry } from "@shop/platform";
import { eventually } from "@shop/testkit";
import type { Admin } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEventConsumer, type EventConsumer } from "../src/consumer.js";
import { cancelled, effectsOf as countEffects, useConsumerTestbed } from "./helpers.js";

// Offsets reach the broker at most once per interval; a dead letter and a stop commit at once.
// The interval here is far longer than a test, so any commit seen within it came from those.
const bed = useConsumerTestbed("consumer-commit-test", { poolMax: 4 });
const LONG_INTERVAL_MS = 10 * 60_000;
let admin: Admin;
/** Order ids whose handler rejects its event. */
const poison = new Set<number>();

beforeAll(async () => {
  admin = bed.kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  await admin?.disconnect();
});

async function startConsumer(): Promise<{ consumer: EventConsumer; topic: string }> {
  const prefix = bed.newPrefix();
  const consumer = createEventConsumer({
    kafka: bed.kafka,
    sql: bed.sql,
    logger: bed.logger,
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
  const [meta] = await bed.producer.send({
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

const effectsOf = (orderId: number) => countEffects(bed.sql, orderId);

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
