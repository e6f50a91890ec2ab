import { AppError, type Logger, type Queryable } from "@shop/platform";
import type { OrderRepository } from "../data-access/order-repository.js";
import type { Order } from "./order.js";
import { nextStatus, type OrderTrigger } from "./order-state-machine.js";

export interface TransitionDeps {
  orders: OrderRepository;
  logger: Logger;
}

/**
 * Locks the order row (`select ... for update`), asks the state machine where `trigger` takes it
 * and saves the change. Returns the updated order, or undefined when the state machine says no:
 * a late or repeated event must never move a terminal order, and it is not an error worth
 * dead-lettering either, so it is logged and skipped.
 */
export async function transitionOrder(
  deps: TransitionDeps,
  tx: Queryable,
  orderId: number,
  trigger: OrderTrigger,
): Promise<{ before: Order; after: Order } | undefined> {
  const before = await deps.orders.lockById(orderId, tx);
  // The order service created every order it hears about; an unknown id is a poison message.
  if (!before) throw AppError.notFound(`order ${orderId} does not exist`);
  const step = nextStatus(before.status, trigger);
  if (!step.ok) {
    deps.logger.info(
      { orderId, status: before.status, trigger, rejected: step.rejected },
      "order transition skipped",
    );
    return undefined;
  }
  const after = await deps.orders.updateStatus(
    { id: orderId, from: step.from, to: step.to, cancelReason: step.cancelReason },
    tx,
  );
  deps.logger.info({ orderId, from: step.from, to: step.to, trigger }, "order status changed");
  return { before, after };
}
