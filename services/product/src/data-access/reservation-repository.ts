import type { Queryable, Sql } from "@shop/platform";

export type OrderReservationStatus = "RESERVED" | "FAILED" | "SOLD" | "RELEASED" | "CANCELLED";
export type LineStatus = "RESERVED" | "RELEASED" | "SOLD";

export interface ReservationLine {
  productId: string;
  quantity: number;
}

/** What the inventory did per order (`order_reservations`) and the lines it holds (`reservations`). */
export function createReservationRepository(sql: Sql) {
  return {
    /**
     * Claims an order id with a first status; false when the order is already known. The primary
     * key makes a concurrent claim of the same order wait for this transaction and then fail.
     */
    async claimOrder(
      orderId: number,
      userId: string,
      status: OrderReservationStatus,
      tx: Queryable = sql,
    ): Promise<boolean> {
      const rows = await tx`
        insert into order_reservations (order_id, user_id, status)
        values (${orderId}, ${userId}, ${status})
        on conflict (order_id) do nothing
        returning order_id
      `;
      return rows.length === 1;
    },

    /**
     * Locks the order's row until the transaction ends and, if it is in `from`, moves it to `to`.
     * Returns the status it was in (undefined when the order is unknown): `from` means it moved.
     * The lock is taken first (`locked`), so a concurrent change is waited out and judged by the
     * status it left.
     */
    async moveOrder(
      orderId: number,
      from: OrderReservationStatus,
      to: OrderReservationStatus,
      tx: Queryable,
    ): Promise<OrderReservationStatus | undefined> {
      const [row] = await tx<{ status: OrderReservationStatus }[]>`
        with locked as materialized (
          select order_id, status from order_reservations where order_id = ${orderId} for update
        ),
        moved as (
          update order_reservations o set status = ${to}, updated_at = now()
          from locked
          where o.order_id = locked.order_id and locked.status = ${from}
        )
        select status from locked
      `;
      return row?.status;
    },

    async findOrderStatus(orderId: number, tx: Queryable = sql): Promise<OrderReservationStatus | undefined> {
      const [row] = await tx<{ status: OrderReservationStatus }[]>`
        select status from order_reservations where order_id = ${orderId}
      `;
      return row?.status;
    },

    /** Marks a claimed order RESERVED and records the lines it now holds, in one statement. */
    async recordReserved(orderId: number, lines: ReservationLine[], tx: Queryable): Promise<void> {
      await tx`
        with reserved as (
          update order_reservations set status = 'RESERVED', updated_at = now() where order_id = ${orderId}
        )
        insert into reservations (order_id, product_id, quantity, status)
        select ${orderId}, l.product_id, l.quantity, 'RESERVED'
        from unnest(
          ${lines.map((l) => l.productId)}::uuid[],
          ${lines.map((l) => l.quantity)}::int[]
        ) as l (product_id, quantity)
      `;
    },

    /**
     * Marks the order's held lines `to` and returns them (by product id): what a release or sale
     * moves. Run under the order's lock (`moveOrder`), so no one else takes them meanwhile.
     */
    async takeLines(
      orderId: number,
      to: Exclude<LineStatus, "RESERVED">,
      tx: Queryable,
    ): Promise<ReservationLine[]> {
      const lines = await tx<ReservationLine[]>`
        update reservations set status = ${to}, updated_at = now()
        where order_id = ${orderId} and status = 'RESERVED'
        returning product_id as "productId", quantity
      `;
      return [...lines].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
    },
  };
}

export type ReservationRepository = ReturnType<typeof createReservationRepository>;
