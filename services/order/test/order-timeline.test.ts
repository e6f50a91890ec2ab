import { createEvent, type EventEnvelope } from "@shop/events";
import { createGrpcClient, type GrpcServer, grpc, type PromiseClient, protos } from "@shop/grpc";
import { createTestIssuer, createTokenVerifier } from "@shop/identity";
import { createKafka, type Producer } from "@shop/kafka";
import { type AppError, createLogger, createMetricsRegistry, createSql, type Sql } from "@shop/platform";
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
import { buildGrpcServer, buildOrderDomain } from "../src/app.js";
import { createProductCatalog } from "../src/data-access/product-catalog.js";
import { applyPaymentFailed } from "../src/domain/apply-payment-failed.js";
import { cancelStuckOrders } from "../src/domain/cancel-stuck-orders.js";
import { recordSagaEvent } from "../src/domain/record-saga-event.js";
import { createOrderEventsConsumer } from "../src/entry-points/kafka/order-events-consumer.js";
import { startProductStandIn } from "./product-stand-in.js";
import { catalogCredentials, gatewayCredentials, orderServerCredentials } from "./tls.js";

const logger = createLogger({ service: "order", level: "silent" });
const kafka = createKafka({ brokers: kafkaBrokers(), clientId: "order-timeline-test", logger });
const prefix = uniqueTopicPrefix();
let db: TestDatabase;
let sql: Sql;
let products: Awaited<ReturnType<typeof startProductStandIn>>;
let catalog: ReturnType<typeof createProductCatalog>;
let issuer: Awaited<ReturnType<typeof createTestIssuer>>;
let domain: ReturnType<typeof buildOrderDomain>;
let consumer: ReturnType<typeof createOrderEventsConsumer>;
let producer: Producer;
let server: GrpcServer;
let client: OrderClient;
type OrderClient = PromiseClient<InstanceType<ReturnType<typeof protos>["order"]["OrderService"]>>;

beforeAll(async () => {
  db = await createTestDatabase("order");
  sql = createSql(db.url, { max: 10 });
  products = await startProductStandIn();
  catalog = createProductCatalog(products.address, { credentials: catalogCredentials() });
  issuer = await createTestIssuer();
  const metrics = createMetricsRegistry("order");
  domain = buildOrderDomain({ logger, metrics, sql, catalog, topicPrefix: prefix });
  server = buildGrpcServer({
    logger,
    metrics,
    sql,
    domain,
    verifier: createTokenVerifier({ keys: issuer.keys }),
    credentials: orderServerCredentials(),
  });
  client = createGrpcClient(protos().order.OrderService, `127.0.0.1:${await server.listen("127.0.0.1", 0)}`, {
    credentials: gatewayCredentials(),
  });
  consumer = createOrderEventsConsumer({ kafka, sql, registry: metrics, topicPrefix: prefix, saga: domain });
  await consumer.start();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
});
afterAll(async () => {
  await producer?.disconnect();
  await consumer?.stop();
  client?.close();
  catalog?.close();
  await server?.shutdown(1_000);
  await products?.stop();
  await sql.end({ timeout: 5 });
  await db.drop();
});

async function user(role: "customer" | "admin" = "customer") {
  const id = `u-${uid()}`;
  return { id, auth: `Bearer ${await issuer.token(id, role)}` };
}

/** An order placed over gRPC by `who`, with a traceparent naming `traceId`. */
async function placeOrder(
  who: { auth: string },
  traceId = uid().replace(/-/g, "").padEnd(32, "a").slice(0, 32),
) {
  const productId = `p-${uid()}`;
  products.products.set(productId, { id: productId, name: "Lamp", priceCents: 1500, currency: "USD" });
  const metadata = new grpc.Metadata();
  metadata.set("traceparent", `00-${traceId}-00f067aa0ba902b7-01`);
  const res = await client.CreateOrder(
    { items: [{ productId, quantity: 2 }] },
    { authorization: who.auth, metadata },
  );
  const order = res.order!;
  return { id: Number(order.id), userId: order.userId, productId, traceId };
}

type Placed = Awaited<ReturnType<typeof placeOrder>>;

const base = (o: Placed) => ({ orderId: o.id, userId: o.userId });
const reserved = (o: Placed) =>
  createEvent("InventoryReserved", o.id, {
    ...base(o),
    items: [{ productId: o.productId, quantity: 2 }],
    totalCents: 3000,
    currency: "USD",
  });
const payment = { paymentId: "pay-1", amountCents: 3000, currency: "USD" };
const charged = (o: Placed) => createEvent("PaymentProcessed", o.id, { ...base(o), ...payment });
const declined = (o: Placed) =>
  createEvent("PaymentFailed", o.id, { ...base(o), ...payment, reason: "card declined" });
const refunded = (o: Placed) => createEvent("PaymentRefunded", o.id, { ...base(o), ...payment });

/** Publishes each event and waits until the consumer has handled it, so they apply in this order. */
async function deliver(...events: EventEnvelope[]) {
  for (const event of events) {
    await publishEvents(producer, prefix, event);
    await eventually(async () =>
      (await sql`select 1 from inbox where event_id = ${event.eventId}`).length > 0 ? true : undefined,
    );
  }
}

const fails = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("expected a failure"),
    (e: AppError) => e,
  );

describe("GetOrderTimeline", () => {
  it("when a saga ends paid, then the timeline is OrderCreated, InventoryReserved, PaymentProcessed, OrderPaid by their emitters", async () => {
    const alice = await user();
    const order = await placeOrder(alice);
    await deliver(reserved(order), charged(order));

    const timeline = await client.GetOrderTimeline({ orderId: order.id }, { authorization: alice.auth });
    expect(timeline.status).toBe("PAID");
    expect(timeline.items.map((i) => [i.type, i.service, i.compensation])).toEqual([
      ["OrderCreated", "order", false],
      ["InventoryReserved", "product", false],
      ["PaymentProcessed", "payment", false],
      ["OrderPaid", "order", false],
    ]);
    const times = timeline.items.map((i) => Date.parse(i.at));
    expect(times.every((t, i) => Number.isFinite(t) && (i === 0 || t >= times[i - 1]!))).toBe(true);
    // Without a trace of their own, the steps carry the trace of the request that placed the order.
    expect(new Set(timeline.items.map((i) => i.traceId))).toEqual(new Set([order.traceId]));
  });

  it("when the payment fails, then the timeline ends PaymentFailed, OrderCancelled with the compensation marked", async () => {
    const alice = await user();
    const order = await placeOrder(alice);
    await deliver(reserved(order), declined(order));

    const timeline = await client.GetOrderTimeline({ orderId: order.id }, { authorization: alice.auth });
    expect(timeline.status).toBe("CANCELLED");
    expect(timeline.items.map((i) => i.type)).toEqual([
      "OrderCreated",
      "InventoryReserved",
      "PaymentFailed",
      "OrderCancelled",
    ]);
    expect(timeline.items.slice(-2)).toMatchObject([
      { type: "PaymentFailed", service: "payment", compensation: false, reason: "card declined" },
      { type: "OrderCancelled", service: "order", compensation: true, reason: "PAYMENT_FAILED" },
    ]);
  });

  it("when the reservation fails, then OrderCancelled (OUT_OF_STOCK) follows it as a compensation", async () => {
    const alice = await user();
    const order = await placeOrder(alice);
    await deliver(
      createEvent("InventoryReservationFailed", order.id, {
        ...base(order),
        reason: "OUT_OF_STOCK",
        productIds: [order.productId],
      }),
    );
    const timeline = await client.GetOrderTimeline({ orderId: order.id }, { authorization: alice.auth });
    expect(timeline.items.map((i) => [i.type, i.service, i.compensation, i.reason])).toEqual([
      ["OrderCreated", "order", false, ""],
      ["InventoryReservationFailed", "product", false, "OUT_OF_STOCK"],
      ["OrderCancelled", "order", true, "OUT_OF_STOCK"],
    ]);
  });

  it("when an order times out and its late payment is refunded, then the cancellation and the refund are compensations", async () => {
    const alice = await user();
    const order = await placeOrder(alice);
    await deliver(reserved(order));
    await sql`update orders set created_at = now() - interval '1 hour' where id = ${order.id}`;
    await cancelStuckOrders(domain, { timeoutMs: 30 * 60_000, batchSize: 100 });
    await deliver(charged(order), refunded(order));

    const timeline = await client.GetOrderTimeline({ orderId: order.id }, { authorization: alice.auth });
    expect(timeline.status).toBe("CANCELLED");
    expect(timeline.items.map((i) => [i.type, i.compensation])).toEqual([
      ["OrderCreated", false],
      ["InventoryReserved", false],
      ["OrderCancelled", true],
      // Skipped by the state machine (the order was cancelled), but it happened.
      ["PaymentProcessed", false],
      ["PaymentRefunded", true],
    ]);
    expect(timeline.items[2]!.reason).toBe("TIMEOUT");
  });

  it("when another user asks for an order, then it is NOT_FOUND, as for an order that does not exist; an admin sees it", async () => {
    const alice = await user();
    const order = await placeOrder(alice);
    const mallory = await user();
    const theirs = await fails(
      client.GetOrderTimeline({ orderId: order.id }, { authorization: mallory.auth }),
    );
    const missing = await fails(
      client.GetOrderTimeline({ orderId: 987_654_321 }, { authorization: mallory.auth }),
    );
    expect(theirs.code).toBe("NOT_FOUND");
    expect(missing.code).toBe("NOT_FOUND");
    expect(theirs.message.replace(String(order.id), "X")).toBe(missing.message.replace("987654321", "X"));

    const admin = await user("admin");
    const seen = await client.GetOrderTimeline({ orderId: order.id }, { authorization: admin.auth });
    expect(seen.items.map((i) => i.type)).toEqual(["OrderCreated"]);
    const anonymous = await fails(client.GetOrderTimeline({ orderId: order.id }));
    expect(anonymous.code).toBe("UNAUTHENTICATED");
  });

  it("when the step's transaction fails, then the timeline shows none of it", async () => {
    const alice = await user();
    const order = await placeOrder(alice);
    const real = domain.outbox;
    domain.outbox = {
      async enqueue(tx, events) {
        await real.enqueue(tx, events);
        throw new Error("injected failure after the outbox and timeline inserts");
      },
    };
    try {
      // What the consumer does for a PaymentFailed, in a transaction of its own.
      const event = declined(order);
      await expect(
        sql.begin(async (tx) => {
          await recordSagaEvent(domain, event, tx);
          await applyPaymentFailed(domain, event.payload, tx);
        }),
      ).rejects.toThrow(/injected/);
    } finally {
      domain.outbox = real;
    }
    const timeline = await client.GetOrderTimeline({ orderId: order.id }, { authorization: alice.auth });
    expect(timeline.status).toBe("CREATED");
    expect(timeline.items.map((i) => i.type)).toEqual(["OrderCreated"]);
  });
});
