import { context, trace } from "@opentelemetry/api";
import type { AnyEvent, EventEnvelope, EventType } from "@shop/events";
import type { Queryable } from "@shop/platform";
import type { OrderStatus } from "./order.js";
import type { EventSink } from "./order-events.js";

export type SagaService = "order" | "product" | "payment";

/** One saga event of an order, as the timeline shows it. */
export interface TimelineEntry {
  eventId: string;
  type: EventType;
  /** The emitter. */
  service: SagaService;
  /** The event's occurredAt. */
  at: Date;
  traceId: string | null;
  /** Undoes an earlier step: OrderCancelled (always after a failure or timeout) and PaymentRefunded. */
  compensation: boolean;
  /** Why, for failures and cancellations. */
  reason: string | null;
}

/** An order's owner and status with its timeline, oldest first. */
export interface OrderTimeline {
  orderId: number;
  userId: string;
  status: OrderStatus;
  items: TimelineEntry[];
}

export interface TimelineRepository {
  /**
   * Adds the entry to the order's timeline inside `tx` (once per event id); a missing trace id
   * falls back to the order's own. False when the order does not exist.
   */
  record(orderId: number, entry: TimelineEntry, tx: Queryable): Promise<boolean>;
  /** Undefined when the order does not exist. */
  find(orderId: number): Promise<OrderTimeline | undefined>;
}

const emitters: Partial<Record<EventType, SagaService>> = {
  OrderCreated: "order",
  OrderPaid: "order",
  OrderCancelled: "order",
  InventoryReserved: "product",
  InventoryReservationFailed: "product",
  PaymentProcessed: "payment",
  PaymentFailed: "payment",
  PaymentRefunded: "payment",
};

const compensations: ReadonlySet<EventType> = new Set(["OrderCancelled", "PaymentRefunded"]);

/** The order a saga event is about and its timeline entry; undefined for events outside the saga. */
export function timelineEntryOf(
  event: EventEnvelope | AnyEvent,
): { orderId: number; entry: TimelineEntry } | undefined {
  const service = emitters[event.type];
  if (!service) return undefined;
  const payload = event.payload as { orderId: number; reason?: string };
  return {
    orderId: payload.orderId,
    entry: {
      eventId: event.eventId,
      type: event.type,
      service,
      at: new Date(event.occurredAt),
      traceId: activeTraceId(),
      compensation: compensations.has(event.type),
      reason: payload.reason ?? null,
    },
  };
}

/** The trace being worked in: a span's, or the one a consumed message's headers carried. */
function activeTraceId(): string | null {
  const span = trace.getSpanContext(context.active());
  return span && /[^0]/.test(span.traceId) ? span.traceId : null;
}

/**
 * An event sink that also records each saga event it is given on the order's timeline, in the same
 * transaction as the outbox row: every event the order service emits shows up once it commits.
 */
export function recordingSink(sink: EventSink, timeline: TimelineRepository): EventSink {
  return {
    async enqueue(tx, events) {
      await sink.enqueue(tx, events);
      for (const event of Array.isArray(events) ? events : [events]) {
        const found = timelineEntryOf(event);
        if (found) await timeline.record(found.orderId, found.entry, tx);
      }
    },
  };
}
