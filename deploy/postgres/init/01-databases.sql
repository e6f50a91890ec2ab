-- Runs once, when the PostgreSQL volume is empty: one database per service (each service owns
-- its schema; the migrate service applies db/<service>/migrations to each).
create database shop_auth;
create database shop_product;
create database shop_order;
create database shop_payment;
create database shop_notification;
