-- migrate:up
-- One payment attempt per order: UNIQUE (order_id) is what makes a charge happen at most once,
-- whatever the number of InventoryReserved deliveries.
create table payments (
  id uuid primary key,
  order_id bigint not null unique,
  user_id text not null,
  amount_cents bigint not null check (amount_cents >= 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  status text not null check (status in ('SUCCEEDED', 'FAILED', 'REFUNDED')),
  failure_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  refunded_at timestamptz
);

-- Orders the payment service has seen cancelled (OrderCancelled), so an InventoryReserved that
-- arrives later for one of them is not charged.
create table cancelled_orders (
  order_id bigint primary key,
  reason text not null,
  cancelled_at timestamptz not null default now()
);

-- migrate:down
drop table cancelled_orders;
drop table payments;
