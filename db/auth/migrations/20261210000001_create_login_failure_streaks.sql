-- migrate:up
-- Login throttling by client address, so that failing at someone's email cannot lock them out.
-- One failure streak per (email, client address); one per client address across emails
-- (email = ''), against password spraying; one per account across addresses
-- (client_address = ''), which slows distributed guessing at one account. `email` is stored
-- normalised, so an unknown email is throttled exactly like a real account. A client address is
-- the gateway's view of the client: an IPv4 address, an IPv6 /64 prefix, or 'unknown'.
-- `login_failures` (per email only) is left for instances still running the previous release and
-- is dropped by a later migration.
create table login_failure_streaks (
  email text not null,
  client_address text not null,
  failures int not null,
  last_failed_at timestamptz not null,
  locked_until timestamptz,
  primary key (email, client_address),
  check (email <> '' or client_address <> '')
);

-- migrate:down
drop table login_failure_streaks;
