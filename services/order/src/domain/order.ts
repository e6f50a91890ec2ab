/** The order aggregate as the domain sees it. */
export const orderStatuses = ["CREATED", "INVENTORY_RESERVED", "PAID", "CANCELLED"] as const;
export type OrderStatus = (typeof orderStatuses)[number];

export type CancelReason = "OUT_OF_STOCK" | "PAYMENT_FAILED" | "TIMEOUT";

export interface OrderLine {
  productId: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
}

export interface Order {
  id: number;
  userId: string;
  status: OrderStatus;
  cancelReason: CancelReason | null;
  items: OrderLine[];
  totalCents: number;
  currency: string;
  traceId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Who is asking: the verified token's subject and role. */
export interface Caller {
  userId: string;
  role: "customer" | "admin";
}
