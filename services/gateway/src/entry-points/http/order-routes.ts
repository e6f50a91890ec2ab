import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { AppError } from "@shop/platform";
import { type OrderRecord, toOrderView } from "../../domain/order-view.js";
import { registerOrderStream, toTimelineView } from "./order-stream.js";
import { nullIfEmpty, type RouteDeps } from "./route-deps.js";
import { bearerAuth, DEFAULT_LIMIT, ListQuery, Page, problemResponses } from "./schemas/common.js";
import { CreateOrderBody, CreateOrderHeaders, Order, OrderIdParams, OrderTimeline } from "./schemas/order.js";
import { callOptions } from "./trace-context.js";

const tags = ["orders"];
const ORDER_ID = /^[1-9][0-9]{0,15}$/;

/** Order ids are positive integers; any other path segment names no order. */
function parseOrderId(raw: string): number {
  const id = Number(raw);
  if (!ORDER_ID.test(raw) || !Number.isSafeInteger(id)) throw AppError.notFound("order not found");
  return id;
}

function rejectRepeatedProducts(items: { productId: string }[]): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.productId)) {
      throw AppError.invalid("a product appears twice in items", [
        { path: `/items/${i}/productId`, message: "repeats an earlier line's product" },
      ]);
    }
    seen.add(item.productId);
  });
}

/** Orders over OrderService; reads are composed with catalog names and payment status. */
export function orderRoutes(deps: RouteDeps): FastifyPluginAsyncTypebox {
  const { order } = deps.clients;
  return async (app) => {
    app.post(
      "/api/v1/orders",
      {
        preValidation: deps.auth.user,
        schema: {
          tags,
          summary: "Place an order (202; with Idempotency-Key a repeat returns the first order)",
          security: bearerAuth,
          headers: CreateOrderHeaders,
          body: CreateOrderBody,
          response: { 200: Order, 202: Order, ...problemResponses(400, 401, 403, 413, 422, 429, 503) },
        },
      },
      async (req, reply) => {
        rejectRepeatedProducts(req.body.items);
        const call = callOptions(req, deps.auth.identity(req));
        const { order: placed, created } = await order.CreateOrder(
          {
            items: req.body.items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
            idempotencyKey: req.headers["idempotency-key"] ?? "",
          },
          call,
        );
        if (!placed) throw new AppError("INTERNAL", "order service returned no order");
        const record = placed as OrderRecord;
        if (created) {
          // Just made: its names were captured from the catalog a moment ago and no payment exists yet.
          const names = new Map(record.items.map((line) => [line.productId, line.name]));
          return reply.status(202).send(toOrderView(record, { names, payment: null }));
        }
        const [view] = await deps.composer.composeViews([record], call);
        return reply.status(200).send(view!);
      },
    );

    app.get(
      "/api/v1/orders/:id",
      {
        preValidation: deps.auth.user,
        schema: {
          tags,
          summary: "One order (owner or admin), with product names and payment status",
          security: bearerAuth,
          params: OrderIdParams,
          response: { 200: Order, ...problemResponses(401, 404, 429, 503) },
        },
      },
      async (req) => {
        const id = parseOrderId(req.params.id);
        const identity = deps.auth.identity(req);
        return deps.composer.getOrderView(id, identity, callOptions(req, identity));
      },
    );

    app.get(
      "/api/v1/orders/:id/timeline",
      {
        preValidation: deps.auth.user,
        schema: {
          tags,
          operationId: "getOrderTimeline",
          summary: "The saga's events of one order in time order (owner only)",
          security: bearerAuth,
          params: OrderIdParams,
          response: { 200: OrderTimeline, ...problemResponses(401, 404, 429, 503) },
        },
      },
      async (req) => {
        const id = parseOrderId(req.params.id);
        const identity = deps.auth.identity(req);
        return toTimelineView(await order.GetOrderTimeline({ orderId: id }, callOptions(req, identity)));
      },
    );

    registerOrderStream(app, {
      order,
      auth: deps.auth,
      parseOrderId,
      settings: {
        pollMs: deps.config.orderStreamPollMs,
        heartbeatMs: deps.config.orderStreamHeartbeatMs,
        maxMs: deps.config.orderStreamMaxMs,
        maxPerUser: deps.config.orderStreamMaxPerUser,
      },
    });

    app.get(
      "/api/v1/orders",
      {
        preValidation: deps.auth.user,
        schema: {
          tags,
          summary: "The caller's orders, newest first",
          security: bearerAuth,
          querystring: ListQuery,
          response: { 200: Page(Order), ...problemResponses(400, 401, 429, 503) },
        },
      },
      async (req) => {
        const call = callOptions(req, deps.auth.identity(req));
        const page = await order.ListOrders(
          { limit: req.query.limit ?? DEFAULT_LIMIT, cursor: req.query.cursor ?? "" },
          call,
        );
        const items = await deps.composer.composeViews(page.items as OrderRecord[], call);
        return { items, nextCursor: nullIfEmpty(page.nextCursor) };
      },
    );
  };
}
