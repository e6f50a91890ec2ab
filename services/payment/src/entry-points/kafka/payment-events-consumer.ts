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
  /** The charges' group; the cancellations' is this name with `-cancellations`. */
  groupId?: string;
  /** How long the broker may hold the cancellations' fetches (`ConsumerOptions.fetchLingerMs`). */
  cancellationsLingerMs?: number;
}

/**
 * Two consumer groups. "payment" reads `inventory`: InventoryReserved charges the order.
 * "payment-cancellations" reads `orders`: OrderCancelled refunds a successful charge and
 * remembers the cancellation. Each handler runs in its consumer's transaction together with the
 * inbox insert, under the order's lock, so the two may meet an order's events in either order
 * (they never shared a partition: the topics differ). They are two groups because `orders`
 * carries two events of every order that payment does not act on (OrderCreated, OrderPaid): in
 * one group each of them woke the consumer that charges, a fetch of its own on the order's path.
 * The cancellations' group may let the broker gather its events (`cancellationsLingerMs`).
 */
export function createPaymentEventsConsumer(deps: PaymentConsumerDeps) {
  const payment = deps.payment;
  const groupId = deps.groupId ?? "payment";
  const common = {
    kafka: deps.kafka,
    sql: deps.sql,
    logger: payment.logger,
    metrics: deps.registry,
    topicPrefix: deps.topicPrefix,
  };
  const charges = createEventConsumer({
    ...common,
    groupId,
    topics: ["inventory"],
    handlers: {
      InventoryReserved: (event, tx, ctx) => chargeOrder({ ...payment, logger: ctx.log }, event.payload, tx),
    },
  });
  const cancellations = createEventConsumer({
    ...common,
    groupId: `${groupId}-cancellations`,
    topics: ["orders"],
    fetchLingerMs: deps.cancellationsLingerMs,
    handlers: {
      OrderCancelled: (event, tx, ctx) =>
        refundCancelledOrder({ ...payment, logger: ctx.log }, event.payload, tx),
    },
  });
  const both = [charges, cancellations];
  return {
    /** Joins both groups. */
    async start(): Promise<void> {
      await Promise.all(both.map((c) => c.start()));
    },
    async stop(): Promise<void> {
      await Promise.all(both.map((c) => c.stop()));
    },
    isReady(): boolean {
      return both.every((c) => c.isReady());
    },
  };
}
