import { context, propagation } from "@opentelemetry/api";
import { type EventEnvelope, ensureValidEvent, topicName, topicOf } from "@shop/events";
import { createCommitSignal, type Queryable } from "@shop/platform";

/** The NOTIFY channel the relay listens on; the notification is delivered when the writer commits. */
export const OUTBOX_CHANNEL = "outbox";

/** How a commit wakes the relay: in-process when one runs in this thread, else by NOTIFY. */
export const outboxCommits = createCommitSignal(OUTBOX_CHANNEL);

export interface OutboxOptions {
  /** Prefix of every topic name (isolates environments and test runs sharing a broker). */
  topicPrefix?: string;
}

/**
 * Writes events into the `outbox` table inside the caller's transaction: they are published
 * if and only if that transaction commits. The active trace context is stored with each row,
 * so the consumer's work joins the trace of the request that caused it.
 */
export function createOutbox(opts: OutboxOptions = {}) {
  const prefix = opts.topicPrefix ?? "";
  return {
    async enqueue(tx: Queryable, events: EventEnvelope | EventEnvelope[]): Promise<void> {
      const list = Array.isArray(events) ? events : [events];
      if (list.length === 0) return;
      const traceHeaders: Record<string, string> = {};
      propagation.inject(context.active(), traceHeaders);
      const rows = list.map((event) => {
        ensureValidEvent(event);
        return {
          event_id: event.eventId,
          topic: topicName(topicOf[event.type], prefix),
          message_key: event.aggregateId,
          event_type: event.type,
          payload: event,
          headers: traceHeaders,
        };
      });
      const notify = !outboxCommits.wakeLocalAfterCommit(tx);
      // One round trip: the rows and, without a relay in this thread, the notification every
      // listening relay receives when the caller commits.
      await tx`
        with inserted as (
          insert into outbox (event_id, topic, message_key, event_type, payload, headers)
          select x.event_id, x.topic, x.message_key, x.event_type, x.payload, x.headers
          from jsonb_to_recordset(${tx.json(rows as never)})
            as x(event_id uuid, topic text, message_key text, event_type text, payload jsonb, headers jsonb)
          returning 1
        )
        select pg_notify(${OUTBOX_CHANNEL}, '') from (select 1 from inserted limit 1) as any_row
        where ${notify}::boolean
      `;
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
