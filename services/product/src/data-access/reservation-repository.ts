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

    /** The order's status, locked until the transaction ends. */
    async lockOrder(orderId: number, tx: Queryable): Promise<OrderReservationStatus | undefined> {
      const [row] = await tx<{ status: OrderReservationStatus }[]>`
        select status from order_reservations where order_id = ${orderId} for update
      `;
      return row?.status;
    },

    async findOrderStatus(orderId: number, tx: Queryable = sql): Promise<OrderReservationStatus | undefined> {
      const [row] = await tx<{ status: OrderReservationStatus }[]>`
        select status from order_reservations where order_id = ${orderId}
      `;
      return row?.status;
    },

    async setOrderStatus(orderId: number, status: OrderReservationStatus, tx: Queryable): Promise<void> {
      await tx`
        update order_reservations set status = ${status}, updated_at = now() where order_id = ${orderId}
      `;
    },

    async insertLines(orderId: number, lines: ReservationLine[], tx: Queryable): Promise<void> {
      if (lines.length === 0) return;
      const rows = lines.map((l) => ({
        order_id: orderId,
        product_id: l.productId,
        quantity: l.quantity,
        status: "RESERVED",
      }));
      await tx`insert into reservations ${sql(rows)}`;
    },

    async linesOf(orderId: number, status: LineStatus, tx: Queryable = sql): Promise<ReservationLine[]> {
      return tx<ReservationLine[]>`
        select product_id as "productId", quantity
        from reservations
        where order_id = ${orderId} and status = ${status}
        order by product_id
      `;
    },

    async setLinesStatus(orderId: number, from: LineStatus, to: LineStatus, tx: Queryable): Promise<void> {
      await tx`
        update reservations set status = ${to}, updated_at = now()
        where order_id = ${orderId} and status = ${from}
      `;
    },
  };
}

export type ReservationRepository = ReturnType<typeof createReservationRepository>;
