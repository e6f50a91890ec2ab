import { createEvent, type EventEnvelope } from "@shop/events";
import type { Queryable } from "@shop/platform";
import type { Payment } from "./payment.js";

/** Where domain code writes integration events: the transactional outbox (@shop/outbox). */
export interface EventSink {
  enqueue(tx: Queryable, events: EventEnvelope | EventEnvelope[]): Promise<void>;
}

const money = (p: Payment) => ({
  orderId: p.orderId,
  userId: p.userId,
  paymentId: p.id,
  amountCents: p.amountCents,
  currency: p.currency,
});

/** PaymentProcessed or PaymentFailed, by the attempt's outcome. */
export function paymentOutcome(p: Payment) {
  return p.status === "FAILED"
    ? createEvent("PaymentFailed", p.orderId, {
        ...money(p),
        reason: (p.failureReason ?? "declined").slice(0, 200),
      })
    : createEvent("PaymentProcessed", p.orderId, money(p));
}

export function paymentRefunded(p: Payment) {
  return createEvent("PaymentRefunded", p.orderId, money(p));
}
