import { createEvent } from "@shop/events";
import type { Sql } from "@shop/platform";

/** An OrderCancelled event for `orderId`: the event the consumer tests send. */
export function cancelled(orderId: number) {
  return createEvent("OrderCancelled", orderId, {
    orderId,
    userId: "u1",
    reason: "PAYMENT_FAILED",
    items: [{ productId: "p1", quantity: 1 }],
    totalCents: 100,
    currency: "USD",
  });
}

/** How many times the test handlers' `effects` table recorded `orderId`. */
export async function effectsOf(sql: Sql, orderId: number): Promise<number> {
  const [row] = await sql`select count(*)::int as n from effects where order_id = ${orderId}`;
  return row!.n;
}
