CREATE SCHEMA app;

CREATE TABLE app.customers (id int NOT NULL, region text NOT NULL, name text) PARTITION BY LIST (region);
CREATE TABLE app.customers_eu PARTITION OF app.customers FOR VALUES IN ('de', 'fr', 'it');
CREATE TABLE app.customers_us PARTITION OF app.customers FOR VALUES IN ('us');
CREATE TABLE app.customers_other PARTITION OF app.customers DEFAULT;
