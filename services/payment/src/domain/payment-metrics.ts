import { Counter, type Registry } from "@shop/platform";
import type { PaymentStatus } from "./payment.js";

export function createPaymentMetrics(registry: Registry) {
  const payments = new Counter({
    name: "payments_total",
    help: "Payment attempts and refunds, by resulting status",
    labelNames: ["status"],
    registers: [registry],
  });
  return {
    record(status: PaymentStatus): void {
      payments.inc({ status });
    },
  };
}

export type PaymentMetrics = ReturnType<typeof createPaymentMetrics>;
