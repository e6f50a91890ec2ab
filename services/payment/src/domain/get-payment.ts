import { AppError } from "@shop/platform";
import type { PaymentRepository } from "../data-access/payment-repository.js";
import type { Payment } from "./payment.js";

export interface Caller {
  userId: string;
  role: "customer" | "admin";
}

/**
 * The payment of an order, for the order's owner or an admin. Anyone else gets NOT_FOUND, exactly
 * as for an order without a payment, so other users' order ids cannot be probed.
 */
export async function getPayment(
  deps: { payments: PaymentRepository },
  caller: Caller,
  orderId: number,
): Promise<Payment> {
  const payment =
    Number.isSafeInteger(orderId) && orderId > 0 ? await deps.payments.findByOrderId(orderId) : undefined;
  if (!payment || (caller.role !== "admin" && caller.userId !== payment.userId)) {
    throw AppError.notFound(`no payment for order ${orderId}`);
  }
  return payment;
}
