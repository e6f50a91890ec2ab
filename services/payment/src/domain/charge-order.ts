import { randomUUID } from "node:crypto";
import type { PayloadOf } from "@shop/events";
import type { Queryable } from "@shop/platform";
import { chargeFails, describeFailure } from "./failure-policy.js";
import type { PaymentDeps } from "./payment-deps.js";
import { paymentOutcome } from "./payment-events.js";

/**
 * On InventoryReserved: charge the order total exactly once. The payments row (UNIQUE order_id),
 * the inbox entry and PaymentProcessed/PaymentFailed commit in the consumer's one transaction,
 * so a redelivery or a second InventoryReserved never charges again. An order already known to be
 * cancelled is not charged at all.
 */
export async function chargeOrder(
  deps: PaymentDeps,
  reservation: PayloadOf<"InventoryReserved">,
  tx: Queryable,
): Promise<void> {
  const { orderId } = reservation;
  // One round trip: the three statements go out together and run in order on the transaction's
  // connection, so both reads start once the lock is granted and see whatever its last holder
  // committed (read committed takes a snapshot per statement).
  const [, cancelled, existing] = await Promise.all([
    deps.payments.lockOrder(orderId, tx),
    deps.payments.isCancelled(orderId, tx),
    deps.payments.findByOrderId(orderId, tx),
  ]);
  if (cancelled) {
    deps.logger.info({ orderId }, "order already cancelled; not charging");
    return;
  }
  if (existing) {
    deps.logger.info({ orderId, status: existing.status }, "order already charged; skipping");
    return;
  }
  if (deps.latencyMs > 0) await new Promise((r) => setTimeout(r, deps.latencyMs));

  const failed = chargeFails(deps.policy, orderId, deps.random);
  const payment = await deps.payments.insert(
    {
      id: randomUUID(),
      orderId,
      userId: reservation.userId,
      amountCents: reservation.totalCents,
      currency: reservation.currency,
      status: failed ? "FAILED" : "SUCCEEDED",
      failureReason: failed ? describeFailure(deps.policy) : null,
    },
    tx,
  );
  // Unreachable while the advisory lock is held; UNIQUE (order_id) is the last line of defence.
  if (!payment) return;
  await deps.outbox.enqueue(tx, paymentOutcome(payment));
  deps.metrics.record(payment.status);
  deps.logger.info({ orderId, status: payment.status, amountCents: payment.amountCents }, "order charged");
}
