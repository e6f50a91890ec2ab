import { AppError, type Queryable } from "@shop/platform";
import type { LineStatus, ReservationLine } from "../data-access/reservation-repository.js";
import type { ProductDeps } from "./deps.js";
import type { Touched } from "./product.js";

/**
 * Takes an order's held units out of `reserved`, either back into `stock` (release) or into
 * `sold` (sale), and marks its lines. Runs under the order's lock (`reservations.moveOrder`).
 * Product rows are locked in id order like a reservation's, so the two never deadlock. Deleted
 * products are included: their units were held before the delete.
 */
export async function moveReserved(
  deps: ProductDeps,
  orderId: number,
  to: Exclude<LineStatus, "RESERVED">,
  tx: Queryable,
): Promise<{ lines: ReservationLine[]; touched: Touched[] }> {
  const lines = await deps.reservations.takeLines(orderId, to, tx);
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
  return { lines, touched };
}
