import type { Logger } from "@shop/platform";
import type { OrderRepository } from "../data-access/order-repository.js";
import type { EventSink } from "./order-events.js";
import type { SagaMetrics } from "./saga-metrics.js";
import type { TimelineRepository } from "./saga-timeline.js";

/** What the saga steps (event handlers and the sweeper) need. */
export interface SagaDeps {
  orders: OrderRepository;
  outbox: EventSink;
  timeline: TimelineRepository;
  logger: Logger;
  metrics: SagaMetrics;
}
