import type { Queryable, Sql } from "@shop/platform";
import type { CancelReason, Order, OrderLine, OrderStatus } from "../domain/order.js";
import type { StatusMove } from "../domain/order-state-machine.js";

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

/** `applyMove`'s row: the status found, then the moved order's columns (null when nothing moved). */
type MoveRow = Omit<OrderRow, "id"> & {
  id: number | null;
  previous_status: OrderStatus;
  items: OrderLine[] | null;
};

interface LineRow {
  order_id: number;
  product_id: string;
  name: string;
  quantity: number;
  unit_price_cents: number;
}

/** An order's own row, without its lines (which never change after creation). */
export type OrderHeader = Omit<Order, "items">;

/** What `applyMove` found: the status the order was in, and the order after the move if one applied. */
export interface AppliedMove {
  from: OrderStatus;
  after: Order | undefined;
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
    /** The order and its lines in one statement (one round trip). */
    async insert(order: NewOrder, q: Queryable = sql): Promise<Order> {
      const [row] = await q<OrderRow[]>`
        with inserted as (
          insert into orders (user_id, status, total_cents, currency, trace_id)
          values (${order.userId}, 'CREATED', ${order.totalCents}, ${order.currency}, ${order.traceId})
          returning *
        ), lines as (
          insert into order_lines (order_id, line_no, product_id, name, quantity, unit_price_cents)
          select inserted.id, l.line_no, l.product_id, l.name, l.quantity, l.unit_price_cents
          from inserted, unnest(
            ${order.items.map((l) => l.productId)}::text[],
            ${order.items.map((l) => l.name)}::text[],
            ${order.items.map((l) => l.quantity)}::int[],
            ${order.items.map((l) => l.unitPriceCents)}::bigint[]
          ) with ordinality as l (product_id, name, quantity, unit_price_cents, line_no)
        )
        select * from inserted
      `;
      return toOrder(row!, order.items);
    },

    async findById(id: number, q: Queryable = sql): Promise<Order | undefined> {
      const rows = await q<OrderRow[]>`select * from orders where id = ${id}`;
      return (await withLines(rows, q))[0];
    },

    /**
     * A saga step in one statement: locks the order row, applies the one of `moves` that starts
     * from the status found, and reads the lines of the moved order. Undefined when the order does
     * not exist. Locking first (`locked`) matters: a change committed meanwhile is waited out and
     * the move is chosen from the status it left, whereas an update joined straight to the moves
     * would recheck such a row only against the move chosen for its older status, and skip it.
     */
    async applyMove(
      id: number,
      moves: readonly StatusMove[],
      tx: Queryable,
    ): Promise<AppliedMove | undefined> {
      const [row] = await tx<MoveRow[]>`
        with locked as materialized (
          select id, status from orders where id = ${id} for update
        ),
        moved as (
          update orders o
          set status = m.to_status, cancel_reason = m.cancel_reason, updated_at = now()
          from locked
          join unnest(
            ${moves.map((m) => m.from)}::text[],
            ${moves.map((m) => m.to)}::text[],
            ${moves.map((m) => m.cancelReason)}::text[]
          ) as m (from_status, to_status, cancel_reason) on m.from_status = locked.status
          where o.id = locked.id
          returning o.*
        )
        select locked.status as previous_status, moved.*,
          (select json_agg(json_build_object(
                    'productId', l.product_id, 'name', l.name,
                    'quantity', l.quantity, 'unitPriceCents', l.unit_price_cents
                  ) order by l.line_no)
           from order_lines l where l.order_id = moved.id) as items
        from locked left join moved on moved.id = locked.id
      `;
      if (!row) return undefined;
      const { previous_status: from, items, ...order } = row;
      // Not moved: every column of `moved` is null.
      if (order.id === null) return { from, after: undefined };
      return { from, after: toOrder(order as OrderRow, items ?? []) };
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

    /**
     * Sets the status of an order already locked; `from` guards against writing over a change made
     * without the lock. Returns the row only: the caller has the lines already.
     */
    async updateStatus(
      change: { id: number; from: OrderStatus; to: OrderStatus; cancelReason: CancelReason | null },
      q: Queryable = sql,
    ): Promise<OrderHeader> {
      const [row] = await q<OrderRow[]>`
        update orders
        set status = ${change.to}, cancel_reason = ${change.cancelReason}, updated_at = now()
        where id = ${change.id} and status = ${change.from}
        returning *
      `;
      if (!row) throw new Error(`order ${change.id} was not in status ${change.from}`);
      return toHeader(row);
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
  return { ...toHeader(r), items };
}

function toHeader(r: OrderRow): OrderHeader {
  return {
    id: r.id,
    userId: r.user_id,
    status: r.status,
    cancelReason: r.cancel_reason,
    totalCents: r.total_cents,
    currency: r.currency,
    traceId: r.trace_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
