-- migrate:up
-- An order email may be recorded before the user's registration event arrived (another topic):
-- its address is then unknown, and the dispatcher fills it from the recipients projection when
-- it sends, instead of the consumer holding up the partition until UserRegistered shows up.
alter table notifications alter column recipient drop not null;

-- migrate:down
update notifications set recipient = '' where recipient is null;
alter table notifications alter column recipient set not null;
