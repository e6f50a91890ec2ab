import type { AnyEvent } from "@shop/events";
import { AppError, type Queryable } from "@shop/platform";
import { type TimelineRepository, timelineEntryOf } from "./saga-timeline.js";

/**
 * Records a consumed saga event on its order's timeline, in the consumer's transaction (with the
 * inbox insert and the step it causes). Recorded even when the state machine then skips the event
 * (a late reservation, a payment for an order cancelled by timeout): it did happen.
 */
export async function recordSagaEvent(
  deps: { timeline: TimelineRepository },
  event: AnyEvent,
  tx: Queryable,
): Promise<void> {
  const found = timelineEntryOf(event);
  if (!found) return;
  // The order service created every order it hears about; an unknown id is a poison message.
  if (!(await deps.timeline.record(found.orderId, found.entry, tx))) {
    throw AppError.notFound(`order ${found.orderId} does not exist`);
  }
}
