import { AppError } from "@shop/platform";
import type { PaymentRepository } from "../data-access/payment-repository.js";
import type { Payment } from "./payment.js";

export interface Caller {
  userId: string;
  role: "customer" | "admin";
}

/**
 * The payment of an order. With a caller (a verified token), only the owner or an admin sees it;
 * anyone else gets NOT_FOUND, as for an order without a payment. Without a caller the request is
 * an internal one (see the gRPC entry point).
 */
export async function getPayment(
  deps: { payments: PaymentRepository },
  caller: Caller | undefined,
  orderId: number,
): Promise<Payment> {
  const payment =
    Number.isSafeInteger(orderId) && orderId > 0 ? await deps.payments.findByOrderId(orderId) : undefined;
  if (!payment || (caller && caller.role !== "admin" && caller.userId !== payment.userId)) {
    throw AppError.notFound(`no payment for order ${orderId}`);
  }
  return payment;
}
