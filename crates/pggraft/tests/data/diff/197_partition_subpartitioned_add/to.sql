CREATE SCHEMA app;

CREATE TABLE app.sales (id bigint NOT NULL, region text NOT NULL, sold_on date NOT NULL) PARTITION BY LIST (region);
CREATE TABLE app.sales_eu PARTITION OF app.sales FOR VALUES IN ('eu');
CREATE TABLE app.sales_us PARTITION OF app.sales FOR VALUES IN ('us') PARTITION BY RANGE (sold_on);
CREATE TABLE app.sales_us_2024 PARTITION OF app.sales_us FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.sales_us_rest PARTITION OF app.sales_us DEFAULT;
