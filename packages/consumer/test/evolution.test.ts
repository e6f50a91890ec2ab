import { createEventCodec, payloadSchemas, topicName } from "@shop/events";
import { createMetricsRegistry } from "@shop/platform";
import { eventually } from "@shop/testkit";
import { type Consumer, Partitioners, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEventConsumer, type EventConsumer } from "../src/consumer.js";
import { cancelled, effectsOf as countEffects, useConsumerTestbed } from "./helpers.js";

// Rolling upgrades: producers of the next release run beside consumers of this one.
const bed = useConsumerTestbed("evolution-test", {
  effectsColumns: "order_id bigint not null, event_id uuid not null, minor int not null, cancelled_by text",
});
const prefix = bed.newPrefix();
const ordersTopic = topicName("orders", prefix);
let consumer: EventConsumer;
let newProducer: Producer;
let dlqReader: Consumer;
const deadLetters: { value: string; headers: Record<string, string> }[] = [];

/**
 * The next release's catalogue: OrderCancelled 1.1 adds an optional `cancelledBy` (TypeBox schemas
 * are plain JSON Schema; the field stays out of `required`).
 */
const cancelledSchema = payloadSchemas.OrderCancelled;
const nextRelease = createEventCodec({
  schemas: {
    ...payloadSchemas,
    OrderCancelled: {
      ...cancelledSchema,
      properties: { ...cancelledSchema.properties, cancelledBy: { type: "string" } },
    },
  },
  versions: { OrderCancelled: { major: 1, minor: 1 } },
});

function cancelledByNextRelease(orderId: number) {
  const { payload } = cancelled(orderId);
  return nextRelease.create("OrderCancelled", orderId, { ...payload, cancelledBy: "sweeper" });
}

const effectsOf = (orderId: number) => countEffects(bed.sql, orderId);

beforeAll(async () => {
  consumer = createEventConsumer({
    kafka: bed.kafka,
    sql: bed.sql,
    logger: bed.logger,
    metrics: createMetricsRegistry("t"),
    groupId: "evolution-test",
    topicPrefix: prefix,
    topics: ["orders"],
    handlers: {
      OrderCancelled: async (event, tx) => {
        // A field this release does not know reaches the handler untouched; it just does not use it.
        const by = (event.payload as { cancelledBy?: string }).cancelledBy ?? null;
        await tx`
          insert into effects (order_id, event_id, minor, cancelled_by)
          values (${event.payload.orderId}, ${event.eventId}, ${event.minor ?? 0}, ${by})
        `;
      },
    },
  });
  await consumer.start();
  newProducer = bed.kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await newProducer.connect();
  dlqReader = bed.kafka.consumer({ groupId: `${prefix}dlq-reader` });
  await dlqReader.connect();
  await dlqReader.subscribe({ topic: consumer.deadLetterTopic, fromBeginning: true });
  await dlqReader.run({
    eachMessage: async ({ message }) => {
      deadLetters.push({
        value: String(message.value),
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
      });
    },
  });
});
afterAll(async () => {
  await consumer?.stop();
  await newProducer?.disconnect();
  await dlqReader?.disconnect();
});

describe("event evolution", () => {
  it("when an old and a new producer publish side by side, the new one at a higher minor with a field more, then every message is handled and none dead-lettered", async () => {
    const oldIds = Array.from({ length: 10 }, (_, i) => 3100 + i);
    const newIds = Array.from({ length: 10 }, (_, i) => 3200 + i);
    const oldEvents = oldIds.map(cancelled);
    const newEvents = newIds.map(cancelledByNextRelease);
    // Keys shared by both producers: their messages interleave on the same partitions.
    const send = (producer: Producer, events: { eventId: string }[]) =>
      Promise.all(
        events.map((e, i) =>
          producer.send({
            topic: ordersTopic,
            acks: -1,
            messages: [{ key: `k${i % 4}`, value: JSON.stringify(e) }],
          }),
        ),
      );
    await Promise.all([send(bed.producer, oldEvents), send(newProducer, newEvents)]);

    const all = [...oldIds, ...newIds];
    await eventually(async () => {
      const [row] = await bed.sql`select count(*)::int as n from effects where order_id = any(${all})`;
      return row!.n === all.length ? true : undefined;
    });
    for (const id of all) expect(await effectsOf(id)).toBe(1);
    const rows = await bed.sql<{ minor: number; cancelled_by: string | null; n: number }[]>`
      select minor, cancelled_by, count(*)::int as n from effects where order_id = any(${all})
      group by minor, cancelled_by order by minor
    `;
    expect(rows).toEqual([
      { minor: 0, cancelled_by: null, n: oldIds.length },
      { minor: 1, cancelled_by: "sweeper", n: newIds.length },
    ]);
    const ours = new Set([...oldEvents, ...newEvents].map((e) => e.eventId));
    expect(deadLetters.filter((d) => ours.has(JSON.parse(d.value).eventId))).toEqual([]);
  });

  it("when a message has a major version this consumer cannot read, then it is dead-lettered with a reason naming the type and version, and the next message is handled", async () => {
    const unreadable = { ...cancelled(3301), version: 2, minor: 0 };
    const next = cancelled(3302);
    await bed.producer.send({
      topic: ordersTopic,
      acks: -1,
      messages: [
        { key: "3301", value: JSON.stringify(unreadable) },
        { key: "3301", value: JSON.stringify(next) },
      ],
    });
    const dead = await eventually(() => deadLetters.find((d) => d.value === JSON.stringify(unreadable)));
    expect(dead.headers["dlq-reason"]).toBe("unsupported OrderCancelled version 2.0: this reader knows 1.x");
    expect(dead.headers["dlq-attempts"]).toBe("1");
    await eventually(async () => ((await effectsOf(3302)) === 1 ? true : undefined));
    expect(await effectsOf(3301)).toBe(0);
  });
});
