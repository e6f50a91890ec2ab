import type { Sql } from "@shop/platform";
import type { Order } from "./order.js";
import { orderCancelled } from "./order-events.js";
import { nextStatus } from "./order-state-machine.js";
import type { SagaDeps } from "./saga-deps.js";

export interface SweepOptions {
  /** An order still in flight this long after creation is cancelled. */
  timeoutMs: number;
  /** Most orders handled in one transaction. */
  batchSize: number;
}

/**
 * Cancels orders stuck in a non-terminal state past the deadline (TIMEOUT) and compensates them:
 * OrderCancelled carries every line, since the product service may hold a reservation (it treats
 * releasing an order it never reserved as a no-op). If the payment still succeeds later, the
 * payment service refunds it on this OrderCancelled. Rows locked by an event handler or another
 * sweeper are skipped (SKIP LOCKED), so several instances can sweep at once.
 * Returns the orders cancelled.
 */
export async function cancelStuckOrders(deps: SagaDeps & { sql: Sql }, opts: SweepOptions): Promise<Order[]> {
  const cancelled = await deps.sql.begin(async (tx) => {
    const stuck = await deps.orders.lockStuck(opts.timeoutMs, opts.batchSize, tx);
    const done: Order[] = [];
    for (const order of stuck) {
      const step = nextStatus(order.status, "TIMED_OUT");
      if (!step.ok) continue;
      const row = await deps.orders.updateStatus(
        { id: order.id, from: step.from, to: step.to, cancelReason: step.cancelReason },
        tx,
      );
      // Lines never change after creation: the ones read with the lock are still right.
      const after: Order = { ...row, items: order.items };
      await deps.outbox.enqueue(tx, orderCancelled(after, true));
      done.push(after);
    }
    return done;
  });
  for (const order of cancelled) {
    deps.logger.warn({ orderId: order.id, timeoutMs: opts.timeoutMs }, "stuck order cancelled");
    deps.metrics.recordTerminal(order);
  }
  return cancelled;
}
