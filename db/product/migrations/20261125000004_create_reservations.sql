-- migrate:up
-- One row per order the inventory has seen: the outcome of its OrderCreated, or a tombstone when
-- OrderCancelled arrived first. Its primary key serialises every event of one order.
--   RESERVED   every line is held            -> SOLD (OrderPaid) or RELEASED (OrderCancelled)
--   FAILED     nothing was held (out of stock, unknown or deleted product)
--   CANCELLED  cancelled before any reservation: a later OrderCreated reserves nothing
create table order_reservations (
  order_id bigint primary key,
  user_id text not null,
  status text not null check (status in ('RESERVED', 'FAILED', 'SOLD', 'RELEASED', 'CANCELLED')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- The lines an order holds, exactly what a release gives back.
create table reservations (
  order_id bigint not null references order_reservations (order_id),
  product_id uuid not null references products (id),
  quantity integer not null check (quantity > 0),
  status text not null check (status in ('RESERVED', 'RELEASED', 'SOLD')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (order_id, product_id)
);

create index reservations_product_idx on reservations (product_id) where status = 'RESERVED';

-- migrate:down
drop table reservations;
drop table order_reservations;
