-- migrate:up
-- Accounts. `email` is stored normalised (trimmed, lower case), so the unique index is the
-- duplicate check. `password_hash` is a PHC string (`$scrypt$ln=..,r=..,p=..$salt$hash`).
create table users (
  id uuid primary key default gen_random_uuid(),
  email text not null unique,
  password_hash text not null,
  role text not null default 'customer' check (role in ('customer', 'admin')),
  email_verified_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Per-account login throttling, keyed by the normalised email rather than the user id so that an
-- unknown email is throttled exactly like a known one (the lockout must not reveal accounts).
-- A row exists only while there are consecutive failures; a successful login deletes it.
create table login_failures (
  email text primary key,
  failures int not null,
  last_failed_at timestamptz not null,
  locked_until timestamptz
);

-- migrate:down
drop table login_failures;
drop table users;
