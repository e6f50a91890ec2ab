import type { TransactionSql } from "@shop/platform";
import { eventually, uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { confirmSale } from "../src/domain/confirm-sale.js";
import { releaseStock } from "../src/domain/release-stock.js";
import { type OrderToReserve, reserveStock } from "../src/domain/reserve-stock.js";
import { type Harness, newProduct, startHarness } from "./harness.js";

let h: Harness;
let nextOrderId = Math.floor(Math.random() * 1_000_000_000);

beforeAll(async () => {
  h = await startHarness({ poolMax: 20 });
});
afterAll(() => h.close());

async function create(stock: number) {
  return h.client.CreateProduct(newProduct({ stock }), { authorization: h.adminAuth });
}

function order(items: { productId: string; quantity: number }[]): OrderToReserve {
  return {
    orderId: ++nextOrderId,
    userId: `user-${uid()}`,
    items: items.map((i) => ({ ...i, unitPriceCents: 100 })),
    totalCents: items.reduce((sum, i) => sum + i.quantity * 100, 0),
    currency: "USD",
  };
}

async function row(id: string) {
  const [r] = await h.sql<{ stock: number; reserved: number; sold: number; version: number }[]>`
    select stock, reserved, sold, version from products where id = ${id}
  `;
  return r!;
}

async function outboxFor(orderId: number) {
  return h.sql<{ event_type: string; payload: { payload: Record<string, unknown> } }[]>`
    select event_type, payload from outbox where message_key = ${String(orderId)} order by id
  `;
}

/**
 * Locks one row (`lock` runs in a transaction of its own) and keeps it until `commit` is called
 * with the change to make before committing. Resolves once the lock is held.
 */
async function holdRow(lock: (tx: TransactionSql) => Promise<unknown>) {
  let proceed!: (change: (tx: TransactionSql) => Promise<unknown>) => void;
  const change = new Promise<(tx: TransactionSql) => Promise<unknown>>((r) => {
    proceed = r;
  });
  let held!: () => void;
  const locked = new Promise<void>((r) => {
    held = r;
  });
  const done = h.sql.begin(async (tx) => {
    await lock(tx);
    held();
    await (await change)(tx);
  });
  await locked;
  return {
    commit: (c: (tx: TransactionSql) => Promise<unknown> = async () => {}) => {
      proceed(c);
      return done;
    },
  };
}

/** Resolves once `n` statements of this database wait for a lock. */
const waiters = (n: number) =>
  eventually(async () => {
    const [r] = await h.sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`;
    return r!.n >= n ? true : undefined;
  });

describe("reserving stock", () => {
  it("when 200 orders of 1 unit race for a stock of 50, then exactly 50 are reserved and stock ends at 0", async () => {
    const p = await create(50);
    const orders = Array.from({ length: 200 }, () => order([{ productId: p.id, quantity: 1 }]));
    const outcomes = await Promise.all(orders.map((o) => reserveStock(h.deps, o)));
    expect(outcomes.filter((o) => o.status === "RESERVED")).toHaveLength(50);
    expect(outcomes.filter((o) => o.status === "FAILED")).toHaveLength(150);
    expect(await row(p.id)).toEqual({ stock: 0, reserved: 50, sold: 0, version: 51 });
    const [counts] = await h.sql<{ reserved: number; failed: number }[]>`
      select count(*) filter (where event_type = 'InventoryReserved')::int as reserved,
             count(*) filter (where event_type = 'InventoryReservationFailed')::int as failed
      from outbox where message_key = any(${orders.map((o) => String(o.orderId))})
    `;
    expect(counts).toEqual({ reserved: 50, failed: 150 });
  });

  it("when one line of an order is short, then nothing is reserved and InventoryReservationFailed names that line", async () => {
    const plenty = await create(10);
    const scarce = await create(1);
    const o = order([
      { productId: plenty.id, quantity: 2 },
      { productId: scarce.id, quantity: 2 },
    ]);
    expect(await reserveStock(h.deps, o)).toEqual({ status: "FAILED", productIds: [scarce.id] });
    expect(await row(plenty.id)).toEqual({ stock: 10, reserved: 0, sold: 0, version: 1 });
    expect(await row(scarce.id)).toEqual({ stock: 1, reserved: 0, sold: 0, version: 1 });
    const events = await outboxFor(o.orderId);
    expect(events.map((e) => e.event_type)).toEqual(["InventoryReservationFailed"]);
    expect(events[0]!.payload.payload).toEqual({
      orderId: o.orderId,
      userId: o.userId,
      reason: "OUT_OF_STOCK",
      productIds: [scarce.id],
    });
  });

  it("when a line names an unknown, malformed or deleted product, then the order fails with those ids", async () => {
    const live = await create(5);
    const deleted = await create(5);
    await h.client.DeleteProduct({ id: deleted.id }, { authorization: h.adminAuth });
    const unknown = "00000000-0000-0000-0000-000000000001";
    const o = order([
      { productId: live.id, quantity: 1 },
      { productId: deleted.id, quantity: 1 },
      { productId: unknown, quantity: 1 },
      { productId: "not-a-uuid", quantity: 1 },
    ]);
    const outcome = await reserveStock(h.deps, o);
    expect(outcome.status).toBe("FAILED");
    expect(outcome.status === "FAILED" && [...outcome.productIds].sort()).toEqual(
      [deleted.id, unknown, "not-a-uuid"].sort(),
    );
    expect((await row(live.id)).stock).toBe(5);
  });

  it("when every line is available, then all are held, InventoryReserved carries the lines, and each version bumps", async () => {
    const a = await create(5);
    const b = await create(5);
    const o = order([
      { productId: a.id, quantity: 2 },
      { productId: b.id, quantity: 3 },
    ]);
    expect((await reserveStock(h.deps, o)).status).toBe("RESERVED");
    expect(await row(a.id)).toEqual({ stock: 3, reserved: 2, sold: 0, version: 2 });
    expect(await row(b.id)).toEqual({ stock: 2, reserved: 3, sold: 0, version: 2 });
    const [event] = await outboxFor(o.orderId);
    expect(event!.event_type).toBe("InventoryReserved");
    expect(event!.payload.payload).toEqual({
      orderId: o.orderId,
      userId: o.userId,
      items: expect.arrayContaining([
        { productId: a.id, quantity: 2 },
        { productId: b.id, quantity: 3 },
      ]),
      totalCents: o.totalCents,
      currency: "USD",
    });
  });

  it("when multi-line orders lock products in opposite orders concurrently, then none deadlocks and the counts add up", async () => {
    const a = await create(100);
    const b = await create(100);
    const orders = Array.from({ length: 40 }, (_, i) =>
      order(
        i % 2 === 0
          ? [
              { productId: a.id, quantity: 1 },
              { productId: b.id, quantity: 2 },
            ]
          : [
              { productId: b.id, quantity: 2 },
              { productId: a.id, quantity: 1 },
            ],
      ),
    );
    const outcomes = await Promise.all(orders.map((o) => reserveStock(h.deps, o)));
    expect(outcomes.every((o) => o.status === "RESERVED")).toBe(true);
    expect(await row(a.id)).toMatchObject({ stock: 60, reserved: 40 });
    expect(await row(b.id)).toMatchObject({ stock: 20, reserved: 80 });
  });

  it("when the same order is reserved twice, then the second changes nothing and emits nothing", async () => {
    const p = await create(5);
    const o = order([{ productId: p.id, quantity: 2 }]);
    await reserveStock(h.deps, o);
    expect(await reserveStock(h.deps, o)).toEqual({ status: "ALREADY_HANDLED", previous: "RESERVED" });
    expect(await row(p.id)).toMatchObject({ stock: 3, reserved: 2, version: 2 });
    expect(await outboxFor(o.orderId)).toHaveLength(1);
  });
});

describe("changes made while a reservation waits for its locks", () => {
  const lockProduct = (id: string) => holdRow((tx) => tx`select 1 from products where id = ${id} for update`);

  it("when the stock drops while reservations wait for the row, then each is judged on the stock left", async () => {
    const p = await create(5);
    const admin = await lockProduct(p.id);
    const two = reserveStock(h.deps, order([{ productId: p.id, quantity: 2 }]));
    const one = reserveStock(h.deps, order([{ productId: p.id, quantity: 1 }]));
    await waiters(2);
    await admin.commit((tx) => tx`update products set stock = 1, version = version + 1 where id = ${p.id}`);
    expect(await two).toEqual({ status: "FAILED", productIds: [p.id] });
    expect((await one).status).toBe("RESERVED");
    expect(await row(p.id)).toEqual({ stock: 0, reserved: 1, sold: 0, version: 3 });
  });

  it("when the stock rises while a reservation waits for the row, then it is judged and written on the raised stock", async () => {
    // The reservation's snapshot still shows 2 units: a new row computed from it would be -1 and
    // fail the stock check before PostgreSQL moves on to the row's latest version.
    const p = await create(2);
    const admin = await lockProduct(p.id);
    const three = reserveStock(h.deps, order([{ productId: p.id, quantity: 3 }]));
    await waiters(1);
    await admin.commit((tx) => tx`update products set stock = 5, version = version + 1 where id = ${p.id}`);
    expect((await three).status).toBe("RESERVED");
    expect(await row(p.id)).toEqual({ stock: 2, reserved: 3, sold: 0, version: 3 });
  });

  it("when a reservation of another order lands while a release waits for the row, then the release applies to the latest counts", async () => {
    const p = await create(10);
    const first = order([{ productId: p.id, quantity: 2 }]);
    await reserveStock(h.deps, first);
    await releaseStock(h.deps, first);
    // reserved is 0 in the release's snapshot, 4 once the other order's reservation commits.
    const second = order([{ productId: p.id, quantity: 4 }]);
    await reserveStock(h.deps, second);
    const holder = await lockProduct(p.id);
    const releasing = releaseStock(h.deps, second);
    await waiters(1);
    await holder.commit(
      (tx) =>
        tx`update products set reserved = reserved + 1, stock = stock - 1, version = version + 1 where id = ${p.id}`,
    );
    expect((await releasing).status).toBe("RELEASED");
    expect(await row(p.id)).toMatchObject({ stock: 9, reserved: 1, sold: 0 });
  });

  it("when the product is deleted while a reservation waits for it, then the order fails and nothing is held", async () => {
    const p = await create(5);
    const other = await create(5);
    const admin = await lockProduct(p.id);
    const o = order([
      { productId: other.id, quantity: 1 },
      { productId: p.id, quantity: 1 },
    ]);
    const pending = reserveStock(h.deps, o);
    await waiters(1);
    await admin.commit(
      (tx) => tx`update products set deleted_at = now(), version = version + 1 where id = ${p.id}`,
    );
    expect(await pending).toEqual({ status: "FAILED", productIds: [p.id] });
    expect(await row(other.id)).toEqual({ stock: 5, reserved: 0, sold: 0, version: 1 });
    expect(await row(p.id)).toEqual({ stock: 5, reserved: 0, sold: 0, version: 2 });
  });

  it("when a sale and a cancel of one order wait for it together, then exactly one moves the units", async () => {
    const p = await create(5);
    const o = order([{ productId: p.id, quantity: 2 }]);
    await reserveStock(h.deps, o);
    const holder = await holdRow(
      (tx) => tx`select 1 from order_reservations where order_id = ${o.orderId} for update`,
    );
    const sale = confirmSale(h.deps, o.orderId);
    const release = releaseStock(h.deps, o);
    await waiters(2);
    await holder.commit();
    const outcomes = [await sale, await release];
    const r = await row(p.id);
    if (outcomes[0]!.status === "SOLD") {
      expect(outcomes[1]).toEqual({ status: "NOTHING_TO_RELEASE", previous: "SOLD" });
      expect(r).toEqual({ stock: 3, reserved: 0, sold: 2, version: 3 });
    } else {
      expect(outcomes).toEqual([
        { status: "NOTHING_TO_CONFIRM", previous: "RELEASED" },
        { status: "RELEASED", items: [{ productId: p.id, quantity: 2 }] },
      ]);
      expect(r).toEqual({ stock: 5, reserved: 0, sold: 0, version: 3 });
    }
  });
});

describe("releasing and selling", () => {
  it("when an order is cancelled twice, then its units are released once", async () => {
    const p = await create(5);
    const other = order([{ productId: p.id, quantity: 1 }]);
    const o = order([{ productId: p.id, quantity: 3 }]);
    await reserveStock(h.deps, other);
    await reserveStock(h.deps, o);
    expect((await releaseStock(h.deps, o)).status).toBe("RELEASED");
    expect(await releaseStock(h.deps, o)).toEqual({ status: "NOTHING_TO_RELEASE", previous: "RELEASED" });
    // The other order's unit stays held.
    expect(await row(p.id)).toEqual({ stock: 4, reserved: 1, sold: 0, version: 4 });
    const lines = await h.sql`select status from reservations where order_id = ${o.orderId}`;
    expect(lines.map((l) => l.status)).toEqual(["RELEASED"]);
  });

  it("when an order is cancelled before its reservation, then a tombstone is kept and the late OrderCreated reserves nothing and emits nothing", async () => {
    const p = await create(5);
    const o = order([{ productId: p.id, quantity: 2 }]);
    expect(await releaseStock(h.deps, o)).toEqual({ status: "TOMBSTONED" });
    expect(await reserveStock(h.deps, o)).toEqual({ status: "ALREADY_HANDLED", previous: "CANCELLED" });
    expect(await row(p.id)).toEqual({ stock: 5, reserved: 0, sold: 0, version: 1 });
    expect(await outboxFor(o.orderId)).toHaveLength(0);
    expect(await releaseStock(h.deps, o)).toEqual({ status: "NOTHING_TO_RELEASE", previous: "CANCELLED" });
  });

  it("when a failed order is cancelled, then nothing is released", async () => {
    const p = await create(1);
    const o = order([{ productId: p.id, quantity: 2 }]);
    await reserveStock(h.deps, o);
    expect(await releaseStock(h.deps, o)).toEqual({ status: "NOTHING_TO_RELEASE", previous: "FAILED" });
    expect(await row(p.id)).toEqual({ stock: 1, reserved: 0, sold: 0, version: 1 });
  });

  it("when an order is paid, then reserved units become sold once, and a later cancel releases nothing", async () => {
    const p = await create(5);
    const o = order([{ productId: p.id, quantity: 2 }]);
    await reserveStock(h.deps, o);
    expect((await confirmSale(h.deps, o.orderId)).status).toBe("SOLD");
    expect((await confirmSale(h.deps, o.orderId)).status).toBe("NOTHING_TO_CONFIRM");
    expect((await releaseStock(h.deps, o)).status).toBe("NOTHING_TO_RELEASE");
    expect(await row(p.id)).toEqual({ stock: 3, reserved: 0, sold: 2, version: 3 });
  });

  it("when a reserved product is deleted and the order is cancelled, then its units still return to stock", async () => {
    const p = await create(5);
    const o = order([{ productId: p.id, quantity: 2 }]);
    await reserveStock(h.deps, o);
    await h.client.DeleteProduct({ id: p.id }, { authorization: h.adminAuth });
    expect((await releaseStock(h.deps, o)).status).toBe("RELEASED");
    expect(await row(p.id)).toEqual({ stock: 5, reserved: 0, sold: 0, version: 4 });
  });

  it("when an admin edits with the version read before a reservation, then STALE_VERSION", async () => {
    const p = await create(5);
    await reserveStock(h.deps, order([{ productId: p.id, quantity: 1 }]));
    const err = await h.client
      .UpdateProduct({ id: p.id, version: p.version, stock: 100 }, { authorization: h.adminAuth })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "CONFLICT", code: "STALE_VERSION" });
    expect((await row(p.id)).stock).toBe(4);
  });
});

describe("the cache around inventory changes", () => {
  it("when a cached product is reserved, released and sold, then each read through the cache shows the new stock and version", async () => {
    const p = await create(5);
    const read = () => h.client.GetProduct({ id: p.id });
    expect(await read()).toMatchObject({ stock: 5, version: 1 });
    expect(await read()).toMatchObject({ stock: 5, version: 1 }); // now a hit
    const o = order([{ productId: p.id, quantity: 2 }]);
    await reserveStock(h.deps, o);
    expect(await read()).toMatchObject({ stock: 3, reserved: 2, version: 2 });
    expect((await h.client.GetProducts({ ids: [p.id] })).items[0]).toMatchObject({ stock: 3, version: 2 });
    await releaseStock(h.deps, o);
    expect(await read()).toMatchObject({ stock: 5, reserved: 0, version: 3 });
    const paid = order([{ productId: p.id, quantity: 1 }]);
    await reserveStock(h.deps, paid);
    await read();
    await confirmSale(h.deps, paid.orderId);
    expect(await read()).toMatchObject({ stock: 4, reserved: 0, sold: 1, version: 5 });
  });
});

describe("inventory invariants", () => {
  it("when reservations, cancellations (some repeated) and payments interleave, then stock + reserved + sold stays the initial stock and sold matches the paid orders", async () => {
    const products = [await create(30), await create(30), await create(30)];
    const orders = Array.from({ length: 60 }, (_, i) =>
      order(
        products
          .filter((_, j) => (i + j) % 2 === 0)
          .map((p, j) => ({ productId: p.id, quantity: 1 + ((i + j) % 3) })),
      ),
    ).filter((o) => o.items.length > 0);
    await Promise.all(
      orders.map(async (o, i) => {
        // Some cancels race ahead of their reservation, some come twice, some orders are paid.
        if (i % 5 === 0) await releaseStock(h.deps, o);
        await reserveStock(h.deps, o);
        if (i % 3 === 0) await Promise.all([releaseStock(h.deps, o), releaseStock(h.deps, o)]);
        else if (i % 3 === 1) await confirmSale(h.deps, o.orderId);
      }),
    );
    const rows = await Promise.all(products.map((p) => row(p.id)));
    // The mix really exercised every path.
    expect(rows.some((r) => r.sold > 0) && rows.some((r) => r.reserved > 0)).toBe(true);
    for (const p of products) {
      const r = await row(p.id);
      expect(r.stock + r.reserved + r.sold).toBe(30);
      const [lines] = await h.sql<{ sold: number; reserved: number }[]>`
        select coalesce(sum(quantity) filter (where status = 'SOLD'), 0)::int as sold,
               coalesce(sum(quantity) filter (where status = 'RESERVED'), 0)::int as reserved
        from reservations where product_id = ${p.id}
      `;
      expect(lines).toEqual({ sold: r.sold, reserved: r.reserved });
    }
  });
});
