-- migrate:up
-- The catalog and its inventory. `stock` is what new orders may take; `reserved` is held for
-- orders awaiting payment; `sold` has left for good. initial stock = stock + reserved + sold.
-- `version` increases on every change (edits, reservations, releases, sales, deletion): it is the
-- optimistic-locking token of UpdateProduct and the freshness token of the read cache.
create table products (
  id uuid primary key default gen_random_uuid(),
  sku text not null check (char_length(sku) between 1 and 64),
  name text not null check (char_length(name) between 1 and 200),
  description text not null default '' check (char_length(description) <= 5000),
  price_cents bigint not null check (price_cents >= 0),
  currency text not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  stock integer not null check (stock >= 0),
  reserved integer not null default 0 check (reserved >= 0),
  sold integer not null default 0 check (sold >= 0),
  version bigint not null default 1 check (version >= 1),
  created_at timestamptz not null default clock_timestamp(),
  updated_at timestamptz not null default clock_timestamp(),
  deleted_at timestamptz,
  -- 'simple' (no stemming, no stop words): SKUs, brand names and codes match as typed.
  search tsvector generated always as (to_tsvector('simple', name || ' ' || description)) stored
);

-- A SKU names one live product; a deleted product's SKU may be used again.
create unique index products_live_sku_key on products (sku) where deleted_at is null;
-- Cursor pagination walks live products by (created_at, id).
create index products_live_page_idx on products (created_at, id) where deleted_at is null;
create index products_search_idx on products using gin (search);

-- migrate:down
drop table products;
