import { AppError, type ErrorDetail } from "@shop/platform";

export interface RequestedLine {
  productId: string;
  quantity: number;
}

export const MAX_LINES = 50;
export const MAX_QUANTITY = 1000;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * The shape rules of an order request (the gateway checks them too; gRPC callers are not trusted):
 * 1-50 lines, each quantity an integer 1-1000, no product twice. Breaking any -> INVALID_ARGUMENT.
 */
export function validateOrderRequest(items: RequestedLine[], idempotencyKey: string | undefined): void {
  const errors: ErrorDetail[] = [];
  if (items.length < 1 || items.length > MAX_LINES) {
    errors.push({ path: "/items", message: `must have 1 to ${MAX_LINES} lines` });
  }
  const seen = new Set<string>();
  items.forEach((line, i) => {
    if (typeof line.productId !== "string") {
      errors.push({ path: `/items/${i}/productId`, message: "must be a string" });
    } else if (seen.has(line.productId)) {
      errors.push({ path: `/items/${i}/productId`, message: "product appears twice" });
    }
    seen.add(line.productId);
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_QUANTITY) {
      errors.push({ path: `/items/${i}/quantity`, message: `must be an integer from 1 to ${MAX_QUANTITY}` });
    }
  });
  if (idempotencyKey !== undefined && idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    errors.push({
      path: "/idempotencyKey",
      message: `must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
    });
  }
  if (errors.length > 0) throw AppError.invalid("invalid order request", errors);
}
