import { AppError } from "@shop/platform";
import type { OrderRepository } from "../data-access/order-repository.js";
import type { Caller, Order } from "./order.js";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface OrderPage {
  items: Order[];
  nextCursor: string | null;
}

/** The caller's own orders, newest first; the cursor is opaque (the last id seen, encoded). */
export async function listOrders(
  deps: { orders: OrderRepository },
  caller: Caller,
  opts: { limit?: number | undefined; cursor?: string | undefined },
): Promise<OrderPage> {
  const limit = opts.limit || DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw AppError.invalid(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`, [
      { path: "/limit", message: `must be from 1 to ${MAX_PAGE_SIZE}` },
    ]);
  }
  const beforeId = opts.cursor ? decodeCursor(opts.cursor) : undefined;
  const rows = await deps.orders.listByUser(caller.userId, { limit: limit + 1, beforeId });
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}

function encodeCursor(id: number): string {
  return Buffer.from(`o:${id}`).toString("base64url");
}

function decodeCursor(cursor: string): number {
  const match = /^o:(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) throw AppError.invalid("cursor is not valid", [{ path: "/cursor", message: "not valid" }]);
  return Number(match[1]);
}
