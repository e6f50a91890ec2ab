import { type CancelReason, type OrderStatus, orderStatuses } from "./order.js";

/**
 * The one place that decides how an order's status may change.
 *
 *   CREATED -> INVENTORY_RESERVED -> PAID
 *   CREATED | INVENTORY_RESERVED -> CANCELLED
 *   CREATED -> PAID (see below)
 *
 * PAID and CANCELLED are terminal: nothing moves them.
 *
 * Why CREATED -> PAID is legal: the payment service charges only on InventoryReserved, so a
 * PaymentProcessed (or PaymentFailed) proves the stock was reserved. The two events travel on
 * different topics, so the payment outcome may be applied before the reservation; the payment
 * event then stands for both steps, and the late InventoryReserved finds a terminal order and is
 * skipped. Likewise a PaymentFailed on a CREATED order cancels it and releases the lines.
 */
export type OrderTrigger =
  | "INVENTORY_RESERVED"
  | "INVENTORY_REJECTED"
  | "PAYMENT_SUCCEEDED"
  | "PAYMENT_FAILED"
  | "TIMED_OUT";

export const orderTriggers: readonly OrderTrigger[] = [
  "INVENTORY_RESERVED",
  "INVENTORY_REJECTED",
  "PAYMENT_SUCCEEDED",
  "PAYMENT_FAILED",
  "TIMED_OUT",
];

export const transitions: Readonly<Record<OrderStatus, Partial<Record<OrderTrigger, OrderStatus>>>> = {
  CREATED: {
    INVENTORY_RESERVED: "INVENTORY_RESERVED",
    INVENTORY_REJECTED: "CANCELLED",
    PAYMENT_SUCCEEDED: "PAID",
    PAYMENT_FAILED: "CANCELLED",
    TIMED_OUT: "CANCELLED",
  },
  INVENTORY_RESERVED: {
    PAYMENT_SUCCEEDED: "PAID",
    PAYMENT_FAILED: "CANCELLED",
    TIMED_OUT: "CANCELLED",
  },
  PAID: {},
  CANCELLED: {},
};

const cancelReasons: Partial<Record<OrderTrigger, CancelReason>> = {
  INVENTORY_REJECTED: "OUT_OF_STOCK",
  PAYMENT_FAILED: "PAYMENT_FAILED",
  TIMED_OUT: "TIMEOUT",
};

export interface StatusMove {
  from: OrderStatus;
  to: OrderStatus;
  cancelReason: CancelReason | null;
}

export type Transition =
  | ({ ok: true } & StatusMove)
  | { ok: false; from: OrderStatus; rejected: "terminal" | "not-allowed" };

export function isTerminal(status: OrderStatus): boolean {
  return Object.keys(transitions[status]).length === 0;
}

/** The status `trigger` moves an order in `from` to, or why it does not move. */
export function nextStatus(from: OrderStatus, trigger: OrderTrigger): Transition {
  const to = transitions[from][trigger];
  if (!to) return { ok: false, from, rejected: isTerminal(from) ? "terminal" : "not-allowed" };
  return { ok: true, from, to, cancelReason: to === "CANCELLED" ? (cancelReasons[trigger] ?? null) : null };
}

/**
 * Every move `trigger` can make, one per status it is legal from: what the repository may apply in
 * one statement to whatever status it finds the order in (see transition-order.ts).
 */
export function movesOn(trigger: OrderTrigger): StatusMove[] {
  return orderStatuses.flatMap((from) => {
    const step = nextStatus(from, trigger);
    return step.ok ? [{ from: step.from, to: step.to, cancelReason: step.cancelReason }] : [];
  });
}
