import type { Queryable } from "@shop/platform";
import type { ReservationLine } from "../data-access/reservation-repository.js";
import type { ProductDeps } from "./deps.js";
import { settleReservation } from "./settle-reservation.js";
import { inTransaction } from "./unit-of-work.js";

export type SaleOutcome =
  | { status: "SOLD"; items: ReservationLine[] }
  | { status: "NOTHING_TO_CONFIRM"; previous: string };

/**
 * OrderPaid: the order's reserved units leave for good (reserved -> sold), once. An order that is
 * not holding a reservation (already sold, released after a timeout) changes nothing: the payment
 * service refunds a charge on a cancelled order.
 */
export async function confirmSale(deps: ProductDeps, orderId: number, tx?: Queryable): Promise<SaleOutcome> {
  return inTransaction<SaleOutcome>(deps, tx, async (tx) => {
    const { previous, lines, touched } = await settleReservation(deps, orderId, "SOLD", tx);
    if (previous !== "RESERVED") {
      deps.logger.warn({ orderId, previous: previous ?? "unknown" }, "order paid without a held reservation");
      return { result: { status: "NOTHING_TO_CONFIRM", previous: previous ?? "unknown" }, touched: [] };
    }
    return { result: { status: "SOLD", items: lines }, touched };
  });
}
