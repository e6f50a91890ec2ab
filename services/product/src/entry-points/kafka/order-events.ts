import type { EventHandlers } from "@shop/consumer";
import { confirmSale } from "../../domain/confirm-sale.js";
import type { ProductDeps } from "../../domain/deps.js";
import { releaseStock } from "../../domain/release-stock.js";
import { reserveStock } from "../../domain/reserve-stock.js";

/**
 * The product service's part of the order saga. Each handler runs in the consumer's transaction
 * (with the inbox row), so the stock change, the reservation record and the emitted event commit
 * together or not at all; a redelivered event is skipped by the inbox before it gets here.
 */
export function orderEventHandlers(deps: ProductDeps): EventHandlers {
  return {
    OrderCreated: async (event, tx, ctx) => {
      const outcome = await reserveStock(deps, event.payload, tx);
      ctx.log.info({ orderId: event.payload.orderId, outcome: outcome.status }, "order reservation");
    },
    OrderPaid: async (event, tx, ctx) => {
      const outcome = await confirmSale(deps, event.payload.orderId, tx);
      ctx.log.info({ orderId: event.payload.orderId, outcome: outcome.status }, "order sale");
    },
    OrderCancelled: async (event, tx, ctx) => {
      const { orderId, userId } = event.payload;
      const outcome = await releaseStock(deps, { orderId, userId }, tx);
      ctx.log.info({ orderId, outcome: outcome.status }, "order release");
    },
  };
}
