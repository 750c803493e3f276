CREATE SCHEMA app;

CREATE TABLE app.sales (id int NOT NULL, region text NOT NULL, amount numeric) PARTITION BY LIST (region);
CREATE TABLE app.sales_eu PARTITION OF app.sales FOR VALUES IN ('eu');
CREATE TABLE app.sales_us PARTITION OF app.sales FOR VALUES IN ('us');
CREATE INDEX sales_amount_idx ON app.sales (amount);
-- Rows sit in the partitions of the same name under both keys.
INSERT INTO app.sales VALUES (1, 'eu', 10), (3, 'us', 20), (2, 'eu', 30);
