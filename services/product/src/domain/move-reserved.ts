import { AppError, type Queryable } from "@shop/platform";
import type { LineStatus, ReservationLine } from "../data-access/reservation-repository.js";
import type { ProductDeps } from "./deps.js";
import type { Touched } from "./product.js";

/**
 * Takes an order's held units out of `reserved`, either back into `stock` (release) or into
 * `sold` (sale), and marks its lines. Rows are locked in id order like a reservation's, so the
 * two never deadlock. Deleted products are included: their units were held before the delete.
 */
export async function moveReserved(
  deps: ProductDeps,
  orderId: number,
  to: Exclude<LineStatus, "RESERVED">,
  tx: Queryable,
): Promise<{ lines: ReservationLine[]; touched: Touched[] }> {
  const lines = await deps.reservations.linesOf(orderId, "RESERVED", tx);
  const locked = new Map(
    (
      await deps.products.lockInIdOrder(
        lines.map((l) => l.productId),
        tx,
      )
    ).map((p) => [p.id, p]),
  );
  const touched: Touched[] = [];
  for (const line of lines) {
    const p = locked.get(line.productId);
    if (!p) throw new AppError("INTERNAL", `reserved product ${line.productId} is missing`);
    const delta =
      to === "RELEASED"
        ? { stock: line.quantity, reserved: -line.quantity, sold: 0 }
        : { stock: 0, reserved: -line.quantity, sold: line.quantity };
    const after = await deps.products.applyDelta(p.id, p.version, delta, tx);
    if (!after) throw new AppError("INTERNAL", `product ${p.id} changed under its lock`);
    touched.push(after);
  }
  await deps.reservations.setLinesStatus(orderId, "RESERVED", to, tx);
  return { lines, touched };
}
