import { createLogger, createMetricsRegistry, createSql, type Sql } from "@shop/platform";
import { createTestDatabase, eventually, type TestDatabase, uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOrderDomain } from "../src/app.js";
import type { Order } from "../src/domain/order.js";
import type { OrderTrigger } from "../src/domain/order-state-machine.js";
import { transitionOrder } from "../src/domain/transition-order.js";

const logger = createLogger({ service: "order", level: "silent" });
let db: TestDatabase;
let sql: Sql;
let domain: ReturnType<typeof buildOrderDomain>;

beforeAll(async () => {
  db = await createTestDatabase("order");
  sql = createSql(db.url, { max: 10 });
  domain = buildOrderDomain({
    logger,
    metrics: createMetricsRegistry("order"),
    sql,
    catalog: { getProducts: async () => new Map() },
    topicPrefix: "t.",
  });
});
afterAll(async () => {
  await sql.end({ timeout: 5 });
  await db.drop();
});

async function anOrder(status: Order["status"] = "CREATED", cancelReason: string | null = null) {
  const order = await domain.orders.insert({
    userId: `u-${uid()}`,
    items: [
      { productId: `p-${uid()}`, name: "Desk", quantity: 1, unitPriceCents: 12_000 },
      { productId: `p-${uid()}`, name: "Lamp", quantity: 3, unitPriceCents: 1_500 },
    ],
    totalCents: 16_500,
    currency: "EUR",
    traceId: null,
  });
  await sql`update orders set status = ${status}, cancel_reason = ${cancelReason} where id = ${order.id}`;
  return order;
}

const transition = (orderId: number, trigger: OrderTrigger) =>
  sql.begin((tx) => transitionOrder(domain, tx, orderId, trigger));

const statusOf = async (id: number) => {
  const [row] = await sql<{ status: string; cancel_reason: string | null }[]>`
    select status, cancel_reason from orders where id = ${id}`;
  return row!;
};

/** Holds the order's row lock in a transaction of its own until `change` runs and commits. */
async function holdLock(orderId: number) {
  let proceed!: (change: { status: string; cancelReason: string | null }) => void;
  const go = new Promise<{ status: string; cancelReason: string | null }>((r) => {
    proceed = r;
  });
  const done = sql.begin(async (tx) => {
    await tx`select 1 from orders where id = ${orderId} for update`;
    const change = await go;
    await tx`update orders set status = ${change.status}, cancel_reason = ${change.cancelReason}
             where id = ${orderId}`;
  });
  await eventually(async () => {
    const rows = await sql`select 1 from pg_locks l join pg_class c on c.oid = l.relation
                           where c.relname = 'orders' and l.mode = 'RowShareLock' and l.granted
                             and l.database = (select oid from pg_database where datname = current_database())`;
    return rows.length > 0 ? true : undefined;
  });
  return {
    commit: (status: string, cancelReason: string | null = null) => proceed({ status, cancelReason }),
    done,
  };
}

/** Resolves once some statement of this database waits for a row lock. */
const someoneWaits = () =>
  eventually(async () => {
    const rows = await sql`select 1 from pg_stat_activity
                           where datname = current_database() and wait_event_type = 'Lock'`;
    return rows.length > 0 ? true : undefined;
  });

describe("transitionOrder", () => {
  it("when the step is legal, then the order moves and comes back with its lines in order", async () => {
    const order = await anOrder("INVENTORY_RESERVED");
    const change = await transition(order.id, "PAYMENT_FAILED");
    expect(change?.from).toBe("INVENTORY_RESERVED");
    expect(change?.after).toEqual({
      ...order,
      status: "CANCELLED",
      cancelReason: "PAYMENT_FAILED",
      updatedAt: expect.any(Date),
    });
    expect(change!.after.updatedAt.getTime()).toBeGreaterThanOrEqual(order.updatedAt.getTime());
    expect(await statusOf(order.id)).toEqual({ status: "CANCELLED", cancel_reason: "PAYMENT_FAILED" });
  });

  it("when a legal step needs no cancel reason, then none is written", async () => {
    const order = await anOrder();
    expect((await transition(order.id, "INVENTORY_RESERVED"))?.after).toMatchObject({
      status: "INVENTORY_RESERVED",
      cancelReason: null,
    });
    expect((await transition(order.id, "PAYMENT_SUCCEEDED"))?.from).toBe("INVENTORY_RESERVED");
    expect(await statusOf(order.id)).toEqual({ status: "PAID", cancel_reason: null });
  });

  it("when the step is repeated or the order is terminal, then nothing changes and undefined comes back", async () => {
    const reserved = await anOrder("INVENTORY_RESERVED");
    const paid = await anOrder("PAID");
    const cancelled = await anOrder("CANCELLED", "TIMEOUT");
    expect(await transition(reserved.id, "INVENTORY_RESERVED")).toBeUndefined();
    expect(await transition(paid.id, "PAYMENT_FAILED")).toBeUndefined();
    expect(await transition(cancelled.id, "PAYMENT_SUCCEEDED")).toBeUndefined();
    expect(await statusOf(reserved.id)).toEqual({ status: "INVENTORY_RESERVED", cancel_reason: null });
    expect(await statusOf(paid.id)).toEqual({ status: "PAID", cancel_reason: null });
    expect(await statusOf(cancelled.id)).toEqual({ status: "CANCELLED", cancel_reason: "TIMEOUT" });
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from orders
      where id = any(${[reserved.id, paid.id, cancelled.id]}::bigint[]) and updated_at <> created_at`;
    expect(row!.n).toBe(0);
  });

  it("when the order does not exist, then NOT_FOUND", async () => {
    await expect(transition(999_999_999, "PAYMENT_SUCCEEDED")).rejects.toMatchObject({ kind: "NOT_FOUND" });
  });

  it("when another transaction moves the order while the step waits for its lock, then the step starts from the status left", async () => {
    const order = await anOrder();
    const other = await holdLock(order.id);
    const payment = transition(order.id, "PAYMENT_SUCCEEDED");
    await someoneWaits();
    other.commit("INVENTORY_RESERVED");
    await other.done;
    const change = await payment;
    expect(change?.from).toBe("INVENTORY_RESERVED");
    expect(change?.after.items).toEqual(order.items);
    expect(await statusOf(order.id)).toEqual({ status: "PAID", cancel_reason: null });
  });

  it("when another transaction cancels the order while a payment waits for its lock, then the payment is skipped", async () => {
    const order = await anOrder("INVENTORY_RESERVED");
    const other = await holdLock(order.id);
    const payment = transition(order.id, "PAYMENT_SUCCEEDED");
    await someoneWaits();
    other.commit("CANCELLED", "TIMEOUT");
    await other.done;
    expect(await payment).toBeUndefined();
    expect(await statusOf(order.id)).toEqual({ status: "CANCELLED", cancel_reason: "TIMEOUT" });
  });
});
