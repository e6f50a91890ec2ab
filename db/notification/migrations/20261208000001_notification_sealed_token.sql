-- migrate:up
-- A verification or reset email is stored with its link redacted; the one-time token waits here
-- sealed (the JWE from the event, which only this service and auth can open) until the dispatcher
-- sends the message, and is cleared once the row is SENT or FAILED.
alter table notifications add column sealed_token text;

-- migrate:down
alter table notifications drop column sealed_token;
