import type { EventType } from "@shop/events";
import type { Queryable, Sql } from "@shop/platform";
import type { OrderStatus } from "../domain/order.js";
import type {
  OrderTimeline,
  SagaService,
  TimelineEntry,
  TimelineRepository,
} from "../domain/saga-timeline.js";

interface TimelineRow {
  user_id: string;
  status: OrderStatus;
  event_id: string | null;
  event_type: EventType | null;
  service: SagaService | null;
  occurred_at: Date | null;
  trace_id: string | null;
  compensation: boolean | null;
  reason: string | null;
}

/** The saga's timeline of each order (table `order_timeline`). Every method takes an optional transaction. */
export function createTimelineRepository(sql: Sql): TimelineRepository {
  return {
    async record(orderId: number, e: TimelineEntry, tx: Queryable = sql): Promise<boolean> {
      const [row] = await tx<{ order_exists: boolean }[]>`
        with target as (
          select id, trace_id from orders where id = ${orderId}
        ), inserted as (
          insert into order_timeline
            (order_id, event_id, event_type, service, occurred_at, trace_id, compensation, reason)
          select target.id, ${e.eventId}, ${e.type}, ${e.service}, ${e.at},
            coalesce(${e.traceId}::text, target.trace_id), ${e.compensation}, ${e.reason}
          from target
          on conflict (order_id, event_id) do nothing
          returning 1
        )
        select exists (select 1 from target) as order_exists
      `;
      return row!.order_exists;
    },

    /** One round trip: the order's owner and status, and its entries in time order. */
    async find(orderId: number, q: Queryable = sql): Promise<OrderTimeline | undefined> {
      const rows = await q<TimelineRow[]>`
        select o.user_id, o.status, t.event_id, t.event_type, t.service, t.occurred_at, t.trace_id,
          t.compensation, t.reason
        from orders o
        left join order_timeline t on t.order_id = o.id
        where o.id = ${orderId}
        order by t.occurred_at, t.id
      `;
      const first = rows[0];
      if (!first) return undefined;
      const items: TimelineEntry[] = [];
      for (const r of rows) {
        if (r.event_id === null) continue;
        items.push({
          eventId: r.event_id,
          type: r.event_type!,
          service: r.service!,
          at: r.occurred_at!,
          traceId: r.trace_id,
          compensation: r.compensation!,
          reason: r.reason,
        });
      }
      return { orderId, userId: first.user_id, status: first.status, items };
    },
  };
}
