-- migrate:up
-- The inbox: ids of the events a consumer has handled, written in the same transaction as the
-- effect, so a redelivered event is recognised and skipped (@shop/consumer).
create table inbox (
  consumer text not null,
  event_id uuid not null,
  event_type text not null,
  handled_at timestamptz not null default now(),
  primary key (consumer, event_id)
);

create index inbox_handled_at_idx on inbox (handled_at);

-- migrate:down
drop table inbox;
