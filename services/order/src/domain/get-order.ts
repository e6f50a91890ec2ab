import { AppError } from "@shop/platform";
import type { OrderRepository } from "../data-access/order-repository.js";
import type { Caller, Order } from "./order.js";

/**
 * One order, for its owner or an admin. Anyone else gets NOT_FOUND, exactly as for an id that
 * does not exist, so ids of other users' orders cannot be probed.
 */
export async function getOrder(
  deps: { orders: OrderRepository },
  caller: Caller,
  id: number,
): Promise<Order> {
  const order = Number.isSafeInteger(id) && id > 0 ? await deps.orders.findById(id) : undefined;
  if (!order || (order.userId !== caller.userId && caller.role !== "admin")) {
    throw AppError.notFound(`order ${id} not found`);
  }
  return order;
}
