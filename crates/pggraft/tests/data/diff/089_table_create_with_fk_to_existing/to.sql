CREATE SCHEMA app;

CREATE TABLE app.customers (id int PRIMARY KEY, name text);
CREATE TABLE app.orders (
    id int PRIMARY KEY,
    customer_id int NOT NULL REFERENCES app.customers ON DELETE CASCADE,
    total numeric(12,2) NOT NULL DEFAULT 0
);
CREATE INDEX orders_customer_id_idx ON app.orders (customer_id);
