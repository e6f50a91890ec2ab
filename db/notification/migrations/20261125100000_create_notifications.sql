-- migrate:up
-- What the notification service knows about a user: the email from UserRegistered (a local
-- projection, so order events need no call to the auth service) and an optional Telegram chat.
-- email is null when the chat was linked before the registration event arrived.
create table recipients (
  user_id text primary key,
  email text,
  telegram_chat_id text,
  telegram_linked_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint recipients_chat_id_format check (telegram_chat_id ~ '^-?[0-9]+$' and length(telegram_chat_id) <= 32)
);

-- Every message, one row per event and channel. The consumer only inserts PENDING rows; the
-- dispatcher sends them and moves them to SENT or, after bounded retries, FAILED.
create table notifications (
  id uuid primary key default gen_random_uuid(),
  -- Internal ordering key: newest first and the list cursor, independent of clock resolution.
  seq bigint generated always as identity unique,
  event_id uuid not null,
  user_id text not null,
  type text not null
    constraint notifications_type check (type in ('VERIFY_EMAIL', 'PASSWORD_RESET', 'ORDER_PAID', 'ORDER_CANCELLED')),
  channel text not null constraint notifications_channel check (channel in ('email', 'telegram')),
  status text not null default 'PENDING'
    constraint notifications_status check (status in ('PENDING', 'SENT', 'FAILED')),
  order_id bigint,
  recipient text not null,
  subject text not null,
  body text not null,
  body_html text,
  attempts integer not null default 0,
  last_error text,
  next_attempt_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  -- A redelivered event can never produce a second message on the same channel.
  constraint notifications_event_channel unique (event_id, channel)
);

create index notifications_user_feed_idx on notifications (user_id, seq desc);
-- The dispatcher's queue: only pending rows, by due time.
create index notifications_due_idx on notifications (next_attempt_at) where status = 'PENDING';

-- migrate:down
drop table notifications;
drop table recipients;
