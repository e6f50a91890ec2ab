import { uid } from "@shop/testkit";
import { describe, expect, it } from "vitest";
import { admin, call, createProduct, placeOrder, settled, signUp } from "./client.js";

/** Places single-unit orders until one has an id of the wanted parity (ids are global to the run). */
async function orderWithParity(token: string, productId: string, parity: 0 | 1) {
  for (let i = 0; i < 10; i++) {
    const res = await placeOrder(token, [{ productId, quantity: 1 }]);
    expect(res.status).toBe(202);
    if (res.body.id % 2 === parity) return res.body;
    await settled(token, res.body.id);
  }
  throw new Error("no order id of the wanted parity");
}

describe("the order saga through the gateway", () => {
  it("when an order with an odd id is placed, then it ends PAID, stock goes down and the feed shows ORDER_PAID", async () => {
    const user = await signUp();
    const product = await createProduct(10);
    const order = await orderWithParity(user.token, product.id, 1);
    expect(order).toMatchObject({
      status: "CREATED",
      userId: user.id,
      totalCents: 1_000,
      currency: "USD",
      payment: null,
    });
    expect(Number.isInteger(order.id) && order.id > 0).toBe(true);

    const done = await settled(user.token, order.id);
    expect(done).toMatchObject({
      status: "PAID",
      cancelReason: null,
      payment: { status: "SUCCEEDED", amountCents: 1_000 },
    });
    expect(done.items).toEqual([
      { productId: product.id, name: expect.any(String), quantity: 1, unitPriceCents: 1_000 },
    ]);

    const after = await call("GET", `/api/v1/products/${product.id}`);
    const paidUnits = 1;
    // Earlier orders of the wrong parity ended CANCELLED and gave their units back.
    expect(after.body.stock).toBe(10 - paidUnits);

    const deadline = Date.now() + 30_000;
    let feed = await call("GET", "/api/v1/notifications", { token: user.token });
    while (
      !feed.body.items.some(
        (n: { type: string; orderId: number }) => n.type === "ORDER_PAID" && n.orderId === order.id,
      )
    ) {
      if (Date.now() > deadline) throw new Error(`no ORDER_PAID notification: ${JSON.stringify(feed.body)}`);
      await new Promise((r) => setTimeout(r, 100));
      feed = await call("GET", "/api/v1/notifications", { token: user.token });
    }
    const other = await signUp();
    const otherFeed = await call("GET", "/api/v1/notifications", { token: other.token });
    expect(otherFeed.body.items.some((n: { orderId: number }) => n.orderId === order.id)).toBe(false);
  });

  it("when an order with an even id is placed, then it ends CANCELLED with PAYMENT_FAILED and the stock is restored", async () => {
    const user = await signUp();
    const product = await createProduct(10);
    const order = await orderWithParity(user.token, product.id, 0);
    const done = await settled(user.token, order.id);
    expect(done).toMatchObject({
      status: "CANCELLED",
      cancelReason: "PAYMENT_FAILED",
      payment: { status: "FAILED" },
    });
    // Stock is released by the product service after OrderCancelled: wait for it.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const p = await call("GET", `/api/v1/products/${product.id}`);
      if (p.body.stock === 10) break;
      if (Date.now() > deadline) throw new Error(`stock not restored: ${JSON.stringify(p.body)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it("when there is not enough stock, then the order ends CANCELLED with OUT_OF_STOCK and stock is unchanged", async () => {
    const user = await signUp();
    const product = await createProduct(2);
    const res = await placeOrder(user.token, [{ productId: product.id, quantity: 3 }]);
    expect(res.status).toBe(202);
    const done = await settled(user.token, res.body.id);
    expect(done).toMatchObject({ status: "CANCELLED", cancelReason: "OUT_OF_STOCK", payment: null });
    const p = await call("GET", `/api/v1/products/${product.id}`);
    expect(p.body.stock).toBe(2);
  });

  it("when the same Idempotency-Key is sent twice, then one order exists; a different body with it is 422", async () => {
    const user = await signUp();
    const product = await createProduct(10);
    const key = `key-${uid()}`;
    const first = await placeOrder(user.token, [{ productId: product.id, quantity: 1 }], key);
    const second = await placeOrder(user.token, [{ productId: product.id, quantity: 1 }], key);
    expect(first.status).toBe(202);
    expect([200, 202]).toContain(second.status);
    expect(second.body.id).toBe(first.body.id);
    const mine = await call("GET", "/api/v1/orders", { token: user.token });
    expect(mine.body.items.map((o: { id: number }) => o.id)).toEqual([first.body.id]);
    const changed = await placeOrder(user.token, [{ productId: product.id, quantity: 2 }], key);
    expect(changed.status).toBe(422);
    const someoneElse = await signUp();
    const theirs = await placeOrder(someoneElse.token, [{ productId: product.id, quantity: 1 }], key);
    expect(theirs.status).toBe(202);
    expect(theirs.body.id).not.toBe(first.body.id);
  });

  it("when another user asks for an order, then it is 404; its owner and an admin see it", async () => {
    const owner = await signUp();
    const stranger = await signUp();
    const product = await createProduct(5);
    const res = await placeOrder(owner.token, [{ productId: product.id, quantity: 1 }]);
    const theirs = await call("GET", `/api/v1/orders/${res.body.id}`, { token: stranger.token });
    expect(theirs.status).toBe(404);
    expect(theirs.headers.get("content-type")).toContain("application/problem+json");
    expect((await call("GET", `/api/v1/orders/${res.body.id}`, { token: owner.token })).status).toBe(200);
    expect((await call("GET", `/api/v1/orders/${res.body.id}`, { token: await admin() })).status).toBe(200);
    expect((await call("GET", `/api/v1/orders/${res.body.id}`)).status).toBe(401);
  });

  it("when an order names an unknown or deleted product, then it is 422 and nothing is created", async () => {
    const user = await signUp();
    const product = await createProduct(5);
    expect((await call("DELETE", `/api/v1/products/${product.id}`, { token: await admin() })).status).toBe(
      204,
    );
    expect((await placeOrder(user.token, [{ productId: product.id, quantity: 1 }])).status).toBe(422);
    expect((await placeOrder(user.token, [{ productId: "no-such-product", quantity: 1 }])).status).toBe(422);
    const mine = await call("GET", "/api/v1/orders", { token: user.token });
    expect(mine.body.items).toEqual([]);
  });

  it("when an admin changes the price of a product already ordered, then the next order is priced at the new price; after a delete, ordering it is 422", async () => {
    const user = await signUp();
    const adminToken = await admin();
    const product = await createProduct(10, 1_000);
    const first = await placeOrder(user.token, [{ productId: product.id, quantity: 2 }]);
    expect(first.body.totalCents).toBe(2_000);
    await settled(user.token, first.body.id);

    // The saga's stock moves bumped the version; the edit names the current one.
    const current = await call("GET", `/api/v1/products/${product.id}`);
    const patched = await call("PATCH", `/api/v1/products/${product.id}`, {
      token: adminToken,
      body: { version: current.body.version, priceCents: 1_500 },
    });
    expect(patched.status).toBe(200);
    const second = await placeOrder(user.token, [{ productId: product.id, quantity: 2 }]);
    expect(second.status).toBe(202);
    expect(second.body).toMatchObject({ totalCents: 3_000 });
    expect(second.body.items).toEqual([
      { productId: product.id, name: expect.any(String), quantity: 2, unitPriceCents: 1_500 },
    ]);
    await settled(user.token, second.body.id);

    expect((await call("DELETE", `/api/v1/products/${product.id}`, { token: adminToken })).status).toBe(204);
    expect((await placeOrder(user.token, [{ productId: product.id, quantity: 1 }])).status).toBe(422);
  });

  it("when the order body breaks the rules, then it is 400 and nothing is created", async () => {
    const user = await signUp();
    const product = await createProduct(5);
    const bad = [
      { items: [] },
      { items: [{ productId: product.id, quantity: 0 }] },
      { items: [{ productId: product.id, quantity: 1001 }] },
      {
        items: [
          { productId: product.id, quantity: 1 },
          { productId: product.id, quantity: 2 },
        ],
      },
      { items: [{ productId: product.id, quantity: 1 }], userId: "someone-else" },
      { items: [{ productId: product.id, quantity: 1.5 }] },
    ];
    for (const body of bad) {
      const res = await call("POST", "/api/v1/orders", { token: user.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const mine = await call("GET", "/api/v1/orders", { token: user.token });
    expect(mine.body.items).toEqual([]);
  });
});
