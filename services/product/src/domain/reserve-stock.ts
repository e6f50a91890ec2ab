import { createEvent, type PayloadOf } from "@shop/events";
import { AppError, type Queryable } from "@shop/platform";
import type { ReservationLine } from "../data-access/reservation-repository.js";
import type { ProductDeps } from "./deps.js";
import { inTransaction } from "./unit-of-work.js";

export type OrderToReserve = PayloadOf<"OrderCreated">;

export type ReserveOutcome =
  | { status: "RESERVED"; items: ReservationLine[] }
  | { status: "FAILED"; productIds: string[] }
  /** The order was seen before (a repeat, or cancelled first): nothing changed, nothing emitted. */
  | { status: "ALREADY_HANDLED"; previous: string };

/** Sums quantities per product, so one product asked twice is checked and held once. */
function mergeLines(items: OrderToReserve["items"]): ReservationLine[] {
  const byId = new Map<string, number>();
  for (const item of items) {
    byId.set(item.productId, (byId.get(item.productId) ?? 0) + item.quantity);
  }
  return [...byId].map(([productId, quantity]) => ({ productId, quantity }));
}

/**
 * OrderCreated: hold every line or none, and say which in the same transaction
 * (InventoryReserved, or InventoryReservationFailed with reason OUT_OF_STOCK).
 *
 * Concurrency: one statement locks the product rows (SELECT ... FOR UPDATE) in id order, checks
 * every line and updates them all or none (product-repository.ts `reserveAll`): no round trip
 * happens between taking the locks and writing the rows. We lock rather than retry optimistic
 * updates because the reservation must commit together with the inbox row and the outbox event in
 * the handler's transaction: an optimistic conflict could only be retried by redoing that whole
 * transaction, and under a rush on one product (many orders for the last units) most attempts
 * would conflict and burn the consumer's bounded retries. With locks, competing orders queue on
 * the row and each sees the stock the previous one left; taking the locks in one global order (by
 * id) means two multi-line orders never deadlock. The version still bumps on every change, so
 * admins' edits (optimistic, STALE_VERSION) and the cache see every reservation.
 *
 * An order already known (a repeated OrderCreated, or one cancelled before it arrived) changes
 * nothing and emits nothing: the order is decided already, and the order service ignores events
 * for a cancelled order anyway.
 */
export async function reserveStock(
  deps: ProductDeps,
  order: OrderToReserve,
  tx?: Queryable,
): Promise<ReserveOutcome> {
  const lines = mergeLines(order.items);
  return inTransaction<ReserveOutcome>(deps, tx, async (tx) => {
    // Claimed as FAILED; upgraded to RESERVED below once every line is held.
    if (!(await deps.reservations.claimOrder(order.orderId, order.userId, "FAILED", tx))) {
      const previous = (await deps.reservations.findOrderStatus(order.orderId, tx)) ?? "unknown";
      deps.logger.info({ orderId: order.orderId, previous }, "order already handled; nothing reserved");
      return { result: { status: "ALREADY_HANDLED", previous }, touched: [] };
    }

    const { short, touched } = await deps.products.reserveAll(lines, tx);
    if (short.length > 0) {
      await deps.outbox.enqueue(
        tx,
        createEvent("InventoryReservationFailed", order.orderId, {
          orderId: order.orderId,
          userId: order.userId,
          reason: "OUT_OF_STOCK",
          productIds: short,
        }),
      );
      return { result: { status: "FAILED", productIds: short }, touched: [] };
    }

    // Every line passed the check under its lock, so every row was updated.
    if (touched.length !== lines.length) {
      throw new AppError(
        "INTERNAL",
        `order ${order.orderId}: ${touched.length} of ${lines.length} lines held`,
      );
    }
    // Independent writes: sent together, one round trip.
    await Promise.all([
      deps.reservations.recordReserved(order.orderId, lines, tx),
      deps.outbox.enqueue(
        tx,
        createEvent("InventoryReserved", order.orderId, {
          orderId: order.orderId,
          userId: order.userId,
          items: lines,
          totalCents: order.totalCents,
          currency: order.currency,
        }),
      ),
    ]);
    return { result: { status: "RESERVED", items: lines }, touched };
  });
}
