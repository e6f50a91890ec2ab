import { trace } from "@opentelemetry/api";
import { type CallContext, type GrpcServer, protos } from "@shop/grpc";
import type { TokenVerifier } from "@shop/identity";
import { getOrder } from "../../domain/get-order.js";
import { getOrderTimeline } from "../../domain/get-order-timeline.js";
import { listOrders } from "../../domain/list-orders.js";
import type { Order } from "../../domain/order.js";
import { type PlaceOrderDeps, placeOrder } from "../../domain/place-order.js";
import type { OrderTimeline, TimelineRepository } from "../../domain/saga-timeline.js";

export interface OrderGrpcDeps extends PlaceOrderDeps {
  timeline: TimelineRepository;
  verifier: Pick<TokenVerifier, "verify">;
}

/** OrderService over gRPC: every call is made on behalf of the user in `authorization`. */
export function addOrderService(server: GrpcServer, deps: OrderGrpcDeps): void {
  const caller = async (ctx: CallContext) => {
    const identity = await deps.verifier.verify(ctx.authorization);
    return { userId: identity.userId, role: identity.role };
  };

  server.addService(
    protos().order.OrderService.service,
    {
      CreateOrder: async (req, ctx) => {
        const who = await caller(ctx);
        const result = await placeOrder(deps, {
          userId: who.userId,
          items: req.items.map((l) => ({ productId: l.productId, quantity: l.quantity })),
          idempotencyKey: req.idempotencyKey,
          traceId: traceIdOf(ctx),
          authorization: ctx.authorization,
        });
        return { order: toMessage(result.order), created: result.created };
      },
      GetOrder: async (req, ctx) => toMessage(await getOrder(deps, await caller(ctx), Number(req.id))),
      GetOrderTimeline: async (req, ctx) =>
        toTimelineMessage(await getOrderTimeline(deps, await caller(ctx), Number(req.orderId))),
      ListOrders: async (req, ctx) => {
        const page = await listOrders(deps, await caller(ctx), { limit: req.limit, cursor: req.cursor });
        return { items: page.items.map(toMessage), nextCursor: page.nextCursor ?? "" };
      },
    },
    "shop.order.v1.OrderService",
  );
}

function toMessage(order: Order) {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    items: order.items.map((l) => ({
      productId: l.productId,
      quantity: l.quantity,
      name: l.name,
      unitPriceCents: l.unitPriceCents,
    })),
    totalCents: order.totalCents,
    currency: order.currency,
    cancelReason: order.cancelReason ?? "",
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    traceId: order.traceId ?? "",
  };
}

function toTimelineMessage(timeline: OrderTimeline) {
  return {
    orderId: timeline.orderId,
    status: timeline.status,
    items: timeline.items.map((e) => ({
      eventId: e.eventId,
      type: e.type,
      service: e.service,
      at: e.at.toISOString(),
      traceId: e.traceId ?? "",
      compensation: e.compensation,
      reason: e.reason ?? "",
    })),
  };
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/** The trace of the creating request: the active span's, else the caller's `traceparent`. */
function traceIdOf(ctx: CallContext): string | null {
  const span = trace.getActiveSpan()?.spanContext();
  if (span && /[^0]/.test(span.traceId)) return span.traceId;
  const header = ctx.metadata.get("traceparent")[0];
  const match = typeof header === "string" ? TRACEPARENT.exec(header.trim()) : null;
  return match && /[^0]/.test(match[1]!) ? match[1]! : null;
}
