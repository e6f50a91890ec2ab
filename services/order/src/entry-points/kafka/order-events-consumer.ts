import { createEventConsumer } from "@shop/consumer";
import type { Kafka } from "@shop/kafka";
import type { Registry, Sql } from "@shop/platform";
import { applyInventoryReservationFailed } from "../../domain/apply-inventory-reservation-failed.js";
import { applyInventoryReserved } from "../../domain/apply-inventory-reserved.js";
import { applyPaymentFailed } from "../../domain/apply-payment-failed.js";
import { applyPaymentProcessed } from "../../domain/apply-payment-processed.js";
import { recordSagaEvent } from "../../domain/record-saga-event.js";
import type { SagaDeps } from "../../domain/saga-deps.js";

export interface OrderConsumerDeps {
  kafka: Kafka;
  sql: Sql;
  registry: Registry;
  topicPrefix: string;
  saga: SagaDeps;
  groupId?: string;
}

/**
 * Consumer group "order": reservation outcomes (inventory) and payment outcomes (payments) move
 * the saga; refunds are only recorded. Each handler runs in the consumer's transaction together
 * with the inbox insert, and records the event on the order's timeline first, so the timeline
 * lists a consumed event before the events its step emits.
 */
export function createOrderEventsConsumer(deps: OrderConsumerDeps) {
  const saga = deps.saga;
  return createEventConsumer({
    kafka: deps.kafka,
    sql: deps.sql,
    logger: saga.logger,
    metrics: deps.registry,
    groupId: deps.groupId ?? "order",
    topicPrefix: deps.topicPrefix,
    topics: ["inventory", "payments"],
    handlers: {
      InventoryReserved: async (event, tx, ctx) => {
        await recordSagaEvent(saga, event, tx);
        await applyInventoryReserved({ ...saga, logger: ctx.log }, event.payload, tx);
      },
      InventoryReservationFailed: async (event, tx, ctx) => {
        await recordSagaEvent(saga, event, tx);
        await applyInventoryReservationFailed({ ...saga, logger: ctx.log }, event.payload, tx);
      },
      PaymentProcessed: async (event, tx, ctx) => {
        await recordSagaEvent(saga, event, tx);
        await applyPaymentProcessed({ ...saga, logger: ctx.log }, event.payload, tx);
      },
      PaymentFailed: async (event, tx, ctx) => {
        await recordSagaEvent(saga, event, tx);
        await applyPaymentFailed({ ...saga, logger: ctx.log }, event.payload, tx);
      },
      // The payment service refunded a charge for a cancelled order: nothing moves, it is recorded.
      PaymentRefunded: (event, tx) => recordSagaEvent(saga, event, tx),
    },
  });
}
