import type { Logger } from "@shop/platform";
import type { OrderRepository } from "../data-access/order-repository.js";
import type { EventSink } from "./order-events.js";
import type { SagaMetrics } from "./saga-metrics.js";

/** What the saga steps (event handlers and the sweeper) need. */
export interface SagaDeps {
  orders: OrderRepository;
  outbox: EventSink;
  logger: Logger;
  metrics: SagaMetrics;
}
