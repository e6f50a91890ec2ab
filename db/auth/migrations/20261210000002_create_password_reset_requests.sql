-- migrate:up
-- Every password-reset request, whether or not the email has an account. Writing this row either
-- way makes both kinds of request commit a write (and wait for the same WAL flush), so the time
-- of the answer does not tell whether the account exists; it also leaves a trail of requests.
-- Only the SHA-256 of the normalised email is kept, and rows are purged after a week.
create table password_reset_requests (
  id bigint generated always as identity primary key,
  email_digest bytea not null,
  requested_at timestamptz not null default now()
);
create index password_reset_requests_requested_at_idx on password_reset_requests (requested_at);

-- migrate:down
drop table password_reset_requests;
