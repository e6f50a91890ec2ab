import type { EventHandlers } from "@shop/consumer";
import { Counter, type Registry } from "@shop/platform";
import { confirmSale } from "../../domain/confirm-sale.js";
import type { ProductDeps } from "../../domain/deps.js";
import { releaseStock } from "../../domain/release-stock.js";
import { reserveStock } from "../../domain/reserve-stock.js";

/**
 * The product service's part of the order saga. Each handler runs in the consumer's transaction
 * (with the inbox row), so the stock change, the reservation record and the emitted event commit
 * together or not at all; a redelivered event is skipped by the inbox before it gets here.
 */
export function orderEventHandlers(deps: ProductDeps, metrics: Registry): EventHandlers {
  const outcomes = new Counter({
    name: "product_inventory_outcomes_total",
    help: "Saga events handled by the inventory, by event type and outcome (RESERVED, FAILED, RELEASED, ...)",
    labelNames: ["event_type", "outcome"],
    registers: [metrics],
  });
  return {
    OrderCreated: async (event, tx, ctx) => {
      const outcome = await reserveStock(deps, event.payload, tx);
      outcomes.inc({ event_type: event.type, outcome: outcome.status });
      ctx.log.info({ orderId: event.payload.orderId, outcome: outcome.status }, "order reservation");
    },
    OrderPaid: async (event, tx, ctx) => {
      const outcome = await confirmSale(deps, event.payload.orderId, tx);
      outcomes.inc({ event_type: event.type, outcome: outcome.status });
      ctx.log.info({ orderId: event.payload.orderId, outcome: outcome.status }, "order sale");
    },
    OrderCancelled: async (event, tx, ctx) => {
      const { orderId, userId } = event.payload;
      const outcome = await releaseStock(deps, { orderId, userId }, tx);
      outcomes.inc({ event_type: event.type, outcome: outcome.status });
      ctx.log.info({ orderId, outcome: outcome.status }, "order release");
    },
  };
}
