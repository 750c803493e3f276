CREATE SCHEMA app;

CREATE TABLE app.orders (
    id serial NOT NULL,
    placed date NOT NULL,
    total numeric(10,2)
) PARTITION BY RANGE (placed);
CREATE TABLE app.orders_2024 PARTITION OF app.orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.orders_old PARTITION OF app.orders FOR VALUES FROM (MINVALUE) TO ('2024-01-01');
CREATE INDEX orders_old_total_idx ON app.orders_old (total);
CREATE TABLE app.order_lines (order_id int, placed date, qty int);
-- orders_2024 holds the same rows under both keys (ids 1 and 2 hash to remainder 0).
INSERT INTO app.orders (placed, total) VALUES ('2024-05-01', 1.00), ('2024-06-01', 2.00), ('2023-05-01', 3.00);
