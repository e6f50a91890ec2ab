-- The database work of ONE saga (happy path, one order line), as the services do it, in the same
-- transactions and statements (services/*/src, packages/outbox, packages/consumer), replayed by
-- pgbench against scratch databases: order's tables in `public`, the others in schemas named
-- after their service, all created from db/<service>/migrations. One script run = one saga, so
-- pgbench's "tps" is sagas per second. Each consumed event is its own transaction (the consumers
-- group up to 50 messages per transaction under load, so this is the unbatched, higher-cost shape).
-- Reads served by Redis (the product price lookup of POST /orders) and work outside PostgreSQL are
-- left out, and so are the wake-ups: a commit wakes the outbox relay and the notification
-- dispatcher of its own process without a NOTIFY (createCommitSignal in @shop/platform).
-- Variables: -D products=N (seeded by the harness), -D users=N.
\set pid random(1, :products)
\set uid random(1, :users)

-- 1. order: place the order (services/order/src/domain/place-order.ts).
BEGIN;
insert into orders (user_id, status, total_cents, currency, trace_id)
values ('user-' || :uid, 'CREATED', 1000, 'USD', null)
returning id as order_id \gset
insert into order_lines (order_id, line_no, product_id, name, quantity, unit_price_cents)
values (:order_id, 1, md5('p' || :pid)::uuid::text, 'Bench product', 1, 1000);
insert into outbox (event_id, topic, message_key, event_type, payload, headers)
select e.id, 'shop.orders.v1', :order_id, 'OrderCreated',
  jsonb_build_object('eventId', e.id, 'type', 'OrderCreated', 'version', 1, 'aggregateId', :order_id::text,
    'occurredAt', now(), 'payload', jsonb_build_object('orderId', :order_id, 'userId', 'user-' || :uid,
      'items', jsonb_build_array(jsonb_build_object('productId', md5('p' || :pid)::uuid, 'quantity', 1, 'unitPriceCents', 1000)),
      'totalCents', 1000, 'currency', 'USD')),
  '{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}'
from (select gen_random_uuid() as id) e;
COMMIT;

-- 2. order relay: claim pending rows, publish, mark published (packages/outbox/src/relay.ts).
BEGIN;
with claimed as (
  select id from outbox
  where published_at is null and parked_at is null and pg_try_advisory_xact_lock(2828, hashtext(message_key))
  order by id limit 200 for update skip locked
)
update outbox o set published_at = now(), attempts = o.attempts + 1 from claimed where o.id = claimed.id;
COMMIT;

-- 3. product: OrderCreated -> reserve (services/product/src/domain/reserve-stock.ts).
BEGIN;
insert into product.inbox (consumer, event_id, event_type) values ('product', gen_random_uuid(), 'OrderCreated')
on conflict do nothing returning 1;
insert into product.order_reservations (order_id, user_id, status) values (:order_id, 'user-' || :uid, 'FAILED')
on conflict (order_id) do nothing returning order_id;
select id, stock, reserved, version as p_version, deleted_at is null as live from product.products
where id = any(array[md5('p' || :pid)::uuid]) order by id for update \gset
update product.products
set stock = stock - 1, reserved = reserved + 1, sold = sold + 0, version = version + 1, updated_at = clock_timestamp()
where id = md5('p' || :pid)::uuid and version = :p_version
returning id, version;
insert into product.reservations (order_id, product_id, quantity, status)
values (:order_id, md5('p' || :pid)::uuid, 1, 'RESERVED');
update product.order_reservations set status = 'RESERVED', updated_at = now() where order_id = :order_id;
insert into product.outbox (event_id, topic, message_key, event_type, payload, headers)
select e.id, 'shop.inventory.v1', :order_id, 'InventoryReserved',
  jsonb_build_object('eventId', e.id, 'type', 'InventoryReserved', 'version', 1, 'aggregateId', :order_id::text,
    'occurredAt', now(), 'payload', jsonb_build_object('orderId', :order_id, 'userId', 'user-' || :uid,
      'items', jsonb_build_array(jsonb_build_object('productId', md5('p' || :pid)::uuid, 'quantity', 1)),
      'totalCents', 1000, 'currency', 'USD')),
  '{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}'
from (select gen_random_uuid() as id) e;
COMMIT;

-- 4. product relay.
BEGIN;
with claimed as (
  select id from product.outbox
  where published_at is null and parked_at is null and pg_try_advisory_xact_lock(2828, hashtext(message_key))
  order by id limit 200 for update skip locked
)
update product.outbox o set published_at = now(), attempts = o.attempts + 1 from claimed where o.id = claimed.id;
COMMIT;

-- 5. order: InventoryReserved -> INVENTORY_RESERVED (transition-order.ts: lock, read lines, update, read lines).
BEGIN;
insert into inbox (consumer, event_id, event_type) values ('order', gen_random_uuid(), 'InventoryReserved')
on conflict do nothing returning 1;
select * from orders where id = :order_id for update;
select order_id, product_id, name, quantity, unit_price_cents from order_lines
where order_id = any(array[:order_id]::bigint[]) order by order_id, line_no;
update orders set status = 'INVENTORY_RESERVED', cancel_reason = null, updated_at = now()
where id = :order_id and status = 'CREATED' returning *;
select order_id, product_id, name, quantity, unit_price_cents from order_lines
where order_id = any(array[:order_id]::bigint[]) order by order_id, line_no;
COMMIT;

-- 6. payment: InventoryReserved -> charge (services/payment/src/domain/charge-order.ts).
BEGIN;
insert into payment.inbox (consumer, event_id, event_type) values ('payment', gen_random_uuid(), 'InventoryReserved')
on conflict do nothing returning 1;
select pg_advisory_xact_lock(:order_id::bigint);
select 1 from payment.cancelled_orders where order_id = :order_id;
select * from payment.payments where order_id = :order_id;
insert into payment.payments (id, order_id, user_id, amount_cents, currency, status, failure_reason)
values (gen_random_uuid(), :order_id, 'user-' || :uid, 1000, 'USD', 'SUCCEEDED', null)
on conflict (order_id) do nothing returning *;
insert into payment.outbox (event_id, topic, message_key, event_type, payload, headers)
select e.id, 'shop.payments.v1', :order_id, 'PaymentProcessed',
  jsonb_build_object('eventId', e.id, 'type', 'PaymentProcessed', 'version', 1, 'aggregateId', :order_id::text,
    'occurredAt', now(), 'payload', jsonb_build_object('orderId', :order_id, 'userId', 'user-' || :uid,
      'paymentId', gen_random_uuid(), 'amountCents', 1000, 'currency', 'USD')),
  '{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}'
from (select gen_random_uuid() as id) e;
COMMIT;

-- 7. payment relay.
BEGIN;
with claimed as (
  select id from payment.outbox
  where published_at is null and parked_at is null and pg_try_advisory_xact_lock(2828, hashtext(message_key))
  order by id limit 200 for update skip locked
)
update payment.outbox o set published_at = now(), attempts = o.attempts + 1 from claimed where o.id = claimed.id;
COMMIT;

-- 8. order: PaymentProcessed -> PAID, emits OrderPaid (apply-payment-processed.ts).
BEGIN;
insert into inbox (consumer, event_id, event_type) values ('order', gen_random_uuid(), 'PaymentProcessed')
on conflict do nothing returning 1;
select * from orders where id = :order_id for update;
select order_id, product_id, name, quantity, unit_price_cents from order_lines
where order_id = any(array[:order_id]::bigint[]) order by order_id, line_no;
update orders set status = 'PAID', cancel_reason = null, updated_at = now()
where id = :order_id and status = 'INVENTORY_RESERVED' returning *;
select order_id, product_id, name, quantity, unit_price_cents from order_lines
where order_id = any(array[:order_id]::bigint[]) order by order_id, line_no;
insert into outbox (event_id, topic, message_key, event_type, payload, headers)
select e.id, 'shop.orders.v1', :order_id, 'OrderPaid',
  jsonb_build_object('eventId', e.id, 'type', 'OrderPaid', 'version', 1, 'aggregateId', :order_id::text,
    'occurredAt', now(), 'payload', jsonb_build_object('orderId', :order_id, 'userId', 'user-' || :uid,
      'items', jsonb_build_array(jsonb_build_object('productId', md5('p' || :pid)::uuid, 'quantity', 1)),
      'totalCents', 1000, 'currency', 'USD')),
  '{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}'
from (select gen_random_uuid() as id) e;
COMMIT;

-- 9. order relay.
BEGIN;
with claimed as (
  select id from outbox
  where published_at is null and parked_at is null and pg_try_advisory_xact_lock(2828, hashtext(message_key))
  order by id limit 200 for update skip locked
)
update outbox o set published_at = now(), attempts = o.attempts + 1 from claimed where o.id = claimed.id;
COMMIT;

-- 10. product: OrderPaid -> sale (confirm-sale.ts, settle-reservation.ts).
BEGIN;
insert into product.inbox (consumer, event_id, event_type) values ('product', gen_random_uuid(), 'OrderPaid')
on conflict do nothing returning 1;
select status from product.order_reservations where order_id = :order_id for update;
select product_id as "productId", quantity from product.reservations
where order_id = :order_id and status = 'RESERVED' order by product_id;
select id, stock, reserved, version as s_version, deleted_at is null as live from product.products
where id = any(array[md5('p' || :pid)::uuid]) order by id for update \gset
update product.products
set stock = stock + 0, reserved = reserved - 1, sold = sold + 1, version = version + 1, updated_at = clock_timestamp()
where id = md5('p' || :pid)::uuid and version = :s_version
returning id, version;
update product.reservations set status = 'SOLD', updated_at = now() where order_id = :order_id and status = 'RESERVED';
update product.order_reservations set status = 'SOLD', updated_at = now() where order_id = :order_id;
COMMIT;

-- 11. notification: OrderPaid -> a PENDING email row (record-order-notice.ts).
BEGIN;
insert into notification.inbox (consumer, event_id, event_type) values ('notification', gen_random_uuid(), 'OrderPaid')
on conflict do nothing returning 1;
select user_id, email, telegram_chat_id, telegram_linked_at from notification.recipients where user_id = 'user-' || :uid;
insert into notification.notifications (event_id, user_id, type, channel, order_id, recipient, subject, body, body_html)
values (gen_random_uuid(), 'user-' || :uid, 'ORDER_PAID', 'email', :order_id, 'user-' || :uid || '@shop.test',
  'Your order #' || :order_id || ' is paid',
  'Thank you! Your order #' || :order_id || ' of 1 item(s), $10.00, is paid and on its way.',
  '<p>Thank you! Your order #' || :order_id || ' of 1 item(s), $10.00, is paid and on its way.</p>')
on conflict (event_id, channel) do nothing returning id as notification_id \gset
COMMIT;

-- 12. notification dispatcher: claim due rows (notification-repository.ts claimDue).
BEGIN;
update notification.notifications n
set attempts = n.attempts + 1, next_attempt_at = now() + 60000 * interval '1 millisecond'
from (
  select id from notification.notifications
  where status = 'PENDING' and next_attempt_at <= now()
  order by next_attempt_at limit 50 for update skip locked
) due
where n.id = due.id
returning n.id, n.event_id, n.recipient, n.subject, n.body, n.body_html;
COMMIT;

-- 13. notification dispatcher: mark sent.
update notification.notifications set status = 'SENT', sent_at = now(), last_error = null
where id = ':notification_id' and status = 'PENDING';
