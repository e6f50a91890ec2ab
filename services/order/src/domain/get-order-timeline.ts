import { AppError } from "@shop/platform";
import type { Caller } from "./order.js";
import type { OrderTimeline, TimelineRepository } from "./saga-timeline.js";

/**
 * An order's saga timeline, for its owner or an admin; anyone else gets NOT_FOUND, exactly as for
 * an id that does not exist (as GetOrder does).
 */
export async function getOrderTimeline(
  deps: { timeline: TimelineRepository },
  caller: Caller,
  id: number,
): Promise<OrderTimeline> {
  const found = Number.isSafeInteger(id) && id > 0 ? await deps.timeline.find(id) : undefined;
  if (!found || (found.userId !== caller.userId && caller.role !== "admin")) {
    throw AppError.notFound(`order ${id} not found`);
  }
  return found;
}
