import { describe, expect, it } from "vitest";
import { call, createProduct, placeOrder, settled, signUp } from "./client.js";
import { db, replayAllSagaTopics, waitForQuiet } from "./invariants.js";

const INITIAL_STOCK = 20;

async function snapshot(productId: string, orderIds: number[]) {
  const product = db("product");
  const order = db("order");
  const payment = db("payment");
  try {
    const [p] = await product`select stock, reserved, sold, version from products where id = ${productId}`;
    const orders = await order`
      select o.id, o.status, o.cancel_reason, l.quantity
      from orders o join order_lines l on l.order_id = o.id
      where o.id = any(${orderIds}::bigint[]) order by o.id`;
    const payments = await payment`
      select order_id, status, count(*)::int as n from payments
      where order_id = any(${orderIds}::bigint[]) group by order_id, status order by order_id`;
    return { product: p!, orders: [...orders], payments: [...payments] };
  } finally {
    await Promise.all([product.end(), order.end(), payment.end()]);
  }
}

describe("orders racing for scarce stock", () => {
  it("when 100 orders from several users race for a stock of 20, then the invariants hold, and replaying every saga topic changes nothing", async () => {
    const product = await createProduct(INITIAL_STOCK);
    const users: Awaited<ReturnType<typeof signUp>>[] = [];
    for (let i = 0; i < 5; i++) users.push(await signUp());
    const placed = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const user = users[i % users.length]!;
        const res = await placeOrder(user.token, [{ productId: product.id, quantity: 1 + (i % 2) }]);
        expect(res.status).toBe(202);
        return { id: res.body.id as number, token: user.token };
      }),
    );
    const final = await Promise.all(placed.map((o) => settled(o.token, o.id, 120_000)));
    expect(final.every((o) => o.status === "PAID" || o.status === "CANCELLED")).toBe(true);
    await waitForQuiet();

    const ids = placed.map((o) => o.id);
    const before = await snapshot(product.id, ids);
    const { stock, reserved, sold } = before.product;
    expect(stock).toBeGreaterThanOrEqual(0);
    expect(reserved).toBe(0);
    expect(stock + reserved + sold).toBe(INITIAL_STOCK);
    const paidUnits = before.orders.filter((o) => o.status === "PAID").reduce((n, o) => n + o.quantity, 0);
    expect(sold).toBe(paidUnits);
    expect(before.payments.every((p) => p.n === 1)).toBe(true);
    const charged = new Set(
      before.payments.filter((p) => p.status === "SUCCEEDED").map((p) => Number(p.order_id)),
    );
    for (const o of before.orders) expect(charged.has(Number(o.id))).toBe(o.status === "PAID");
    const api = await call("GET", `/api/v1/products/${product.id}`);
    expect(api.body.stock).toBe(stock);

    const copied = await replayAllSagaTopics();
    expect(copied).toBeGreaterThan(300);
    await waitForQuiet();
    expect(await snapshot(product.id, ids)).toEqual(before);
  });
});
