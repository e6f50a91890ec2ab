import type { PayloadOf } from "@shop/events";
import type { Queryable } from "@shop/platform";
import { orderCancelled } from "./order-events.js";
import type { SagaDeps } from "./saga-deps.js";
import { transitionOrder } from "./transition-order.js";

/**
 * What happens when payment fails: the order is cancelled (PAYMENT_FAILED) and OrderCancelled
 * carries every line, so the product service returns the reserved units to stock. A payment is
 * attempted only after the reservation, so there is always something to release.
 */
export async function applyPaymentFailed(
  deps: SagaDeps,
  payload: PayloadOf<"PaymentFailed">,
  tx: Queryable,
): Promise<void> {
  const change = await transitionOrder(deps, tx, payload.orderId, "PAYMENT_FAILED");
  if (!change) return;
  await deps.outbox.enqueue(tx, orderCancelled(change.after, true));
  deps.metrics.recordTerminal(change.after);
}
