import { Counter, Histogram, type Registry } from "@shop/platform";
import type { Order } from "./order.js";

/** Saga outcomes: how many orders end PAID or CANCELLED (by reason), and how long it took. */
export function createSagaMetrics(registry: Registry) {
  const outcomes = new Counter({
    name: "saga_orders_total",
    help: "Orders that reached a terminal state, by outcome and cancel reason",
    labelNames: ["outcome", "reason"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "saga_duration_seconds",
    help: "Time from order creation to its terminal state",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  return {
    /** Call once the transaction that made the order terminal is committed, or about to be. */
    recordTerminal(order: Order): void {
      const outcome = order.status === "PAID" ? "paid" : "cancelled";
      outcomes.inc({ outcome, reason: order.cancelReason ?? "none" });
      duration.observe(Math.max(0, (order.updatedAt.getTime() - order.createdAt.getTime()) / 1000));
    },
  };
}

export type SagaMetrics = ReturnType<typeof createSagaMetrics>;
