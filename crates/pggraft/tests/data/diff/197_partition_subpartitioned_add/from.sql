CREATE SCHEMA app;

CREATE TABLE app.sales (id bigint NOT NULL, region text NOT NULL, sold_on date NOT NULL) PARTITION BY LIST (region);
CREATE TABLE app.sales_eu PARTITION OF app.sales FOR VALUES IN ('eu');
