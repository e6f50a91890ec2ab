import { createEvent, type EventEnvelope } from "@shop/events";
import type { Queryable } from "@shop/platform";
import type { Order } from "./order.js";

/** Where domain code writes integration events: the transactional outbox (@shop/outbox). */
export interface EventSink {
  enqueue(tx: Queryable, events: EventEnvelope | EventEnvelope[]): Promise<void>;
}

export function orderCreated(order: Order) {
  return createEvent("OrderCreated", order.id, {
    orderId: order.id,
    userId: order.userId,
    items: order.items.map((l) => ({
      productId: l.productId,
      quantity: l.quantity,
      unitPriceCents: l.unitPriceCents,
    })),
    totalCents: order.totalCents,
    currency: order.currency,
  });
}

export function orderPaid(order: Order) {
  return createEvent("OrderPaid", order.id, {
    orderId: order.id,
    userId: order.userId,
    items: order.items.map((l) => ({ productId: l.productId, quantity: l.quantity })),
    totalCents: order.totalCents,
    currency: order.currency,
  });
}

/**
 * `release` says whether the product service may hold a reservation for this order: its lines go
 * in `items` so they are returned to stock. Only a failed reservation has nothing to release.
 */
export function orderCancelled(order: Order, release: boolean) {
  if (order.cancelReason === null) throw new Error(`order ${order.id} is not cancelled`);
  return createEvent("OrderCancelled", order.id, {
    orderId: order.id,
    userId: order.userId,
    reason: order.cancelReason,
    items: release ? order.items.map((l) => ({ productId: l.productId, quantity: l.quantity })) : [],
    totalCents: order.totalCents,
    currency: order.currency,
  });
}
