import type { PayloadOf } from "@shop/events";
import type { Queryable } from "@shop/platform";
import type { SagaDeps } from "./saga-deps.js";
import { transitionOrder } from "./transition-order.js";

/** The product service reserved every line: the order waits for its payment. */
export async function applyInventoryReserved(
  deps: SagaDeps,
  payload: PayloadOf<"InventoryReserved">,
  tx: Queryable,
): Promise<void> {
  await transitionOrder(deps, tx, payload.orderId, "INVENTORY_RESERVED");
}
