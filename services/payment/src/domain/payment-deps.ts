import type { Logger } from "@shop/platform";
import type { PaymentRepository } from "../data-access/payment-repository.js";
import type { FailurePolicy } from "./failure-policy.js";
import type { EventSink } from "./payment-events.js";
import type { PaymentMetrics } from "./payment-metrics.js";

export interface PaymentDeps {
  payments: PaymentRepository;
  outbox: EventSink;
  logger: Logger;
  metrics: PaymentMetrics;
  policy: FailurePolicy;
  /** Simulated processor latency per charge. */
  latencyMs: number;
  /** Source of randomness for `random:<p>`; injectable so tests can pin it. */
  random?: () => number;
}
