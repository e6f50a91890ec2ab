import type { EventEnvelope } from "@shop/events";
import { createLogger, createMetricsRegistry, createSql, type Sql } from "@shop/platform";
import { createTestDatabase, eventually, type TestDatabase, uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOrderDomain } from "../src/app.js";
import { cancelStuckOrders } from "../src/domain/cancel-stuck-orders.js";
import type { Order } from "../src/domain/order.js";
import { createStuckOrderSweeper } from "../src/entry-points/scheduler/stuck-order-sweeper.js";

const logger = createLogger({ service: "order", level: "silent" });
const metrics = createMetricsRegistry("order");
let db: TestDatabase;
let sql: Sql;
let domain: ReturnType<typeof buildOrderDomain>;

beforeAll(async () => {
  db = await createTestDatabase("order");
  sql = createSql(db.url, { max: 10 });
  domain = buildOrderDomain({
    logger,
    metrics,
    sql,
    catalog: { getProducts: async () => new Map() },
    topicPrefix: "t.",
  });
});
afterAll(async () => {
  await sql.end({ timeout: 5 });
  await db.drop();
});

/** An order created `ageMs` ago, in `status`. */
async function anOrder(
  ageMs: number,
  status: Order["status"] = "CREATED",
  cancelReason: string | null = null,
) {
  const order = await domain.orders.insert({
    userId: `u-${uid()}`,
    items: [{ productId: `p-${uid()}`, name: "Chair", quantity: 4, unitPriceCents: 2500 }],
    totalCents: 10_000,
    currency: "USD",
    traceId: null,
  });
  await sql`
    update orders
    set status = ${status}, cancel_reason = ${cancelReason},
        created_at = now() - ${ageMs} * interval '1 millisecond'
    where id = ${order.id}`;
  return order;
}

const statusOf = async (id: number) => {
  const [row] = await sql<{ status: string; cancel_reason: string | null }[]>`
    select status, cancel_reason from orders where id = ${id}`;
  return row!;
};

const outboxOf = (id: number) =>
  sql<{ event_type: string; payload: EventEnvelope }[]>`
    select event_type, payload from outbox where message_key = ${String(id)} order by id`;

const sweep = () => cancelStuckOrders(domain, { timeoutMs: 60_000, batchSize: 1000 });

describe("stuck-order sweeper", () => {
  it("when an order is in flight past the deadline, then it is CANCELLED (TIMEOUT) and OrderCancelled releases its lines", async () => {
    const created = await anOrder(61_000);
    const reserved = await anOrder(120_000, "INVENTORY_RESERVED");
    await sweep();
    for (const order of [created, reserved]) {
      expect(await statusOf(order.id)).toEqual({ status: "CANCELLED", cancel_reason: "TIMEOUT" });
      const events = await outboxOf(order.id);
      expect(events.map((e) => e.event_type)).toEqual(["OrderCancelled"]);
      expect(events[0]!.payload.payload).toMatchObject({
        orderId: order.id,
        reason: "TIMEOUT",
        items: [{ productId: order.items[0]!.productId, quantity: 4 }],
      });
    }
    expect(await metrics.metrics()).toMatch(
      /saga_orders_total\{[^}]*outcome="cancelled"[^}]*reason="TIMEOUT"/,
    );
  });

  it("when an order is young or already terminal, then the sweep leaves it alone", async () => {
    const young = await anOrder(1_000);
    const paid = await anOrder(600_000, "PAID");
    const cancelled = await anOrder(600_000, "CANCELLED", "OUT_OF_STOCK");
    await sweep();
    expect((await statusOf(young.id)).status).toBe("CREATED");
    expect((await statusOf(paid.id)).status).toBe("PAID");
    expect(await statusOf(cancelled.id)).toEqual({ status: "CANCELLED", cancel_reason: "OUT_OF_STOCK" });
    for (const o of [young, paid, cancelled]) expect(await outboxOf(o.id)).toHaveLength(0);
  });

  it("when an event handler holds an order's lock, then the sweep skips it instead of waiting", async () => {
    const busy = await anOrder(90_000);
    const free = await anOrder(90_000);
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const locker = sql.begin(async (tx) => {
      await tx`select 1 from orders where id = ${busy.id} for update`;
      await held;
    });
    await eventually(async () => {
      const rows = await sql`select 1 from pg_locks l join pg_class c on c.oid = l.relation
                             where c.relname = 'orders' and l.mode = 'RowShareLock'
                               and l.database = (select oid from pg_database where datname = current_database())`;
      return rows.length > 0 ? true : undefined;
    });
    await sweep();
    expect((await statusOf(busy.id)).status).toBe("CREATED");
    expect((await statusOf(free.id)).status).toBe("CANCELLED");
    release();
    await locker;
    await sweep();
    expect(await statusOf(busy.id)).toEqual({ status: "CANCELLED", cancel_reason: "TIMEOUT" });
  });

  it("when several sweepers run at once, then each stuck order is cancelled exactly once", async () => {
    const orders = await Promise.all(Array.from({ length: 10 }, () => anOrder(70_000)));
    await Promise.all(Array.from({ length: 4 }, () => sweep()));
    for (const o of orders) {
      expect((await statusOf(o.id)).status).toBe("CANCELLED");
      expect(await outboxOf(o.id)).toHaveLength(1);
    }
  });

  it("when the scheduled sweeper runs, then a stuck order is cancelled within a few intervals", async () => {
    const order = await anOrder(0);
    const sweeper = createStuckOrderSweeper(domain, { timeoutMs: 300, batchSize: 10, intervalMs: 50 });
    sweeper.start();
    try {
      await eventually(
        async () => ((await statusOf(order.id)).status === "CANCELLED" ? true : undefined),
        5_000,
      );
    } finally {
      await sweeper.stop();
    }
    expect((await statusOf(order.id)).cancel_reason).toBe("TIMEOUT");
  });
});
