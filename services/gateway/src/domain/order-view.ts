/** The public shape of an order: the order joined with catalog names and its payment. */
export interface OrderView {
  id: number;
  userId: string;
  status: string;
  items: { productId: string; name: string; quantity: number; unitPriceCents: number }[];
  totalCents: number;
  currency: string;
  cancelReason: string | null;
  payment: { status: string; amountCents: number } | null;
  createdAt: string;
  updatedAt: string;
  traceId?: string;
  /** Optional parts that could not be fetched; the order itself is always complete. */
  unavailable?: OptionalPart[];
}

export type OptionalPart = "products" | "payment";

/** What the order service returns (proto `shop.order.v1.Order`, longs as numbers). */
export interface OrderRecord {
  id: number;
  userId: string;
  status: string;
  items: { productId: string; quantity: number; name: string; unitPriceCents: number }[];
  totalCents: number;
  currency: string;
  cancelReason: string;
  createdAt: string;
  updatedAt: string;
  traceId: string;
}

export interface PaymentRecord {
  status: string;
  amountCents: number;
}

export interface OrderParts {
  /** Current catalog names by product id; undefined when the catalog could not be asked. */
  names: Map<string, string> | undefined;
  /** The payment, null when none exists yet; undefined when the payment service could not be asked. */
  payment: PaymentRecord | null | undefined;
}

/**
 * Joins an order with its optional parts. A missing part never fails the order: names fall back
 * to those captured on the order and the payment becomes null, and the part is listed as unavailable.
 */
export function toOrderView(order: OrderRecord, parts: OrderParts): OrderView {
  const unavailable: OptionalPart[] = [];
  if (parts.names === undefined) unavailable.push("products");
  if (parts.payment === undefined) unavailable.push("payment");
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    items: order.items.map((line) => ({
      productId: line.productId,
      name: parts.names?.get(line.productId) ?? line.name,
      quantity: line.quantity,
      unitPriceCents: line.unitPriceCents,
    })),
    totalCents: order.totalCents,
    currency: order.currency || "USD",
    cancelReason: order.status === "CANCELLED" && order.cancelReason ? order.cancelReason : null,
    payment: parts.payment ? { status: parts.payment.status, amountCents: parts.payment.amountCents } : null,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    ...(order.traceId ? { traceId: order.traceId } : {}),
    ...(unavailable.length > 0 ? { unavailable } : {}),
  };
}
