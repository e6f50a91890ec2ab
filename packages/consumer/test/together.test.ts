import { topicName } from "@shop/events";
import { ensureTopics } from "@shop/kafka";
import { AppError, createMetricsRegistry } from "@shop/platform";
import { eventually } from "@shop/testkit";
import { describe, expect, it } from "vitest";
import { createEventConsumer } from "../src/consumer.js";
import { cancelled, useConsumerTestbed } from "./helpers.js";

// Runs of several partitions that are ready together share one transaction. The messages are on
// the topic before the consumer joins, so its first fetch brings a batch for every partition.
const bed = useConsumerTestbed("consumer-together-test", {
  effectsColumns: "order_id bigint not null, event_id uuid not null, txid bigint not null",
  poolMax: 8,
});
/** Order ids whose handler rejects its event. */
const poison = new Set<number>();

/** Puts one event per order id on a fresh topic, then consumes them with a new group. */
async function consumeAfterProducing(ids: number[]) {
  const prefix = bed.newPrefix();
  const topic = topicName("orders", prefix);
  await ensureTopics(bed.kafka, [{ topic }]);
  await bed.producer.send({
    topic,
    acks: -1,
    messages: ids.map((id) => ({ key: String(id), value: JSON.stringify(cancelled(id)) })),
  });
  const { consumer, metrics } = await startConsumer(prefix);
  const admin = bed.kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const partitions = new Set(offsets.filter((p) => p.high !== "0").map((p) => p.partition));
  return { consumer, metrics, partitions };
}

/** A consumer of the `orders` topic under `prefix` whose handler records each event's transaction. */
async function startConsumer(prefix: string, fetchLingerMs?: number) {
  const metrics = createMetricsRegistry("t");
  const consumer = createEventConsumer({
    fetchLingerMs,
    kafka: bed.kafka,
    sql: bed.sql,
    logger: bed.logger,
    metrics,
    groupId: "together-test",
    topicPrefix: prefix,
    topics: ["orders"],
    retryBaseMs: 20,
    retryMaxMs: 50,
    handlers: {
      OrderCancelled: async (event, tx) => {
        const { orderId } = event.payload;
        await tx`insert into effects values (${orderId}, ${event.eventId}, txid_current())`;
        if (poison.has(orderId)) throw AppError.unprocessable("order is unknown here");
      },
    },
  });
  await consumer.start();
  return { consumer, metrics };
}

async function effectsOf(ids: number[]) {
  return bed.sql<{ order_id: number; txid: string }[]>`
    select order_id, txid::text from effects where order_id = any(${ids}::bigint[]) order by order_id
  `;
}

/** The effects of `ids` once there are `count` of them (by default one per id). */
function effectsOnceThere(ids: number[], count = ids.length) {
  return eventually(async () => {
    const r = await effectsOf(ids);
    return r.length === count ? r : undefined;
  });
}

describe("runs of several partitions", () => {
  it("when every partition has messages at the first fetch, then all of them commit in one transaction", async () => {
    const ids = Array.from({ length: 24 }, (_, i) => 8000 + i);
    const { consumer, partitions } = await consumeAfterProducing(ids);
    try {
      expect(partitions.size).toBeGreaterThan(1);
      const rows = await effectsOnceThere(ids);
      expect(rows.map((r) => r.order_id)).toEqual(ids);
      expect(new Set(rows.map((r) => r.txid)).size).toBe(1);
    } finally {
      await consumer.stop();
    }
  });

  it("when one partition's run holds a poison message, then every other message takes effect once and the poison one is dead-lettered", async () => {
    const ids = Array.from({ length: 24 }, (_, i) => 8100 + i);
    poison.add(8107);
    const { consumer, metrics } = await consumeAfterProducing(ids);
    try {
      const healthy = ids.filter((id) => !poison.has(id));
      await eventually(async () => {
        const text = await metrics.getSingleMetricAsString("kafka_dead_letters_total");
        return /reason="rejected"[^}]*\} 1/.test(text) ? true : undefined;
      });
      const rows = await effectsOnceThere(ids, healthy.length);
      // Each once: the shared transaction rolled back, and each run was done again on its own.
      expect(rows.map((r) => r.order_id)).toEqual(healthy);
    } finally {
      await consumer.stop();
    }
  });
});

describe("a lingering fetch", () => {
  it("when events arrive one by one within the linger, then they are fetched together and commit in one or two transactions", async () => {
    const prefix = bed.newPrefix();
    const topic = topicName("orders", prefix);
    await ensureTopics(bed.kafka, [{ topic }]);
    const { consumer } = await startConsumer(prefix, 1_000);
    try {
      const send = (id: number) =>
        bed.producer.send({
          topic,
          acks: -1,
          messages: [{ key: "8200", value: JSON.stringify(cancelled(id)) }],
        });
      // The consumer is past its first fetches once it has handled one event.
      await send(8199);
      await effectsOnceThere([8199]);
      // One produce request each, acknowledged before the next: without the linger the broker
      // answers the consumer's fetch with the first and each later one comes on a fetch of its own.
      const ids = Array.from({ length: 12 }, (_, i) => 8200 + i);
      for (const id of ids) {
        await send(id);
      }
      const rows = await effectsOnceThere(ids);
      expect(rows.map((r) => r.order_id)).toEqual(ids);
      // Two when the sends straddle the end of one fetch's linger.
      expect(new Set(rows.map((r) => r.txid)).size).toBeLessThanOrEqual(2);
    } finally {
      await consumer.stop();
    }
  });
});
