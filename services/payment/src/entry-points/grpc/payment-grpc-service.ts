import { type GrpcServer, protos } from "@shop/grpc";
import type { TokenVerifier } from "@shop/identity";
import type { PaymentRepository } from "../../data-access/payment-repository.js";
import { getPayment } from "../../domain/get-payment.js";

export interface PaymentGrpcDeps {
  payments: PaymentRepository;
  verifier: Pick<TokenVerifier, "verify">;
}

/**
 * PaymentService over gRPC: every call is made on behalf of the user in `authorization`, which
 * the caller forwards (a missing or bad token: UNAUTHENTICATED). A service certificate alone
 * reads no payment: only the order's owner or an admin gets it (others: NOT_FOUND).
 */
export function addPaymentService(server: GrpcServer, deps: PaymentGrpcDeps): void {
  server.addService(
    protos().payment.PaymentService.service,
    {
      GetPayment: async (req, ctx) => {
        const identity = await deps.verifier.verify(ctx.authorization);
        const p = await getPayment(
          deps,
          { userId: identity.userId, role: identity.role },
          Number(req.orderId),
        );
        return {
          orderId: p.orderId,
          status: p.status,
          amountCents: p.amountCents,
          currency: p.currency,
          failureReason: p.failureReason ?? "",
          createdAt: p.createdAt.toISOString(),
          updatedAt: p.updatedAt.toISOString(),
        };
      },
    },
    "shop.payment.v1.PaymentService",
  );
}
