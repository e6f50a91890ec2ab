import type { CallOptions } from "@shop/grpc";
import { AppError, isAppError } from "@shop/platform";
import type { OrderClient, PaymentClient, ProductClient } from "../data-access/grpc-clients.js";
import { type OrderRecord, type OrderView, type PaymentRecord, toOrderView } from "./order-view.js";

/** The catalog answers at most 1000 ids per call; a page of orders can name more. */
const IDS_PER_CALL = 500;

export interface ComposerClients {
  order: Pick<OrderClient, "GetOrder">;
  product: Pick<ProductClient, "GetProducts">;
  payment: Pick<PaymentClient, "GetPayment">;
}

export interface Caller {
  userId: string;
  role: string;
}

/**
 * API composition for orders: the order from the order service, current product names from the
 * catalog and the payment from the payment service, fetched concurrently. Only the order is
 * required; the other parts degrade to "unavailable" instead of failing the request.
 */
export function createOrderComposer(clients: ComposerClients) {
  /** The payment, null when none exists, undefined when it cannot be known now. */
  async function fetchPayment(orderId: number, call: CallOptions): Promise<PaymentRecord | null | undefined> {
    try {
      const payment = await clients.payment.GetPayment({ orderId }, call);
      return { status: payment.status, amountCents: payment.amountCents };
    } catch (err) {
      if (isAppError(err) && err.kind === "NOT_FOUND") return null;
      return undefined;
    }
  }

  async function fetchNames(
    orders: OrderRecord[],
    call: CallOptions,
  ): Promise<Map<string, string> | undefined> {
    const ids = [...new Set(orders.flatMap((o) => o.items.map((line) => line.productId)))];
    if (ids.length === 0) return new Map();
    const batches: string[][] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_CALL) batches.push(ids.slice(i, i + IDS_PER_CALL));
    try {
      const pages = await Promise.all(
        batches.map((batch) => clients.product.GetProducts({ ids: batch }, call)),
      );
      return new Map(pages.flatMap((page) => page.items.map((p) => [p.id, p.name] as const)));
    } catch {
      return undefined;
    }
  }

  /** Views of orders already fetched: one catalog call for all, one payment call per order. */
  async function composeViews(orders: OrderRecord[], call: CallOptions): Promise<OrderView[]> {
    const [names, payments] = await Promise.all([
      fetchNames(orders, call),
      Promise.all(orders.map((o) => fetchPayment(o.id, call))),
    ]);
    return orders.map((order, i) => toOrderView(order, { names, payment: payments[i] }));
  }

  /** One order for its owner or an admin; anyone else is told it does not exist. */
  async function getOrderView(id: number, caller: Caller, call: CallOptions): Promise<OrderView> {
    // The payment is keyed by order id, so it is asked for alongside the order itself.
    const paymentPending = fetchPayment(id, call);
    const order = (await clients.order.GetOrder({ id }, call)) as OrderRecord;
    if (caller.role !== "admin" && order.userId !== caller.userId) throw AppError.notFound("order not found");
    const [names, payment] = await Promise.all([fetchNames([order], call), paymentPending]);
    return toOrderView(order, { names, payment });
  }

  return { getOrderView, composeViews };
}

export type OrderComposer = ReturnType<typeof createOrderComposer>;
