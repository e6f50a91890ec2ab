import { AppError, type Queryable } from "@shop/platform";
import type {
  LineStatus,
  OrderReservationStatus,
  ReservationLine,
} from "../data-access/reservation-repository.js";
import type { ProductDeps } from "./deps.js";
import type { Touched } from "./product.js";

/**
 * Moves an order's reservation from RESERVED to `to` (SOLD on a sale, RELEASED on a cancel): locks
 * the order's reservation row, and if it was RESERVED takes the held units out of `reserved`,
 * either back into `stock` or into `sold`, and marks the lines. Returns the status the order was
 * in; lines and touched products are empty unless it was RESERVED.
 *
 * The order's move and the taking of its lines go out together (one round trip) and run in that
 * order, so the lines are taken under the order's lock. Taking them unconditionally is safe: only
 * lines still RESERVED are taken, and an order has such lines exactly while it is RESERVED. Product
 * rows are locked in id order like a reservation's, so the two never deadlock. Deleted products
 * are included: their units were held before the delete.
 */
export async function settleReservation(
  deps: ProductDeps,
  orderId: number,
  to: Exclude<LineStatus, "RESERVED">,
  tx: Queryable,
): Promise<{ previous: OrderReservationStatus | undefined; lines: ReservationLine[]; touched: Touched[] }> {
  const [previous, lines] = await Promise.all([
    deps.reservations.moveOrder(orderId, "RESERVED", to, tx),
    deps.reservations.takeLines(orderId, to, tx),
  ]);
  if (previous !== "RESERVED") {
    if (lines.length > 0) throw new AppError("INTERNAL", `order ${orderId} is ${previous} with held lines`);
    return { previous, lines: [], touched: [] };
  }
  const touched = await deps.products.applyDeltas(
    lines.map((l) =>
      to === "RELEASED"
        ? { id: l.productId, stock: l.quantity, reserved: -l.quantity, sold: 0 }
        : { id: l.productId, stock: 0, reserved: -l.quantity, sold: l.quantity },
    ),
    tx,
  );
  if (touched.length !== lines.length) {
    const missing = lines.filter((l) => !touched.some((t) => t.id === l.productId)).map((l) => l.productId);
    throw new AppError("INTERNAL", `reserved products ${missing.join(", ")} are missing`);
  }
  return { previous, lines, touched };
}
