import type { Queryable, Sql } from "@shop/platform";
import type { CancelReason, Order, OrderLine, OrderStatus } from "../domain/order.js";

interface OrderRow {
  id: number;
  user_id: string;
  status: OrderStatus;
  cancel_reason: CancelReason | null;
  total_cents: number;
  currency: string;
  trace_id: string | null;
  created_at: Date;
  updated_at: Date;
}

interface LineRow {
  order_id: number;
  product_id: string;
  name: string;
  quantity: number;
  unit_price_cents: number;
}

export interface NewOrder {
  userId: string;
  items: OrderLine[];
  totalCents: number;
  currency: string;
  traceId: string | null;
}

/** Orders and their lines. Every method takes an optional transaction. */
export function createOrderRepository(sql: Sql) {
  async function withLines(rows: readonly OrderRow[], q: Queryable): Promise<Order[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const lines = await q<LineRow[]>`
      select order_id, product_id, name, quantity, unit_price_cents
      from order_lines
      where order_id = any(${ids}::bigint[])
      order by order_id, line_no
    `;
    const byOrder = new Map<number, OrderLine[]>();
    for (const l of lines) {
      const list = byOrder.get(l.order_id) ?? [];
      list.push({
        productId: l.product_id,
        name: l.name,
        quantity: l.quantity,
        unitPriceCents: l.unit_price_cents,
      });
      byOrder.set(l.order_id, list);
    }
    return rows.map((r) => toOrder(r, byOrder.get(r.id) ?? []));
  }

  return {
    async insert(order: NewOrder, q: Queryable = sql): Promise<Order> {
      const [row] = await q<OrderRow[]>`
        insert into orders (user_id, status, total_cents, currency, trace_id)
        values (${order.userId}, 'CREATED', ${order.totalCents}, ${order.currency}, ${order.traceId})
        returning *
      `;
      const lines = order.items.map((l, i) => ({
        order_id: row!.id,
        line_no: i + 1,
        product_id: l.productId,
        name: l.name,
        quantity: l.quantity,
        unit_price_cents: l.unitPriceCents,
      }));
      await q`insert into order_lines ${q(lines)}`;
      return toOrder(row!, order.items);
    },

    async findById(id: number, q: Queryable = sql): Promise<Order | undefined> {
      const rows = await q<OrderRow[]>`select * from orders where id = ${id}`;
      return (await withLines(rows, q))[0];
    },

    /** Reads the order and locks its row until the transaction ends (serialises event handlers). */
    async lockById(id: number, tx: Queryable): Promise<Order | undefined> {
      const rows = await tx<OrderRow[]>`select * from orders where id = ${id} for update`;
      return (await withLines(rows, tx))[0];
    },

    /**
     * Locks up to `limit` orders still in flight that were created more than `olderThanMs` ago.
     * SKIP LOCKED lets several sweepers (and the event handlers) work side by side.
     */
    async lockStuck(olderThanMs: number, limit: number, tx: Queryable): Promise<Order[]> {
      const rows = await tx<OrderRow[]>`
        select * from orders
        where status in ('CREATED', 'INVENTORY_RESERVED')
          and created_at < now() - ${olderThanMs} * interval '1 millisecond'
        order by created_at
        limit ${limit}
        for update skip locked
      `;
      return withLines(rows, tx);
    },

    /** Sets the status; `from` guards against writing over a change made without the lock. */
    async updateStatus(
      change: { id: number; from: OrderStatus; to: OrderStatus; cancelReason: CancelReason | null },
      q: Queryable = sql,
    ): Promise<Order> {
      const rows = await q<OrderRow[]>`
        update orders
        set status = ${change.to}, cancel_reason = ${change.cancelReason}, updated_at = now()
        where id = ${change.id} and status = ${change.from}
        returning *
      `;
      const [order] = await withLines(rows, q);
      if (!order) throw new Error(`order ${change.id} was not in status ${change.from}`);
      return order;
    },

    /** A user's orders, newest first, strictly older than `beforeId` when given. */
    async listByUser(
      userId: string,
      opts: { limit: number; beforeId?: number | undefined },
      q: Queryable = sql,
    ): Promise<Order[]> {
      const rows = await q<OrderRow[]>`
        select * from orders
        where user_id = ${userId}
          ${opts.beforeId === undefined ? q`` : q`and id < ${opts.beforeId}`}
        order by id desc
        limit ${opts.limit}
      `;
      return withLines(rows, q);
    },
  };
}

export type OrderRepository = ReturnType<typeof createOrderRepository>;

function toOrder(r: OrderRow, items: OrderLine[]): Order {
  return {
    id: r.id,
    userId: r.user_id,
    status: r.status,
    cancelReason: r.cancel_reason,
    items,
    totalCents: r.total_cents,
    currency: r.currency,
    traceId: r.trace_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
