import { topicName } from "@shop/events";
import type { Observer } from "./observer.js";
import { SAGA_TOPICS } from "./observer.js";
import { readToEnd } from "./topic-reader.js";

/** Event types of which one aggregate may emit at most one, whatever happens. */
const ONCE_PER_AGGREGATE: Record<string, string> = {
  OrderCreated: "created",
  OrderPaid: "order-outcome",
  OrderCancelled: "order-outcome",
  InventoryReserved: "inventory-outcome",
  InventoryReservationFailed: "inventory-outcome",
  PaymentProcessed: "payment-outcome",
  PaymentFailed: "payment-outcome",
  PaymentRefunded: "refund",
  UserRegistered: "registered",
};

export interface EventAudit {
  messages: number;
  distinctEvents: number;
  /** Copies of an event id beyond the first (at-least-once delivery at work; harmless). */
  duplicateCopies: number;
  /** Event ids published twice with different content: must be none. */
  conflictingCopies: string[];
  /** An aggregate with two different events where one is allowed (an effect applied twice). */
  doubleEffects: string[];
}

/** Sorted keys, so two copies compare equal whatever the serialiser's key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

/**
 * Reads every saga topic from offset 0: duplicates are counted (expected after crashes), but the
 * same event id must always carry the same content, and no aggregate may have emitted two
 * different events of one outcome (that would be an event handled twice).
 */
export async function auditEvents(observer: Observer): Promise<EventAudit> {
  const contentById = new Map<string, string>();
  const idsByOutcome = new Map<string, Set<string>>();
  const audit: EventAudit = {
    messages: 0,
    distinctEvents: 0,
    duplicateCopies: 0,
    conflictingCopies: [],
    doubleEffects: [],
  };
  const topics = SAGA_TOPICS.map((k) => topicName(k, observer.prefix));
  audit.messages = await readToEnd(observer.kafka, topics, (_topic, _partition, m) => {
    let event: { eventId: string; type: string; aggregateId: string; payload?: { orderId?: unknown } };
    try {
      event = JSON.parse(String(m.value));
    } catch {
      return;
    }
    const content = canonical(event);
    const seen = contentById.get(event.eventId);
    if (seen === undefined) contentById.set(event.eventId, content);
    else {
      audit.duplicateCopies += 1;
      if (seen !== content)
        audit.conflictingCopies.push(`${event.type} ${event.eventId} (${event.aggregateId})`);
    }
    const outcome = ONCE_PER_AGGREGATE[event.type];
    if (!outcome) return;
    // Per order when the payload names one (a payment's aggregate may be the payment).
    const key = `${String(event.payload?.orderId ?? event.aggregateId)} ${outcome}`;
    const ids = idsByOutcome.get(key) ?? new Set<string>();
    ids.add(event.eventId);
    idsByOutcome.set(key, ids);
  });
  audit.distinctEvents = contentById.size;
  for (const [key, ids] of idsByOutcome)
    if (ids.size > 1) audit.doubleEffects.push(`${key}: ${ids.size} different events`);
  return audit;
}
