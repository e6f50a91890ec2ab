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
import { buildOrderDomain } from "../src/app.js";
import type { Order } from "../src/domain/order.js";
import { createOrderEventsConsumer } from "../src/entry-points/kafka/order-events-consumer.js";

const logger = createLogger({ service: "order", level: "silent" });
const kafka = createKafka({ brokers: kafkaBrokers(), clientId: "order-saga-test", logger });
const prefix = uniqueTopicPrefix();
const metrics = createMetricsRegistry("order");
let db: TestDatabase;
let sql: Sql;
let producer: Producer;
let domain: ReturnType<typeof buildOrderDomain>;
let consumer: ReturnType<typeof createOrderEventsConsumer>;

beforeAll(async () => {
  db = await createTestDatabase("order");
  sql = createSql(db.url, { max: 10 });
  const catalog = { getProducts: async () => new Map() };
  domain = buildOrderDomain({ logger, metrics, sql, catalog, topicPrefix: prefix });
  consumer = createOrderEventsConsumer({ kafka, sql, registry: metrics, topicPrefix: prefix, saga: domain });
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

/** An order as CreateOrder leaves it, optionally moved on to `status`. */
async function anOrder(status: Order["status"] = "CREATED", cancelReason: string | null = null) {
  const order = await domain.orders.insert({
    userId: `u-${uid()}`,
    items: [
      { productId: `p-${uid()}`, name: "Lamp", quantity: 2, unitPriceCents: 1500 },
      { productId: `p-${uid()}`, name: "Bulb", quantity: 1, unitPriceCents: 200 },
    ],
    totalCents: 3200,
    currency: "USD",
    traceId: null,
  });
  if (status !== "CREATED") {
    await sql`update orders set status = ${status}, cancel_reason = ${cancelReason} where id = ${order.id}`;
  }
  return order;
}

const publish = (event: EventEnvelope) => publishEvents(producer, prefix, event);

const handled = (eventId: string) => async () => {
  const rows = await sql`select 1 from inbox where event_id = ${eventId}`;
  return rows.length > 0 ? true : undefined;
};

const statusOf = async (id: number) => {
  const [row] = await sql<{ status: string; cancel_reason: string | null }[]>`
    select status, cancel_reason from orders where id = ${id}`;
  return row!;
};

const outboxOf = (id: number) =>
  sql<{ event_type: string; payload: EventEnvelope }[]>`
    select event_type, payload from outbox where message_key = ${String(id)} order by id`;

const reserved = (o: Order) =>
  createEvent("InventoryReserved", o.id, {
    orderId: o.id,
    userId: o.userId,
    items: o.items.map((l) => ({ productId: l.productId, quantity: l.quantity })),
    totalCents: o.totalCents,
    currency: o.currency,
  });
const reservationFailed = (o: Order) =>
  createEvent("InventoryReservationFailed", o.id, {
    orderId: o.id,
    userId: o.userId,
    reason: "OUT_OF_STOCK",
    productIds: [o.items[0]!.productId],
  });
const paid = (o: Order) =>
  createEvent("PaymentProcessed", o.id, {
    orderId: o.id,
    userId: o.userId,
    paymentId: uid(),
    amountCents: o.totalCents,
    currency: o.currency,
  });
const paymentFailed = (o: Order) =>
  createEvent("PaymentFailed", o.id, {
    orderId: o.id,
    userId: o.userId,
    paymentId: uid(),
    amountCents: o.totalCents,
    currency: o.currency,
    reason: "declined",
  });

describe("order saga over Kafka", () => {
  it("when inventory is reserved and then the payment succeeds, then the order is PAID and OrderPaid is in the outbox", async () => {
    const order = await anOrder();
    const r = reserved(order);
    await publish(r);
    await eventually(handled(r.eventId));
    expect(await statusOf(order.id)).toEqual({ status: "INVENTORY_RESERVED", cancel_reason: null });

    const p = paid(order);
    await publish(p);
    await eventually(handled(p.eventId));
    expect(await statusOf(order.id)).toEqual({ status: "PAID", cancel_reason: null });
    const events = await outboxOf(order.id);
    expect(events.map((e) => e.event_type)).toEqual(["OrderPaid"]);
    expect(events[0]!.payload.payload).toEqual({
      orderId: order.id,
      userId: order.userId,
      items: order.items.map((l) => ({ productId: l.productId, quantity: l.quantity })),
      totalCents: 3200,
      currency: "USD",
    });
    expect(await metrics.metrics()).toMatch(/saga_orders_total\{[^}]*outcome="paid"[^}]*\} [1-9]/);
    expect(await metrics.metrics()).toMatch(/saga_duration_seconds_count\{[^}]*\} [1-9]/);
  });

  it("when the payment fails, then the order is CANCELLED (PAYMENT_FAILED) and OrderCancelled releases its lines", async () => {
    const order = await anOrder("INVENTORY_RESERVED");
    const f = paymentFailed(order);
    await publish(f);
    await eventually(handled(f.eventId));
    expect(await statusOf(order.id)).toEqual({ status: "CANCELLED", cancel_reason: "PAYMENT_FAILED" });
    const events = await outboxOf(order.id);
    expect(events.map((e) => e.event_type)).toEqual(["OrderCancelled"]);
    expect(events[0]!.payload.payload).toMatchObject({
      orderId: order.id,
      reason: "PAYMENT_FAILED",
      items: order.items.map((l) => ({ productId: l.productId, quantity: l.quantity })),
    });
  });

  it("when the same PaymentFailed is delivered twice, then the state changes once and one OrderCancelled is written", async () => {
    const order = await anOrder("INVENTORY_RESERVED");
    const f = paymentFailed(order);
    await publish(f);
    await publish(f);
    // A marker on the same key (same partition) proves both copies were consumed before it.
    const marker = reserved(order);
    await publish(marker);
    await eventually(handled(marker.eventId));
    expect(await statusOf(order.id)).toEqual({ status: "CANCELLED", cancel_reason: "PAYMENT_FAILED" });
    expect((await outboxOf(order.id)).map((e) => e.event_type)).toEqual(["OrderCancelled"]);
    const [inbox] = await sql`select count(*)::int as n from inbox where event_id = ${f.eventId}`;
    expect(inbox!.n).toBe(1);
  });

  it("when the reservation fails, then the order is CANCELLED (OUT_OF_STOCK) and OrderCancelled has nothing to release", async () => {
    const order = await anOrder();
    const f = reservationFailed(order);
    await publish(f);
    await eventually(handled(f.eventId));
    expect(await statusOf(order.id)).toEqual({ status: "CANCELLED", cancel_reason: "OUT_OF_STOCK" });
    const events = await outboxOf(order.id);
    expect(events.map((e) => e.event_type)).toEqual(["OrderCancelled"]);
    expect(events[0]!.payload.payload).toMatchObject({ reason: "OUT_OF_STOCK", items: [] });
  });

  it("when the payment outcome arrives before the reservation, then the order is PAID and the late reservation is skipped", async () => {
    const order = await anOrder();
    const p = paid(order);
    await publish(p);
    await eventually(handled(p.eventId));
    expect((await statusOf(order.id)).status).toBe("PAID");
    const r = reserved(order);
    await publish(r);
    await eventually(handled(r.eventId));
    expect((await statusOf(order.id)).status).toBe("PAID");
    expect((await outboxOf(order.id)).map((e) => e.event_type)).toEqual(["OrderPaid"]);
  });

  it("when a payment succeeds for an order already cancelled by timeout, then it stays CANCELLED and no OrderPaid is written", async () => {
    const order = await anOrder("CANCELLED", "TIMEOUT");
    const p = paid(order);
    await publish(p);
    await eventually(handled(p.eventId));
    expect(await statusOf(order.id)).toEqual({ status: "CANCELLED", cancel_reason: "TIMEOUT" });
    expect(await outboxOf(order.id)).toHaveLength(0);
  });

  it("when reservations and payment outcomes of many orders interleave, then each order ends terminal with one event", async () => {
    const orders = await Promise.all(Array.from({ length: 40 }, () => anOrder()));
    const inventory = orders.map(reserved);
    const payments = orders.map((o, i) => (i % 3 === 0 ? paymentFailed(o) : paid(o)));
    // Payments first for half of them, so both orders of arrival are exercised at once.
    await publishEvents(producer, prefix, [...payments, ...inventory]);
    await eventually(async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from inbox where event_id = any(${[...inventory, ...payments].map((e) => e.eventId)}::uuid[])`;
      return row!.n === 80 ? true : undefined;
    }, 20_000);
    for (const [i, o] of orders.entries()) {
      const expected = i % 3 === 0 ? "CANCELLED" : "PAID";
      expect((await statusOf(o.id)).status).toBe(expected);
      expect((await outboxOf(o.id)).map((e) => e.event_type)).toEqual([
        expected === "PAID" ? "OrderPaid" : "OrderCancelled",
      ]);
    }
  });

  it("when an event names an unknown order, then it is dead-lettered at once, not retried", async () => {
    const ghost = {
      id: 900_000_000 + Math.floor(Math.random() * 1e6),
      userId: "ghost",
      items: [],
      totalCents: 1,
      currency: "USD",
    };
    const dead = paid(ghost as unknown as Order);
    const received: string[] = [];
    const reader = kafka.consumer({ groupId: `${prefix}dlq-reader` });
    await reader.connect();
    await reader.subscribe({ topic: consumer.deadLetterTopic, fromBeginning: true });
    const joined = new Promise<void>((resolve) => reader.on(reader.events.GROUP_JOIN, () => resolve()));
    await reader.run({
      eachMessage: async ({ message }) => {
        received.push(message.value?.toString() ?? "");
      },
    });
    await joined;
    try {
      await publish(dead);
      await eventually(() => (received.some((v) => v.includes(dead.eventId)) ? true : undefined), 20_000);
      // The inbox entry rolled back with the failed handler.
      expect(await sql`select 1 from inbox where event_id = ${dead.eventId}`).toHaveLength(0);
    } finally {
      await reader.disconnect();
    }
  });

  it("when a different PaymentFailed arrives for a PAID order, then the order does not move", async () => {
    const order = await anOrder("PAID");
    const f = paymentFailed(order);
    await publish(f);
    await eventually(handled(f.eventId));
    expect(await statusOf(order.id)).toEqual({ status: "PAID", cancel_reason: null });
    expect(await outboxOf(order.id)).toHaveLength(0);
  });
});
