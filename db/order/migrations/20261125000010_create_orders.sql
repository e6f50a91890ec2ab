-- migrate:up
-- One row per order. Status changes only through the state machine in
-- services/order/src/domain/order-state-machine.ts; the checks here are a safety net.
create table orders (
  id bigint generated always as identity primary key,
  user_id text not null,
  status text not null
    check (status in ('CREATED', 'INVENTORY_RESERVED', 'PAID', 'CANCELLED')),
  cancel_reason text,
  total_cents bigint not null check (total_cents >= 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  trace_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- A reason exactly when cancelled.
  check ((status = 'CANCELLED') = (cancel_reason is not null))
);

-- ListOrders: a user's orders, newest (highest id) first.
create index orders_user_id_idx on orders (user_id, id desc);
-- The stuck-saga sweeper scans only orders still in flight.
create index orders_in_flight_idx on orders (created_at)
  where status in ('CREATED', 'INVENTORY_RESERVED');

-- Lines with the price and name captured when the order was placed.
create table order_lines (
  order_id bigint not null references orders (id) on delete cascade,
  line_no int not null,
  product_id text not null,
  name text not null,
  quantity int not null check (quantity between 1 and 1000),
  unit_price_cents bigint not null check (unit_price_cents >= 0),
  primary key (order_id, line_no),
  unique (order_id, product_id)
);

-- migrate:down
drop table order_lines;
drop table orders;
