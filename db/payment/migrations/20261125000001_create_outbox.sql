-- migrate:up
-- The transactional outbox: events written in the same transaction as the state change,
-- published to Kafka by the relay (@shop/outbox).
create table outbox (
  id bigint generated always as identity primary key,
  event_id uuid not null unique,
  topic text not null,
  message_key text not null,
  event_type text not null,
  payload jsonb not null,
  headers jsonb not null default '{}',
  created_at timestamptz not null default now(),
  published_at timestamptz,
  attempts int not null default 0,
  last_error text,
  parked_at timestamptz
);

-- The relay scans only pending rows, oldest first.
create index outbox_pending_idx on outbox (id) where published_at is null and parked_at is null;
create index outbox_published_idx on outbox (published_at) where published_at is not null;

-- migrate:down
drop table outbox;
