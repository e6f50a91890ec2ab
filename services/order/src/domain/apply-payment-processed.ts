import type { PayloadOf } from "@shop/events";
import type { Queryable } from "@shop/platform";
import { orderPaid } from "./order-events.js";
import type { SagaDeps } from "./saga-deps.js";
import { transitionOrder } from "./transition-order.js";

/**
 * The charge succeeded: the order is PAID and OrderPaid tells the product service to turn the
 * reservation into a sale. This may find the order still CREATED (the payment implies the
 * reservation, see order-state-machine.ts). If the order was already cancelled (timeout), it stays
 * cancelled: the payment service refunds the charge when it sees OrderCancelled.
 */
export async function applyPaymentProcessed(
  deps: SagaDeps,
  payload: PayloadOf<"PaymentProcessed">,
  tx: Queryable,
): Promise<void> {
  const change = await transitionOrder(deps, tx, payload.orderId, "PAYMENT_SUCCEEDED");
  if (!change) return;
  await deps.outbox.enqueue(tx, orderPaid(change.after));
  deps.metrics.recordTerminal(change.after);
}
