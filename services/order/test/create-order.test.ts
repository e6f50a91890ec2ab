import { createGrpcClient, type GrpcServer, protos } from "@shop/grpc";
import { createTestIssuer, createTokenVerifier } from "@shop/identity";
import { type AppError, createLogger, createMetricsRegistry, createSql, type Sql } from "@shop/platform";
import { createTestDatabase, type TestDatabase, uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildGrpcServer, buildOrderDomain } from "../src/app.js";
import { createProductCatalog } from "../src/data-access/product-catalog.js";
import type { EventSink } from "../src/domain/order-events.js";
import { startProductStandIn } from "./product-stand-in.js";
import { catalogCredentials, gatewayCredentials, orderServerCredentials } from "./tls.js";

const logger = createLogger({ service: "order", level: "silent" });
let db: TestDatabase;
let sql: Sql;
let products: Awaited<ReturnType<typeof startProductStandIn>>;
let issuer: Awaited<ReturnType<typeof createTestIssuer>>;
let catalog: ReturnType<typeof createProductCatalog>;
const servers: GrpcServer[] = [];

/** An OrderService on an ephemeral port, optionally with a different event sink. */
async function startOrderService(wrapOutbox?: (real: EventSink) => EventSink) {
  const metrics = createMetricsRegistry("order");
  const domain = buildOrderDomain({ logger, metrics, sql, catalog, topicPrefix: "t." });
  if (wrapOutbox) domain.outbox = wrapOutbox(domain.outbox);
  const server = buildGrpcServer({
    logger,
    metrics,
    sql,
    domain,
    verifier: createTokenVerifier({ keys: issuer.keys }),
    credentials: orderServerCredentials(),
  });
  servers.push(server);
  const port = await server.listen("127.0.0.1", 0);
  return createGrpcClient(protos().order.OrderService, `127.0.0.1:${port}`, {
    credentials: gatewayCredentials(),
  });
}

let client: Awaited<ReturnType<typeof startOrderService>>;

beforeAll(async () => {
  db = await createTestDatabase("order");
  sql = createSql(db.url, { max: 10 });
  products = await startProductStandIn();
  catalog = createProductCatalog(products.address, { credentials: catalogCredentials() });
  issuer = await createTestIssuer();
  client = await startOrderService();
});
afterAll(async () => {
  client.close();
  catalog.close();
  await Promise.all(servers.map((s) => s.shutdown(1_000)));
  await products.stop();
  await sql.end({ timeout: 5 });
  await db.drop();
});

function addProduct(priceCents = 1250, currency = "USD") {
  const id = `p-${uid()}`;
  products.products.set(id, { id, name: `Widget ${id}`, priceCents, currency });
  return id;
}

async function user(role: "customer" | "admin" = "customer") {
  const id = `u-${uid()}`;
  return { id, auth: `Bearer ${await issuer.token(id, role)}` };
}

const outboxOf = (orderId: number) =>
  sql<{ event_type: string; payload: { payload: Record<string, unknown> } }[]>`
    select event_type, payload from outbox where message_key = ${String(orderId)} order by id`;

const fails = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("expected a failure"),
    (e: AppError) => e,
  );

describe("CreateOrder", () => {
  it("when a customer orders live products, then the order is CREATED with captured prices and OrderCreated is in the outbox", async () => {
    const alice = await user();
    const a = addProduct(1250);
    const b = addProduct(300);
    const res = await client.CreateOrder(
      {
        items: [
          { productId: a, quantity: 2 },
          { productId: b, quantity: 1 },
        ],
      },
      { authorization: alice.auth },
    );
    expect(res.created).toBe(true);
    const order = res.order!;
    expect(order.id).toBeGreaterThan(0);
    expect(order).toMatchObject({ userId: alice.id, status: "CREATED", totalCents: 2800, currency: "USD" });
    expect(order.items).toEqual([
      { productId: a, quantity: 2, name: `Widget ${a}`, unitPriceCents: 1250 },
      { productId: b, quantity: 1, name: `Widget ${b}`, unitPriceCents: 300 },
    ]);
    const events = await outboxOf(Number(order.id));
    expect(events.map((e) => e.event_type)).toEqual(["OrderCreated"]);
    expect(events[0]!.payload.payload).toEqual({
      orderId: order.id,
      userId: alice.id,
      items: [
        { productId: a, quantity: 2, unitPriceCents: 1250 },
        { productId: b, quantity: 1, unitPriceCents: 300 },
      ],
      totalCents: 2800,
      currency: "USD",
    });

    // Prices are captured: a later change does not alter the order.
    products.products.get(a)!.priceCents = 9999;
    const again = await client.GetOrder({ id: order.id }, { authorization: alice.auth });
    expect(again.totalCents).toBe(2800);
    // The lines were stored with the order, in the order asked for.
    expect(again.items).toEqual(order.items);
  });

  it("when the caller sends a traceparent, then its trace id is stored on the order", async () => {
    const alice = await user();
    const metadata = new (await import("@shop/grpc")).grpc.Metadata();
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    metadata.set("traceparent", `00-${traceId}-00f067aa0ba902b7-01`);
    const res = await client.CreateOrder(
      { items: [{ productId: addProduct(), quantity: 1 }] },
      { authorization: alice.auth, metadata },
    );
    expect(res.order!.traceId).toBe(traceId);
  });

  it("when writing the event fails, then neither the order nor an outbox row is written", async () => {
    const broken = await startOrderService((real) => ({
      async enqueue(tx, events) {
        await real.enqueue(tx, events);
        throw new Error("injected failure after the outbox insert");
      },
    }));
    const alice = await user();
    const err = await fails(
      broken.CreateOrder(
        { items: [{ productId: addProduct(), quantity: 1 }] },
        { authorization: alice.auth },
      ),
    );
    expect(err.kind).toBe("INTERNAL");
    const [orders] = await sql`select count(*)::int as n from orders where user_id = ${alice.id}`;
    expect(orders!.n).toBe(0);
    const [rows] =
      await sql`select count(*)::int as n from outbox where payload->'payload'->>'userId' = ${alice.id}`;
    expect(rows!.n).toBe(0);
    broken.close();
  });

  it("when a product is unknown or deleted, then the order is UNPROCESSABLE with UNKNOWN_PRODUCT and nothing is written", async () => {
    const alice = await user();
    const err = await fails(
      client.CreateOrder(
        {
          items: [
            { productId: addProduct(), quantity: 1 },
            { productId: `missing-${uid()}`, quantity: 1 },
          ],
        },
        { authorization: alice.auth },
      ),
    );
    expect(err).toMatchObject({ kind: "UNPROCESSABLE", code: "UNKNOWN_PRODUCT" });
    const [orders] = await sql`select count(*)::int as n from orders where user_id = ${alice.id}`;
    expect(orders!.n).toBe(0);
  });

  it("when products have different currencies, then the order is UNPROCESSABLE", async () => {
    const alice = await user();
    const err = await fails(
      client.CreateOrder(
        {
          items: [
            { productId: addProduct(100, "USD"), quantity: 1 },
            { productId: addProduct(100, "EUR"), quantity: 1 },
          ],
        },
        { authorization: alice.auth },
      ),
    );
    expect(err).toMatchObject({ kind: "UNPROCESSABLE", code: "MIXED_CURRENCY" });
  });

  it.each([
    ["no lines", []],
    ["51 lines", Array.from({ length: 51 }, (_, i) => ({ productId: `p${i}`, quantity: 1 }))],
    ["quantity 0", [{ productId: "p1", quantity: 0 }]],
    ["quantity 1001", [{ productId: "p1", quantity: 1001 }]],
    [
      "a product twice",
      [
        { productId: "p1", quantity: 1 },
        { productId: "p1", quantity: 2 },
      ],
    ],
  ])("when the request has %s, then it is INVALID_ARGUMENT", async (_name, items) => {
    const alice = await user();
    const err = await fails(client.CreateOrder({ items }, { authorization: alice.auth }));
    expect(err.kind).toBe("INVALID_ARGUMENT");
  });

  it("when the idempotency key is longer than 255 characters, then it is INVALID_ARGUMENT", async () => {
    const alice = await user();
    const err = await fails(
      client.CreateOrder(
        { items: [{ productId: addProduct(), quantity: 1 }], idempotencyKey: "k".repeat(256) },
        { authorization: alice.auth },
      ),
    );
    expect(err.kind).toBe("INVALID_ARGUMENT");
  });

  it("when the product service is unreachable, then the call fails as UNAVAILABLE and nothing is written", async () => {
    const deadCatalog = createProductCatalog("127.0.0.1:1", {
      credentials: catalogCredentials(),
      deadlineMs: 500,
    });
    const metrics = createMetricsRegistry("order");
    const domain = buildOrderDomain({ logger, metrics, sql, catalog: deadCatalog, topicPrefix: "t." });
    const server = buildGrpcServer({
      logger,
      metrics,
      sql,
      domain,
      verifier: createTokenVerifier({ keys: issuer.keys }),
      credentials: orderServerCredentials(),
    });
    servers.push(server);
    const port = await server.listen("127.0.0.1", 0);
    const cut = createGrpcClient(protos().order.OrderService, `127.0.0.1:${port}`, {
      credentials: gatewayCredentials(),
    });
    const alice = await user();
    const err = await fails(
      cut.CreateOrder({ items: [{ productId: addProduct(), quantity: 1 }] }, { authorization: alice.auth }),
    );
    expect(["UNAVAILABLE", "TIMEOUT"]).toContain(err.kind);
    const [orders] = await sql`select count(*)::int as n from orders where user_id = ${alice.id}`;
    expect(orders!.n).toBe(0);
    cut.close();
    deadCatalog.close();
  });

  it("when there is no valid token, then it is UNAUTHENTICATED", async () => {
    const err = await fails(client.CreateOrder({ items: [{ productId: addProduct(), quantity: 1 }] }));
    expect(err.kind).toBe("UNAUTHENTICATED");
    const bad = await fails(
      client.CreateOrder(
        { items: [{ productId: addProduct(), quantity: 1 }] },
        { authorization: "Bearer x.y.z" },
      ),
    );
    expect(bad.kind).toBe("UNAUTHENTICATED");
  });
});

describe("CreateOrder with an Idempotency-Key", () => {
  it("when the same key and body come twice, then one order exists and the second answer has created=false", async () => {
    const alice = await user();
    const req = { items: [{ productId: addProduct(), quantity: 3 }], idempotencyKey: `k-${uid()}` };
    const first = await client.CreateOrder(req, { authorization: alice.auth });
    const second = await client.CreateOrder(req, { authorization: alice.auth });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.order!.id).toBe(first.order!.id);
    const [orders] = await sql`select count(*)::int as n from orders where user_id = ${alice.id}`;
    expect(orders!.n).toBe(1);
    const [events] =
      await sql`select count(*)::int as n from outbox where message_key = ${String(first.order!.id)}`;
    expect(events!.n).toBe(1);
  });

  it("when the same key comes with a different body, then it is UNPROCESSABLE with IDEMPOTENCY_KEY_REUSED", async () => {
    const alice = await user();
    const key = `k-${uid()}`;
    const product = addProduct();
    await client.CreateOrder(
      { items: [{ productId: product, quantity: 1 }], idempotencyKey: key },
      { authorization: alice.auth },
    );
    const err = await fails(
      client.CreateOrder(
        { items: [{ productId: product, quantity: 2 }], idempotencyKey: key },
        { authorization: alice.auth },
      ),
    );
    expect(err).toMatchObject({ kind: "UNPROCESSABLE", code: "IDEMPOTENCY_KEY_REUSED" });
  });

  it("when another user sends an identical key, then a new order is created for them", async () => {
    const alice = await user();
    const bob = await user();
    const req = { items: [{ productId: addProduct(), quantity: 1 }], idempotencyKey: `shared-${uid()}` };
    const a = await client.CreateOrder(req, { authorization: alice.auth });
    const b = await client.CreateOrder(req, { authorization: bob.auth });
    expect(b.created).toBe(true);
    expect(b.order!.id).not.toBe(a.order!.id);
    expect(b.order!.userId).toBe(bob.id);
  });

  it("when identical requests race, then exactly one order is created and all answers carry it", async () => {
    const alice = await user();
    const req = { items: [{ productId: addProduct(), quantity: 1 }], idempotencyKey: `race-${uid()}` };
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => client.CreateOrder(req, { authorization: alice.auth })),
    );
    expect(new Set(answers.map((a) => a.order!.id)).size).toBe(1);
    expect(answers.filter((a) => a.created)).toHaveLength(1);
    const [orders] = await sql`select count(*)::int as n from orders where user_id = ${alice.id}`;
    expect(orders!.n).toBe(1);
    const [events] =
      await sql`select count(*)::int as n from outbox where payload->'payload'->>'userId' = ${alice.id}`;
    expect(events!.n).toBe(1);
  });

  it("when the key is older than 24 hours, then the same key creates a new order", async () => {
    const alice = await user();
    const req = { items: [{ productId: addProduct(), quantity: 1 }], idempotencyKey: `old-${uid()}` };
    const first = await client.CreateOrder(req, { authorization: alice.auth });
    await sql`update idempotency_keys set created_at = now() - interval '25 hours'
              where user_id = ${alice.id} and key = ${req.idempotencyKey}`;
    const second = await client.CreateOrder(req, { authorization: alice.auth });
    expect(second.created).toBe(true);
    expect(second.order!.id).not.toBe(first.order!.id);
  });
});

describe("GetOrder and ListOrders", () => {
  it("when another customer asks for an order, then it is NOT_FOUND; the owner and an admin see it", async () => {
    const alice = await user();
    const bob = await user();
    const admin = await user("admin");
    const { order } = await client.CreateOrder(
      { items: [{ productId: addProduct(), quantity: 1 }] },
      { authorization: alice.auth },
    );
    const err = await fails(client.GetOrder({ id: order!.id }, { authorization: bob.auth }));
    expect(err.kind).toBe("NOT_FOUND");
    expect((await client.GetOrder({ id: order!.id }, { authorization: alice.auth })).id).toBe(order!.id);
    expect((await client.GetOrder({ id: order!.id }, { authorization: admin.auth })).id).toBe(order!.id);
  });

  it.each([987_654_321, 0, -5])("when order %i does not exist, then it is NOT_FOUND", async (id) => {
    const alice = await user();
    const err = await fails(client.GetOrder({ id }, { authorization: alice.auth }));
    expect(err.kind).toBe("NOT_FOUND");
  });

  it("when a page larger than 100 is asked for, then it is INVALID_ARGUMENT", async () => {
    const alice = await user();
    const err = await fails(client.ListOrders({ limit: 101 }, { authorization: alice.auth }));
    expect(err.kind).toBe("INVALID_ARGUMENT");
  });

  it("when a user lists orders, then only their own come back, newest first, page by page", async () => {
    const alice = await user();
    const bob = await user();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { order } = await client.CreateOrder(
        { items: [{ productId: addProduct(), quantity: 1 }] },
        { authorization: alice.auth },
      );
      ids.push(Number(order!.id));
    }
    await client.CreateOrder(
      { items: [{ productId: addProduct(), quantity: 1 }] },
      { authorization: bob.auth },
    );

    const page1 = await client.ListOrders({ limit: 2 }, { authorization: alice.auth });
    const page2 = await client.ListOrders(
      { limit: 2, cursor: page1.nextCursor },
      { authorization: alice.auth },
    );
    const page3 = await client.ListOrders(
      { limit: 2, cursor: page2.nextCursor },
      { authorization: alice.auth },
    );
    const seen = [...page1.items, ...page2.items, ...page3.items].map((o) => Number(o.id));
    expect(seen).toEqual([...ids].reverse());
    expect(page3.nextCursor).toBe("");
    expect(page1.items[0]!.items).toHaveLength(1);

    const bad = await fails(
      client.ListOrders({ limit: 2, cursor: "garbage" }, { authorization: alice.auth }),
    );
    expect(bad.kind).toBe("INVALID_ARGUMENT");
  });
});
