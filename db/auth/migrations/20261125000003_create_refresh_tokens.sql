-- migrate:up
-- One family per login. Every refresh rotates the token inside the family; the family carries
-- the absolute expiry (fixed at login) and the revocation that logout, reuse detection and
-- password reset set.
create table refresh_families (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  revoked_reason text
);
create index refresh_families_user_idx on refresh_families (user_id) where revoked_at is null;

-- Only the SHA-256 of a refresh token is stored. `rotated_at` is set when the token was exchanged
-- for its successor; presenting it again is reuse.
create table refresh_tokens (
  token_hash bytea primary key,
  family_id uuid not null references refresh_families (id) on delete cascade,
  created_at timestamptz not null default now(),
  rotated_at timestamptz
);
create index refresh_tokens_family_idx on refresh_tokens (family_id);

-- migrate:down
drop table refresh_tokens;
drop table refresh_families;
