import { type AnyEvent, createEvent, decodeEvent, topicName } from "@shop/events";
import { type Consumer, createKafka, ensureTopics, type Producer } from "@shop/kafka";
import { createOutboxRelay } from "@shop/outbox";
import { createLogger } from "@shop/platform";
import { eventually, kafkaBrokers, uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOrderConsumer } from "../src/app.js";
import { type Harness, newProduct, startHarness } from "./harness.js";

let h: Harness;
const logger = createLogger({ service: "product", level: process.env.TEST_LOG_LEVEL ?? "silent" });
const kafka = createKafka({ brokers: kafkaBrokers(), clientId: `product-saga-${uid()}`, logger });
let producer: Producer;
let observer: Consumer;
let stopService: () => Promise<void>;
/** What the product service published on the inventory topic. */
const published: AnyEvent[] = [];
let nextOrderId = Math.floor(Math.random() * 1_000_000_000);

beforeAll(async () => {
  h = await startHarness();
  const inventoryTopic = topicName("inventory", h.topicPrefix);
  await ensureTopics(kafka, [{ topic: topicName("orders", h.topicPrefix) }, { topic: inventoryTopic }]);

  const consumer = buildOrderConsumer(h.deps, { kafka, metrics: h.metrics, topicPrefix: h.topicPrefix });
  const relay = createOutboxRelay({ sql: h.sql, kafka, logger, metrics: h.metrics, pollIntervalMs: 200 });
  await relay.start();
  await consumer.start();
  stopService = async () => {
    await consumer.stop();
    await relay.stop();
  };

  observer = kafka.consumer({ groupId: `${h.topicPrefix}observer` });
  const joined = new Promise<void>((resolve) => observer.on(observer.events.GROUP_JOIN, () => resolve()));
  await observer.connect();
  await observer.subscribe({ topic: inventoryTopic, fromBeginning: true });
  await observer.run({ eachMessage: async ({ message }) => void published.push(decodeEvent(message.value)) });
  await joined;

  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
}, 90_000);

afterAll(async () => {
  await producer?.disconnect();
  await observer?.disconnect();
  await stopService?.();
  await h.close();
});

async function send(...events: AnyEvent[]) {
  await producer.send({
    topic: topicName("orders", h.topicPrefix),
    acks: -1,
    messages: events.map((e) => ({ key: e.aggregateId, value: JSON.stringify(e) })),
  });
}

function orderCreated(orderId: number, productId: string, quantity: number) {
  return createEvent("OrderCreated", orderId, {
    orderId,
    userId: "user-1",
    items: [{ productId, quantity, unitPriceCents: 250 }],
    totalCents: 250 * quantity,
    currency: "USD",
  });
}

function orderCancelled(orderId: number, productId: string, quantity: number) {
  return createEvent("OrderCancelled", orderId, {
    orderId,
    userId: "user-1",
    reason: "PAYMENT_FAILED",
    items: [{ productId, quantity }],
    totalCents: 250 * quantity,
    currency: "USD",
  });
}

/** Resolves once the consumer has committed its work for `eventId`. */
function handled(eventId: string) {
  return eventually(async () => {
    const rows = await h.sql`select 1 from inbox where event_id = ${eventId}`;
    return rows.length > 0 ? true : undefined;
  });
}

async function stockOf(id: string) {
  const [row] = await h.sql<{ stock: number; reserved: number; sold: number }[]>`
    select stock, reserved, sold from products where id = ${id}
  `;
  return row!;
}

describe("the product service in the order saga", () => {
  it("when OrderCreated arrives, then stock is held and InventoryReserved is published", async () => {
    const p = await h.client.CreateProduct(newProduct({ stock: 5 }), { authorization: h.adminAuth });
    const orderId = ++nextOrderId;
    await send(orderCreated(orderId, p.id, 2));
    const event = await eventually(() =>
      published.find((e) => e.type === "InventoryReserved" && e.payload.orderId === orderId),
    );
    expect(event.payload).toEqual({
      orderId,
      userId: "user-1",
      items: [{ productId: p.id, quantity: 2 }],
      totalCents: 500,
      currency: "USD",
    });
    expect(event.aggregateId).toBe(String(orderId));
    expect(await stockOf(p.id)).toEqual({ stock: 3, reserved: 2, sold: 0 });
    expect(await h.metrics.metrics()).toMatch(
      /product_inventory_outcomes_total\{[^}]*event_type="OrderCreated",outcome="RESERVED"[^}]*\} 1/,
    );
  });

  it("when OrderCreated asks for more than is in stock, then InventoryReservationFailed is published and nothing is held", async () => {
    const p = await h.client.CreateProduct(newProduct({ stock: 1 }), { authorization: h.adminAuth });
    const orderId = ++nextOrderId;
    await send(orderCreated(orderId, p.id, 2));
    const event = await eventually(() =>
      published.find((e) => e.type === "InventoryReservationFailed" && e.payload.orderId === orderId),
    );
    expect(event.payload).toEqual({ orderId, userId: "user-1", reason: "OUT_OF_STOCK", productIds: [p.id] });
    expect(await stockOf(p.id)).toEqual({ stock: 1, reserved: 0, sold: 0 });
  });

  it("when OrderCancelled is delivered twice and sent again under a new event id, then the units are released once", async () => {
    const p = await h.client.CreateProduct(newProduct({ stock: 5 }), { authorization: h.adminAuth });
    const orderId = ++nextOrderId;
    const created = orderCreated(orderId, p.id, 3);
    await send(created);
    await handled(created.eventId);
    const cancel = orderCancelled(orderId, p.id, 3);
    const again = orderCancelled(orderId, p.id, 3);
    await send(cancel, cancel, again);
    await handled(again.eventId);
    expect(await stockOf(p.id)).toEqual({ stock: 5, reserved: 0, sold: 0 });
    const [inbox] = await h.sql`select count(*)::int as n from inbox where event_id = ${cancel.eventId}`;
    expect(inbox!.n).toBe(1);
  });

  it("when OrderCancelled arrives before OrderCreated, then the late OrderCreated holds nothing and publishes nothing", async () => {
    const p = await h.client.CreateProduct(newProduct({ stock: 5 }), { authorization: h.adminAuth });
    const orderId = ++nextOrderId;
    const created = orderCreated(orderId, p.id, 2);
    await send(orderCancelled(orderId, p.id, 2), created);
    await handled(created.eventId);
    expect(await stockOf(p.id)).toEqual({ stock: 5, reserved: 0, sold: 0 });
    const rows = await h.sql`select event_type from outbox where message_key = ${String(orderId)}`;
    expect(rows).toHaveLength(0);
    const [order] = await h.sql`select status from order_reservations where order_id = ${orderId}`;
    expect(order!.status).toBe("CANCELLED");
  });

  it("when OrderPaid follows a reservation, then the held units become sold", async () => {
    const p = await h.client.CreateProduct(newProduct({ stock: 5 }), { authorization: h.adminAuth });
    const orderId = ++nextOrderId;
    const paid = createEvent("OrderPaid", orderId, {
      orderId,
      userId: "user-1",
      items: [{ productId: p.id, quantity: 2 }],
      totalCents: 500,
      currency: "USD",
    });
    await send(orderCreated(orderId, p.id, 2), paid);
    await handled(paid.eventId);
    expect(await stockOf(p.id)).toEqual({ stock: 3, reserved: 0, sold: 2 });
    // The cache shows the sale too.
    expect(await h.client.GetProduct({ id: p.id })).toMatchObject({ stock: 3, sold: 2, version: 3 });
  });
});
