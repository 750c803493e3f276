CREATE SCHEMA app;

CREATE TABLE app.customers (id int PRIMARY KEY, name text);
CREATE TABLE app.regions (code text PRIMARY KEY);
CREATE TABLE app.orders (
    id int NOT NULL,
    placed date NOT NULL,
    customer_id int REFERENCES app.customers,
    region text,
    PRIMARY KEY (id, placed)
) PARTITION BY RANGE (placed);
CREATE TABLE app.orders_2024 PARTITION OF app.orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.orders_2025 PARTITION OF app.orders FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE app.orders_2025 ADD CONSTRAINT orders_2025_region_fk FOREIGN KEY (region) REFERENCES app.regions;
CREATE INDEX orders_2025_region_idx ON app.orders_2025 (region);
INSERT INTO app.customers VALUES (1, 'ann');
INSERT INTO app.regions VALUES ('eu');
INSERT INTO app.orders VALUES (1, '2024-05-01', 1, NULL), (2, '2025-05-01', 1, 'eu');
