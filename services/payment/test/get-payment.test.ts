import { randomInt } from "node:crypto";
import { createEvent } from "@shop/events";
import { createGrpcClient, type GrpcServer, loadGrpcCredentials, protos } from "@shop/grpc";
import { createTestIssuer, createTokenVerifier } from "@shop/identity";
import { type AppError, createLogger, createMetricsRegistry, createSql, type Sql } from "@shop/platform";
import { createTestDatabase, type TestDatabase, testTlsConfig, uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildGrpcServer, buildPaymentDomain } from "../src/app.js";
import { chargeOrder } from "../src/domain/charge-order.js";
import { refundCancelledOrder } from "../src/domain/refund-cancelled-order.js";

const logger = createLogger({ service: "payment", level: "silent" });
let db: TestDatabase;
let sql: Sql;
let server: GrpcServer;
let issuer: Awaited<ReturnType<typeof createTestIssuer>>;
let domain: ReturnType<typeof buildPaymentDomain>;
let client: ReturnType<
  typeof createGrpcClient<InstanceType<ReturnType<typeof protos>["payment"]["PaymentService"]>>
>;

beforeAll(async () => {
  db = await createTestDatabase("payment");
  sql = createSql(db.url, { max: 5 });
  issuer = await createTestIssuer();
  const metrics = createMetricsRegistry("payment");
  domain = buildPaymentDomain({
    logger,
    metrics,
    sql,
    topicPrefix: "t.",
    failureMode: "even-order-id",
    latencyMs: 0,
  });
  server = buildGrpcServer({
    logger,
    metrics,
    sql,
    domain,
    verifier: createTokenVerifier({ keys: issuer.keys }),
    credentials: loadGrpcCredentials(testTlsConfig("payment")).server(["gateway"]),
  });
  const port = await server.listen("127.0.0.1", 0);
  client = createGrpcClient(protos().payment.PaymentService, `127.0.0.1:${port}`, {
    credentials: loadGrpcCredentials(testTlsConfig("gateway")).client("payment"),
  });
});
afterAll(async () => {
  client.close();
  await server.shutdown(1_000);
  await sql.end({ timeout: 5 });
  await db.drop();
});

/** Charges a fresh order of `userId` (odd id succeeds, even fails in the default mode). */
async function chargedOrder(userId: string, parity: "odd" | "even" = "odd") {
  const id = randomInt(1, 2 ** 40) * 2 + (parity === "odd" ? 1 : 0);
  const event = createEvent("InventoryReserved", id, {
    orderId: id,
    userId,
    items: [{ productId: `p-${uid()}`, quantity: 1 }],
    totalCents: 1999,
    currency: "EUR",
  });
  await sql.begin((tx) => chargeOrder(domain, event.payload, tx));
  return id;
}

const bearer = async (userId: string, role: "customer" | "admin" = "customer") =>
  `Bearer ${await issuer.token(userId, role)}`;
const fails = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("expected a failure"),
    (e: AppError) => e,
  );

describe("GetPayment", () => {
  it("when the owner asks, then the payment comes back with status and amount", async () => {
    const owner = `u-${uid()}`;
    const id = await chargedOrder(owner);
    const payment = await client.GetPayment({ orderId: id }, { authorization: await bearer(owner) });
    expect(payment).toMatchObject({ orderId: id, status: "SUCCEEDED", amountCents: 1999, currency: "EUR" });
    expect(Date.parse(payment.createdAt)).not.toBeNaN();
  });

  it("when the charge failed, then the payment is FAILED with its reason", async () => {
    const owner = `u-${uid()}`;
    const id = await chargedOrder(owner, "even");
    const payment = await client.GetPayment({ orderId: id }, { authorization: await bearer(owner) });
    expect(payment.status).toBe("FAILED");
    expect(payment.failureReason).not.toBe("");
  });

  it("when the order was cancelled after a successful charge, then the payment reads REFUNDED", async () => {
    const owner = `u-${uid()}`;
    const id = await chargedOrder(owner);
    const cancel = createEvent("OrderCancelled", id, {
      orderId: id,
      userId: owner,
      reason: "TIMEOUT",
      items: [],
      totalCents: 1999,
      currency: "EUR",
    });
    await sql.begin((tx) => refundCancelledOrder(domain, cancel.payload, tx));
    const payment = await client.GetPayment({ orderId: id }, { authorization: await bearer(owner) });
    expect(payment.status).toBe("REFUNDED");
  });

  it("when another customer asks, then it is NOT_FOUND; an admin sees it", async () => {
    const owner = `u-${uid()}`;
    const id = await chargedOrder(owner);
    const err = await fails(
      client.GetPayment({ orderId: id }, { authorization: await bearer(`u-${uid()}`) }),
    );
    expect(err.kind).toBe("NOT_FOUND");
    const asAdmin = await client.GetPayment(
      { orderId: id },
      { authorization: await bearer(`a-${uid()}`, "admin") },
    );
    expect(asAdmin.orderId).toBe(id);
  });

  it("when no user token is forwarded, then it is UNAUTHENTICATED even for a caller with a service certificate", async () => {
    const id = await chargedOrder(`u-${uid()}`);
    const err = await fails(client.GetPayment({ orderId: id }));
    expect(err.kind).toBe("UNAUTHENTICATED");
  });

  it("when a forwarded token is invalid, then it is UNAUTHENTICATED", async () => {
    const id = await chargedOrder(`u-${uid()}`);
    const err = await fails(client.GetPayment({ orderId: id }, { authorization: "Bearer not.a.token" }));
    expect(err.kind).toBe("UNAUTHENTICATED");
  });

  it("when the order has no payment, then it is NOT_FOUND", async () => {
    const err = await fails(
      client.GetPayment({ orderId: 123_456_789_011 }, { authorization: await bearer(`u-${uid()}`) }),
    );
    expect(err.kind).toBe("NOT_FOUND");
  });
});
