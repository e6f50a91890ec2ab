import { AppError, type Logger, type Queryable } from "@shop/platform";
import type { OrderRepository } from "../data-access/order-repository.js";
import type { Order, OrderStatus } from "./order.js";
import { movesOn, nextStatus, type OrderTrigger } from "./order-state-machine.js";

export interface TransitionDeps {
  orders: OrderRepository;
  logger: Logger;
}

/**
 * Moves the order as `trigger` says, in one statement: the repository locks the row and applies
 * whichever of the state machine's moves for `trigger` starts from the status it finds. Returns
 * the status the order left and the updated order (with its lines), or undefined when the state
 * machine says no: a late or repeated event must never move a terminal order, and it is not an
 * error worth dead-lettering either, so it is logged and skipped.
 */
export async function transitionOrder(
  deps: TransitionDeps,
  tx: Queryable,
  orderId: number,
  trigger: OrderTrigger,
): Promise<{ from: OrderStatus; after: Order } | undefined> {
  const applied = await deps.orders.applyMove(orderId, movesOn(trigger), tx);
  // The order service created every order it hears about; an unknown id is a poison message.
  if (!applied) throw AppError.notFound(`order ${orderId} does not exist`);
  const step = nextStatus(applied.from, trigger);
  if (!step.ok) {
    deps.logger.info(
      { orderId, status: applied.from, trigger, rejected: step.rejected },
      "order transition skipped",
    );
    return undefined;
  }
  // The moves come from the same table as `step`, so a legal step has been applied.
  if (!applied.after) throw new Error(`order ${orderId}: legal move from ${applied.from} not applied`);
  deps.logger.info({ orderId, from: step.from, to: step.to, trigger }, "order status changed");
  return { from: step.from, after: applied.after };
}
