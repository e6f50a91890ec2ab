import { createEvent } from "@shop/events";

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
