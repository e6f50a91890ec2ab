import type { EventEnvelope } from "@shop/events";
import type { Queryable } from "@shop/platform";
import { formatMoney, type RecordDeps } from "./record-deps.js";
import { recordOrderNotice } from "./record-order-notice.js";

export async function recordOrderPaid(
  deps: RecordDeps,
  event: EventEnvelope<"OrderPaid">,
  tx: Queryable,
): Promise<void> {
  const { orderId, userId, items, totalCents, currency } = event.payload;
  await recordOrderNotice(
    deps,
    {
      eventId: event.eventId,
      userId,
      orderId,
      type: "ORDER_PAID",
      template: "order-paid",
      vars: {
        orderId,
        total: formatMoney(totalCents, currency),
        itemCount: items.reduce((sum, line) => sum + line.quantity, 0),
      },
    },
    tx,
  );
}
