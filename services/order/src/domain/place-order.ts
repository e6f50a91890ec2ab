import { createHash } from "node:crypto";
import { AppError, pipelinedTransaction, type Sql } from "@shop/platform";
import type { IdempotencyRecord, IdempotencyRepository } from "../data-access/idempotency-repository.js";
import type { OrderRepository } from "../data-access/order-repository.js";
import type { ProductCatalog } from "../data-access/product-catalog.js";
import type { Order, OrderLine } from "./order.js";
import { type EventSink, orderCreated } from "./order-events.js";
import { type RequestedLine, validateOrderRequest } from "./validate-order-request.js";

export interface PlaceOrderDeps {
  sql: Sql;
  orders: OrderRepository;
  idempotency: IdempotencyRepository;
  catalog: ProductCatalog;
  outbox: EventSink;
}

export interface PlaceOrderCommand {
  userId: string;
  items: RequestedLine[];
  idempotencyKey?: string | undefined;
  traceId?: string | null | undefined;
  /** Forwarded to the product service. */
  authorization?: string | undefined;
}

export interface PlaceOrderResult {
  order: Order;
  /** False when an earlier request with the same idempotency key created the order. */
  created: boolean;
}

/** Thrown inside the transaction when a concurrent request claimed the same idempotency key. */
class KeyClaimedConcurrently extends Error {}

/**
 * Places an order: prices are captured from the product service now, and the order (CREATED),
 * its lines and OrderCreated are written in ONE transaction, so the saga starts iff the order exists.
 */
export async function placeOrder(deps: PlaceOrderDeps, cmd: PlaceOrderCommand): Promise<PlaceOrderResult> {
  const key = cmd.idempotencyKey || undefined;
  validateOrderRequest(cmd.items, key);
  const requestHash = hashRequest(cmd.items);

  if (key) {
    const prior = await deps.idempotency.find(cmd.userId, key);
    if (prior) return replay(deps, prior, requestHash);
  }

  const priced = await priceLines(deps.catalog, cmd.items, cmd.authorization);
  try {
    // BEGIN goes out with the insert: three round trips with the event and COMMIT.
    const order = await pipelinedTransaction(deps.sql, async ({ tx }) => {
      const order = await deps.orders.insert(
        { userId: cmd.userId, traceId: cmd.traceId ?? null, ...priced },
        tx,
      );
      if (key) {
        const claimed = await deps.idempotency.claim(
          { userId: cmd.userId, key, requestHash, orderId: order.id },
          tx,
        );
        if (!claimed) throw new KeyClaimedConcurrently();
      }
      await deps.outbox.enqueue(tx, orderCreated(order));
      return order;
    });
    return { order, created: true };
  } catch (err) {
    if (!(err instanceof KeyClaimedConcurrently) || !key) throw err;
    // Our transaction rolled back; the winner committed before our claim returned.
    const winner = await deps.idempotency.find(cmd.userId, key);
    if (!winner) throw AppError.conflict("idempotency key is being reused concurrently; retry");
    return replay(deps, winner, requestHash);
  }
}

async function replay(
  deps: PlaceOrderDeps,
  prior: IdempotencyRecord,
  requestHash: string,
): Promise<PlaceOrderResult> {
  if (prior.requestHash !== requestHash) {
    throw AppError.unprocessable(
      "this Idempotency-Key was used with a different request",
      "IDEMPOTENCY_KEY_REUSED",
    );
  }
  const order = await deps.orders.findById(prior.orderId);
  if (!order) throw new Error(`order ${prior.orderId} of an idempotency key is missing`);
  return { order, created: false };
}

/** Current name and price of every line; all lines must exist and share one currency. */
async function priceLines(
  catalog: ProductCatalog,
  items: RequestedLine[],
  authorization: string | undefined,
): Promise<{ items: OrderLine[]; totalCents: number; currency: string }> {
  const products = await catalog.getProducts(
    items.map((l) => l.productId),
    authorization,
  );
  const unknown = items.filter((l) => !products.has(l.productId)).map((l) => l.productId);
  if (unknown.length > 0) {
    throw AppError.unprocessable(`unknown or deleted products: ${unknown.join(", ")}`, "UNKNOWN_PRODUCT");
  }
  const lines = items.map((l) => {
    const p = products.get(l.productId)!;
    return {
      productId: l.productId,
      name: p.name,
      quantity: l.quantity,
      unitPriceCents: p.priceCents,
      currency: p.currency,
    };
  });
  const currencies = new Set(lines.map((l) => l.currency));
  if (currencies.size > 1) {
    throw AppError.unprocessable("all products of an order must share one currency", "MIXED_CURRENCY");
  }
  return {
    items: lines.map(({ currency: _c, ...line }) => line),
    totalCents: lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0),
    currency: lines[0]!.currency,
  };
}

/** The request's identity for idempotency: the lines, in order, and nothing else. */
function hashRequest(items: RequestedLine[]): string {
  const canonical = JSON.stringify(items.map((l) => [l.productId, l.quantity]));
  return createHash("sha256").update(canonical).digest("hex");
}
