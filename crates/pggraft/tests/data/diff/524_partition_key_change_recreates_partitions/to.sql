CREATE SCHEMA app;

CREATE TABLE app.sales (id int NOT NULL, region text NOT NULL, amount numeric) PARTITION BY HASH (id);
CREATE TABLE app.sales_eu PARTITION OF app.sales FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE app.sales_us PARTITION OF app.sales FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE INDEX sales_amount_idx ON app.sales (amount);
-- Rows sit in the partitions of the same name under both keys.
INSERT INTO app.sales VALUES (1, 'eu', 10), (3, 'us', 20), (2, 'eu', 30);
