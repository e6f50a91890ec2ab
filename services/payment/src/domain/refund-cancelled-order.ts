import type { PayloadOf } from "@shop/events";
import type { Queryable } from "@shop/platform";
import type { PaymentDeps } from "./payment-deps.js";
import { paymentRefunded } from "./payment-events.js";

/**
 * On OrderCancelled: a CANCELLED order never keeps a successful charge. The typical case is a
 * saga timeout whose payment succeeded anyway; any other reason with a SUCCEEDED payment is
 * refunded too, since the invariant does not depend on why the order was cancelled. The
 * cancellation is remembered, so an InventoryReserved that arrives later is not charged.
 */
export async function refundCancelledOrder(
  deps: PaymentDeps,
  cancellation: PayloadOf<"OrderCancelled">,
  tx: Queryable,
): Promise<void> {
  const { orderId } = cancellation;
  await deps.payments.lockOrder(orderId, tx);
  await deps.payments.markCancelled(orderId, cancellation.reason, tx);
  const refunded = await deps.payments.refundIfSucceeded(orderId, tx);
  if (!refunded) return;
  await deps.outbox.enqueue(tx, paymentRefunded(refunded));
  deps.metrics.record("REFUNDED");
  deps.logger.info(
    { orderId, reason: cancellation.reason, amountCents: refunded.amountCents },
    "payment refunded",
  );
}
