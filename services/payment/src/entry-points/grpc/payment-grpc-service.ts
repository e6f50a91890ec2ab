import { type GrpcServer, protos } from "@shop/grpc";
import type { TokenVerifier } from "@shop/identity";
import type { PaymentRepository } from "../../data-access/payment-repository.js";
import { getPayment } from "../../domain/get-payment.js";

export interface PaymentGrpcDeps {
  payments: PaymentRepository;
  verifier: Pick<TokenVerifier, "verify">;
}

/**
 * PaymentService over gRPC. Authorization is forward-only: when the caller forwards the user's
 * `authorization`, the token is verified and only the order's owner or an admin gets the payment
 * (others: NOT_FOUND; a bad token: UNAUTHENTICATED). A call without one is treated as internal
 * (service to service), like every other call on this private port.
 */
export function addPaymentService(server: GrpcServer, deps: PaymentGrpcDeps): void {
  server.addService(
    protos().payment.PaymentService.service,
    {
      GetPayment: async (req, ctx) => {
        const identity = ctx.authorization ? await deps.verifier.verify(ctx.authorization) : undefined;
        const caller = identity ? { userId: identity.userId, role: identity.role } : undefined;
        const p = await getPayment(deps, caller, Number(req.orderId));
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
