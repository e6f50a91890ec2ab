import { createEventConsumer } from "@shop/consumer";
import type { Kafka } from "@shop/kafka";
import type { Registry, Sql } from "@shop/platform";
import { applyInventoryReservationFailed } from "../../domain/apply-inventory-reservation-failed.js";
import { applyInventoryReserved } from "../../domain/apply-inventory-reserved.js";
import { applyPaymentFailed } from "../../domain/apply-payment-failed.js";
import { applyPaymentProcessed } from "../../domain/apply-payment-processed.js";
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
 * the saga. Each handler runs in the consumer's transaction together with the inbox insert.
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
      InventoryReserved: (event, tx, ctx) =>
        applyInventoryReserved({ ...saga, logger: ctx.log }, event.payload, tx),
      InventoryReservationFailed: (event, tx, ctx) =>
        applyInventoryReservationFailed({ ...saga, logger: ctx.log }, event.payload, tx),
      PaymentProcessed: (event, tx, ctx) =>
        applyPaymentProcessed({ ...saga, logger: ctx.log }, event.payload, tx),
      PaymentFailed: (event, tx, ctx) => applyPaymentFailed({ ...saga, logger: ctx.log }, event.payload, tx),
    },
  });
}
