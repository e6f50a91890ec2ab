import type { PayloadOf } from "@shop/events";
import type { Queryable } from "@shop/platform";
import { orderCancelled } from "./order-events.js";
import type { SagaDeps } from "./saga-deps.js";
import { transitionOrder } from "./transition-order.js";

/**
 * Stock ran short: the order is cancelled (OUT_OF_STOCK). The reservation is all or nothing, so
 * nothing was reserved and OrderCancelled carries no lines to release.
 */
export async function applyInventoryReservationFailed(
  deps: SagaDeps,
  payload: PayloadOf<"InventoryReservationFailed">,
  tx: Queryable,
): Promise<void> {
  const change = await transitionOrder(deps, tx, payload.orderId, "INVENTORY_REJECTED");
  if (!change) return;
  await deps.outbox.enqueue(tx, orderCancelled(change.after, false));
  deps.metrics.recordTerminal(change.after);
}
