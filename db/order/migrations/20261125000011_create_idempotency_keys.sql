-- migrate:up
-- Idempotency-Key of CreateOrder, scoped per user. The primary key makes concurrent requests with
-- the same key race safely: one insert wins, the others read the winner. A key older than 24 hours
-- is expired and may be claimed again by a new order.
create table idempotency_keys (
  user_id text not null,
  key text not null check (length(key) between 1 and 255),
  -- sha256 of the request's lines, to tell a retry from a different request reusing the key.
  request_hash text not null,
  order_id bigint not null references orders (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (user_id, key)
);

-- migrate:down
drop table idempotency_keys;
