import { AppError } from "@shop/platform";
import { uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./support/gateway.js";
import { type Stub, startStub } from "./support/stubs.js";

const owner = `user-${uid()}`;
const orders = new Map<number, Record<string, unknown>>();
const payments = new Map<number, { status: string; amountCents: number }>();

function storeOrder(id: number, overrides: Record<string, unknown> = {}) {
  const order = {
    id,
    userId: owner,
    status: "PAID",
    items: [
      { productId: "p-lamp", quantity: 2, name: "Lamp (at order time)", unitPriceCents: 1500 },
      { productId: "p-gone", quantity: 1, name: "Deleted thing", unitPriceCents: 500 },
    ],
    totalCents: 3500,
    currency: "USD",
    cancelReason: "",
    createdAt: "2026-11-25T10:00:00.000Z",
    updatedAt: "2026-11-25T10:00:01.000Z",
    traceId: "",
    ...overrides,
  };
  orders.set(id, order);
  return order;
}

const orderHandlers = {
  GetOrder: async ({ id }: { id: number }) => {
    const o = orders.get(id);
    if (!o) throw AppError.notFound("order not found");
    return o;
  },
  ListOrders: async () => ({
    items: [...orders.values()].filter((o) => o.userId === owner).reverse(),
    nextCursor: "",
  }),
  CreateOrder: async ({
    items,
    idempotencyKey,
  }: {
    items: { productId: string; quantity: number }[];
    idempotencyKey: string;
  }) => {
    const id = 9000 + orders.size;
    const order = storeOrder(id, {
      status: "CREATED",
      // Like the order service, capture the catalog's name at creation.
      items: items.map((i) => ({ ...i, name: i.productId === "p-lamp" ? "Lamp" : "", unitPriceCents: 100 })),
      totalCents: 100,
    });
    return { order, created: idempotencyKey !== "seen-before" };
  },
};
const productHandlers = {
  // The catalog knows the lamp (renamed since) but not the deleted product.
  GetProducts: async ({ ids }: { ids: string[] }) => ({
    items: ids.filter((id) => id === "p-lamp").map((id) => ({ id, name: "Lamp" })),
  }),
};
const paymentHandlers = {
  GetPayment: async ({ orderId }: { orderId: number }) => {
    const p = payments.get(orderId);
    if (!p) throw AppError.notFound("no payment");
    return { orderId, ...p, currency: "USD" };
  },
};

let core: Stub; // order + product
let payment: Stub;
let gw: TestGateway;

beforeAll(async () => {
  core = await startStub({ order: orderHandlers, product: productHandlers });
  payment = await startStub({ payment: paymentHandlers });
  gw = await startGateway({ downstream: core.address, env: { PAYMENT_GRPC_ADDR: payment.address } });
});
afterAll(async () => {
  await gw.close();
  await core.stop();
  await payment.stop();
});

describe("order composition", () => {
  it("when the owner reads an order, then it joins catalog names and the payment in the contract's shape", async () => {
    storeOrder(11);
    payments.set(11, { status: "SUCCEEDED", amountCents: 3500 });
    const res = await gw.app.inject({
      url: "/api/v1/orders/11",
      headers: { authorization: await gw.bearer(owner) },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      id: 11,
      userId: owner,
      status: "PAID",
      items: [
        { productId: "p-lamp", name: "Lamp", quantity: 2, unitPriceCents: 1500 },
        { productId: "p-gone", name: "Deleted thing", quantity: 1, unitPriceCents: 500 },
      ],
      totalCents: 3500,
      currency: "USD",
      cancelReason: null,
      payment: { status: "SUCCEEDED", amountCents: 3500 },
      createdAt: "2026-11-25T10:00:00.000Z",
      updatedAt: "2026-11-25T10:00:01.000Z",
    });
  });

  it("when the order has no payment yet, then payment is null and nothing is marked unavailable", async () => {
    storeOrder(12, { status: "CREATED" });
    const res = await gw.app.inject({
      url: "/api/v1/orders/12",
      headers: { authorization: await gw.bearer(owner) },
    });
    expect(res.json().payment).toBeNull();
    expect(res.json().unavailable).toBeUndefined();
  });

  it("when the order is cancelled, then cancelReason is set and the trace id comes along", async () => {
    storeOrder(13, { status: "CANCELLED", cancelReason: "OUT_OF_STOCK", traceId: "abc123" });
    const res = await gw.app.inject({
      url: "/api/v1/orders/13",
      headers: { authorization: await gw.bearer(owner) },
    });
    expect(res.json()).toMatchObject({ cancelReason: "OUT_OF_STOCK", traceId: "abc123" });
  });

  it("when another customer reads the order, then it is 404; an admin may read it", async () => {
    storeOrder(14);
    const other = await gw.app.inject({
      url: "/api/v1/orders/14",
      headers: { authorization: await gw.bearer(`someone-${uid()}`) },
    });
    expect(other.statusCode).toBe(404);
    const admin = await gw.app.inject({
      url: "/api/v1/orders/14",
      headers: { authorization: await gw.bearer(`admin-${uid()}`, "admin") },
    });
    expect(admin.statusCode).toBe(200);
  });

  it.each(["abc", "0", "-1", "1.5", "99999999999999999999"])(
    "when the order id is %s, then it is 404 without asking the order service",
    async (id) => {
      const before = core.count("GetOrder");
      const res = await gw.app.inject({
        url: `/api/v1/orders/${id}`,
        headers: { authorization: await gw.bearer(owner) },
      });
      expect(res.statusCode).toBe(404);
      expect(core.count("GetOrder")).toBe(before);
    },
  );

  it("when nobody is signed in, then orders are 401", async () => {
    expect((await gw.app.inject({ url: "/api/v1/orders/11" })).statusCode).toBe(401);
    expect((await gw.app.inject({ url: "/api/v1/orders" })).statusCode).toBe(401);
  });

  it("when the caller lists orders, then each is composed and the page ends with a null cursor", async () => {
    storeOrder(15);
    payments.set(15, { status: "FAILED", amountCents: 3500 });
    const res = await gw.app.inject({
      url: "/api/v1/orders?limit=5",
      headers: { authorization: await gw.bearer(owner) },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().nextCursor).toBeNull();
    const fifteen = res.json().items.find((o: { id: number }) => o.id === 15);
    expect(fifteen).toMatchObject({ payment: { status: "FAILED", amountCents: 3500 } });
    expect(fifteen.items[0].name).toBe("Lamp");
  });

  it("when an order is placed, then it is 202 with the order, built without asking other services; a replayed idempotency key gives 200", async () => {
    const auth = await gw.bearer(owner);
    const asked = { products: core.count("GetProducts"), payments: payment.count("GetPayment") };
    const placed = await gw.app.inject({
      method: "POST",
      url: "/api/v1/orders",
      headers: { authorization: auth, "idempotency-key": `k-${uid()}` },
      payload: { items: [{ productId: "p-lamp", quantity: 2 }] },
    });
    expect(placed.statusCode).toBe(202);
    expect(placed.json()).toMatchObject({
      status: "CREATED",
      payment: null,
      items: [{ productId: "p-lamp", name: "Lamp" }],
    });
    expect({ products: core.count("GetProducts"), payments: payment.count("GetPayment") }).toEqual(asked);
    const request = core.requests.CreateOrder!.at(-1)!;
    expect(request.ctx.authorization).toBe(auth);
    const replay = await gw.app.inject({
      method: "POST",
      url: "/api/v1/orders",
      headers: { authorization: auth, "idempotency-key": "seen-before" },
      payload: { items: [{ productId: "p-lamp", quantity: 2 }] },
    });
    expect(replay.statusCode).toBe(200);
  });

  it.each([
    ["no items", { items: [] }],
    [
      "a product twice",
      {
        items: [
          { productId: "a", quantity: 1 },
          { productId: "a", quantity: 2 },
        ],
      },
    ],
    ["quantity 0", { items: [{ productId: "a", quantity: 0 }] }],
    ["quantity 1001", { items: [{ productId: "a", quantity: 1001 }] }],
    ["51 lines", { items: Array.from({ length: 51 }, (_, i) => ({ productId: `p${i}`, quantity: 1 })) }],
    ["a userId", { items: [{ productId: "a", quantity: 1 }], userId: "someone-else" }],
    ["a status", { items: [{ productId: "a", quantity: 1 }], status: "PAID" }],
  ])("when an order has %s, then it is 400 and the order service is not called", async (_, payload) => {
    const before = core.count("CreateOrder");
    const res = await gw.app.inject({
      method: "POST",
      url: "/api/v1/orders",
      headers: { authorization: await gw.bearer(owner) },
      payload,
    });
    expect(res.statusCode).toBe(400);
    expect(core.count("CreateOrder")).toBe(before);
  });

  it("when the idempotency key is over 255 characters, then it is 400", async () => {
    const res = await gw.app.inject({
      method: "POST",
      url: "/api/v1/orders",
      headers: { authorization: await gw.bearer(owner), "idempotency-key": "k".repeat(256) },
      payload: { items: [{ productId: "a", quantity: 1 }] },
    });
    expect(res.statusCode).toBe(400);
  });

  it("when a page of orders names more products than one catalog call takes, then names come in batches", async () => {
    const before = core.count("GetProducts");
    const many = Array.from({ length: 50 }, (_, i) => ({
      productId: `bulk-${i}`,
      quantity: 1,
      name: `Bulk ${i}`,
      unitPriceCents: 1,
    }));
    for (let i = 0; i < 12; i++) {
      storeOrder(100 + i, { items: many.map((l) => ({ ...l, productId: `${l.productId}-${i}` })) });
    }
    const res = await gw.app.inject({
      url: "/api/v1/orders?limit=100",
      headers: { authorization: await gw.bearer(owner) },
    });
    expect(res.statusCode).toBe(200);
    expect(core.count("GetProducts") - before).toBe(2); // 600 distinct ids, 500 per call
    const order = res.json().items.find((o: { id: number }) => o.id === 100);
    expect(order.items[0].name).toBe("Bulk 0");
    expect(order.unavailable).toBeUndefined();
  });

  // Last: stops the payment server for good.
  it("when the payment service is stopped, then the order still comes with payment null and marked unavailable", async () => {
    storeOrder(16);
    payments.set(16, { status: "SUCCEEDED", amountCents: 3500 });
    await payment.stop();
    const res = await gw.app.inject({
      url: "/api/v1/orders/16",
      headers: { authorization: await gw.bearer(owner) },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: 16, status: "PAID", payment: null, unavailable: ["payment"] });
    expect(res.json().items[0].name).toBe("Lamp");
  });
});
