import type { EventEnvelope } from "@shop/events";
import type { Queryable } from "@shop/platform";
import { formatMoney, type RecordDeps } from "./record-deps.js";
import { recordOrderNotice } from "./record-order-notice.js";

/** How each cancel reason reads in a message; a reason added later reads as its code. */
const reasonText: Record<string, string> = {
  OUT_OF_STOCK: "some items are out of stock",
  PAYMENT_FAILED: "the payment did not go through",
  TIMEOUT: "it could not be completed in time",
};

export async function recordOrderCancelled(
  deps: RecordDeps,
  event: EventEnvelope<"OrderCancelled">,
  tx: Queryable,
): Promise<void> {
  const { orderId, userId, reason, totalCents, currency } = event.payload;
  await recordOrderNotice(
    deps,
    {
      eventId: event.eventId,
      userId,
      orderId,
      type: "ORDER_CANCELLED",
      template: "order-cancelled",
      vars: {
        orderId,
        total: formatMoney(totalCents, currency),
        reason: reasonText[reason] ?? reason.toLowerCase().replaceAll("_", " "),
      },
    },
    tx,
  );
}
