CREATE SCHEMA app;

CREATE TABLE app.lines (
    id int PRIMARY KEY,
    qty bigint NOT NULL,
    price numeric(10,2) NOT NULL,
    total numeric GENERATED ALWAYS AS (qty * price) STORED,
    discount numeric(10,2) NOT NULL DEFAULT 0,
    net numeric GENERATED ALWAYS AS (qty * price - discount) STORED,
    note text
);
INSERT INTO app.lines (id, qty, price) VALUES (1, 2, 3.50), (2, 1, 10);
