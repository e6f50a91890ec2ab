-- migrate:up
-- Single-use tokens mailed to the user (email verification, password reset). Only the SHA-256
-- of the token is stored; `used_at` makes it single-use.
create table one_time_tokens (
  token_hash bytea primary key,
  user_id uuid not null references users (id) on delete cascade,
  purpose text not null check (purpose in ('verify_email', 'reset_password')),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
create index one_time_tokens_user_idx on one_time_tokens (user_id, purpose) where used_at is null;

-- migrate:down
drop table one_time_tokens;
