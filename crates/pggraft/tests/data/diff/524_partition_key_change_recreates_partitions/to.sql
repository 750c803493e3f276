CREATE SCHEMA app;

CREATE TABLE app.sales (id int NOT NULL, region text NOT NULL, amount numeric) PARTITION BY HASH (id);
CREATE TABLE app.sales_eu PARTITION OF app.sales FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE app.sales_us PARTITION OF app.sales FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE INDEX sales_amount_idx ON app.sales (amount);
INSERT INTO app.sales VALUES (1, 'eu', 10), (2, 'us', 20), (3, 'eu', 30);
