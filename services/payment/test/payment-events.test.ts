import { randomInt } from "node:crypto";
import { createEvent, type EventEnvelope } from "@shop/events";
import { createKafka, type Producer } from "@shop/kafka";
import { createLogger, createMetricsRegistry, createSql, type Sql } from "@shop/platform";
import {
  createTestDatabase,
  eventually,
  kafkaBrokers,
  publishEvents,
  type TestDatabase,
  uid,
  uniqueTopicPrefix,
} from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPaymentDomain } from "../src/app.js";
import { chargeOrder } from "../src/domain/charge-order.js";
import { createPaymentEventsConsumer } from "../src/entry-points/kafka/payment-events-consumer.js";

const logger = createLogger({ service: "payment", level: "silent" });
const kafka = createKafka({ brokers: kafkaBrokers(), clientId: "payment-test", logger });
const prefix = uniqueTopicPrefix();
const metrics = createMetricsRegistry("payment");
let db: TestDatabase;
let sql: Sql;
let producer: Producer;
let consumer: ReturnType<typeof createPaymentEventsConsumer>;

beforeAll(async () => {
  db = await createTestDatabase("payment");
  sql = createSql(db.url, { max: 10 });
  const payment = buildPaymentDomain({
    logger,
    metrics,
    sql,
    topicPrefix: prefix,
    failureMode: "even-order-id",
    latencyMs: 0,
  });
  consumer = createPaymentEventsConsumer({ kafka, sql, registry: metrics, topicPrefix: prefix, payment });
  await consumer.start();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
});
afterAll(async () => {
  await producer?.disconnect();
  await consumer?.stop();
  await sql.end({ timeout: 5 });
  await db.drop();
});

/** A fresh order id of the wanted parity (ids are the order service's; here any unique one will do). */
const orderId = (parity: "even" | "odd") => randomInt(1, 2 ** 40) * 2 + (parity === "odd" ? 1 : 0);

const reserved = (id: number, totalCents = 4200) =>
  createEvent("InventoryReserved", id, {
    orderId: id,
    userId: `u-${uid()}`,
    items: [{ productId: `p-${uid()}`, quantity: 2 }],
    totalCents,
    currency: "USD",
  });
const cancelled = (id: number, reason: "TIMEOUT" | "PAYMENT_FAILED" | "OUT_OF_STOCK" = "TIMEOUT") =>
  createEvent("OrderCancelled", id, {
    orderId: id,
    userId: `u-${uid()}`,
    reason,
    items: [{ productId: `p-${uid()}`, quantity: 2 }],
    totalCents: 4200,
    currency: "USD",
  });

const publish = (event: EventEnvelope) => publishEvents(producer, prefix, event);

const handled = (eventId: string) => async () => {
  const rows = await sql`select 1 from inbox where event_id = ${eventId}`;
  return rows.length > 0 ? true : undefined;
};

const paymentsOf = (id: number) =>
  sql<{ status: string; amount_cents: number; failure_reason: string | null }[]>`
    select status, amount_cents, failure_reason from payments where order_id = ${id}`;

const outboxOf = (id: number) =>
  sql<{ event_type: string; payload: EventEnvelope }[]>`
    select event_type, payload from outbox where message_key = ${String(id)} order by id`;

describe("payment saga step over Kafka", () => {
  it("when an odd order's inventory is reserved, then it is charged once and PaymentProcessed is in the outbox", async () => {
    const id = orderId("odd");
    const r = reserved(id, 4200);
    await publish(r);
    await eventually(handled(r.eventId));
    expect(await paymentsOf(id)).toEqual([{ status: "SUCCEEDED", amount_cents: 4200, failure_reason: null }]);
    const events = await outboxOf(id);
    expect(events.map((e) => e.event_type)).toEqual(["PaymentProcessed"]);
    expect(events[0]!.payload.payload).toMatchObject({ orderId: id, amountCents: 4200, currency: "USD" });
  });

  it("when an even order's inventory is reserved in the default mode, then the charge fails with PaymentFailed", async () => {
    const id = orderId("even");
    const r = reserved(id);
    await publish(r);
    await eventually(handled(r.eventId));
    const [payment] = await paymentsOf(id);
    expect(payment!.status).toBe("FAILED");
    expect(payment!.failure_reason).toMatch(/even order id/);
    expect((await outboxOf(id)).map((e) => e.event_type)).toEqual(["PaymentFailed"]);
  });

  it("when InventoryReserved is delivered twice and then re-sent as a new event, then the order is charged once", async () => {
    const id = orderId("odd");
    const first = reserved(id);
    await publish(first);
    await publish(first);
    const again = reserved(id);
    await publish(again);
    await eventually(handled(again.eventId));
    expect(await paymentsOf(id)).toHaveLength(1);
    expect((await outboxOf(id)).map((e) => e.event_type)).toEqual(["PaymentProcessed"]);
  });

  it("when an order is cancelled by timeout after a successful charge, then the payment is REFUNDED with PaymentRefunded", async () => {
    const id = orderId("odd");
    const r = reserved(id);
    await publish(r);
    await eventually(handled(r.eventId));
    const c = cancelled(id, "TIMEOUT");
    await publish(c);
    await eventually(handled(c.eventId));
    expect((await paymentsOf(id))[0]!.status).toBe("REFUNDED");
    const events = await outboxOf(id);
    expect(events.map((e) => e.event_type)).toEqual(["PaymentProcessed", "PaymentRefunded"]);
    expect(events[1]!.payload.payload).toMatchObject({ orderId: id, amountCents: 4200 });

    // A repeated cancellation refunds nothing more.
    const c2 = cancelled(id, "TIMEOUT");
    await publish(c2);
    await eventually(handled(c2.eventId));
    expect(await outboxOf(id)).toHaveLength(2);
  });

  it("when an order cancelled after a failed charge, then nothing is refunded", async () => {
    const id = orderId("even");
    const r = reserved(id);
    await publish(r);
    await eventually(handled(r.eventId));
    const c = cancelled(id, "PAYMENT_FAILED");
    await publish(c);
    await eventually(handled(c.eventId));
    expect((await paymentsOf(id))[0]!.status).toBe("FAILED");
    expect((await outboxOf(id)).map((e) => e.event_type)).toEqual(["PaymentFailed"]);
  });

  it("when the cancellation arrives before the reservation, then the order is never charged", async () => {
    const id = orderId("odd");
    const c = cancelled(id, "TIMEOUT");
    await publish(c);
    await eventually(handled(c.eventId));
    const r = reserved(id);
    await publish(r);
    await eventually(handled(r.eventId));
    expect(await paymentsOf(id)).toHaveLength(0);
    expect(await outboxOf(id)).toHaveLength(0);
  });
});

describe("charges racing cancellations", () => {
  it("when reservations and timeout cancellations of many orders interleave, then no cancelled order keeps a charge", async () => {
    const ids = Array.from({ length: 40 }, () => orderId("odd"));
    const reservations = ids.map((id) => reserved(id));
    const cancellations = ids.map((id) => cancelled(id, "TIMEOUT"));
    await publishEvents(producer, prefix, [...reservations, ...cancellations]);
    const all = [...reservations, ...cancellations].map((e) => e.eventId);
    await eventually(async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from inbox where event_id = any(${all}::uuid[])`;
      return row!.n === all.length ? true : undefined;
    }, 20_000);
    for (const id of ids) {
      const payments = await paymentsOf(id);
      const events = (await outboxOf(id)).map((e) => e.event_type);
      if (payments.length === 0) {
        expect(events).toEqual([]);
      } else {
        expect(payments[0]!.status).toBe("REFUNDED");
        expect(events).toEqual(["PaymentProcessed", "PaymentRefunded"]);
      }
    }
  });
});

describe("charging under other failure modes", () => {
  const domain = (failureMode: string, random?: () => number, latencyMs = 0) =>
    buildPaymentDomain({
      logger,
      metrics: createMetricsRegistry("payment"),
      sql,
      topicPrefix: prefix,
      failureMode,
      latencyMs,
      ...(random ? { random } : {}),
    });

  it("when the mode is none, then an even order is charged successfully", async () => {
    const id = orderId("even");
    await sql.begin((tx) => chargeOrder(domain("none"), reserved(id).payload, tx));
    expect((await paymentsOf(id))[0]!.status).toBe("SUCCEEDED");
  });

  it("when the mode is random:0.5, then the draw decides the outcome", async () => {
    const low = orderId("odd");
    const high = orderId("odd");
    await sql.begin((tx) =>
      chargeOrder(
        domain("random:0.5", () => 0.1),
        reserved(low).payload,
        tx,
      ),
    );
    await sql.begin((tx) =>
      chargeOrder(
        domain("random:0.5", () => 0.9),
        reserved(high).payload,
        tx,
      ),
    );
    expect((await paymentsOf(low))[0]!.status).toBe("FAILED");
    expect((await paymentsOf(high))[0]!.status).toBe("SUCCEEDED");
  });

  it("when PAYMENT_LATENCY_MS is set, then a charge takes at least that long", async () => {
    const id = orderId("odd");
    const started = Date.now();
    await sql.begin((tx) => chargeOrder(domain("none", undefined, 150), reserved(id).payload, tx));
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    expect(await paymentsOf(id)).toHaveLength(1);
  });

  it("when two charges of one order run at once, then exactly one payment is recorded", async () => {
    const id = orderId("odd");
    const payload = reserved(id).payload;
    const slow = domain("none", undefined, 50);
    await Promise.all([
      sql.begin((tx) => chargeOrder(slow, payload, tx)),
      sql.begin((tx) => chargeOrder(slow, payload, tx)),
    ]);
    expect(await paymentsOf(id)).toHaveLength(1);
    expect(await outboxOf(id)).toHaveLength(1);
  });
});
