CREATE SCHEMA app;

CREATE TABLE app.orders (
    id serial NOT NULL,
    placed date NOT NULL,
    total numeric(10,2)
) PARTITION BY HASH (id);
CREATE TABLE app.orders_2024 PARTITION OF app.orders FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE app.orders_h1 PARTITION OF app.orders FOR VALUES WITH (MODULUS 2, REMAINDER 1);
ALTER TABLE app.orders ADD PRIMARY KEY (id);
CREATE TABLE app.order_lines (order_id int REFERENCES app.orders, placed date, qty int);
-- orders_2024 holds the same rows under both keys (ids 1 and 2 hash to remainder 0).
INSERT INTO app.orders (placed, total) VALUES ('2024-05-01', 1.00), ('2024-06-01', 2.00), ('2023-05-01', 3.00);
