import type { Queryable } from "@shop/platform";
import type { ReservationLine } from "../data-access/reservation-repository.js";
import type { ProductDeps } from "./deps.js";
import { settleReservation } from "./settle-reservation.js";
import { inTransaction } from "./unit-of-work.js";

export interface OrderToRelease {
  orderId: number;
  userId: string;
}

export type ReleaseOutcome =
  | { status: "RELEASED"; items: ReservationLine[] }
  /** Cancelled before any reservation: remembered, so a late OrderCreated reserves nothing. */
  | { status: "TOMBSTONED" }
  /** Nothing held (failed, released before, or sold): nothing changes. */
  | { status: "NOTHING_TO_RELEASE"; previous: string };

/**
 * OrderCancelled: give back exactly what THIS order holds, once. What is released comes from our
 * own reservation lines, not from the event's item list, so a repeated or reordered event can
 * never release more than was taken. The order's row is locked first, which serialises this with
 * a concurrent OrderCreated or OrderPaid of the same order.
 */
export async function releaseStock(
  deps: ProductDeps,
  order: OrderToRelease,
  tx?: Queryable,
): Promise<ReleaseOutcome> {
  return inTransaction<ReleaseOutcome>(deps, tx, async (tx) => {
    if (await deps.reservations.claimOrder(order.orderId, order.userId, "CANCELLED", tx)) {
      deps.logger.info(
        { orderId: order.orderId },
        "order cancelled before its reservation; tombstone recorded",
      );
      return { result: { status: "TOMBSTONED" }, touched: [] };
    }
    const { previous, lines, touched } = await settleReservation(deps, order.orderId, "RELEASED", tx);
    if (previous !== "RESERVED") {
      if (previous === "SOLD")
        deps.logger.warn({ orderId: order.orderId }, "cancel after sale; stock not released");
      return { result: { status: "NOTHING_TO_RELEASE", previous: previous ?? "unknown" }, touched: [] };
    }
    return { result: { status: "RELEASED", items: lines }, touched };
  });
}
