import { createEventConsumer } from "@shop/consumer";
import type { Kafka } from "@shop/kafka";
import type { Registry, Sql } from "@shop/platform";
import { chargeOrder } from "../../domain/charge-order.js";
import type { PaymentDeps } from "../../domain/payment-deps.js";
import { refundCancelledOrder } from "../../domain/refund-cancelled-order.js";

export interface PaymentConsumerDeps {
  kafka: Kafka;
  sql: Sql;
  registry: Registry;
  topicPrefix: string;
  payment: PaymentDeps;
  groupId?: string;
}

/**
 * Consumer group "payment": InventoryReserved charges the order; OrderCancelled refunds a
 * successful charge and remembers the cancellation. Each handler runs in the consumer's
 * transaction together with the inbox insert.
 */
export function createPaymentEventsConsumer(deps: PaymentConsumerDeps) {
  const payment = deps.payment;
  return createEventConsumer({
    kafka: deps.kafka,
    sql: deps.sql,
    logger: payment.logger,
    metrics: deps.registry,
    groupId: deps.groupId ?? "payment",
    topicPrefix: deps.topicPrefix,
    topics: ["inventory", "orders"],
    handlers: {
      InventoryReserved: (event, tx, ctx) => chargeOrder({ ...payment, logger: ctx.log }, event.payload, tx),
      OrderCancelled: (event, tx, ctx) =>
        refundCancelledOrder({ ...payment, logger: ctx.log }, event.payload, tx),
    },
  });
}
