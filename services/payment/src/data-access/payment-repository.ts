import type { Queryable, Sql } from "@shop/platform";
import type { Payment, PaymentStatus } from "../domain/payment.js";

interface PaymentRow {
  id: string;
  order_id: number;
  user_id: string;
  amount_cents: number;
  currency: string;
  status: PaymentStatus;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

/** Payments and the cancellations the payment service has heard of. */
export function createPaymentRepository(sql: Sql) {
  return {
    /**
     * Serialises everything that touches one order's money until the transaction ends: the charge
     * (InventoryReserved) and the refund check (OrderCancelled) arrive on different topics and may
     * run at the same moment; without this a cancellation could slip between "not cancelled"
     * and the charge. The single-bigint key form never collides with the relay's two-int locks.
     */
    async lockOrder(orderId: number, tx: Queryable): Promise<void> {
      await tx`select pg_advisory_xact_lock(${orderId}::bigint)`;
    },

    async findByOrderId(orderId: number, q: Queryable = sql): Promise<Payment | undefined> {
      const [row] = await q<PaymentRow[]>`select * from payments where order_id = ${orderId}`;
      return row ? toPayment(row) : undefined;
    },

    /** Inserts the attempt; undefined when the order already has one (UNIQUE (order_id)). */
    async insert(
      p: Omit<Payment, "createdAt" | "updatedAt">,
      q: Queryable = sql,
    ): Promise<Payment | undefined> {
      const [row] = await q<PaymentRow[]>`
        insert into payments (id, order_id, user_id, amount_cents, currency, status, failure_reason)
        values (${p.id}, ${p.orderId}, ${p.userId}, ${p.amountCents}, ${p.currency}, ${p.status}, ${p.failureReason})
        on conflict (order_id) do nothing
        returning *
      `;
      return row ? toPayment(row) : undefined;
    },

    /** Moves a SUCCEEDED payment to REFUNDED; undefined when there is nothing to refund. */
    async refundIfSucceeded(orderId: number, q: Queryable = sql): Promise<Payment | undefined> {
      const [row] = await q<PaymentRow[]>`
        update payments
        set status = 'REFUNDED', refunded_at = now(), updated_at = now()
        where order_id = ${orderId} and status = 'SUCCEEDED'
        returning *
      `;
      return row ? toPayment(row) : undefined;
    },

    async markCancelled(orderId: number, reason: string, q: Queryable = sql): Promise<void> {
      await q`
        insert into cancelled_orders (order_id, reason) values (${orderId}, ${reason})
        on conflict (order_id) do nothing
      `;
    },

    async isCancelled(orderId: number, q: Queryable = sql): Promise<boolean> {
      const rows = await q`select 1 from cancelled_orders where order_id = ${orderId}`;
      return rows.length > 0;
    },
  };
}

export type PaymentRepository = ReturnType<typeof createPaymentRepository>;

function toPayment(r: PaymentRow): Payment {
  return {
    id: r.id,
    orderId: r.order_id,
    userId: r.user_id,
    amountCents: r.amount_cents,
    currency: r.currency,
    status: r.status,
    failureReason: r.failure_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
