-- migrate:up
-- The saga's timeline: every saga event the order service emitted or handled for an order, written
-- in the transaction of its effect (the outbox insert for its own events, the inbox insert and
-- state change for consumed ones), so it never shows an event whose effect did not commit.
create table order_timeline (
  id bigint generated always as identity primary key,
  order_id bigint not null references orders (id) on delete cascade,
  event_id uuid not null,
  event_type text not null,
  -- The emitter.
  service text not null check (service in ('order', 'product', 'payment')),
  -- The event's occurredAt (the emitter's clock).
  occurred_at timestamptz not null,
  trace_id text,
  -- A step that undoes an earlier one (OrderCancelled, PaymentRefunded).
  compensation boolean not null default false,
  -- Why, for failures and cancellations (cancel reason, payment failure reason).
  reason text,
  unique (order_id, event_id)
);

-- GetOrderTimeline reads one order's entries in time order.
create index order_timeline_order_idx on order_timeline (order_id, occurred_at, id);

-- migrate:down
drop table order_timeline;
