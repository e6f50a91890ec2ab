export type PaymentStatus = "SUCCEEDED" | "FAILED" | "REFUNDED";

/** One charge attempt per order: the record of what happened to the order's money. */
export interface Payment {
  id: string;
  orderId: number;
  userId: string;
  amountCents: number;
  currency: string;
  status: PaymentStatus;
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}
