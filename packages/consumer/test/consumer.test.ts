import { createEvent, topicName } from "@shop/events";
import { AppError, createMetricsRegistry } from "@shop/platform";
import { eventually } from "@shop/testkit";
import type { Consumer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEventConsumer, type EventConsumer } from "../src/consumer.js";
import { cancelled, effectsOf as countEffects, useConsumerTestbed } from "./helpers.js";

// The inbox table comes from the services' migrations; the payment database has one.
const bed = useConsumerTestbed("consumer-test");
const prefix = bed.newPrefix();
const ordersTopic = topicName("orders", prefix);
let consumer: EventConsumer;
let dlqReader: Consumer;
const deadLetters: { value: string; headers: Record<string, string> }[] = [];
const metrics = createMetricsRegistry("t");
/** Failures still to inject per order id: a number of transient errors, or "reject". */
const faults = new Map<number, number | "reject">();

async function send(key: string, value: string, headers: Record<string, string> = {}) {
  await bed.producer.send({ topic: ordersTopic, acks: -1, messages: [{ key, value, headers }] });
}

const effectsOf = (orderId: number) => countEffects(bed.sql, orderId);

beforeAll(async () => {
  consumer = createEventConsumer({
    kafka: bed.kafka,
    sql: bed.sql,
    logger: bed.logger,
    metrics,
    groupId: "consumer-test",
    topicPrefix: prefix,
    topics: ["orders"],
    retryBaseMs: 20,
    retryMaxMs: 50,
    maxAttempts: 4,
    handlers: {
      OrderCancelled: async (event, tx) => {
        await tx`insert into effects (order_id, event_id) values (${event.payload.orderId}, ${event.eventId})`;
        const fault = faults.get(event.payload.orderId);
        if (fault === "reject") throw AppError.unprocessable("order is unknown here");
        if (typeof fault === "number" && fault > 0) {
          faults.set(event.payload.orderId, fault - 1);
          throw new Error("database hiccup");
        }
      },
    },
  });
  await consumer.start();
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
  await dlqReader?.disconnect();
});

describe("event consumer", () => {
  it("when started, then it has joined its group and reports ready", () => {
    expect(consumer.isReady()).toBe(true);
  });

  it("when a partition has been drained, then its lag reads zero and dead-letter series exist", async () => {
    const event = cancelled(909);
    await send("909", JSON.stringify(event));
    await eventually(async () => ((await effectsOf(909)) === 1 ? true : undefined));
    const lag = await eventually(async () => {
      const text = await metrics.getSingleMetricAsString("kafka_consumer_lag");
      return /kafka_consumer_lag\{[^}]*group="consumer-test"[^}]*\} 0/.test(text) ? text : undefined;
    });
    expect(lag).toContain(`topic="${ordersTopic}"`);
    const dead = await metrics.getSingleMetricAsString("kafka_dead_letters_total");
    expect(dead).toMatch(/kafka_dead_letters_total\{[^}]*group="consumer-test"[^}]*reason="exhausted"/);
  });

  it("when messages arrive, then each one's time since its producer's timestamp is counted, a timestamp ahead of this clock as none", async () => {
    const delivery = async () => {
      // A histogram's values name their series (`_bucket`, `_sum`, `_count`).
      type Sample = { value: number; labels: Record<string, string | number>; metricName?: string };
      const values = (await metrics.getSingleMetric("kafka_consumer_delivery_seconds")!.get())
        .values as Sample[];
      const ours = (suffix: string) =>
        values.find(
          (v) =>
            v.metricName === `kafka_consumer_delivery_seconds${suffix}` &&
            v.labels.group === "consumer-test" &&
            v.labels.topic === ordersTopic,
        )?.value ?? 0;
      return { count: ours("_count"), sum: ours("_sum") };
    };
    const before = await delivery();
    const at = (offsetMs: number) => String(Date.now() + offsetMs);
    await bed.producer.send({
      topic: ordersTopic,
      acks: -1,
      messages: [
        { key: "313", value: JSON.stringify(cancelled(313)), timestamp: at(-3_000) },
        { key: "313", value: JSON.stringify(cancelled(313)), timestamp: at(60_000) },
        { key: "313", value: JSON.stringify(cancelled(313)) },
      ],
    });
    await eventually(async () => ((await effectsOf(313)) === 3 ? true : undefined));
    const after = await delivery();
    expect(after.count - before.count).toBe(3);
    // The first waited three seconds before it was sent; the one from a clock ahead adds nothing.
    expect(after.sum - before.sum).toBeGreaterThanOrEqual(3);
    expect(after.sum - before.sum).toBeLessThan(8);
  });

  it("when the same event is delivered twice, then its effect happens once", async () => {
    const event = cancelled(101);
    await send("101", JSON.stringify(event));
    await send("101", JSON.stringify(event));
    const marker = cancelled(101);
    await send("101", JSON.stringify(marker)); // same partition, after both copies
    await eventually(async () => ((await effectsOf(101)) === 2 ? true : undefined));
    const rows = await bed.sql`select event_id from effects where order_id = 101 order by event_id`;
    expect(rows.map((r) => r.event_id).sort()).toEqual([event.eventId, marker.eventId].sort());
    const [inbox] = await bed.sql`select count(*)::int as n from inbox where event_id = ${event.eventId}`;
    expect(inbox?.n).toBe(1);
  });

  it("when a message is poison, then it is dead-lettered with its reason and headers, and the next message is processed", async () => {
    await send("202", "{this is not json", {
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    });
    const bad = { ...cancelled(202), payload: { orderId: 202 } };
    await send("202", JSON.stringify(bad));
    const next = cancelled(202);
    await send("202", JSON.stringify(next));
    await eventually(async () => ((await effectsOf(202)) === 1 ? true : undefined));
    const notJson = await eventually(() => deadLetters.find((d) => d.value === "{this is not json"));
    expect(notJson.headers["dlq-reason"]).toBe("message is not JSON");
    expect(notJson.headers.traceparent).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    expect(notJson.headers["dlq-consumer-group"]).toBe("consumer-test");
    const invalid = await eventually(() => deadLetters.find((d) => d.value === JSON.stringify(bad)));
    expect(invalid.headers["dlq-reason"]).toMatch(/invalid OrderCancelled payload/);
  });

  it("when a handler fails transiently, then it is retried and its effect commits once", async () => {
    faults.set(303, 2);
    const event = cancelled(303);
    await send("303", JSON.stringify(event));
    await eventually(async () => ((await effectsOf(303)) === 1 ? true : undefined));
    expect(faults.get(303)).toBe(0);
    const text = await metrics.getSingleMetricAsString("kafka_consumer_retries_total");
    expect(text).toMatch(/kafka_consumer_retries_total\{[^}]*event_type="OrderCancelled"[^}]*\} [2-9]/);
  });

  it("when a handler keeps failing, then the message is dead-lettered after the attempt limit and rolled back", async () => {
    faults.set(404, 100);
    const event = cancelled(404);
    await send("404", JSON.stringify(event));
    const dead = await eventually(() => deadLetters.find((d) => d.value === JSON.stringify(event)));
    expect(dead.headers["dlq-attempts"]).toBe("4");
    expect(dead.headers["dlq-reason"]).toMatch(/database hiccup/);
    expect(await effectsOf(404)).toBe(0);
    const [inbox] = await bed.sql`select count(*)::int as n from inbox where event_id = ${event.eventId}`;
    expect(inbox?.n).toBe(0);
  });

  it("when a handler rejects with a non-retryable error, then it is dead-lettered at once", async () => {
    faults.set(505, "reject");
    const event = cancelled(505);
    await send("505", JSON.stringify(event));
    const dead = await eventually(() => deadLetters.find((d) => d.value === JSON.stringify(event)));
    expect(dead.headers["dlq-attempts"]).toBe("1");
    expect(dead.headers["dlq-reason"]).toMatch(/order is unknown here/);
  });

  it("when one run of messages holds a transient failure and a poison one, then every other message takes effect once and only the poison one is dead-lettered", async () => {
    const ids = [701, 702, 703, 704, 705, 706];
    faults.set(703, 1);
    faults.set(705, "reject");
    const events = ids.map(cancelled);
    // One produce request with one key: one partition, fetched as one batch, handled as one run.
    await bed.producer.send({
      topic: ordersTopic,
      acks: -1,
      messages: events.map((e) => ({ key: "7xx", value: JSON.stringify(e) })),
    });
    const poison = events[4]!;
    const dead = await eventually(() => deadLetters.find((d) => d.value === JSON.stringify(poison)));
    expect(dead.headers["dlq-reason"]).toMatch(/order is unknown here/);
    await eventually(async () => ((await effectsOf(706)) === 1 ? true : undefined));
    for (const id of [701, 702, 703, 704, 706]) expect(await effectsOf(id)).toBe(1);
    expect(await effectsOf(705)).toBe(0);
    expect(faults.get(703)).toBe(0);
    const inbox =
      await bed.sql`select event_id from inbox where event_id = any(${events.map((e) => e.eventId)}::uuid[])`;
    expect(inbox.map((r) => r.event_id).sort()).toEqual(
      events
        .filter((e) => e !== poison)
        .map((e) => e.eventId)
        .sort(),
    );
  });

  it("when messages on every partition are handled, then the group's committed offsets reach the end of each", async () => {
    const ids = Array.from({ length: 24 }, (_, i) => 7000 + i);
    await bed.producer.send({
      topic: ordersTopic,
      acks: -1,
      messages: ids.map((id) => ({ key: String(id), value: JSON.stringify(cancelled(id)) })),
    });
    await eventually(async () => {
      const [row] =
        await bed.sql`select count(*)::int as n from effects where order_id between 7000 and 7023`;
      return row!.n === ids.length ? true : undefined;
    });
    const admin = bed.kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(ordersTopic);
      expect(ends.filter((p) => p.high !== "0").length).toBeGreaterThan(1);
      const committed = await eventually(async () => {
        const [offsets] = await admin.fetchOffsets({ groupId: consumer.groupId, topics: [ordersTopic] });
        const at = new Map(offsets!.partitions.map((p) => [p.partition, p.offset]));
        return ends.every(
          (p) => at.get(p.partition) === p.high || (p.high === "0" && at.get(p.partition) === "-1"),
        )
          ? at
          : undefined;
      });
      expect(committed.size).toBe(ends.length);
    } finally {
      await admin.disconnect();
    }
  });

  it("when an event type has no handler, then it is skipped without a dead letter", async () => {
    const paid = createEvent("OrderPaid", 606, {
      orderId: 606,
      userId: "u1",
      items: [{ productId: "p1", quantity: 1 }],
      totalCents: 100,
      currency: "USD",
    });
    await send("606", JSON.stringify(paid));
    const marker = cancelled(606);
    await send("606", JSON.stringify(marker));
    await eventually(async () => ((await effectsOf(606)) === 1 ? true : undefined));
    expect(deadLetters.some((d) => d.value === JSON.stringify(paid))).toBe(false);
  });
});

describe("operator tools", () => {
  it("when dead letters are replayed after the cause is fixed, then they are processed once, and a second replay sends nothing", async () => {
    const { listDeadLetters, replayDeadLetters } = await import("../src/cli/dead-letters.js");
    // A consumer of its own, so the other tests' dead letters stay out of this one.
    const ownPrefix = bed.newPrefix();
    let broken = true;
    const own = createEventConsumer({
      kafka: bed.kafka,
      sql: bed.sql,
      logger: bed.logger,
      metrics,
      groupId: "replay-test",
      topicPrefix: ownPrefix,
      topics: ["orders"],
      handlers: {
        OrderCancelled: async (event, tx) => {
          if (broken) throw AppError.unprocessable("not yet");
          await tx`insert into effects (order_id, event_id) values (${event.payload.orderId}, ${event.eventId})`;
        },
      },
    });
    await own.start();
    const event = cancelled(707);
    await bed.producer.send({
      topic: topicName("orders", ownPrefix),
      messages: [{ key: "707", value: JSON.stringify(event) }],
    });
    const listed = await eventually(async () =>
      (await listDeadLetters(bed.kafka, own.deadLetterTopic)).find((l) => l.eventId === event.eventId),
    );
    expect(listed).toMatchObject({
      eventType: "OrderCancelled",
      originalTopic: topicName("orders", ownPrefix),
      reason: expect.stringMatching(/not yet/),
    });

    broken = false;
    const replayGroup = `${ownPrefix}replay-test.dlq-replay`;
    expect(await replayDeadLetters(bed.kafka, own.deadLetterTopic, replayGroup)).toBe(1);
    await eventually(async () => ((await effectsOf(707)) === 1 ? true : undefined));
    expect(await replayDeadLetters(bed.kafka, own.deadLetterTopic, replayGroup)).toBe(0);
    await own.stop();
  });
  it("when parked outbox rows are unparked, then they are pending again", async () => {
    const { listParked, unpark } = await import("../src/cli/parked-rows.js");
    const event = cancelled(808);
    await bed.sql`
      insert into outbox (event_id, topic, message_key, event_type, payload, attempts, last_error, parked_at)
      values (${event.eventId}, ${ordersTopic}, '808', 'OrderCancelled', ${bed.sql.json(event as never)}, 10, 'too large', now())
    `;
    expect((await listParked(bed.sql)).map((r) => r.event_id)).toContain(event.eventId);
    expect(await unpark(bed.sql)).toBe(1);
    const [row] = await bed.sql`select parked_at, attempts from outbox where event_id = ${event.eventId}`;
    expect(row).toEqual({ parked_at: null, attempts: 0 });
  });
});
